"""The pipeline: build = ingest + load + render + search + write (ingest is in ingest.py).

Heavy modules (templates, Markdown, the index) are imported inside the functions that need
them, so a build with nothing to do is over before they would have loaded.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

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
from builder.sitetable import SiteFile, site_table
from builder.stats import (
    Inputs,
    Stat,
    config_key,
    folder_tree,
    key_of,
    read_inputs,
    same_folders,
    settled,
    sha,
    site_stats,
)
from builder.write import MARKER, Moves, apply_moves, check_output

if TYPE_CHECKING:
    from builder.load import StoredPaper
    from builder.models import Output

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
    from builder.memo import prepared_pages, related_lists, search_index
    from builder.workers import Background

    papers = [s.paper for s in stored]
    # A paper's content id: its file's bytes, and its slug (a file without a slug line takes
    # it from its name: renamed, it is another page).
    ids = _content_ids(stored, cache.remembered("content ids"))
    with Progress(len(papers), "preparing", "papers"):
        prepared = prepared_pages(cache, papers, config, ids)
    cache.release("files", "papers", "prepared")  # done with these: free their memory
    with Progress(len(prepared), "relating", "papers"):
        related = related_lists(cache, prepared)
    cache.release("related")

    # The search index, computed by another process while this one plans and renders pages
    # (when it must make the segments of many papers, after them: see INDEX_ALONGSIDE).
    by_ref = search.ref_order(prepared)
    index_key = search.index_key(by_ref, config)
    last: search.SearchIndex | None = cache.table("search").get("index")
    last_index = last.files if last is not None and last.key == index_key else None
    pending: Any = None
    if last_index is None:
        # The segments whose papers are as the last index had them keep their files.
        known = last.segments if last is not None else {}
        keyed = search.keyed_segments(by_ref)
        alongside = search.papers_to_make(keyed, known) < INDEX_ALONGSIDE
        pending = (
            Background(search_index, cache, by_ref, known, keyed)
            if alongside
            else partial(search_index, cache, by_ref, known, keyed)
        )

    try:
        return _plan_and_write(
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
    published: Callable[[], None] | None = None,
    rehearse: bool = False,
) -> tuple[int, int, dict[str, Any]]:
    """Plan the site, keep what did not change, render the rest, move the changed files in
    (then call `published`, and record what was made); `rehearse`: as `_write`'s."""
    from builder import replan, search
    from builder.memo import search_index
    from builder.models import Output
    from builder.plan import check_paths, plan_site
    from builder.plan_papers import paper_cite_keys
    from builder.render import CHECK_UNITS, Renderer, kept_make
    from builder.theme import theme_key
    from builder.workers import Background
    from builder.write import Staging, keep_unchanged, render_outputs

    index_table = cache.table("search")
    base = key_of(cache.code, config_key(config), theme_key(config))
    cards = cache.lazy_table("cards")  # a page's cards are read as it is rendered
    site = site_table(cache)  # site path -> SiteFile: the last site's files

    def recorded(dest: str) -> tuple[Any, str] | None:
        last: SiteFile | None = site.peek(dest)  # `keep_unchanged` gets every planned file's
        return (last.inputs, last.key) if last is not None else None

    page_of = {p.paper.slug: p for p in prepared}
    compiled = cache.table("templates")  # Jinja2's code of each template
    remembered = cache.remembered("units")
    renderer = Renderer(config, page_of, base, cards, related, recorded, compiled, remembered)
    # What the last plan took from each paper: when only some papers changed, the outputs
    # that did not take them keep their keys and are not planned (replan.py).
    plans = cache.table("plan")
    every_key = partial(paper_cite_keys, prepared)
    reuse, places, prints = replan.compare(plans.get("last"), base, prepared, related, every_key)
    renderer.reuse = reuse
    cites = reuse.cites if reuse is not None else every_key(replan.cite_bases(places))
    with Progress(len(prepared), "planning", "papers"):
        entries = cache.lazy_table("bibtex")  # BibTeX entries, by what each is made from
        plan = plan_site(prepared, config, renderer, entries, cites)
        if CHECK_UNITS and reuse is not None:  # the tests: what was kept is what a plan makes
            fresh = Renderer(config, page_of, base, cards, related, recorded, compiled)
            _check_kept(plan, plan_site(prepared, config, fresh, entries))
        plan += search.record_outputs(by_ref)
        made: dict[str, bytes] = {}  # the whole index, once a kept file of it went missing

        def make(dest: str) -> bytes:
            if not made:
                made.update(search_index(cache, by_ref).made)
            return made[dest]

        def make_ahead(outputs: Sequence[Output], kept: dict[str, str]) -> None:
            """Make the whole index here once when kept files of it must be written again."""
            missing = next((output.dest for output in outputs if output.dest in kept), None)
            if missing is not None:
                make(missing)

        if last_index is not None:
            plan += [Output(d, k, partial(make, d)) for d, k in last_index.items()]
        if remembered is not None and reuse is None:  # forget the units the site no longer has
            for path in remembered.keys() - renderer.signatures.keys():
                del remembered[path]
        if reuse is None:
            renderer.render_items_ahead(prepared)
        else:  # only changed papers can lack their items
            renderer.render_items_ahead([prepared[i] for i in reuse.changed], retain=False)
        for key, html in renderer.new_cards.items():
            cards.put(key, html)
        renderer.new_cards = {}

    def planned_in_full(outputs: list[Output]) -> tuple[list[Output], int]:
        """Plan the site in full when outputs kept from the last plan must be made; return
        the outputs to make, and how many of those `keep_unchanged` had kept (made again: a
        key a full plan gives otherwise, which only a builder bug can cause, and which the
        tests refuse)."""
        renderer.reuse = None
        full = {o.dest: o for o in plan_site(prepared, config, renderer, entries, cites)}
        todo = {o.dest for o in outputs}
        wrong = [
            o.dest
            for o in plan
            if o.make is kept_make and (o.dest not in full or full[o.dest].key != o.key)
        ]
        if wrong:
            log.warning(
                "%d files were kept with a key a full plan gives otherwise, as %s: made again "
                "(a builder bug: please report it)",
                len(wrong),
                wrong[0],
            )
        planned = {o.dest for o in plan}
        added = [o for d, o in full.items() if d not in planned]
        plan[:] = [
            full[o.dest] if o.make is kept_make else o
            for o in plan
            if o.dest in full or o.make is not kept_make
        ]
        plan.extend(added)
        again = [full[d] for d in wrong if d not in todo and d in full]
        made = [
            full[o.dest] if o.make is kept_make else o
            for o in outputs
            if o.dest in full or o.make is not kept_make
        ]
        return made + again + added, sum(1 for d in wrong if d not in todo)

    staging = Staging(config.output)
    try:
        kept, todo = keep_unchanged(plan, staging, site, old_site)
        if any(output.make is kept_make for output in todo):
            todo, unkept = planned_in_full(todo)
            kept -= unkept
        if rehearse and (todo or pending is not None or old_site.keys() - _dests(plan)):
            raise Rehearsed  # a theme file changed meanwhile (before a file is staged)
        make_ahead(todo, last_index or {})
        written, linked, stats = render_outputs(todo, staging, renderer, cards)
        if pending is not None:
            with Progress(len(prepared), "indexing", "papers"):
                # An index of many papers to make is computed here, now that rendering is over
                # (a forked process would copy what it touches of this one's memory).
                if isinstance(pending, Background):
                    found = pending.wait()
                    cache.forget("terms")  # the other process saved it
                else:
                    found = pending()
            hashes = {d: sha(b) for d, b in found.made.items()}
            files = {**found.kept, **hashes}
            record = search.SearchIndex(index_key, files, found.segments)
            index_table.replace({"index": record})
            index = [Output(d, hashes[d], partial(lambda b: b, b)) for d, b in found.made.items()]
            index += [Output(d, k, partial(make, d)) for d, k in found.kept.items()]
            plan += index
            more_kept, more = keep_unchanged(index, staging, site, old_site)
            make_ahead(more, found.kept)
            more_written, more_linked, more_stats = render_outputs(more, staging, renderer, cards)
            kept, written, linked = kept + more_kept, written + more_written, linked + more_linked
            stats.update(more_stats)
        check_paths(plan)  # the search files too
        staging.commit((o.dest for o in plan), old_site, CacheJournal(cache))
    finally:
        staging.close()
    if published is not None:
        published()
    stats.update(staging.stats)
    inputs = renderer.signatures
    for output in plan:
        dest = output.dest
        stat, digest = stats.get(dest, (None, None))
        last = site.peek(dest)  # got by `keep_unchanged`
        # (an output kept from the last plan keeps the signature of its inputs)
        signature = inputs.get(dest) if output.make is not kept_make else last and last.inputs
        if (
            last is None
            or last.key != output.key
            or last.stat != stat
            or last.digest != digest
            or last.inputs != signature
        ):
            site.put(dest, SiteFile(output.key, stat, digest, signature))
    planned = {output.dest for output in plan}
    for dest in [dest for dest in site.data if dest not in planned]:
        site.drop(dest)  # removed from the site: no stat of it may be trusted again
    took = renderer.took
    outputs = [(o.dest, *took[o.dest], o.key) for o in plan if o.dest in took]
    outputs = [output for output in outputs if output[1] in replan.FAMILIES]
    record = replan.make_record(base, prepared, places, prints, cites, outputs, reuse)
    plans.put("last", record)
    return written, kept + linked, {dest: stat for dest, (stat, _) in stats.items()}


class Rehearsed(Exception):
    """A rehearsal (`build(rehearse=True)`) found an input changed, or a file of the site to
    write or remove: it stops, writing nothing."""


def _dests(plan: Sequence[Output]) -> set[str]:
    """The site paths of a plan's outputs (and of the site's marker, which no plan lists)."""
    return {output.dest for output in plan} | {MARKER}


def _check_kept(plan: Sequence[Output], reference: Sequence[Output]) -> None:
    """Refuse a plan that kept an output whose key a plan of the whole site gives otherwise."""
    keys = {output.dest: output.key for output in reference}
    mine = {output.dest: output.key for output in plan}
    wrong = sorted(d for d in keys.keys() | mine.keys() if keys.get(d) != mine.get(d))
    if wrong:
        raise AssertionError(f"the plan kept {len(wrong)} outputs stale, as {wrong[:5]}")


# An index that makes the segments of fewer papers than this is computed while pages render;
# one that makes more, by the build itself once they are rendered (three processes' memory at
# once would be too much). Most builds of a big site keep most segments (README, Performance).
INDEX_ALONGSIDE = 20_000
