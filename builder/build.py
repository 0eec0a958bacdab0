"""The pipeline: ingest = read + merge + store; build = ingest + load + render + write."""

from __future__ import annotations

import fcntl
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from tqdm import tqdm

from builder.config import SiteConfig
from builder.errors import BuilderError, Problem, display_path
from builder.load import load_papers
from builder.merge import merge_entries
from builder.read import ListingFile, read_snapshot, snapshot_files
from builder.render import DEFAULT_THEME, check_templates, paper_pages, render_site
from builder.search import search_files
from builder.store import write_papers
from builder.write import check_output, write_site

log = logging.getLogger(__name__)


def progress(total: int, desc: str, unit: str) -> tqdm:
    """Return a progress bar shown only on a terminal, and only for runs that take a while."""
    return tqdm(
        total=total,
        desc=desc,
        unit=f" {unit}",
        leave=False,
        delay=0.5,
        disable=not sys.stderr.isatty(),
    )


def report_problems(problems: Iterable[Problem]) -> None:
    """Log each problem as a warning, in the order found."""
    for problem in problems:
        log.warning("%s", problem)


def skipped_summary(problems: Sequence[Problem]) -> str:
    """Describe what was skipped and why: '3 skipped (2 malformed entry, 1 binary file)'."""
    reasons = Counter(p.reason for p in problems if p.skipped)
    if not reasons:
        return "nothing skipped"
    detail = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
    return f"{sum(reasons.values())} skipped ({detail})"


@dataclass
class IngestReport:
    """Counts of one ingest run."""

    files: int = 0
    entries: int = 0
    papers: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        """Return the one-line summary printed at the end of a run."""
        return (
            f"ingest: {self.files} files read, {self.entries} entries, {self.papers} unique "
            f"papers ({self.new} new, {self.updated} updated, {self.unchanged} unchanged), "
            f"{skipped_summary(self.problems)}, {self.seconds:.2f} s"
        )


def _check_folders(config: SiteConfig) -> None:
    """Stop early, with what to do, when the snapshots or papers folder cannot be used."""
    if not config.snapshots.is_dir():
        raise BuilderError(
            f"snapshots folder {display_path(config.snapshots)} does not exist; put saved "
            "listing pages (.txt, .html, .json) there, or pass --snapshots DIR"
        )
    if config.papers.exists() and not config.papers.is_dir():
        raise BuilderError(
            f"papers folder {display_path(config.papers)} is a file; pass --papers DIR"
        )


def read_all(config: SiteConfig) -> list[ListingFile]:
    """Read every snapshot in the snapshots folder."""
    files = snapshot_files(config.snapshots)
    with progress(len(files), "reading", "files") as bar:
        listings = []
        for path in files:
            listings.append(read_snapshot(path, config.year))
            bar.update(1)
    return listings


@contextmanager
def build_lock(config: SiteConfig) -> Iterator[None]:
    """Hold `.cache/build.lock` while writing: a second ingest or build waits for the first.

    The lock is an flock on an open file, so the system releases it when its holder dies,
    even by SIGKILL: a stale lock cannot stop the next build.
    """
    try:
        config.cache_dir.mkdir(parents=True, exist_ok=True)
        handle = open(config.cache_dir / "build.lock", "a+", encoding="ascii")  # noqa: SIM115
    except OSError as exc:
        raise BuilderError(
            f"cannot create the build lock in {display_path(config.cache_dir)} "
            f"({exc.strerror}); make that folder writable"
        ) from exc
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            log.info(
                "another build (PID %s) is writing %s; waiting for it to finish",
                holder,
                display_path(config.root),
            )
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def ingest(config: SiteConfig) -> IngestReport:
    """Read the snapshots, merge sightings into papers and store one file per paper."""
    with build_lock(config):
        return _ingest(config)


