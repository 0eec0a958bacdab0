"""The search side of the benchmark, in Debian's Chromium.

For our site (from `file://`) and Pagefind's (over HTTP on loopback: Pagefind loads its index
with fetch() and WebAssembly, which `file://` refuses):

- bytes before first results: the gzip -9 size of every file the page requests after its HTML,
  up to the moment the first result is on screen (files it names and never requests, such as
  its feed, do not count);
- time to first results: from navigation start to that moment, opening `?q=<word>`;
- new-query latency: from the input event of a new query to its results on screen, for a query
  whose files are not loaded yet (`diffusion models` typed 400 ms after the first results, as
  for every new query, in both engines; these three figures the median of five page loads),
  for rare words and for words in most papers (the median of several words each);
- known-item search: every paper queried by the first four words of its title (of three
  letters or more); the mean reciprocal rank of the paper in the top ten (`known_items`).

And `serve`'s save-to-reload: from saving a paper file to the reload event reaching the open
page's `EventSource`.
"""

from __future__ import annotations

import functools
import gzip
import re
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

from playwright.sync_api import Browser, Page, sync_playwright

from tests.chromium import CHROMIUM, CHROMIUM_ARGS

# The first result card of a query, stamped with the time it appeared (both engines).
WATCH = """(selector) => {
  window.__shown = null;
  window.__loads = [];
  new MutationObserver((records, observer) => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        const url = node.tagName === "SCRIPT" ? node.src : node.tagName === "LINK" ? node.href : "";
        if (url) { window.__loads.push([performance.now(), url]); }
      }
    }
    if (document.querySelector(selector)) {
      window.__shown = performance.now();
      observer.disconnect();
    }
  }).observe(document, {childList: true, subtree: true});
}"""
OURS = "#search-results .result-link"
# After its first results, each engine gets this long before the next query is typed (a reader
# reads before typing again): what a page does once it has answered (ours fetches what sorting
# needs) does not count against the next query, for either engine.
SETTLE_MS = 400
PAGEFIND = ".pagefind-ui__result-link"


class Quiet(SimpleHTTPRequestHandler):
    """A static file handler that logs nothing."""

    def log_message(self, format: str, *args: object) -> None:
        """Log nothing."""


