"""Assemble the site: plan every file and its key, keep the files whose key did not change,
render the rest into a staging folder, move the changed files into the site (with a journal in
the build state), and record what each file was made from for the next build (the second half
of `build`: `build._write` hands it the stages' results)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from builder.cache import BuildCache
from builder.config import SiteConfig
from builder.models import Output
from builder.run import Progress
from builder.sitetable import SiteFile, site_table
from builder.stats import Stat, config_key, key_of, sha
from builder.write import MARKER, Moves, apply_moves

log = logging.getLogger(__name__)


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


def assemble(
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
    (then call `published`, and record what was made); `rehearse`: as `build._write`'s."""
    from builder import replan, search
    from builder.memo import search_index
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

    page_of = {p.paper.slug: p for p in prepared}
    compiled = cache.table("templates")  # Jinja2's code of each template
    remembered = cache.remembered("units")
    renderer = Renderer(config, page_of, base, cards, related, compiled, remembered)
    if CHECK_UNITS:  # the tests: what each unit's plans gave, across builds and processes
        renderer.unit_keys = cache.table("unitkeys")
    # What the last plan took from each paper: when only some papers changed, the outputs
    # that did not take them keep their keys and are not planned (replan.py).
    plans = cache.lazy_table("plan")  # a row a field of the record: an edit writes a few
    last_record = replan.read_record(plans.get)
    every_key = partial(paper_cite_keys, prepared)
    reuse, places, prints = replan.compare(last_record, base, prepared, related, every_key)
    renderer.reuse = reuse
    cites = reuse.cites if reuse is not None else every_key(replan.cite_bases(places))
    with Progress(len(prepared), "planning", "papers"):
        entries = cache.lazy_table("bibtex")  # BibTeX entries, by what each is made from
        renderer.entries = entries  # (those made as units are made come back from workers)
        plan = plan_site(prepared, config, renderer, entries, cites)
        if CHECK_UNITS and reuse is not None:  # the tests: what was kept is what a plan makes
            fresh = Renderer(config, page_of, base, cards, related, compiled)
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
                # An index of many papers to make (or of a small collection) is computed here,
                # now that rendering is over (a forked process would copy what it touches of
                # this one's memory; for a few papers, forking costs more than it saves).
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
    plans.put_all(replan.record_rows(record, last_record))
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
