"""The pipeline: ingest = read + merge + store; build = ingest + load + render + search + write.

Heavy modules (templates, Markdown, the index) are imported inside the functions that need
them, so a build with nothing to do is over before they would have loaded.
"""

from __future__ import annotations

import fcntl
import gc
import logging
import os
import resource
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from builder.cache import (
    BuildCache,
    Inputs,
    LazyTable,
    Stat,
    config_key,
    folder_stats,
    folder_tree,
    key_of,
    read_inputs,
    settled,
    sha,
    site_stats,
)
from builder.config import DEFAULT_THEME, SiteConfig
from builder.errors import BuilderError, Problem, display_path
from builder.files import clear_temporary_siblings
from builder.models import by_fields
from builder.write import Moves, apply_moves, check_output

if TYPE_CHECKING:
    from builder.load import StoredPaper
    from builder.models import Output, Paper
    from builder.read import ListingFile
    from builder.write import Staging

log = logging.getLogger(__name__)

# Phases with at least this many items say how long they took, when no bar is shown.
REPORT_FROM = 2000


class Progress:
    """A progress bar on a terminal; elsewhere, one plain line at the end of a long phase."""

    def __init__(self, total: int, desc: str, unit: str) -> None:
        self.total, self.desc, self.unit = total, desc, unit
        self.started = time.perf_counter()
        self.bar: Any = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            # No monitor thread: the build forks workers, and a fork must find no other thread.
            tqdm.monitor_interval = 0
            self.bar = tqdm(total=total, desc=desc, unit=f" {unit}", leave=False, delay=0.5)

    def update(self, n: int = 1) -> None:
        """Count `n` items done."""
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        """End the phase."""
        seconds = time.perf_counter() - self.started
        if self.bar is not None:
            self.bar.close()
        elif self.total >= REPORT_FROM:
            log.info("%s: %s %s in %.1f s", self.desc, f"{self.total:,}", self.unit, seconds)
            return
        log.debug(
            "%s: %s %s in %.2f s (peak memory so far %d MB)",
            self.desc,
            f"{self.total:,}",
            self.unit,
            seconds,
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        )

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
    notes: list[str] = field(default_factory=list)  # what the log said, to say again

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


def read_all(config: SiteConfig, cache: BuildCache | None = None) -> list[ListingFile]:
    """Read every snapshot in the snapshots folder."""
    from builder.read import read_snapshot, snapshot_files

    files = snapshot_files(config.snapshots)
    with Progress(len(files), "reading", "files") as bar:
        listings = []
        for path in files:
            listings.append(read_snapshot(path, config.year, cache))
            bar.update(1)
    return listings


class Lock:
    """The held build lock; `announce` writes this build's PID into it for waiting builds."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.announced = False

    def announce(self) -> None:
        """Write this process's PID into the lock file (once)."""
        if not self.announced:
            self.handle.seek(0)
            self.handle.truncate()
            self.handle.write(f"{os.getpid()}\n")
            self.handle.flush()
            self.announced = True


# Objects made between two runs of the cyclic garbage collector (Python's default is 700): a
# build makes millions of small ones that live until it ends, and scanning them again and again
# took a quarter of an edit's build at 10,000 papers.
COLLECT_EVERY = 50_000


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often inside the block."""
    old = gc.get_threshold()
    gc.set_threshold(COLLECT_EVERY, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


@contextmanager
def build_lock(config: SiteConfig, announce: bool = True) -> Iterator[Lock]:
    """Hold `.cache/build.lock` while writing: a second ingest or build waits for the first.

    The lock is an flock on an open file, so the system releases it when its holder dies,
    even by SIGKILL: a stale lock cannot stop the next build. Without `announce`, the PID is
    written only when the holder calls `Lock.announce` (a build with nothing to do writes none).
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
        lock = Lock(handle)
        if announce:
            lock.announce()
        try:
            yield lock
        finally:
            if lock.announced:
                handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def _ingest_key(config: SiteConfig, cache: BuildCache, inputs: Inputs) -> str:
    """Return the no-op key of an ingest: its settings and its inputs' stats."""
    return key_of(
        "ingest",
        cache.code,
        config.year,
        os.getcwd(),
        str(config.snapshots),
        str(config.papers),
        sorted(inputs.snapshots.items()),
        sorted(inputs.papers.items()),
    )


