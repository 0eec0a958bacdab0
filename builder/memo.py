"""The build's memory around its stages: `read`, `load`, `prepare`, `related` and `search`
are each a function of their inputs, given what they made before (read from the build cache
here) and returning what they made anew (written back here). The rest of the build's state
(ingest's merge, the plan's record, the site's files, the cards and templates the renderer
reads as it goes) is kept by `ingest` and `assemble`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from builder.cache import BuildCache
from builder.config import SiteConfig

if TYPE_CHECKING:
    from builder.errors import Problem
    from builder.listing import ListingFile
    from builder.load import StoredPaper
    from builder.models import Paper
    from builder.prepare import PaperPage
    from builder.related import Lists
    from builder.search import IndexFiles, SegmentFiles, Segments
    from builder.stats import Stat


def loaded_papers(
    cache: BuildCache,
    folder: Path,
    stats: dict[str, Stat] | None = None,
    memo: dict[Any, Any] | None = None,
) -> tuple[list[StoredPaper], list[Problem]]:
    """`load.load_papers`, parsing only the files whose content was not parsed before (the
    `papers` table, by content hash: the `files` table); `memo`: as `load_papers`'s (a warm
    cache's own when None)."""
    from builder.load import load_papers, parse_files
    from builder.stats import folder_stats

    memo = memo if memo is not None else cache.remembered("stored")
    if not folder.is_dir():
        return load_papers(folder, stats, memo)
    stats = stats if stats is not None else folder_stats(folder, (".md",))
    table = cache.table("papers")
    parsed = parse_files(folder, sorted(stats), stats, table.get, cache.file_hash, memo)
    table.put_all(parsed.made)
    # What was found again (in the memo, without asking) stays in the cache.
    under = os.path.join(str(folder), "")
    cache.table("files").keep(under + name for name in parsed.again)
    table.keep((parsed.found[name][1], name[:-3]) for name in parsed.again)
    return load_papers(folder, stats, memo, parsed)


def prepared_pages(
    cache: BuildCache, papers: Sequence[Paper], config: SiteConfig, ids: Mapping[str, str]
) -> list[PaperPage]:
    """`prepare.prepare_papers`, with the bodies it rendered before (the `prepared` table)."""
    from builder.prepare import prepare_papers

    table = cache.table("prepared")
    prepared = prepare_papers(papers, config, ids, table.get, cache.remembered("pages"))
    table.put_all(prepared.made)
    return prepared.pages


def related_lists(cache: BuildCache, pages: Sequence[PaperPage]) -> Lists:
    """`related.related_papers`, updating the fit and the lists the last build kept (the
    `related` table)."""
    from builder.related import related_papers

    table = cache.table("related")
    relating = related_papers(pages, table.get, cache.remembered("related"))
    if relating.whole:
        table.replace(relating.rows)
    else:
        table.put_all(relating.rows)
    return relating.lists


def parsed_listings(
    cache: BuildCache, paths: Sequence[Path], year: int | None
) -> list[ListingFile]:
    """`read.read_snapshots`, parsing only the files whose content was not parsed before (the
    `listings` table, by content hash: the `files` table)."""
    from builder.read import parse_listings

    table = cache.table("listings")
    parsed = parse_listings(paths, year, table.get, cache.file_hash)
    table.put_all(parsed.made)
    return parsed.listings


def search_index(
    cache: BuildCache,
    by_ref: Sequence[PaperPage],
    known: Mapping[str, SegmentFiles] | None = None,
    keyed: Segments | None = None,
) -> IndexFiles:
    """`search.compute_index`, with the term counts it made before (the `terms` table), saving
    those it made (it may run in a forked process, which then owns the table: they are not
    sent back)."""
    from builder import search

    table = cache.table("terms")
    index = search.compute_index(by_ref, table.get, known, keyed)
    table.put_all(index.counts)
    index.counts = {}
    cache.release("terms")
    return index
