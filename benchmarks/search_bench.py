"""Measure search: index size per paper, index build time, load-to-first-results, query latency.

Usage: .venv/bin/python -m benchmarks.search_bench [N ...]   (default: the seeds, then 10000)
Each N builds N synthetic papers (with a growing vocabulary) into a temporary site; "seeds"
builds the sample papers. Chromium opens search.html?q=... from disk for the browser figures.
"""

from __future__ import annotations

import gzip
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from benchmarks.corpus import REPO, SAMPLES, write_corpus
from builder.build import build
from builder.config import load_config
from builder.load import load_papers
from builder.render import paper_pages
from builder.search import INDEX_FILE, build_index, parse_index_script, search_documents
from tests.conftest import CHROMIUM, CHROMIUM_ARGS

QUERIES = [
    "grokking",
    "reinforcement learning",
    "diffusion",
    "language model reasoning",
    "schrodinger",
    "title:scaling",
    "topic:math",
    "grok*",
    "transfomer~1",
    "org:org1 agents",
]


def part_sizes(script: str, count: int) -> dict[str, tuple[float, float]]:
    """Return bytes per paper (raw, gzip) of the index, the records and the whole file."""
    data = parse_index_script(script)
    sizes = {}
    for name, part in [("index", data["index"]), ("records", data["records"])]:
        text = json.dumps(part, ensure_ascii=False, separators=(",", ":")).encode()
        sizes[name] = (len(text) / count, len(gzip.compress(text, 6)) / count)
    raw = script.encode()
    sizes["file"] = (len(raw) / count, len(gzip.compress(raw, 6)) / count)
    return sizes


def browser_figures(site: Path) -> tuple[float, list[float]]:
    """Return ms from navigation to the first results, and per-query search times in ms."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto((site / "search.html").as_uri() + "?q=grokking")
        page.wait_for_function(
            "document.getElementById('search-results').children.length > 0 || "
            "/No papers/.test(document.getElementById('search-status').textContent)",
            timeout=600_000,
        )
        first = page.evaluate("performance.now()")
        times = page.evaluate(
            """queries => queries.map(q => {
                 const t = performance.now();
                 for (let i = 0; i < 5; i++) PaperDigestSearch.search(q, 'relevance');
                 return (performance.now() - t) / 5;
               })""",
            QUERIES,
        )
        browser.close()
    return first, times


def measure(label: str, root: Path) -> None:
    """Build the site in `root`, then print its search figures."""
    config, _ = load_config(
        REPO / "site.yaml",
        {"snapshots": root / "snapshots", "papers": root / "papers", "output": root / "site"},
    )
    build(config)
    stored, _ = load_papers(config.papers)
    count = len(stored)
    pages = paper_pages([s.paper for s in stored], config)
    started = time.perf_counter()
    build_index(search_documents(pages))
    seconds = time.perf_counter() - started
    script = (root / "site" / INDEX_FILE).read_text(encoding="utf-8")
    sizes = part_sizes(script, count)
    terms = len(parse_index_script(script)["index"]["invertedIndex"])
    print(f"{label}: {count} papers, {terms} terms, index built in {seconds:.1f} s")
    for name, (raw, packed) in sizes.items():
        print(f"  {name:8} {raw:8.0f} B/paper raw {packed:7.0f} B/paper gzip")
    raw, packed = (size * count / 1e6 for size in sizes["file"])
    print(f"  search-index.js: {raw:.2f} MB raw, {packed:.2f} MB gzip")
    first, times = browser_figures(root / "site")
    print(f"  Chromium, file://: first results {first:.0f} ms after navigation start")
    print(
        f"  query latency: median {statistics.median(times):.1f} ms, max {max(times):.1f} ms "
        f"over {len(QUERIES)} queries"
    )


def main() -> None:
    """Measure each corpus named on the command line."""
    for arg in sys.argv[1:] or ["seeds", "10000"]:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "snapshots").mkdir()
            if arg == "seeds":
                shutil.copytree(SAMPLES, root / "papers")
            else:
                write_corpus(root / "papers", int(arg), invented=8)
            measure(arg, root)


if __name__ == "__main__":
    main()