@contextmanager
def served(folder: Path) -> Iterator[str]:
    """Serve a folder on loopback; yield its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _local_file(url: str, root: Path, base: str) -> Path | None:
    """Map a requested URL to the file it names in `root`."""
    parsed = urlparse(url)
    if url.startswith("file://"):
        return Path(unquote(parsed.path))
    if url.startswith(base):
        path = unquote(parsed.path).lstrip("/")
        file = root / path
        return file / "index.html" if file.is_dir() else file
    return None


def gzip_bytes(files: list[Path]) -> int:
    """Sum of the gzip -9 sizes of files, each compressed on its own."""
    return sum(len(gzip.compress(f.read_bytes(), 9)) for f in files if f.is_file())


def first_results(page: Page, url: str, selector: str, root: Path) -> tuple[float, int]:
    """Open a search URL; return (ms to the first result on screen, gzip bytes loaded before).

    Every file our pages load is a <script> or <link> (file:// keeps no resource timings), put
    in the page before the first result shows; of those, the files the browser requested count
    (a `<link rel="alternate">` to a feed is in the page, and never requested).
    """
    requested: set[str] = set()
    page.on("request", lambda r: requested.add(r.url))
    page.add_init_script(f"({WATCH})({selector!r})")
    page.goto(url)
    page.wait_for_function("window.__shown !== null", timeout=120_000)
    shown = page.evaluate("window.__shown")
    loads = page.evaluate("window.__loads")
    names = dict.fromkeys(u for t, u in loads if t <= shown and u in requested)
    files = [f for u in names if (f := _local_file(u, root, "file://")) is not None]
    return shown, gzip_bytes(files)


def latency(page: Page, box: str, selector: str, words: list[str], marked: bool) -> float:
    """Median ms from a new query's input event to its first result on screen.

    `marked`: the result list says which query it shows (ours does, in data-query); else a
    first result that is not the one before counts.
    """
    times = []
    for word in words:
        started = page.evaluate(
            """([box, selector, word, marked]) => {
              const input = document.querySelector(box);
              window.__shown = null;
              const first = () => document.querySelector(selector);
              const old = first();
              const done = () => {
                const now = first();
                if (!now || !now.isConnected) { return false; }
                return marked ? now.closest('[data-query]').dataset.query === word : now !== old;
              };
              new MutationObserver((_, observer) => {
                if (done()) { window.__shown = performance.now(); observer.disconnect(); }
              }).observe(document, {childList: true, subtree: true, attributes: true});
              input.value = word;
              const t = performance.now();
              input.dispatchEvent(new Event('input', {bubbles: true}));
              return t;
            }""",
            [box, selector, word, marked],
        )
        page.wait_for_function("window.__shown !== null", timeout=60_000)
        times.append(page.evaluate("window.__shown") - started)
        page.wait_for_timeout(SETTLE_MS)  # let the last query settle before the next
    return statistics.median(times)


def measure(
    site: Path,
    peer: Path | None,
    first: str,
    rare: list[str],
    common: list[str],
    then: str = "diffusion models",
    runs: int = 5,
) -> dict[str, dict[str, float]]:
    """Measure both engines; return {engine: {figure: value}}: each of `runs` times, open the
    search page on `first` and then type `then` (a query whose files are not loaded yet), and
    take the medians; then new queries of rare and of common words."""
    figures: dict[str, dict[str, float]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        url = (site / "search.html").as_uri() + "?q=" + first
        shown, sizes, next_ms = [], [], []
        for _ in range(runs):
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            ms, size = first_results(page, url, OURS, site)
            page.wait_for_function(
                "document.getElementById('search-results').getAttribute('aria-busy') === 'false'"
            )
            shown.append(ms)
            sizes.append(size)
            page.wait_for_timeout(SETTLE_MS)
            next_ms.append(latency(page, "#search-page-q", OURS, [then], True))
            page.close()
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        first_results(page, url, OURS, site)
        page.wait_for_timeout(SETTLE_MS)
        figures["ours"] = {
            "first_results_ms": statistics.median(shown),
            "bytes_before_results": statistics.median(sizes),
            "then_ms": statistics.median(next_ms),
            "rare_ms": latency(page, "#search-page-q", OURS, rare, True),
            "common_ms": latency(page, "#search-page-q", OURS, common, True),
        }
        page.close()
        if peer is not None:
            with served(peer) as base:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(base + "search/")
                page.wait_for_selector(".pagefind-ui__search-input")
                page.close()
                box = ".pagefind-ui__search-input"
                shown, sizes, next_ms = [], [], []
                for _ in range(runs):
                    page = browser.new_page(viewport={"width": 1280, "height": 900})
                    ms, size = _pagefind_first(page, base, peer, first)
                    shown.append(ms)
                    sizes.append(size)
                    page.wait_for_timeout(SETTLE_MS)
                    next_ms.append(latency(page, box, PAGEFIND, [then], False))
                    page.close()
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                _pagefind_first(page, base, peer, first)
                page.wait_for_timeout(SETTLE_MS)
                figures["peer"] = {
                    "first_results_ms": statistics.median(shown),
                    "bytes_before_results": statistics.median(sizes),
                    "then_ms": statistics.median(next_ms),
                    "rare_ms": latency(page, box, PAGEFIND, rare, False),
                    "common_ms": latency(page, box, PAGEFIND, common, False),
                }
                page.close()
        browser.close()
    return figures


# Known-item search: each query's top ten, as the slugs of the papers' pages (each engine
# through its own JavaScript API, as its page calls it: no typing, no rendering).
OUR_TOP = """async (queries) => {
  await new Promise((done) => {
    const check = () => (window.PaperDigestSearch ? done() : setTimeout(check, 20));
    check();
  });
  const out = [];
  for (const query of queries) {
    const answer = await PaperDigestSearch.search(query);
    const items = await PaperDigestSearch.page(answer, 0, 10);
    out.push(items.map((i) => decodeURIComponent(i.url.split("/").pop().replace(/\\.html$/, ""))));
  }
  return out;
}"""
PAGEFIND_TOP = """async (queries) => {
  const pagefind = await import("/pagefind/pagefind.js");
  await pagefind.init();
  const out = [];
  for (const query of queries) {
    const found = await pagefind.search(query);
    const data = await Promise.all(found.results.slice(0, 10).map((r) => r.data()));
    out.push(data.map((d) => decodeURIComponent(d.url.replace(/\\/$/, "").split("/").pop())));
  }
  return out;
}"""


def title_query(title: str) -> str:
    """The query a reader who remembers a paper types: the first four words of its title that
    have three letters or more."""
    return " ".join([w for w in re.findall(r"[^\W_]+", title) if len(w) >= 3][:4])


def reciprocal_rank(slug: str, top: list[str]) -> float:
    """1 / the paper's rank in the top ten, 0 if it is not there."""
    return 1 / (top.index(slug) + 1) if slug in top else 0.0


def known_items(
    site: Path,
    peer: Path | None,
    papers: list[tuple[str, str]],
    browser: Browser | None = None,
    batch: int = 200,
) -> dict[str, dict[str, float]]:
    """Query every (slug, title) of `papers` by `title_query` in each engine (in `browser`, else
    a Chromium of its own); return per engine the mean reciprocal rank of the paper in the top
    ten, how many were first and how many not in it."""
    if browser is None:
        with sync_playwright() as p:
            own = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                return known_items(site, peer, papers, own, batch)
            finally:
                own.close()
    queries = [title_query(title) for _, title in papers]

    def tops(url: str, script: str) -> list[list[str]]:
        page = browser.new_page()
        try:
            page.goto(url)
            return [
                top
                for start in range(0, len(queries), batch)
                for top in page.evaluate(script, queries[start : start + batch])
            ]
        finally:
            page.close()

    found = {"ours": tops((site / "search.html").as_uri(), OUR_TOP)}
    if peer is not None:
        with served(peer) as base:
            found["peer"] = tops(base + "search/", PAGEFIND_TOP)
    figures = {}
    for engine, lists in found.items():
        ranks = [reciprocal_rank(slug, top) for (slug, _), top in zip(papers, lists, strict=True)]
        figures[engine] = {
            "queries": len(ranks),
            "mrr": sum(ranks) / max(1, len(ranks)),
            "missed": sum(1 for r in ranks if r == 0),
            "first": sum(1 for r in ranks if r == 1),
        }
    return figures


def _pagefind_first(page: Page, base: str, root: Path, word: str) -> tuple[float, int]:
    """Pagefind's UI has no ?q= of its own: open the page and type the word at once."""
    page.add_init_script(f"({WATCH})({PAGEFIND!r})")
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(base + "search/")
    page.wait_for_selector(".pagefind-ui__search-input")
    page.fill(".pagefind-ui__search-input", word)
    page.wait_for_function("window.__shown !== null", timeout=120_000)
    shown = page.evaluate("window.__shown")
    timing = set(
        page.evaluate(
            "(shown) => performance.getEntriesByType('resource')"
            ".filter(e => e.startTime <= shown).map(e => e.name)",
            shown,
        )
    )
    files = [
        f
        for u in dict.fromkeys(requested[1:])
        if u in timing and (f := _local_file(u, root, base)) is not None
    ]
    return shown, gzip_bytes(files)


# Every EventSource the page opens keeps each message it receives, with the time, in
# window.__benchEvents, and stops it there: the page's own handler (which reloads the page on a
# new build) never runs, so the page stays to be asked.
KEEP_EVENTS = """(() => {
  const Original = window.EventSource;
  window.__benchEvents = [];
  function Keeping(url, options) {
    const source = new Original(url, options);
    source.addEventListener("message", (event) => {
      window.__benchEvents.push([Date.now(), event.data]);
      event.stopImmediatePropagation();
    });
    return source;
  }
  Keeping.prototype = Original.prototype;
  window.EventSource = Keeping;
})();"""


def save_to_reload(
    pages: list[str], save: Callable[[int], None], timeout: float = 600
) -> list[float]:
    """Open each page (served by `serve`), wait for its reload stream's first message, then
    call `save(i)` and time (in seconds) from just before it to the next message, of a new
    build, reaching the page's EventSource. The times are the wall clocks of this process and
    of Chromium, on the same machine."""
    took = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            context.add_init_script(KEEP_EVENTS)
            for i, url in enumerate(pages):
                page = context.new_page()
                page.goto(url, timeout=120_000)
                page.wait_for_function("window.__benchEvents.length > 0", timeout=120_000)
                version = page.evaluate("window.__benchEvents[0][1]")
                started = time.time() * 1000
                save(i)
                at = page.wait_for_function(
                    """(version) => {
                      const found = window.__benchEvents.find(([, data]) => data !== version);
                      return found ? found[0] : null;
                    }""",
                    arg=version,
                    timeout=timeout * 1000,
                    polling=10,
                ).json_value()
                took.append((at - started) / 1000)
                page.close()
        finally:
            browser.close()
    return took