def ingest(config: SiteConfig) -> IngestReport:
    """Read the snapshots, merge sightings into papers and store one file per paper."""
    with build_lock(config, announce=False) as lock, fewer_collections():
        cache = BuildCache(config.cache_dir)
        cache.clean()
        inputs = read_inputs(config, [], cache.code)
        report, stored = _ingest(config, cache, lock, inputs)
        cache.frozen = stored is None  # nothing to do: nothing to save
        cache.save()
        return report


def _ingest(
    config: SiteConfig, cache: BuildCache, lock: Lock, inputs: Inputs
) -> tuple[IngestReport, list[StoredPaper] | None]:
    """Ingest without taking the lock (the caller holds it); `inputs` are the input stats.

    Returns the report and, when ingest had to look, the paper files as they now are; when
    it wrote any, `inputs.papers` is brought up to date.
    """
    from builder.load import load_papers
    from builder.store import write_papers

    started = time.perf_counter()
    _check_folders(config)
    state = cache.table("state")
    key = _ingest_key(config, cache, inputs)
    last = state.get("ingest")
    if last is not None and last[0] == key:
        # Nothing changed since the last run: say again what it found.
        report = IngestReport(*last[1], notes=last[2])
        report.unchanged, report.new, report.updated = report.papers, 0, 0
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

    # Store one paper file each.
    stored, problems = load_papers(config.papers, cache, inputs.papers)
    # What the last ingest of the same merged papers found of each file.
    before = cache.lazy_table("merged").get("pairing")
    pairing = before[1] if before is not None and before[0] == merge.key else None
    with Progress(len(papers), "storing", "papers") as bar:
        written = write_papers(papers, config.papers, stored, problems, bar, pairing)
    if merge.settled and written.pairing is not None:
        cache.lazy_table("merged").put("pairing", (merge.key, written.pairing))
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
        stored, _ = load_papers(config.papers, cache, inputs.papers)
        key = _ingest_key(config, cache, inputs)
    if settled([*inputs.snapshots.values(), *inputs.papers.values()], time.time_ns()):
        fields = (report.files, report.entries, report.papers, 0, 0, 0, report.problems)
        state.put("ingest", (key, fields, notes))
    cache.release("merged")  # done with the merged papers: free their memory
    report.seconds = time.perf_counter() - started
    return report, stored


@dataclass
class Merge:
    """What reading the snapshots found: how many papers they merge into (kept as entries of
    the `merged` table, one each, read as asked for: `MergedPapers`), and the counts, notes
    and problems of reading. `key` names the snapshots as they were read (their stats and the
    settings), `settled` whether that can be trusted (none changed within the last second)."""

    key: str
    count: int
    files: int
    entries: int
    notes: list[str]
    problems: list[Problem]
    settled: bool = True


class MergedPapers(Sequence["Paper"]):
    """The merged papers of the `merged` table, each read when asked for (all at once when
    iterated): an ingest after hand edits reads only those of the edited files."""

    def __init__(self, table: LazyTable, count: int) -> None:
        self.table, self.count = table, count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self.count))]
        if not 0 <= i < self.count:
            raise IndexError(i)
        return self.table.get(("paper", i))

    def __iter__(self) -> Iterator[Paper]:
        every = self.table.everything()
        return (every[("paper", i)] for i in range(self.count))


def _merge(config: SiteConfig, cache: BuildCache, inputs: Inputs) -> tuple[Merge, Sequence[Paper]]:
    """Read every snapshot and merge their entries: as the last ingest did when the snapshots
    are the ones it read (an edit of paper files alone reads none)."""
    from builder.merge import merge_entries

    snapshots = sorted(inputs.snapshots.items())
    key = key_of("merge", cache.code, config.year, os.getcwd(), str(config.snapshots), snapshots)
    table = cache.lazy_table("merged")
    last: Merge | None = table.get("merge")
    if (
        last is not None
        and last.key == key
        and all(table.has(("paper", i)) for i in range(last.count))  # none lost
    ):
        return last, MergedPapers(table, last.count)
    listings = read_all(config, cache)
    entries = [e for listing in listings for e in listing.entries]
    papers, merge_notes = merge_entries(entries)
    merge = Merge(
        key,
        len(papers),
        sum(1 for listing in listings if listing.entries or not listing.problems),
        len(entries),
        [note for listing in listings for note in listing.notes] + merge_notes,
        [p for listing in listings for p in listing.problems],
        settled([st for _, st in snapshots], time.time_ns()),
    )
    if merge.settled:
        table.replace({"merge": merge, **{("paper", i): p for i, p in enumerate(papers)}})
    cache.release("listings")  # done with the parsed snapshots: free their memory
    return merge, MergedPapers(table, merge.count) if merge.settled else papers


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


