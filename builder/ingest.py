"""The ingest stage: read + merge + store, from the saved listings to one file per paper.

An ingest after hand edits alone reads no snapshot: it takes the papers the last one merged
from the same snapshots, and looks only at the files changed since (`store.Pairing`).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from builder.cache import BuildCache
from builder.config import SiteConfig
from builder.errors import BuilderError, Problem, display_path
from builder.run import (
    Lock,
    Progress,
    build_lock,
    fewer_collections,
    report_problems,
    skipped_summary,
)
from builder.stats import Inputs, folder_stats, key_of, read_inputs, settled
from builder.tables import LazyTable

if TYPE_CHECKING:
    from builder.load import StoredPaper
    from builder.models import Paper
    from builder.read import ListingFile
    from builder.store import Pairing

log = logging.getLogger(__name__)


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
    notes: list[str] = field(default_factory=list)  # what the log said, to say again

    def summary(self) -> str:
        """Return the one-line summary printed at the end of a run."""
        return (
            f"ingest: {self.files} files read, {self.entries} entries, {self.papers} unique "
            f"papers ({self.new} new, {self.updated} updated, {self.unchanged} unchanged), "
            f"{skipped_summary(self.problems)}, {self.seconds:.2f} s"
        )


@dataclass(frozen=True)
class Found:
    """What an ingest found, as the build state keeps it: a run that finds the same inputs
    says it again (`again`)."""

    files: int
    entries: int
    papers: int
    problems: list[Problem]
    notes: list[str]

    @classmethod
    def of(cls, report: IngestReport) -> Found:
        """What a report says."""
        return cls(report.files, report.entries, report.papers, report.problems, report.notes)

    def again(self) -> IngestReport:
        """The report of a run that finds every paper as this one left it."""
        return IngestReport(
            self.files,
            self.entries,
            self.papers,
            unchanged=self.papers,
            problems=list(self.problems),
            notes=list(self.notes),
        )


@dataclass(frozen=True)
class IngestRecord:
    """The build state's record of the last ingest: the key of its inputs (`_ingest_key`),
    and what it found."""

    key: str
    found: Found


def check_folders(config: SiteConfig) -> None:
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


def read_all(config: SiteConfig, cache: BuildCache | None = None) -> list[ListingFile]:
    """Read every snapshot in the snapshots folder (with a cache, parsing only the files
    whose content was not parsed before)."""
    from builder.memo import parsed_listings
    from builder.read import read_snapshots, snapshot_files

    files = snapshot_files(config.snapshots)
    with Progress(len(files), "reading", "files") as bar:
        if cache is None:
            listings = read_snapshots(files, config.year)
        else:
            listings = parsed_listings(cache, files, config.year)
        bar.update(len(files))
    return listings


def _ingest_key(config: SiteConfig, cache: BuildCache, inputs: Inputs) -> str:
    """Return the no-op key of an ingest: its settings and its inputs' stats."""
    return key_of(
        "ingest",
        cache.code,
        config.year,
        os.getcwd(),
        str(config.snapshots),
        str(config.papers),
        inputs.files_digest("snapshots"),
        inputs.files_digest("papers"),
    )


def ingest(config: SiteConfig) -> IngestReport:
    """Read the snapshots, merge sightings into papers and store one file per paper."""
    with build_lock(config, announce=False) as lock, fewer_collections():
        cache = BuildCache(config.cache_dir)
        cache.clean()
        inputs = read_inputs(config, [], cache.code)
        stored = None
        try:
            report, stored = ingest_into(config, cache, lock, inputs)
        finally:  # what was released is saved (or its writer waited for) under the lock
            cache.frozen = stored is None  # nothing to do: nothing to save
            cache.save()
        return report


def ingest_into(
    config: SiteConfig, cache: BuildCache, lock: Lock, inputs: Inputs
) -> tuple[IngestReport, list[StoredPaper] | None]:
    """Ingest without taking the lock (the caller holds it); `inputs` are the input stats.

    Returns the report and, when ingest had to look, the paper files as they now are; when
    it wrote any, `inputs.papers` is brought up to date.
    """
    from builder.memo import loaded_papers
    from builder.store import write_papers

    started = time.perf_counter()
    check_folders(config)
    state = cache.table("state")
    key = _ingest_key(config, cache, inputs)
    last: IngestRecord | None = state.get("ingest")
    if last is not None and last.key == key:
        # Nothing changed since the last run: say again what it found.
        report = last.found.again()
        for note in report.notes:
            log.info("%s", note)
        report_problems(report.problems)
        report.seconds = time.perf_counter() - started
        return report, None
    lock.announce()
    report = IngestReport()

    # Read every saved listing and merge sightings into unique papers.
    merge, papers = _merge(config, cache, inputs)
    notes = list(merge.notes)
    report.problems += merge.problems

    # Store one paper file each (what loading finds of each file is kept for the load after
    # writing, which looks again only at the files written).
    memo = cache.remembered("stored")
    memo = memo if memo is not None else {}
    stored, problems = loaded_papers(cache, config.papers, inputs.papers, memo)
    # What the last ingest found of each file, and whether it merged the same papers.
    before: MergedPairing | None = cache.lazy_table("merged").get("pairing")
    pairing = before.pairing if before is not None else None
    same = before is not None and before.merge == merge.key
    with Progress(len(papers), "storing", "papers") as bar:
        written = write_papers(
            papers, config.papers, stored, problems, bar, pairing, merge.prints, same
        )
    notes += written.notes
    report.notes = notes
    report.problems += written.problems
    for note in notes:
        log.info("%s", note)

    report_problems(report.problems)
    report.files = merge.files
    report.entries = merge.entries
    report.papers = len(papers)
    report.new, report.updated, report.unchanged = (
        len(written.new),
        len(written.updated),
        len(written.unchanged),
    )
    if written.new or written.updated:
        # Files changed: read them again (the others come from the cache).
        inputs.papers = folder_stats(config.papers, (".md",))
        stored, _ = loaded_papers(cache, config.papers, inputs.papers, memo)
        key = _ingest_key(config, cache, inputs)
        if written.pairing is not None:  # what the next ingest will find of the files written
            written.pairing = written.pairing.after_writing(stored, written.placed, merge.prints)
    # A pairing that differs from the last only by the few files looked at again, none of them
    # written, is not saved: the next ingest looks at those again (a hand edit's build would
    # otherwise write the pairing of every file: 17 MB at 50,000 papers).
    looked = written.looked
    relook = looked is not None and looked <= RELOOK and not (written.new or written.updated)
    if merge.settled and written.pairing is not None and not relook:
        cache.lazy_table("merged").put("pairing", MergedPairing(merge.key, written.pairing))
    if settled([*inputs.snapshots.values(), *inputs.papers.values()], time.time_ns()):
        state.put("ingest", IngestRecord(key, Found.of(report)))
    cache.release("merged")  # done with the merged papers: free their memory
    report.seconds = time.perf_counter() - started
    return report, stored


