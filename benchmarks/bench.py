"""`make bench`: the scale benchmark, with Hugo + Pagefind building the same papers in the same run.

Usage: .venv/bin/python -m benchmarks.bench [--n 10000] [--snapshots DIR ...] [--peers .bench/venv]
       [--json FILE] [--search-only]

Steps, each a fresh command whose wall clock is timed (start-up included), in a folder in RAM
(/dev/shm) when there is one. The papers: N synthetic ones as daily API answers
(benchmarks/corpus.py), or the saved listings of `--snapshots` folders (a real
`daily-YYYY-MM-DD.json` is dated, mtime, by its name, as a user saving one a day would have; the
newest days are held back for "one more day"). Then `ingest`; a full `build` from nothing
(`.cache/` and the site deleted) and Hugo + Pagefind on the same papers, interleaved, RUNS times
each (the ratio is of the medians); then RUNS times each: a `build` with nothing changed, a tag
added to one paper file, a word added to one abstract, one more day of papers (50 synthetic ones,
or the next held-back real day); then `serve`'s save-to-reload in Chromium: from writing a paper
file to the reload event reaching the open page's `EventSource` (the watcher's debounce
included). Each row says how many files the build wrote (its summary's "N written"), and the
issue's target beside the figure. Then the site's size, its peak memory (the proportional set size
of the build and its workers, sampled every 20 ms during the full builds only) and the search side
in Chromium (benchmarks/browser.py). Prints one table and the JSON. Each incremental step also
says which share of the search data's bytes (`assets/search/`) and how many of its files it wrote.
`--search-only`: what search needs only (one full build, no peers, no `serve`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import faulthandler
import hashlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks import browser
from benchmarks.corpus import LAST_DAY, next_listing_day, write_listing, write_snapshots
from benchmarks.peers import build_peer, write_hugo_site
from builder.listing import SNAPSHOT_SUFFIXES

REPO = Path(__file__).resolve().parent.parent
SITE_YAML = "title: Benchmark\nsnapshots: snapshots\npapers: papers\noutput: site\n"
EXPORTS = ("assets/search/", "assets/library/", "data/")  # data and exports may pass 1 MB
# A phase's line in the build's log: "relating: 10,000 papers in 4.8 s".
PHASE = re.compile(r"^(\w[\w ]*): [\d,]+ \w+ in ([\d.]+) s", re.MULTILINE)
# What the features beyond the listing add to the site (files; and blocks inside paper pages).
FEATURES = {
    "data exports": lambda n: n.startswith("data/"),
    "reading-list data": lambda n: n.startswith("assets/library/"),
    "feeds per interest": lambda n: n.startswith(("orgs/", "topics/")) and n.endswith(".xml"),
    "pages (top, trends, feeds, saved, opml)": lambda n: (
        n in ("top.html", "trends.html", "feeds.html", "saved.html", "feeds.opml")
    ),
}
# Where a site's bytes go, part by part: a file is in the first part its name fits.
PARTS = (
    ("paper pages", lambda n: n.startswith("papers/") and n.endswith(".html")),
    ("data exports", lambda n: n.startswith("data/")),
    ("search records", lambda n: n.startswith("assets/search/r/")),
    ("search index (shards, vocabulary, lengths, meta)", lambda n: n.startswith("assets/search/")),
    ("topic archives and feeds", lambda n: n.startswith("topics/")),
    ("organization archives and feeds", lambda n: n.startswith("orgs/")),
    ("digest and day pages", lambda n: n.startswith("days/") or n == "index.html"),
    ("month archives", lambda n: n.startswith("months/")),
    ("reading-list chunks", lambda n: n.startswith("assets/library/")),
    ("everything else (sitemap, feeds, top, trends, assets)", lambda n: True),
)
BLOCKS = re.compile(rb'<section id="(related|cite)".*?</section>', re.DOTALL)
WRITTEN = re.compile(r"\(([\d,]+) written")  # a build's summary: "2005 files (792 written, ..."


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


def timed(command: list[str], cwd: Path, sample: bool = False) -> dict[str, Any]:
    """Run a command; return its wall-clock seconds, what its summary says it wrote, and (with
    `sample`) the peak memory of its process tree (sampling costs CPU, so only where asked)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sampling() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_pss(process.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sampling, daemon=True)
    if sample:
        sampler.start()
    _, err = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    if sample:
        sampler.join()
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{err.decode()[-3000:]}")
    log = err.decode()
    last = log.strip().splitlines()[-1] if log.strip() else ""
    phases: dict[str, float] = {}
    for name, took in PHASE.findall(log):
        phases[name] = phases.get(name, 0.0) + float(took)
    return {
        "seconds": seconds,
        "peak_mb": peak / 1e6,
        "said": last,
        "written": written_count(last),
        "phases": phases,
    }


