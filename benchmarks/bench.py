"""`make bench`: the scale benchmark, with Hugo + Pagefind building the same papers in the same run.

Usage: .venv/bin/python -m benchmarks.bench [--n 10000] [--peers .bench/venv] [--json FILE]

Steps, each a fresh command whose wall clock is timed, in a folder in RAM (/dev/shm) when there
is one: write N papers as daily text listings (benchmarks/corpus.py), `ingest`, `build`, a
`build` with nothing changed, one more listing of 50 new papers and `build`, and a `build` with
`.cache/` deleted; the peak memory of each build (the proportional set size of the build and its
workers, sampled every 20 ms); the site's size and largest files. Then Hugo renders the same
papers and Pagefind indexes Hugo's output, timed the same way; then the search side in Chromium
(benchmarks/browser.py). Prints one table with the ratios against the anchors, and the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks import browser
from benchmarks.corpus import LAST_DAY, next_listing_day, write_listing, write_snapshots
from benchmarks.peers import build_peer, write_hugo_site

REPO = Path(__file__).resolve().parent.parent
SITE_YAML = "title: Benchmark\nsnapshots: snapshots\npapers: papers\noutput: site\n"
EXPORTS = ("assets/search/", "assets/library/", "data/")  # data and exports may pass 1 MB
# A phase's line in the build's log: "relating: 10,000 papers in 4.8 s".
PHASE = re.compile(r"^(\w[\w ]*): [\d,]+ \w+ in ([\d.]+) s", re.MULTILINE)
# What the features beyond the listing add to the site (files; and blocks inside paper pages).
FEATURES = {
    "bib files": lambda n: n.startswith("papers/") and n.endswith(".bib"),
    "data exports": lambda n: n.startswith("data/"),
    "reading-list data": lambda n: n.startswith("assets/library/"),
    "feeds per interest": lambda n: n.startswith(("orgs/", "topics/")) and n.endswith(".xml"),
    "pages (top, trends, feeds, saved, opml)": lambda n: (
        n in ("top.html", "trends.html", "feeds.html", "saved.html", "feeds.opml")
    ),
}
BLOCKS = re.compile(rb'<section id="(related|cite)".*?</section>', re.DOTALL)


def tree_pss(pid: int) -> int:
    """Sum the proportional set size (bytes) of a process and its descendants."""
    total = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    stack += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            continue
    return total


def timed(command: list[str], cwd: Path) -> dict[str, Any]:
    """Run a command; return its wall-clock seconds and the peak memory of its process tree."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_pss(process.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{err.decode()[-3000:]}")
    log = err.decode()
    last = log.strip().splitlines()[-1] if log.strip() else ""
    phases: dict[str, float] = {}
    for name, took in PHASE.findall(log):
        phases[name] = phases.get(name, 0.0) + float(took)
    return {"seconds": seconds, "peak_mb": peak / 1e6, "said": last, "phases": phases}


def site_size(site: Path) -> dict[str, object]:
    """Total bytes and files of a site, its largest file, and its largest file but exports."""
    files = [
        (p.stat().st_size, p.relative_to(site).as_posix()) for p in site.rglob("*") if p.is_file()
    ]
    files.sort(reverse=True)
    pages = [f for f in files if not f[1].startswith(EXPORTS)]
    features = {name: sum(s for s, n in files if test(n)) / 1e6 for name, test in FEATURES.items()}
    blocks = 0
    for path in (site / "papers").glob("*.html"):
        blocks += sum(len(m.group(0)) for m in BLOCKS.finditer(path.read_bytes()))
    features["related and cite blocks in paper pages"] = blocks / 1e6
    return {
        "features": features,
        "mb": sum(s for s, _ in files) / 1e6,
        "files": len(files),
        "largest": files[0][1],
        "largest_mb": files[0][0] / 1e6,
        "largest_page": pages[0][1],
        "largest_page_mb": pages[0][0] / 1e6,
    }


