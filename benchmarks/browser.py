"""The search side of the benchmark, in Debian's Chromium.

For our site (from `file://`) and Pagefind's (over HTTP on loopback: Pagefind loads its index
with fetch() and WebAssembly, which `file://` refuses):

- bytes before first results: the gzip -9 size of every file the page requests after its HTML,
  up to the moment the first result is on screen (files it names and never requests, such as
  its feed, do not count);
- time to first results: from navigation start to that moment, opening `?q=<word>`;
- new-query latency: from the input event of a new query to its results on screen, for a rare
  word and for a word in most papers (the median of several words each).

And `serve`'s save-to-reload: from saving a paper file to the reload event reaching the open
page's `EventSource`.
"""

from __future__ import annotations

import functools
import gzip
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

from playwright.sync_api import Page, sync_playwright

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
        page.wait_for_timeout(400)  # let the last query settle before the next
    return statistics.median(times)


def measure(
    site: Path, peer: Path | None, first: str, rare: list[str], common: list[str]
) -> dict[str, dict[str, float]]:
    """Measure both engines; return {engine: {figure: value}}."""
    figures: dict[str, dict[str, float]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        url = (site / "search.html").as_uri() + "?q=" + first
        shown, size = first_results(page, url, OURS, site)
        page.wait_for_function(
            "document.getElementById('search-results').getAttribute('aria-busy') === 'false'"
        )
        figures["ours"] = {
            "first_results_ms": shown,
            "bytes_before_results": size,
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
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                shown, size = _pagefind_first(page, base, peer, first)
                box = ".pagefind-ui__search-input"
                figures["peer"] = {
                    "first_results_ms": shown,
                    "bytes_before_results": size,
                    "rare_ms": latency(page, box, PAGEFIND, rare, False),
                    "common_ms": latency(page, box, PAGEFIND, common, False),
                }
                page.close()
        browser.close()
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