def parts_of(files: list[tuple[int, str]]) -> dict[str, list[int]]:
    """Bytes and files of each part of a site (PARTS), from its files' (size, name)."""
    found = {part: [0, 0] for part, _ in PARTS}
    for size, name in files:
        part = next(part for part, fits in PARTS if fits(name))
        found[part][0] += size
        found[part][1] += 1
    return found


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
        "parts": parts_of(files),
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
    query, whose data is loaded already), from the paper files' titles and abstracts; none is
    a stop word (no engine shows a result for one)."""
    from builder.load import parse_paper

    counts: Counter[str] = Counter()
    for path in (root / "papers").glob("*.md"):
        # Only what both engines index: the title and the abstract (a word only in the front
        # matter, as an author's or a source file's name, would find nothing: no result
        # would ever show, and the measurement would wait for it in vain).
        paper, _ = parse_paper(path.read_text(encoding="utf-8"), str(path), path.stem)
        counts.update(set(f"{paper.title}\n{paper.file_body}".lower().split()))
    total = len(list((root / "papers").glob("*.md")))
    from lunr.stop_word_filter import WORDS  # lunr finds nothing for these ("across")

    plain = [w for w in counts if w.isalpha() and len(w) > 5 and w != besides]
    plain = [w for w in plain if w not in WORDS]
    rare = sorted(w for w in plain if 2 <= counts[w] <= 5)[:: max(1, len(plain) // 4000)][:7]
    common = sorted((w for w in plain if counts[w] > total / 2), key=lambda w: -counts[w])[:5]
    return rare, common


def site_titles(root: Path) -> list[tuple[str, str]]:
    """Every paper file's (slug, title), by slug."""
    from builder.config import load_config
    from builder.load import load_papers

    config, _ = load_config(root / "site.yaml", {})
    stored, _ = load_papers(config.papers)
    return sorted((s.paper.slug, s.paper.title) for s in stored)


def edit_front_matter(path: Path, lines: str) -> None:
    """Add YAML lines at the end of a paper file's front matter."""
    text = path.read_text(encoding="utf-8")
    end = text.index("\n---\n", 4)
    path.write_text(text[:end] + "\n" + lines.rstrip("\n") + text[end:], encoding="utf-8")


def add_tag(path: Path) -> None:
    """Add a tag to a paper file (the key tags is the last of the front matter)."""
    text = path.read_text(encoding="utf-8")
    assert "\ntags:" not in text, path
    edit_front_matter(path, "tags:\n- to-read")


def add_word(path: Path) -> None:
    """Add a word to a paper file's abstract, after its first word."""
    text = path.read_text(encoding="utf-8")
    at = text.index("\n---\n", 4) + 5
    first = text.index(" ", at)
    path.write_text(text[:first] + " notably" + text[first:], encoding="utf-8")


def spread(paths: list[Path], count: int, offset: int) -> list[Path]:
    """Pick `count` paths spread over the list, starting `offset` in."""
    step = max(1, len(paths) // (count * 4))
    return [paths[(offset + i * 4 + 1) * step % len(paths)] for i in range(count)]


def listing_day(path: Path) -> dt.date | None:
    """Return the day a real answer's name gives (`daily-2024-03-12.json`), else None."""
    match = re.fullmatch(r"daily-(\d{4}-\d{2}-\d{2})\.json", path.name)
    return dt.date.fromisoformat(match.group(1)) if match else None


def real_snapshots(folders: list[Path]) -> list[Path]:
    """The saved listings of the folders, oldest day first (by name, else by mtime)."""
    files = [p for f in folders for p in sorted(f.iterdir()) if p.suffix in SNAPSHOT_SUFFIXES]

    def when(path: Path) -> dt.date:
        return listing_day(path) or dt.date.fromtimestamp(path.stat().st_mtime)

    return sorted(files, key=lambda p: (when(p), p.name))


def copy_snapshot(path: Path, folder: Path) -> None:
    """Copy a saved listing; a daily answer is dated (mtime) noon UTC of the day it names."""
    target = folder / path.name
    shutil.copy2(path, target)
    day = listing_day(path)
    if day is not None:
        stamp = dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC).timestamp()
        os.utime(target, (stamp, stamp))