def build(config: SiteConfig, full: bool = False, warm: BuildCache | None = None) -> BuildReport:
    """Ingest, then render the paper files into the output folder; `full`: with none of the
    build state (each table starts empty, and is replaced by this build's); `warm`: the cache
    of the last build in this process, its tables still loaded (`serve`)."""
    # Refuse a dangerous output folder before touching anything, the lock included.
    check_output(
        config.output,
        protected=[config.root, config.snapshots, config.papers],
        contents=[config.snapshots, config.papers, DEFAULT_THEME, *config.theme_dirs],
    )
    with build_lock(config, announce=False) as lock, fewer_collections():
        if warm is not None and warm.folder == config.cache_dir:
            cache = warm.again(fresh=full)
        else:
            cache = BuildCache(config.cache_dir, fresh=full)
        cache.clean()
        try:
            return _build(config, cache, lock)
        finally:
            cache.save()
            cache.settle()


@dataclass
class State:
    """What a build reads and writes, as stats: the no-op test compares it with the last one's.

    For the site it keeps only the folders' stats (a file added, removed or renamed changes
    its folder's); the files' own stats are read when a build has work to do.
    """

    inputs: Inputs
    folders: list[tuple[str, Stat]]

    def key(self) -> str:
        """Hash the whole state (and the folder messages are relative to)."""
        return key_of("build", self.inputs.digest(), os.getcwd(), self.folders)

    def settled(self) -> bool:
        """Tell whether no input changed within the last second (see `cache.settled`).

        The output is the build's own, and not asked.
        """
        inputs = self.inputs
        stats = [*inputs.snapshots.values(), *inputs.papers.values()]
        stats += [st for _folder, files in inputs.theme for _name, st in files]
        return settled(stats, time.time_ns())


class CacheJournal:
    """The journal of a build's moves into the site, kept in the build cache."""

    TABLE = "journal"

    def __init__(self, cache: BuildCache) -> None:
        self.cache = cache

    def begin(self, moves: Moves) -> None:
        """Record the moves (saved at once, in one transaction) before the first."""
        self.cache.table(self.TABLE).replace({"moves": moves})
        self.cache.release(self.TABLE)

    def end(self) -> None:
        """Forget the moves, all made."""
        self.cache.table(self.TABLE).replace({})
        self.cache.release(self.TABLE)

    def finish(self) -> None:
        """Complete the moves a killed build recorded and did not end."""
        moves = self.cache.table(self.TABLE).get("moves")
        if moves is not None:
            log.info("completing the moves of a build that was stopped midway through them")
            apply_moves(moves)
            self.end()


def read_state(config: SiteConfig, cache: BuildCache) -> State:
    """Stat every input, and every folder of the current site."""
    return State(read_inputs(config, config.themes, cache.code), folder_tree(config.output))


def _build(config: SiteConfig, cache: BuildCache, lock: Lock) -> BuildReport:
    """Build without taking the lock (the caller holds it)."""
    started = time.perf_counter()
    CacheJournal(cache).finish()  # the moves a build killed midway through them began
    table = cache.table("state")
    state = read_state(config, cache)
    last = table.get("build")
    if last is not None and last[0] == state.key():
        # Nothing changed, the last site included: say again what it found, write nothing
        # (but clear away what killed builds left beside the site).
        clear_temporary_siblings(config.output.resolve())
        cache.frozen = True
        report = BuildReport(ingest=IngestReport(*last[1]))
        report.ingest.unchanged = report.ingest.papers
        for note in last[5]:
            log.info("%s", note)
        report_problems(report.ingest.problems)
        log.info("%s", report.ingest.summary())
        report.papers, report.files, report.problems = last[2], last[3], last[4]
        report.unchanged = report.files
        already = set(report.ingest.problems)
        report_problems(p for p in report.problems if p not in already)
        report.seconds = time.perf_counter() - started
        return report
    lock.announce()
    from builder.load import load_papers

    # Bring the paper files up to date with the snapshots.
    ingested, stored = _ingest(config, cache, lock, state.inputs)
    report = BuildReport(ingest=ingested)
    log.info("%s", report.ingest.summary())

    # Load the paper files: hand edits and hand-written papers included.
    problems: list[Problem] = []
    if stored is None:
        stored, problems = load_papers(config.papers, cache, state.inputs.papers)
    else:
        problems = [p for p in ingested.problems if p.reason in LOAD_REASONS]
    report.problems = problems
    already = set(ingested.problems)
    report_problems(p for p in problems if p not in already)

    # Render the pages and index them for search, keeping what did not change.
    old_site = site_stats(config.output, state.folders, table.get("folders"), cache.table("site"))
    written, kept, _ = _write(config, cache, stored, old_site)
    state.folders = folder_tree(config.output)
    table.put("folders", state.folders)
    report.papers = len(stored)
    report.files = written + kept
    report.unchanged = kept
    if state.settled():
        fields = (ingested.files, ingested.entries, ingested.papers, 0, 0, 0, ingested.problems)
        notes = ingested.notes
        table.put(
            "build", (state.key(), fields, report.papers, report.files, report.problems, notes)
        )
    else:
        table.put("build", None)
    report.seconds = time.perf_counter() - started
    return report


