"""The pipeline: build = ingest + load + render + search + write (ingest is in ingest.py).

Heavy modules (templates, Markdown, the index) are imported inside the functions that need
them, so a build with nothing to do is over before they would have loaded.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from builder.assemble import CacheJournal, Rehearsed
from builder.cache import BuildCache
from builder.config import DEFAULT_THEME, SiteConfig
from builder.errors import Problem
from builder.files import clear_temporary_siblings
from builder.ingest import Found, IngestReport, ingest_into
from builder.run import (
    Lock,
    Progress,
    build_lock,
    fewer_collections,
    report_problems,
    skipped_summary,
)
from builder.sitetable import site_table
from builder.stats import (
    Inputs,
    Stat,
    folder_tree,
    key_of,
    read_inputs,
    same_folders,
    settled,
    site_stats,
)
from builder.write import check_output

if TYPE_CHECKING:
    from builder.load import StoredPaper

log = logging.getLogger(__name__)


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


def build(
    config: SiteConfig,
    full: bool = False,
    warm: BuildCache | None = None,
    published: Callable[[], None] | None = None,
    rehearse: bool = False,
) -> BuildReport:
    """Ingest, then render the paper files into the output folder; `full`: with none of the
    build state (each table starts empty, and is replaced by this build's); `warm`: the cache
    of the last build in this process, its tables still loaded (`serve`); `published`: called
    once the new site is in place, before the build state is recorded and saved (`serve`
    reloads the open pages then); `rehearse`: go through every stage when nothing changed
    (writing no file of the site), so that `warm` holds what the next build reads; when
    anything changed, before or during it, write nothing (the next build shows it)."""
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
            return _build(config, cache, lock, published, rehearse)
        except Rehearsed:  # something changed: the next build shows it (and reloads the pages)
            cache.frozen = True
            return BuildReport(ingest=IngestReport())
        except BaseException:
            # Stopped midway, it used some entries of each table only: none is garbage (the
            # site's table, pruned, would forget files the next build must remove).
            cache.pruning = False
            raise
        finally:
            cache.save()
            cache.settle()


@dataclass
class State:
    """What a build reads and writes, as stats: the no-op test compares it with the last one's.

    For the site it keeps only the folders' stats (a file added, removed or renamed changes
    its folder's); a build with work to do reads the files' own stats in the folders whose
    stat changed (`stats.site_stats`).
    """

    inputs: Inputs
    folders: list[tuple[str, Stat]]

    def key(self) -> str:
        """Hash the whole state (and the folder messages are relative to)."""
        return key_of("build", self.inputs.digest(), os.getcwd(), self.folders)

    def settled(self) -> bool:
        """Tell whether no input changed within the last second (see `stats.settled`).

        The output is the build's own, and not asked.
        """
        inputs = self.inputs
        stats = [*inputs.snapshots.values(), *inputs.papers.values()]
        stats += [st for _folder, files in inputs.theme for _name, st in files]
        return settled(stats, time.time_ns())


@dataclass(frozen=True)
class BuildRecord:
    """The build state's record of the last build that found its inputs settled: the key of
    its state (`State.key`), and what it found, said again by a build that finds nothing
    changed."""

    key: str
    ingest: Found
    papers: int
    files: int
    problems: list[Problem]


def read_state(config: SiteConfig, cache: BuildCache) -> State:
    """Stat every input, and every folder of the current site (only those the last build left,
    when none of them changed: `stats.same_folders`)."""
    folders = same_folders(config.output, cache.table("state").get("folders"))
    inputs = read_inputs(config, config.themes, cache.code)
    return State(inputs, folders if folders is not None else folder_tree(config.output))


def _build(
    config: SiteConfig,
    cache: BuildCache,
    lock: Lock,
    published: Callable[[], None] | None = None,
    rehearse: bool = False,
) -> BuildReport:
    """Build without taking the lock (the caller holds it); `published`, `rehearse`: as
    `build`'s."""
    started = time.perf_counter()
    CacheJournal(cache).finish()  # the moves a build killed midway through them began
    table = cache.table("state")
    state = read_state(config, cache)
    last: BuildRecord | None = table.get("build")
    if rehearse and (last is None or last.key != state.key()):
        raise Rehearsed  # an input changed since the last build (before ingest writes a file)
    if last is not None and last.key == state.key() and not rehearse:
        # Nothing changed, the last site included: say again what it found, write nothing
        # (but clear away what killed builds left beside the site).
        clear_temporary_siblings(config.output.resolve())
        cache.frozen = True
        report = BuildReport(ingest=last.ingest.again())
        for note in report.ingest.notes:
            log.info("%s", note)
        report_problems(report.ingest.problems)
        log.info("%s", report.ingest.summary())
        report.papers, report.files = last.papers, last.files
        report.problems = list(last.problems)
        report.unchanged = report.files
        already = set(report.ingest.problems)
        report_problems(p for p in report.problems if p not in already)
        report.seconds = time.perf_counter() - started
        return report
    lock.announce()
    from builder.memo import loaded_papers

    # Bring the paper files up to date with the snapshots.
    ingested, stored = ingest_into(config, cache, lock, state.inputs)
    report = BuildReport(ingest=ingested)
    log.info("%s", report.ingest.summary())

    # Load the paper files: hand edits and hand-written papers included.
    problems: list[Problem] = []
    if stored is None:
        stored, problems = loaded_papers(cache, config.papers, state.inputs.papers)
    else:
        problems = [p for p in ingested.problems if p.reason in LOAD_REASONS]
    report.problems = problems
    already = set(ingested.problems)
    report_problems(p for p in problems if p not in already)

    # Render the pages and index them for search, keeping what did not change.
    old_site = site_stats(config.output, state.folders, table.get("folders"), site_table(cache))
    written, kept, _ = _write(config, cache, stored, old_site, published, rehearse)
    state.folders = folder_tree(config.output)
    table.put("folders", state.folders)
    report.papers = len(stored)
    report.files = written + kept
    report.unchanged = kept
    if state.settled():
        found = Found.of(ingested)
        table.put(
            "build", BuildRecord(state.key(), found, report.papers, report.files, report.problems)
        )
    else:
        table.put("build", None)
    report.seconds = time.perf_counter() - started
    return report


# Problems of loading the paper folder (ingest reports them too, before its own).
LOAD_REASONS = frozenset({"unreadable paper file", "duplicate slug"})


def _write(
    config: SiteConfig,
    cache: BuildCache,
    stored: list[StoredPaper],
    old_site: dict[str, Stat],
    published: Callable[[], None] | None = None,
    rehearse: bool = False,
) -> tuple[int, int, dict[str, Any]]:
    """Render what changed, carry the rest over from the last site (whose files' stats are
    `old_site`); return (written, kept, the stats of the new site's files); `published`: as
    `build`'s; `rehearse`: raise `Rehearsed` in place of writing or removing any file."""
    from builder import search
    from builder.assemble import assemble
    from builder.memo import prepared_pages, related_lists, search_index
    from builder.workers import Background

    papers = [s.paper for s in stored]
    # A paper's content id: its file's bytes, and its slug (a file without a slug line takes
    # it from its name: renamed, it is another page).
    ids = _content_ids(stored, cache.remembered("content ids"))
    with Progress(len(papers), "preparing", "papers"):
        prepared = prepared_pages(cache, papers, config, ids)
    cache.release("files", "papers", "prepared")  # done with these: free their memory
    # The search index, computed by another process while this one relates, plans and renders
    # pages (when it must make the segments of many papers, or the collection is small, by
    # this one after them: see INDEX_ALONGSIDE and INDEX_FORK_FROM).
    by_ref = search.ref_order(prepared)
    index_key = search.index_key(by_ref, config)
    last: search.SearchIndex | None = cache.table("search").get("index")
    last_index = last.files if last is not None and last.key == index_key else None
    pending: Any = None
    if last_index is None:
        # The segments whose papers are as the last index had them keep their files.
        known = last.segments if last is not None else {}
        keyed = search.keyed_segments(by_ref)
        alongside = (
            len(by_ref) >= INDEX_FORK_FROM and search.papers_to_make(keyed, known) < INDEX_ALONGSIDE
        )
        pending = (
            Background(search_index, cache, by_ref, known, keyed)
            if alongside
            else partial(search_index, cache, by_ref, known, keyed)
        )

    try:
        with Progress(len(prepared), "relating", "papers"):
            related = related_lists(cache, prepared)
        cache.release("related")
        return assemble(
            config,
            cache,
            prepared,
            related,
            by_ref,
            old_site,
            index_key,
            last_index,
            pending,
            published,
            rehearse,
        )
    finally:
        if isinstance(pending, Background):
            pending.stop()


def _content_ids(stored: list[StoredPaper], memo: dict[Any, str] | None) -> dict[str, str]:
    """Each paper's content id by slug (`memo`: a warm cache's ids of the last build, by file
    hash and slug, replaced by this build's)."""
    last = memo if memo is not None else {}
    ids, known = {}, {}
    for s in stored:
        if s.sha:
            pair = (s.sha, s.paper.slug)
            ids[pair[1]] = known[pair] = last.get(pair) or key_of(*pair)
    if memo is not None:
        memo.clear()
        memo.update(known)
    return ids


# An index that makes the segments of fewer papers than this is computed while related papers
# are listed and pages render (in a collection of INDEX_FORK_FROM papers or more); one that
# makes more, by the build itself once they are rendered (three processes' memory at once
# would be too much). Most builds of a big site keep most segments (README, Performance).
INDEX_ALONGSIDE = 20_000
# A collection of fewer papers than this has its index made by the build itself, after the
# pages: forking costs more than it saves there (the 134 sample papers: a build from nothing
# and a tag, 0.53-0.72 s and 0.64-0.85 CPU-s, against 0.62-0.82 s and 0.91-1.20 CPU-s forked;
# 2,476 real papers: a tag 0.73-0.87 s forked, 0.90-1.09 s not).
INDEX_FORK_FROM = 500