def median(values: list[float]) -> float:
    """Return the median."""
    return statistics.median(values)


def run_serve(work: Path, papers: list[Path], runs: int) -> dict[str, Any]:
    """Time `serve`'s save-to-reload on `runs` papers: an abstract edit, the page open."""
    process = subprocess.Popen(
        [sys.executable, "-m", "builder", "serve", "--port", "0"],
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C ends serve even when the bench runs as a background job (which ignores it).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    lines: list[str] = []
    stamps: list[float] = []  # when each line was read, to see where serve's time goes

    def read() -> None:
        for line in process.stderr or ():
            stamps.append(time.time())
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 900
        url = None
        while url is None:
            found = [m for line in lines if (m := re.search(r"serving (http://\S+/)", line))]
            if found:
                url = found[0].group(1)
            elif process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("serve did not start:\n" + "".join(lines[-20:]))
            else:
                time.sleep(0.05)
        marks: list[tuple[int, float]] = []

        def save(i: int) -> None:
            marks.append((len(lines), time.time()))
            add_word(papers[i])

        pages = [f"{url}papers/{p.stem}.html" for p in papers[:runs]]
        try:
            seconds = browser.save_to_reload(pages, save)
        except Exception:
            print("serve said:\n" + "".join(lines[-30:]), file=sys.stderr, flush=True)
            raise
        time.sleep(0.5)  # the build's summary follows the reload event
        written, logs = [], []
        for mark, saved in marks:
            said = [w for line in lines[mark:] if (w := written_count(line)) is not None]
            written.append(said[0] if said else None)
            log = []
            for t, line in zip(stamps[mark:], lines[mark:], strict=False):
                log.append(f"+{t - saved:.2f} s {line.strip()}")
                if written_count(line) is not None:  # up to this save's build summary
                    break
            logs.append(log)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return {"runs": seconds, "seconds": median(seconds), "written": written, "log": logs}


def site_state(site: Path) -> dict[str, tuple[int, int]]:
    """Every file of a site with its inode and modification time (a written file changes)."""
    state = {}
    for path in site.rglob("*"):
        st = path.stat()
        if not path.is_dir():
            state[path.relative_to(site).as_posix()] = (st.st_ino, st.st_mtime_ns)
    return state


def search_state(site: Path) -> dict[str, tuple[int, bytes]]:
    """Every file of the site's search data (`assets/search/`): its size and a hash of it."""
    folder = site / "assets" / "search"
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_size, hashlib.sha1(p.read_bytes()).digest())
        for p in folder.rglob("*")
        if p.is_file()
    }


def search_rewrites(
    before: dict[str, tuple[int, bytes]], after: dict[str, tuple[int, bytes]]
) -> dict[str, float]:
    """The search files a build wrote anew (added or changed): their share of the search
    data's bytes, their count, and the files and bytes of the search data."""
    changed = [size for name, (size, h) in after.items() if before.get(name, (0, b""))[1] != h]
    total = sum(size for size, _ in after.values())
    return {
        "share": sum(changed) / max(1, total),
        "files": len(changed),
        "removed": len(before.keys() - after.keys()),
        "total_files": len(after),
        "total_mb": total / 1e6,
    }


def kind_of(name: str) -> str:
    """The part of a site a file belongs to: its folder (two levels under assets/), or its
    name at the top; paper pages by their suffix."""
    parts = name.split("/")
    if parts[0] == "assets" and len(parts) > 2:
        return "/".join(parts[:2]) + "/"
    if parts[0] == "papers":
        return "papers/*" + Path(name).suffix
    return parts[0] + "/" if len(parts) > 1 else name