# Up to this many files changed since the last saved pairing are looked at again by every
# ingest rather than saved in it (`Pairing.changed`).
RELOOK = 32


@dataclass(frozen=True)
class MergedPairing:
    """What an ingest left each paper file holding (`store.Pairing`), and the key of the merge
    it stored (`Merge.key`): the next ingest matches only what changed since."""

    merge: str
    pairing: Pairing


@dataclass
class Merge:
    """What reading the snapshots found: how many papers they merge into (kept as entries of
    the `merged` table, each under its fingerprint, read as asked for: `MergedPapers`), and
    the counts, notes and problems of reading. `key` names the snapshots as they were read
    (their stats and the settings), `settled` whether that can be trusted (none changed within
    the last second)."""

    key: str
    count: int
    files: int
    entries: int
    notes: list[str]
    problems: list[Problem]
    settled: bool = True
    prints: tuple[str, ...] = ()  # each merged paper's fingerprint (`store.merge_print`)


def _keep_merge(
    table: LazyTable, merge: Merge, papers: Sequence[Paper], last: Merge | None
) -> None:
    """Store a new merge: a row per merged paper, under its fingerprint, so that a merge
    writes the rows of the papers it changed or added alone (a day's papers join the merged
    order anywhere: rows by place would all move), and drops those it no longer has; every row
    when the last merge's cannot be trusted."""
    if last is None or table.whole or len(last.prints) != last.count:
        rows = {("paper", mark): paper for mark, paper in zip(merge.prints, papers, strict=True)}
        table.replace({"merge": merge, **rows})
        return
    for paper, mark in zip(papers, merge.prints, strict=True):
        if not table.has(("paper", mark)):
            table.put(("paper", mark), paper)
    for mark in set(last.prints).difference(merge.prints):
        table.drop(("paper", mark))
    table.put("merge", merge)


class MergedPapers(Sequence["Paper"]):
    """The merged papers of the `merged` table, each read when asked for (all at once when
    iterated): an ingest after hand edits reads only those of the edited files."""

    def __init__(self, table: LazyTable, prints: Sequence[str]) -> None:
        self.table, self.prints = table, prints

    def __len__(self) -> int:
        return len(self.prints)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self.prints)))]
        if not 0 <= i < len(self.prints):
            raise IndexError(i)
        return self.table.get(("paper", self.prints[i]))

    def __iter__(self) -> Iterator[Paper]:
        every = self.table.everything()
        return (every[("paper", mark)] for mark in self.prints)


def _merge(config: SiteConfig, cache: BuildCache, inputs: Inputs) -> tuple[Merge, Sequence[Paper]]:
    """Read every snapshot and merge their entries: as the last ingest did when the snapshots
    are the ones it read (an edit of paper files alone reads none)."""
    from builder.merge import add_artifacts, merge_entries
    from builder.store import merge_print

    snapshots = sorted(inputs.snapshots.items())
    key = key_of("merge", cache.code, config.year, os.getcwd(), str(config.snapshots), snapshots)
    table = cache.lazy_table("merged")
    last: Merge | None = table.get("merge")
    if (
        last is not None
        and last.key == key
        and len(last.prints) == last.count
        and all(table.has(("paper", mark)) for mark in last.prints)  # none lost
    ):
        return last, MergedPapers(table, last.prints)
    listings = read_all(config, cache)
    entries = [e for listing in listings for e in listing.entries]
    papers, merge_notes = merge_entries(entries)
    papers = add_artifacts(papers, [a for listing in listings for a in listing.artifacts])
    merge = Merge(
        key,
        len(papers),
        sum(1 for listing in listings if listing.entries or not listing.problems),
        len(entries),
        [note for listing in listings for note in listing.notes] + merge_notes,
        [p for listing in listings for p in listing.problems],
        settled([st for _, st in snapshots], time.time_ns()),
        tuple([merge_print(p) for p in papers]),
    )
    if merge.settled:
        _keep_merge(table, merge, papers, last)
    cache.release("listings")  # done with the parsed snapshots: free their memory
    return merge, papers
