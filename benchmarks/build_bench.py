"""Time a full build and an unchanged rebuild of N synthetic papers; print the figures.

Usage: .venv/bin/python -m benchmarks.build_bench [N]   (default 10000)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from benchmarks.corpus import write_corpus
from builder.build import build
from builder.config import load_config
from builder.load import load_papers
from builder.render import paper_pages, render_site
from builder.search import search_files


def main() -> None:
    """Build N synthetic papers twice and print times, files and sizes."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "snapshots").mkdir()
        started = time.perf_counter()
        write_corpus(root / "papers", count)
        print(f"corpus: {count} paper files written in {time.perf_counter() - started:.1f} s")
        # A site.yaml in the temporary folder keeps the build cache (.cache/) there too.
        (root / "site.yaml").write_text("title: Benchmark\n")
        config, _ = load_config(
            root / "site.yaml",
            {"snapshots": root / "snapshots", "papers": root / "papers", "output": root / "site"},
        )
        first = build(config)
        print(f"cold build:      {first.seconds:6.1f} s, {first.files} files")
        again = build(config)
        print(f"unchanged build: {again.seconds:6.1f} s, {again.files - again.unchanged} written")
        started = time.perf_counter()
        stored, _ = load_papers(config.papers)
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        pages = paper_pages([s.paper for s in stored], config)
        render_site(pages, config)
        rendered = time.perf_counter() - started
        started = time.perf_counter()
        search_files(pages)
        indexed = time.perf_counter() - started
        print(f"  of which load {loaded:.1f} s, render {rendered:.1f} s, index {indexed:.1f} s")
        size = sum(p.stat().st_size for p in (root / "site").rglob("*") if p.is_file())
        print(f"site: {size / 1e6:.1f} MB, {size / count / 1e3:.1f} KB per paper")


if __name__ == "__main__":
    main()