# Problems of loading the paper folder (ingest reports them too, before its own).
LOAD_REASONS = frozenset({"unreadable paper file", "duplicate slug"})


def _write(
    config: SiteConfig, cache: BuildCache, stored: list[StoredPaper], old_site: dict[str, Stat]
) -> tuple[int, int, dict[str, Any]]:
    """Render what changed, carry the rest over from the last site (whose files' stats are
    `old_site`); return (written, kept, the stats of the new site's files)."""
    from builder import search
    from builder.prepare import prepare_papers
    from builder.related import related_papers
    from builder.workers import Background

    papers = [s.paper for s in stored]
    ids = {s.paper.slug: s.sha for s in stored if s.sha}
    with Progress(len(papers), "preparing", "papers"):
        prepared = prepare_papers(papers, config, cache, ids)
    for name in ("files", "papers", "prepared"):  # done with these: free their memory
        cache.release(name)
    with Progress(len(prepared), "relating", "papers"):
        related = related_papers(prepared, cache)
    cache.release("related")

    # The search index, computed by another process while this one plans and renders pages
    # (for a big site, after them: three processes' memory at once would be too much).
    by_ref = search.ref_order(prepared)
    index_table = cache.table("search")
    index_key = search.index_key(by_ref, config)
    last_index = index_table.get(index_key)
    pending: Any = None
    if last_index is None:
        pending = (
            Background(search.compute_index, by_ref, cache)
            if len(prepared) < INDEX_ALONGSIDE
            else partial(search.compute_index, by_ref, cache)
        )

    try:
        return _plan_and_write(
            config, cache, prepared, related, by_ref, old_site, index_key, last_index, pending
        )
    finally:
        if isinstance(pending, Background):
            pending.stop()