def _ingest(config: SiteConfig) -> IngestReport:
    """Ingest without taking the lock (the caller holds it)."""
    started = time.perf_counter()
    _check_folders(config)
    report = IngestReport()

    # Read every saved listing.
    listings = read_all(config)
    entries = [e for listing in listings for e in listing.entries]
    for listing in listings:
        for note in listing.notes:
            log.info("%s", note)
        report.problems += listing.problems

    # Merge sightings into unique papers.
    papers, notes = merge_entries(entries)
    for note in notes:
        log.info("%s", note)

    # Store one paper file each.
    with progress(len(papers), "storing", "papers") as bar:
        stored = write_papers(papers, config.papers, bar)
    for note in stored.notes:
        log.info("%s", note)
    report.problems += stored.problems

    report_problems(report.problems)
    report.files = sum(1 for listing in listings if listing.entries or not listing.problems)
    report.entries = len(entries)
    report.papers = len(papers)
    report.new, report.updated, report.unchanged = (
        len(stored.new),
        len(stored.updated),
        len(stored.unchanged),
    )
    report.seconds = time.perf_counter() - started
    return report


@dataclass
class BuildReport:
    """Counts of one build run."""

    ingest: IngestReport
    papers: int = 0
    files: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        """Return the one-line summary printed at the end of a build."""
        return (
            f"build: {self.papers} papers, {self.files} files ({self.files - self.unchanged} "
            f"written, {self.unchanged} unchanged), "
            f"{skipped_summary(self.problems)}, {self.seconds:.2f} s"
        )


def build(config: SiteConfig) -> BuildReport:
    """Ingest, then render the paper files into the output folder."""
    # Refuse a dangerous output folder before touching anything, the lock included.
    check_output(
        config.output,
        protected=[config.root, config.snapshots, config.papers],
        contents=[config.snapshots, config.papers, DEFAULT_THEME, *config.theme_dirs],
    )
    with build_lock(config):
        return _build(config)


def _build(config: SiteConfig) -> BuildReport:
    """Build without taking the lock (the caller holds it)."""
    started = time.perf_counter()

    # Bring the paper files up to date with the snapshots.
    report = BuildReport(ingest=_ingest(config))
    log.info("%s", report.ingest.summary())

    # Load the paper files: hand edits and hand-written papers included.
    stored, report.problems = load_papers(config.papers)
    already = set(report.ingest.problems)
    report_problems(p for p in report.problems if p not in already)
    papers = [s.paper for s in stored]

    # Render the pages.
    pages = paper_pages(papers, config)
    files = render_site(pages, config)

    # Index them for search.
    files.update(search_files(pages, config.cache_dir))

    # Swap the new site in whole.
    written = write_site(files, config.output)
    report.papers = len(papers)
    report.files = written.written + written.linked
    report.unchanged = written.linked
    report.seconds = time.perf_counter() - started
    return report


@dataclass
class CheckReport:
    """What a check found."""

    files: int = 0
    entries: int = 0
    papers: int = 0
    templates: int = 0
    problems: list[Problem] = field(default_factory=list)

    def summary(self) -> str:
        """Return the one-line summary printed at the end of a check."""
        found = f"{len(self.problems)} problem(s)" if self.problems else "no problems"
        return (
            f"check: {self.files} snapshot files ({self.entries} entries), "
            f"{self.papers} paper files, {self.templates} templates: {found}"
        )


def check(config: SiteConfig) -> CheckReport:
    """Read the snapshots, paper files and templates; report every problem; write nothing."""
    _check_folders(config)
    report = CheckReport()

    # The saved listings.
    listings = read_all(config)
    report.files = len(listings)
    report.entries = sum(len(listing.entries) for listing in listings)
    report.problems += [p for listing in listings for p in listing.problems]

    # The paper files, hand edits included.
    stored, problems = load_papers(config.papers)
    report.papers = len(stored) + len({p.path for p in problems})
    report.problems += problems

    # The templates of the theme.
    report.templates, problems = check_templates(config)
    report.problems += problems
    report_problems(report.problems)
    return report
