"""Store: matching merged papers with their files, and the keys ingest changes in them."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from builder.merge import merge_entries
from builder.models import Paper, Source
from builder.paperfile import format_paper, make_slug
from builder.store import match_stored, stem, update_fields
from tests.conftest import seed_entries


def test_matching_finds_files_by_id_title_then_original_slug() -> None:
    from builder.frontmatter import parse_document
    from builder.load import StoredPaper

    def stored(paper: Paper) -> StoredPaper:
        keys = frozenset(parse_document(format_paper(paper), "x").data)
        return StoredPaper(f"{paper.slug}.md", f"/x/{paper.slug}.md", paper, keys, 2)

    src = (Source(dt.date(2026, 1, 1), "a.txt"),)
    files = [
        stored(Paper("Renamed By Hand", "", slug="learning-for-c", sources=src)),
        stored(Paper("Learning for C#", "", slug="learning-for-c-2", sources=src)),
        stored(Paper("Other", "", slug="other", arxiv_id="2501.00001")),
    ]
    papers = [
        Paper("Learning for C#", "", sources=src),
        Paper("Learning for C++", "", sources=src),
        Paper("New Title", "", arxiv_id="2501.00001"),
        Paper("Learning for C++", "", sources=(Source(dt.date(2026, 2, 1), "b.txt"),)),
    ]
    found = match_stored(papers, files)
    assert [f.paper.slug if f else None for f in found] == [
        "learning-for-c-2",
        "learning-for-c",
        "other",
        None,  # same slug family, but no shared snapshot: a different paper
    ]


def test_seed_papers_merge_into_files_once() -> None:
    papers, _ = merge_entries(seed_entries())
    slugs: set[str] = set()
    for p in papers:
        slugs.add(make_slug(p.title, slugs))
    assert len(slugs) == 134


def test_ingest_sets_the_listing_day_once_and_never_moves_it() -> None:
    stored = Paper(title="T", slug="t", sources=(Source(dt.date(2026, 3, 1), "c.txt"),))
    merged = Paper(title="T", listed=dt.date(2026, 3, 1), sources=stored.sources)
    assert update_fields(stored, frozenset({"title", "sources"}), merged) == {
        "listed": dt.date(2026, 3, 1)
    }
    # A snapshot that lists it earlier, once the file has its day, changes nothing but sources.
    earlier = Paper(
        title="T", listed=dt.date(2026, 2, 1), sources=(Source(dt.date(2026, 2, 1), "b.txt"),)
    )
    kept = update_fields(
        replace(stored, listed=dt.date(2026, 3, 1)),
        frozenset({"title", "listed", "sources"}),
        earlier,
    )
    assert "listed" not in kept and "sources" in kept


def test_a_newer_capture_updates_the_counts_and_fills_missing_keys_but_keeps_edits() -> None:
    mar, apr = Source(dt.date(2026, 3, 1), "c.json"), Source(dt.date(2026, 4, 1), "d.json")
    stored = Paper(
        title="T", slug="t", upvotes=2, github_stars=5, ai_summary="Edited by hand.", sources=(mar,)
    )
    keys = frozenset({"title", "upvotes", "github_stars", "ai_summary", "sources"})
    newer = Paper(
        title="T",
        upvotes=3,
        github_stars=9,
        comments=1,
        ai_summary="The listing's.",
        thumbnail="https://cdn.test/t.png",
        submitted_by="akhaliq",
        sources=(apr,),
        counted=(
            ("upvotes", apr.captured),
            ("github_stars", apr.captured),
            ("comments", apr.captured),
        ),
    )
    changes = update_fields(stored, keys, newer)
    assert {k: v for k, v in changes.items() if k != "sources"} == {
        "upvotes": 3,
        "github_stars": 9,
        "comments": 1,
        "thumbnail": "https://cdn.test/t.png",
        "submitted_by": "akhaliq",
    }  # the hand-edited summary stays
    # An older capture (a snapshot added late) changes no count the file has.
    feb = Source(dt.date(2026, 2, 1), "b.json")
    older = replace(newer, sources=(feb,), counted=(("github_stars", feb.captured),))
    assert "github_stars" not in update_fields(stored, keys, older)


@pytest.mark.parametrize(
    "path",
    ["a.md", "..md", ".md", "a.b.md", "x/y/z.md", ".hidden.md", "md", "a.", "a..md", "é.md"],
)
def test_a_files_stem_is_what_pathlib_says(path: str) -> None:
    assert stem(path) == Path(path).stem