def changes(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> dict:
    """Count the files written, added and removed between two states, by part of the site."""
    counts: Counter[str] = Counter()
    for name, state in after.items():
        if before.get(name) != state:
            counts[kind_of(name)] += 1
    for name in before.keys() - after.keys():
        counts[kind_of(name) + " (removed)"] += 1
    return dict(counts.most_common())


def written_count(line: str) -> int | None:
    """Return how many files a build's summary line says it wrote, if it is one."""
    found = WRITTEN.search(line)
    return int(found.group(1).replace(",", "")) if found else None


def runs_of(steps: list[dict[str, Any]]) -> dict[str, Any]:
    """Sum up repeated runs of one step: the median, each run, the files each wrote."""
    return {
        "seconds": median([s["seconds"] for s in steps]),
        "runs": [s["seconds"] for s in steps],
        "written": [s["written"] for s in steps],
        "peak_mb": max(s["peak_mb"] for s in steps),
        "phases": steps[len(steps) // 2]["phases"],
        "said": steps[-1]["said"],
        "changed": [s.get("changed") for s in steps],
        "search": [s.get("search") for s in steps],
    }


def run(
    count: int,
    peers: Path | None,
    work: Path,
    snapshots: list[Path],
    runs: int = 3,
    search_only: bool = False,
) -> dict[str, Any]:
    """Run every step in `work`, on `count` synthetic papers or the `snapshots` folders
    (`search_only`: one full build, no peers, no `serve`)."""
    python = [sys.executable, "-m", "builder"]
    started = time.perf_counter()
    folder = work / "snapshots"
    folder.mkdir()
    held: list[Path] = []
    results: dict[str, Any] = {"load_before": os.getloadavg()}
    if snapshots:
        files = real_snapshots(snapshots)
        keep = runs if len(files) > runs else 1
        for path in files[:-keep]:
            copy_snapshot(path, folder)
        held = files[-keep:]
        results["corpus"] = {"folders": [str(f) for f in snapshots], "files": len(files)}
        results["held_back"] = [p.name for p in held]
        corpus = None
    else:
        corpus = write_snapshots(folder, count)
        results["corpus"] = {
            "synthetic": count,
            "zipf": dict(zip(("alpha", "q"), corpus.heaps, strict=True)),
        }
    (work / "site.yaml").write_text(SITE_YAML)
    results["corpus_seconds"] = time.perf_counter() - started
    print(f"corpus: written in {results['corpus_seconds']:.1f} s", flush=True)
    steps: dict[str, Any] = {}

    def step(name: str, command: list[str], sample: bool = False) -> dict[str, Any]:
        site = work / "site"
        before = site_state(site) if site.is_dir() and not sample else None
        searched = search_state(site) if before is not None else None
        result = timed(command, work, sample)
        written = f", {result['written']:,} written" if result["written"] is not None else ""
        print(f"{name}: {result['seconds']:.2f} s{written}  {result['said']}", flush=True)
        if before is not None and searched is not None:
            result["changed"] = changes(before, site_state(site))
            print(f"  changed: {result['changed']}", flush=True)
            result["search"] = search_rewrites(searched, search_state(site))
            print(f"  search data rewritten: {result['search']}", flush=True)
        return result

    steps["ingest"] = step("ingest", [*python, "ingest"], sample=True)
    papers_folder = work / "papers"
    results["papers"] = len(list(papers_folder.glob("*.md")))
    peer_runs: list[dict[str, float]] = []
    peer_titles: list[tuple[str, str]] = []
    if search_only:
        peers = None
    if peers is not None:
        from builder.config import load_config
        from builder.load import load_papers

        config, _ = load_config(work / "site.yaml", {})
        stored, _ = load_papers(config.papers)
        write_hugo_site(work / "hugo", [s.paper for s in stored], config)
        peer_titles = sorted((s.paper.slug, s.paper.title) for s in stored)
    full = []
    for i in range(1 if search_only else runs):
        shutil.rmtree(work / ".cache", ignore_errors=True)
        shutil.rmtree(work / "site", ignore_errors=True)
        full.append(step(f"full build {i + 1}", [*python, "build"], sample=True))
        if peers is not None:
            shutil.rmtree(work / "hugo" / "public", ignore_errors=True)
            peer_runs.append(build_peer(work / "hugo", peers))
            print(f"hugo + pagefind {i + 1}: {peer_runs[-1]['total']:.2f} s", flush=True)
    steps["full"] = runs_of(full)
    if peer_runs:
        results["peer"] = {
            "total": median([r["total"] for r in peer_runs]),
            "runs": [r["total"] for r in peer_runs],
            "hugo": median([r["hugo"] for r in peer_runs]),
            "pagefind": median([r["pagefind"] for r in peer_runs]),
        }
        peer_site = work / "hugo" / "public"
        results["peer_site_mb"] = (
            sum(p.stat().st_size for p in peer_site.rglob("*") if p.is_file()) / 1e6
        )
    time.sleep(1.1)  # past the one-second window in which a file's stat is not trusted
    steps["noop"] = runs_of([step("no-op", [*python, "build"]) for _ in range(runs)])
    size = site_size(work / "site")
    paper_files = sorted(papers_folder.glob("*.md"))
    for name, edit, offset in (("tag", add_tag, 0), ("abstract", add_word, 1)):
        done = []
        for path in spread(paper_files, runs, offset):
            edit(path)
            done.append(step(f"{name} {path.name}", [*python, "build"]))
        steps[name] = runs_of(done)
    days = []
    day = LAST_DAY
    for i in range(runs):
        if snapshots:
            if i >= len(held):  # one real file only: one run
                break
            path = held[i]
            copy_snapshot(path, folder)
            what = f"day {path.name}"
        else:
            day = next_listing_day(day)
            assert corpus is not None
            write_listing(folder, day, corpus.day(day, 50))
            what = f"day {day} (50 papers)"
        before = len(list(papers_folder.glob("*.md")))
        result = step(what, [*python, "build"])
        result["papers_added"] = len(list(papers_folder.glob("*.md"))) - before
        days.append(result)
    steps["day"] = runs_of(days)
    steps["day"]["papers_added"] = [d["papers_added"] for d in days]
    if not search_only:
        serve_papers = spread(sorted(papers_folder.glob("*.md")), runs, 2)
        steps["serve"] = run_serve(work, serve_papers, runs)
        print(f"serve save-to-reload: {steps['serve']}", flush=True)
    results["steps"] = steps
    results["site"] = size
    results["snapshot_files"] = len(list(folder.iterdir()))
    rare, common = words_for(work)
    results["words"] = {"rare": rare, "common": common}
    peer_site = work / "hugo" / "public" if peer_runs else None
    results["search"] = browser.measure(work / "site", peer_site, "generalization", rare, common)
    if snapshots:  # real titles: every paper the peer holds too (not the held-back days')
        known = peer_titles or site_titles(work)
        results["known_items"] = browser.known_items(work / "site", peer_site, known)
        print(f"known-item search: {results['known_items']}", flush=True)
    results["load_after"] = os.getloadavg()  # the machine's load: other work skews the figures
    return results


def verdict(value: float, limit: float) -> str:
    """Say whether a figure meets its target."""
    return "met" if value <= limit else "**over**"


def table(r: dict) -> str:
    """Format the figures as a Markdown table, each beside its target (issue 19)."""
    steps, site, search = r["steps"], r["site"], r["search"]
    peer = r.get("peer", {})
    ours_s, peer_s = search["ours"], search.get("peer", {})
    papers = r["papers"]
    edit_limit = 2.0 if papers > 30_000 else 1.0
    full = steps["full"]["seconds"]

    def ratio(a: float, b: float | None) -> str:
        return f"{a / b:.2f}x" if b else "—"

    def timing(name: str, digits: int = 2) -> str:
        s = steps[name]
        each = ", ".join(f"{x:.{digits}f}" for x in s["runs"])
        return f"{s['seconds']:.{digits}f} s ({each})"

    def written(name: str) -> str:
        counts = [w for w in steps[name]["written"] if w is not None]
        return " / ".join(f"{w:,}" for w in counts) or "—"

    added = steps["day"].get("papers_added", [])
    rows = [
        (
            "`ingest` of the snapshots, from nothing",
            f"{steps['ingest']['seconds']:.1f} s",
            f"{papers:,} paper files",
            "—",
            "—",
            "<= 10 s",
            verdict(steps["ingest"]["seconds"], 10),
        ),
        (
            "full `build` from nothing (`.cache/` and site deleted)",
            timing("full", 1),
            written("full"),
            f"{peer['total']:.1f} s ({', '.join(f'{x:.1f}' for x in peer['runs'])})"
            if peer
            else "—",
            ratio(full, peer.get("total")),
            "<= 0.9x the peer",
            verdict(full / peer["total"], 0.9) if peer else "—",
        ),
        (
            "nothing changed",
            timing("noop"),
            written("noop"),
            "—",
            "—",
            "<= 0.3 s",
            verdict(steps["noop"]["seconds"], 0.3),
        ),
        (
            "a tag added to one paper file",
            timing("tag"),
            written("tag"),
            "—",
            f"{steps['tag']['seconds'] / full:.0%} of a full build",
            f"<= {edit_limit:.0f} s",
            verdict(steps["tag"]["seconds"], edit_limit),
        ),
        (
            "a word added to one abstract",
            timing("abstract"),
            written("abstract"),
            "—",
            f"{steps['abstract']['seconds'] / full:.0%} of a full build",
            f"<= {edit_limit:.0f} s",
            verdict(steps["abstract"]["seconds"], edit_limit),
        ),
        (
            f"one more day of papers ({' / '.join(str(a) for a in added)} papers)",
            timing("day"),
            written("day"),
            "—",
            f"{steps['day']['seconds'] / full:.0%} of a full build",
            "<= 10% of a full build",
            verdict(steps["day"]["seconds"] / full, 0.10),
        ),
        (
            "`serve`: saving a paper file to the open page's reload event",
            timing("serve"),
            written("serve"),
            "—",
            "—",
            "<= 1.5 s",
            verdict(steps["serve"]["seconds"], 1.5),
        )
        if "serve" in steps
        else None,
        *(
            (
                f"search data rewritten by {what}",
                " / ".join(f"{s['share']:.1%}" for s in found),
                " / ".join(f"{s['files']:,}" for s in found),
                "—",
                f"of {found[-1]['total_mb']:.1f} MB in {found[-1]['total_files']:,} files",
                f"<= {limit:.0%} of its bytes",
                verdict(max(s["share"] for s in found), limit),
            )
            for name, what, limit in (
                ("tag", "a tag", 0.05),
                ("abstract", "an abstract word", 0.05),
                ("day", "one more day", 0.25),
            )
            if (found := [s for s in steps[name].get("search", []) if s])
        ),
        (
            "peak memory of a full `build`",
            f"{steps['full']['peak_mb']:.0f} MB",
            "—",
            "—",
            "—",
            "—",
            "",
        ),
        (
            "site size (files)",
            f"{site['mb']:.0f} MB ({site['files']:,})",
            "—",
            f"{r.get('peer_site_mb', 0):.0f} MB" if peer else "—",
            ratio(site["mb"], r.get("peer_site_mb")),
            "—",
            "",
        ),
        (
            "site per paper",
            f"{site['mb'] * 1e3 / papers:.1f} KB, {site['files'] / papers:.1f} files",
            "—",
            f"{r['peer_site_mb'] * 1e3 / papers:.1f} KB" if peer else "—",
            "—",
            "<= 16 KB" + ("; site <= 700 MB" if papers >= 50_000 else ""),
            verdict(site["mb"] * 1e3 / papers, 16)
            if papers < 50_000
            else verdict(max(site["mb"] * 1e3 / papers / 16, site["mb"] / 700), 1),
        ),
        (
            "of which the features beyond the listing",
            f"{sum(site['features'].values()):.0f} MB",
            "—",
            "—",
            "; ".join(f"{k} {v:.1f} MB" for k, v in site["features"].items()),
            "—",
            "",
        ),
        (
            "related papers (tf-idf): in a full build; in one more day",
            f"{steps['full']['phases'].get('relating', 0):.1f} s; "
            f"{steps['day']['phases'].get('relating', 0):.2f} s",
            "—",
            "—",
            "—",
            "—",
            "",
        ),
        (
            "largest file; largest page",
            f"{site['largest_mb']:.2f} MB; {site['largest_page_mb']:.2f} MB",
            "—",
            "—",
            f"`{site['largest']}`; `{site['largest_page']}`",
            "no file over 10 MB",
            verdict(site["largest_mb"], 10),
        ),
        (
            "search: bytes before first results (gzip)",
            f"{ours_s['bytes_before_results'] / 1e3:.0f} KB",
            "—",
            f"{peer_s['bytes_before_results'] / 1e3:.0f} KB" if peer_s else "—",
            ratio(ours_s["bytes_before_results"], peer_s.get("bytes_before_results")),
            "<= 100 KB",
            verdict(ours_s["bytes_before_results"], 100_000),
        ),
        (
            "search: first results, `search.html?q=generalization`",
            f"{ours_s['first_results_ms']:.0f} ms",
            "—",
            f"{peer_s['first_results_ms']:.0f} ms" if peer_s else "—",
            ratio(ours_s["first_results_ms"], peer_s.get("first_results_ms")),
            "<= 1 s",
            verdict(ours_s["first_results_ms"], 1000),
        ),
        (
            "search: new query needing files not loaded, `diffusion models` after it",
            f"{ours_s['then_ms']:.0f} ms",
            "—",
            f"{peer_s['then_ms']:.0f} ms" if peer_s else "—",
            ratio(ours_s["then_ms"], peer_s.get("then_ms")),
            "<= 50 ms",
            verdict(ours_s["then_ms"], 50),
        ),
        (
            "search: new query, a rare word",
            f"{ours_s['rare_ms']:.0f} ms",
            "—",
            f"{peer_s['rare_ms']:.0f} ms" if peer_s else "—",
            ratio(ours_s["rare_ms"], peer_s.get("rare_ms")),
            "—",
            "",
        ),
        (
            "search: new query, a word in most papers",
            f"{ours_s['common_ms']:.0f} ms",
            "—",
            f"{peer_s['common_ms']:.0f} ms" if peer_s else "—",
            ratio(ours_s["common_ms"], peer_s.get("common_ms")),
            "—",
            "",
        ),
    ]
    if known := r.get("known_items"):
        ours_k, peer_k = known["ours"], known.get("peer", {})
        rows.append(
            (
                f"known-item search: mean reciprocal rank in the top 10, "
                f"{ours_k['queries']:,} titles (missed)",
                f"{ours_k['mrr']:.3f} ({ours_k['missed']})",
                "—",
                f"{peer_k['mrr']:.3f} ({peer_k['missed']})" if peer_k else "—",
                "—",
                ">= Pagefind's",
                verdict(-ours_k["mrr"], -peer_k["mrr"]) if peer_k else "",
            )
        )
    corpus = r["corpus"]
    what = (
        f"{papers:,} synthetic papers"
        if "synthetic" in corpus
        else f"{papers:,} papers of {', '.join(Path(f).name for f in corpus['folders'])}"
    )
    load = f"load average {r['load_before'][0]:.1f} before, {r['load_after'][0]:.1f} after"
    head = f"{what}; {load}\n\n"
    head += f"| {what} | paper-digest: median (each run) | files written | Hugo + Pagefind, "
    head += "same run | ratio | target | |\n|---|---|---|---|---|---|---|\n"
    return head + "\n".join("| " + " | ".join(row) + " |" for row in rows if row)


def parts_table(r: dict) -> str:
    """Where the site's bytes and files go, per paper, part by part (PARTS)."""
    papers, site = r["papers"], r["site"]
    rows = [
        f"| {part} | {size / papers / 1e3:.2f} | {count / papers:.2f} | {size / 1e6:.1f} MB |"
        for part, (size, count) in site["parts"].items()
    ]
    head = "| part of the site | KB a paper | files a paper | in all |\n|---|---|---|---|\n"
    total = (
        f"| the whole site | {site['mb'] * 1e3 / papers:.2f} | {site['files'] / papers:.2f} "
        f"| {site['mb']:.1f} MB |"
    )
    return head + "\n".join([*rows, total])


def main() -> None:
    """Run the benchmark and print its table and JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="synthetic papers (default 10000)")
    parser.add_argument(
        "--snapshots",
        action="append",
        default=[],
        help="a folder of saved listings to use instead of synthetic papers; may be given "
        "again, or several separated by spaces or colons",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of each timed step (3)")
    parser.add_argument("--peers", type=Path, help="environment with hugo and pagefind installed")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument(
        "--search-only",
        action="store_true",
        help="what search needs only: one full build, no peers, no serve",
    )
    args = parser.parse_args()
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # kill -USR1: where a run is stuck
    # The tests' extra check (every page planned twice) must not slow the builds timed here.
    os.environ.pop("PAPER_DIGEST_CHECK_UNITS", None)
    folders = [Path(f).resolve() for arg in args.snapshots for f in re.split(r"[\s:]+", arg) if f]
    for folder in folders:
        if not folder.is_dir():
            parser.error(f"--snapshots: {folder} is not a folder")
    where = "/dev/shm" if Path("/dev/shm").is_dir() else None
    work = Path(tempfile.mkdtemp(prefix="paper-digest-bench-", dir=where))
    try:
        results = run(
            args.n,
            args.peers.resolve() if args.peers else None,
            work,
            folders,
            args.runs,
            search_only=args.search_only,
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")
    print()
    print(table(results))
    print()
    print(parts_table(results))
    print()
    text = json.dumps(results, indent=2, default=str)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