def _plan_and_write(
    config: SiteConfig,
    cache: BuildCache,
    prepared: list[Any],
    related: dict[str, tuple[tuple[str, float], ...]],
    by_ref: list[Any],
    old_site: dict[str, Stat],
    index_key: str,
    last_index: dict[str, str] | None,
    pending: Any,
) -> tuple[int, int, dict[str, Any]]:
    """Plan the site, keep what did not change, render the rest, move the changed files in."""
    from builder import search
    from builder.models import Output
    from builder.plan import check_paths, plan_site
    from builder.render import Renderer, theme_key
    from builder.workers import Background
    from builder.write import Staging

    index_table = cache.table("search")
    base = key_of(cache.code, config_key(config), theme_key(config))
    cards = cache.lazy_table("cards")  # a page's cards are read as it is rendered
    site = cache.table("site")  # site path -> SiteFile: the last site's files

    def recorded(dest: str) -> tuple[Any, str] | None:
        last: SiteFile | None = site.get(dest)
        return (last.inputs, last.key) if last is not None else None

    page_of = {p.paper.slug: p for p in prepared}
    renderer = Renderer(config, page_of, base, cards, related, recorded)
    with Progress(len(prepared), "planning", "papers"):
        plan = plan_site(prepared, config, renderer) + search.record_outputs(by_ref)
        if last_index is not None:
            made: dict[str, bytes] = {}

            def make(dest: str) -> bytes:  # only if a kept file went missing
                if not made:
                    made.update(search.compute_index(by_ref, cache))
                return made[dest]

            plan += [Output(d, k, partial(make, d)) for d, k in last_index.items()]
        renderer.render_items_ahead(prepared)
        for key, html in renderer.new_cards.items():
            cards.put(key, html)
        renderer.new_cards = {}

    staging = Staging(config.output)
    try:
        kept, todo = _keep(plan, staging, site, old_site)
        written, linked, stats = _render(todo, staging, renderer, cards)
        if pending is not None:
            with Progress(len(prepared), "indexing", "papers"):
                # A big site's index is computed here, now that rendering is over (a forked
                # process would copy what it touches of this one's memory).
                if isinstance(pending, Background):
                    files = pending.wait()
                    cache.forget("terms")  # the other process saved it
                else:
                    files = pending()
            index_table.replace({index_key: {d: sha(b) for d, b in files.items()}})
            index = [Output(d, sha(b), partial(lambda b: b, b)) for d, b in files.items()]
            plan += index
            more_kept, more = _keep(index, staging, site, old_site)
            more_written, more_linked, more_stats = _render(more, staging, renderer, cards)
            kept, written, linked = kept + more_kept, written + more_written, linked + more_linked
            stats.update(more_stats)
        check_paths(plan)  # the search files too
        staging.commit((o.dest for o in plan), old_site, CacheJournal(cache))
    finally:
        staging.close()
    stats.update(staging.stats)
    inputs = renderer.signatures
    for output in plan:
        stat, digest = stats.get(output.dest, (None, None))
        entry = SiteFile(output.key, stat, digest, inputs.get(output.dest))
        if site.get(output.dest) != entry:
            site.put(output.dest, entry)
    return written, kept + linked, {dest: stat for dest, (stat, _) in stats.items()}


@dataclass(frozen=True, slots=True)
class SiteFile:
    """What the build state keeps of a file of the site: its key, its stat and content hash
    as written, and the signature of the inputs it was planned from (`Renderer.unit`)."""

    __reduce__ = by_fields

    key: str
    stat: Stat | None
    digest: str | None
    inputs: str | None = None


def _keep(
    plan: Sequence[Output], staging: Staging, site: Any, old_site: dict[str, Stat]
) -> tuple[int, list[Output]]:
    """Leave the files whose key is the last site's and whose stat is too (or, when the stat
    changed, as when a CI cache restores the site, whose bytes still hash the same); return
    (kept, the rest)."""
    todo: list[Output] = []
    kept = 0
    with Progress(len(plan), "keeping", "files"):
        for output in plan:
            stat = old_site.get(output.dest)
            last = site.get(output.dest)
            if stat is not None and output.key and last is not None and last.key == output.key:
                same = last.stat == stat or staging.holds(output.dest, last.digest)
                if same and staging.keep(output.dest, stat, last.digest):
                    kept += 1
                    continue
            todo.append(output)
    return kept, todo


def _render_slice(outputs: Sequence[Output], staging: Staging, renderer: Any) -> tuple:
    """Make and write some outputs (in a worker or here); return counts, stats, new cards."""
    written = linked = 0
    staging.stats = {}
    for output in outputs:
        if staging.put(output.dest, output.make()):
            linked += 1
        else:
            written += 1
    new_cards, renderer.new_cards = renderer.new_cards, {}
    return written, linked, staging.stats, new_cards


def _render(
    todo: Sequence[Output], staging: Staging, renderer: Any, cards: Any
) -> tuple[int, int, dict[str, Any]]:
    """Render the outputs that changed, on every core when there are many."""
    from builder.workers import fork_slices

    workers = 0 if len(todo) >= PARALLEL_RENDER else 1
    kept_stats = staging.stats
    with Progress(len(todo), "rendering", "files"):
        parts = fork_slices(_render_slice, todo, staging, renderer, workers=workers)
    written = linked = 0
    stats: dict[str, Stat] = {}
    for part_written, part_linked, part_stats, new_cards in parts:
        written += part_written
        linked += part_linked
        stats.update(part_stats)
        for key, html in new_cards.items():
            cards.put(key, html)
    staging.stats = kept_stats
    return written, linked, stats


# Up to this many papers, the index is computed while pages render (more would not fit 2 GB);
# past it, by the build itself once they are rendered.
INDEX_ALONGSIDE = 20_000
# Below this many files to render, forking workers costs more than it saves.
PARALLEL_RENDER = 300


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
    from builder.load import load_papers
    from builder.render import check_templates

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