def words_for(root: Path, besides: str = "generalization") -> tuple[list[str], list[str]]:
    """Pick rare words (in 2-5 papers) and words in most papers (not `besides`, the first
    query, whose data is loaded already), from the paper files."""
    from collections import Counter

    counts: Counter[str] = Counter()
    for path in (root / "papers").glob("*.md"):
        counts.update(set(path.read_text(encoding="utf-8").lower().split()))
    total = len(list((root / "papers").glob("*.md")))
    plain = [w for w in counts if w.isalpha() and len(w) > 5 and w != besides]
    rare = sorted(w for w in plain if 2 <= counts[w] <= 5)[:: max(1, len(plain) // 4000)][:7]
    common = sorted((w for w in plain if counts[w] > total / 2), key=lambda w: -counts[w])[:5]
    return rare, common


def run(count: int, peers: Path | None, work: Path) -> dict[str, object]:
    """Run every step on `count` papers in `work`; return the figures."""
    python = [sys.executable, "-m", "builder"]
    started = time.perf_counter()
    corpus = write_snapshots(work / "snapshots", count)
    (work / "site.yaml").write_text(SITE_YAML)
    results: dict[str, object] = {
        "papers": len(corpus.papers),
        "corpus_seconds": time.perf_counter() - started,
        "zipf": {"alpha": corpus.heaps[0], "q": corpus.heaps[1]},
    }
    print(f"corpus: {len(corpus.papers)} papers in {results['corpus_seconds']:.1f} s", flush=True)
    steps: dict[str, dict[str, float]] = {}
    steps["ingest"] = timed([*python, "ingest"], work)
    steps["build"] = timed([*python, "build"], work)
    time.sleep(1.1)  # past the one-second window in which a file's stat is not trusted
    steps["noop"] = timed([*python, "build"], work)
    steps["noop_again"] = timed([*python, "build"], work)
    size = site_size(work / "site")
    day = next_listing_day(LAST_DAY)
    write_listing(work / "snapshots", day, corpus.day(day, 50))
    steps["plus50"] = timed([*python, "build"], work)
    shutil.rmtree(work / ".cache")
    shutil.rmtree(work / "site")
    steps["cold"] = timed([*python, "build"], work)
    for name, step in steps.items():
        print(
            f"{name}: {step['seconds']:.2f} s, peak {step['peak_mb']:.0f} MB  {step['said']}",
            flush=True,
        )
    results["steps"] = steps
    results["site"] = size
    results["days"] = len(list((work / "snapshots").glob("daily-*.json")))
    peer_site = None
    if peers is not None:
        from builder.config import load_config
        from builder.load import load_papers

        config, _ = load_config(work / "site.yaml", {})
        stored, _ = load_papers(config.papers)
        write_hugo_site(work / "hugo", [s.paper for s in stored], config)
        results["peer"] = build_peer(work / "hugo", peers)
        peer_site = work / "hugo" / "public"
        results["peer_site_mb"] = (
            sum(p.stat().st_size for p in peer_site.rglob("*") if p.is_file()) / 1e6
        )
        print(f"hugo + pagefind: {results['peer']}", flush=True)
    rare, common = words_for(work)
    results["words"] = {"rare": rare, "common": common}
    results["search"] = browser.measure(work / "site", peer_site, "generalization", rare, common)
    return results


def table(r: dict) -> str:
    """Format the figures as a Markdown table with ratios against the anchors."""
    steps, site, search = r["steps"], r["site"], r["search"]
    peer = r.get("peer", {})
    ours_s, peer_s = search["ours"], search.get("peer", {})

    def ratio(a: float, b: float | None) -> str:
        return f"{a / b:.2f}x" if b else "—"

    rows = [
        (
            "`build` after `ingest`",
            f"{steps['build']['seconds']:.1f} s",
            f"{peer.get('total', 0):.1f} s" if peer else "—",
            ratio(steps["build"]["seconds"], peer.get("total")),
        ),
        (
            "`build` with `.cache/` deleted",
            f"{steps['cold']['seconds']:.1f} s",
            f"{peer.get('total', 0):.1f} s" if peer else "—",
            ratio(steps["cold"]["seconds"], peer.get("total")),
        ),
        ("`ingest` of the snapshots", f"{steps['ingest']['seconds']:.1f} s", "—", "—"),
        ("no-op `build`", f"{steps['noop_again']['seconds']:.2f} s", "—", "—"),
        (
            "`build` after +50 papers",
            f"{steps['plus50']['seconds']:.2f} s",
            "—",
            f"{steps['plus50']['seconds'] / steps['build']['seconds']:.0%} of a full build",
        ),
        ("peak memory of `build`", f"{max(s['peak_mb'] for s in steps.values()):.0f} MB", "—", "—"),
        (
            "site size (files)",
            f"{site['mb']:.0f} MB ({site['files']:,})",
            f"{r.get('peer_site_mb', 0):.0f} MB" if peer else "—",
            "—",
        ),
        (
            "of which the features beyond the listing",
            f"{sum(site['features'].values()):.0f} MB",
            "—",
            "; ".join(f"{k} {v:.1f} MB" for k, v in site["features"].items()),
        ),
        (
            "related papers (tf-idf), in `build`; after +50",
            f"{steps['build']['phases'].get('relating', 0):.1f} s; "
            f"{steps['plus50']['phases'].get('relating', 0):.2f} s",
            "—",
            "—",
        ),
        (
            "largest file; largest page",
            f"{site['largest_mb']:.2f} MB; {site['largest_page_mb']:.2f} MB",
            "—",
            f"`{site['largest']}`; `{site['largest_page']}`",
        ),
        (
            "search: bytes before first results (gzip)",
            f"{ours_s['bytes_before_results'] / 1e3:.0f} KB",
            f"{peer_s['bytes_before_results'] / 1e3:.0f} KB" if peer_s else "—",
            ratio(ours_s["bytes_before_results"], peer_s.get("bytes_before_results")),
        ),
        (
            "search: first results, `search.html?q=generalization`",
            f"{ours_s['first_results_ms']:.0f} ms",
            f"{peer_s['first_results_ms']:.0f} ms" if peer_s else "—",
            ratio(ours_s["first_results_ms"], peer_s.get("first_results_ms")),
        ),
        (
            "search: new query, a rare word",
            f"{ours_s['rare_ms']:.0f} ms",
            f"{peer_s['rare_ms']:.0f} ms" if peer_s else "—",
            ratio(ours_s["rare_ms"], peer_s.get("rare_ms")),
        ),
        (
            "search: new query, a word in most papers",
            f"{ours_s['common_ms']:.0f} ms",
            f"{peer_s['common_ms']:.0f} ms" if peer_s else "—",
            ratio(ours_s["common_ms"], peer_s.get("common_ms")),
        ),
    ]
    head = f"| {r['papers']:,} papers | paper-digest | Hugo + Pagefind, same run | ratio |\n"
    head += "|---|---|---|---|\n"
    return head + "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows)


def main() -> None:
    """Run the benchmark and print its table and JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="papers (default 10000)")
    parser.add_argument("--peers", type=Path, help="environment with hugo and pagefind installed")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    where = "/dev/shm" if Path("/dev/shm").is_dir() else None
    work = Path(tempfile.mkdtemp(prefix="paper-digest-bench-", dir=where))
    try:
        results = run(args.n, args.peers.resolve() if args.peers else None, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")
    print()
    print(table(results))
    print()
    text = json.dumps(results, indent=2, default=str)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
