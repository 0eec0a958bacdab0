"""Merging sightings: by arXiv id, else normalized title; newest capture wins; all sources kept."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from builder.merge import (
    add_artifacts,
    group_entries,
    merge_entries,
    merge_group,
    merge_sightings,
)
from builder.models import ArtifactsAnswer, HubArtifacts, ListingEntry, Organization, Source
from builder.text import title_key
from tests.conftest import seed_entries


def entry(title: str, captured: dt.date, file: str = "a.txt", **fields) -> ListingEntry:
    return ListingEntry(
        title=title,
        abstract=fields.pop("abstract", "An abstract."),
        source=Source(captured, file),
        line=fields.pop("line", 13),
        **fields,
    )


JAN, FEB, MAR = dt.date(2026, 1, 5), dt.date(2026, 2, 12), dt.date(2026, 3, 1)


def test_the_seeds_hold_170_entries_and_134_unique_papers() -> None:
    entries = seed_entries()
    papers, _notes = merge_entries(entries)
    assert len(entries) == 170
    assert len(papers) == 134
    assert sum(len(p.sources) for p in papers) == 170  # no seed lists a paper twice


def test_the_newest_capture_wins_and_every_source_is_kept() -> None:
    entries = [
        entry("Grokking", FEB, "b.txt", upvotes=3, date=dt.date(2025, 1, 8)),
        entry("grokking", MAR, "c.txt", upvotes=9, organization=Organization("Berkeley", "UC")),
        entry("GROKKING", JAN, "a.txt", upvotes=1, authors_count=4),
        entry("Grokking", FEB, "b.txt", upvotes=3, line=40),  # listed twice in one snapshot
    ]
    (paper,), _ = merge_entries(entries)
    assert paper.title == "grokking"  # the newest capture's spelling
    assert paper.upvotes == 9 and paper.counted == (("upvotes", MAR),)
    assert paper.date == dt.date(2025, 1, 8)
    assert paper.organization == Organization("Berkeley", "UC")
    assert paper.authors_count == 4
    assert paper.sources == (Source(JAN, "a.txt"), Source(FEB, "b.txt"), Source(MAR, "c.txt"))


def test_the_listing_day_is_the_first_day_a_listing_showed_the_paper() -> None:
    entries = [
        entry("Grokking", MAR, "c.txt", listed=MAR),
        entry("Grokking", JAN, "search.json"),  # a search result: no listing day
        entry("Grokking", FEB, "b.txt", listed=FEB),
    ]
    (paper,), _ = merge_entries(entries)
    assert paper.listed == FEB
    (found_only,), _ = merge_entries(entries[1:2])
    assert found_only.listed is None


def test_a_sighting_without_a_count_does_not_erase_one() -> None:
    entries = [entry("T", JAN, upvotes=5), entry("T", FEB, "b.txt", upvotes=None)]
    (paper,), _ = merge_entries(entries)
    assert (paper.upvotes, paper.counted) == (5, (("upvotes", JAN),))


def test_each_count_comes_from_the_newest_sighting_that_shows_it() -> None:
    entries = [
        entry("T", JAN, "a.json", upvotes=5, github_stars=7, comments=2, ai_summary="Old."),
        entry("T", FEB, "b.json", upvotes=6, comments=0, thumbnail="https://x.test/t.png"),
        entry("T", MAR, "c.txt", upvotes=8),  # a text dump: upvotes only
    ]
    (paper,), _ = merge_entries(entries)
    assert (paper.upvotes, paper.github_stars, paper.comments) == (8, 7, 0)
    assert paper.counted == (("upvotes", MAR), ("github_stars", JAN), ("comments", FEB))
    assert (paper.ai_summary, paper.thumbnail) == ("Old.", "https://x.test/t.png")
    (alone,), _ = merge_entries(entries[:1])
    assert (alone.github_stars, alone.comments, alone.ai_summary) == (7, 2, "Old.")
    assert alone.counted == (("upvotes", JAN), ("github_stars", JAN), ("comments", JAN))


def test_merges_on_arxiv_id_and_joins_id_less_sightings_by_title() -> None:
    entries = [
        entry("Old Title", JAN, "a.json", arxiv_id="2501.00001", authors=("A", "B")),
        entry("New  Title", FEB, "b.json", arxiv_id="2501.00001"),
        entry("new title", MAR, "c.txt", authors_count=2),
        entry("New Title", MAR, "d.json", arxiv_id="2501.99999"),
    ]
    groups = group_entries(entries)
    assert [[e.source.file for e in g] for g in groups] == [
        ["a.json", "b.json", "c.txt"],
        ["d.json"],
    ]
    papers, _ = merge_entries(entries)
    assert papers[0].authors == ("A", "B") and papers[0].authors_count is None


def test_a_different_abstract_is_noted_and_the_newest_kept() -> None:
    entries = [entry("T", JAN, abstract="Old."), entry("T", FEB, "b.txt", abstract="New.", line=7)]
    (paper,), notes = merge_entries(entries)
    assert paper.listed_abstract == "New."
    assert notes == [
        "b.txt:7: the abstract of 'T' differs from the one in a.txt:13; "
        "the newest capture's is used"
    ]


def test_title_key_folds_case_space_and_unicode_forms() -> None:
    fullwidth_foo = "\uff26\uff4f\uff4f"
    assert title_key(f"  {fullwidth_foo}   BAR\u00a0baz ") == title_key("foo bar baz")
    assert title_key("Straße") == title_key("STRASSE")


def _maybe(values: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), st.just(""), st.just(()), values)


SIGHTING = st.builds(
    ListingEntry,
    title=st.text(max_size=5),
    abstract=st.one_of(st.just(""), st.text(max_size=5), st.just("see https://x.org/a.")),
    source=st.builds(
        Source, st.one_of(st.dates(), st.datetimes()), st.sampled_from(["a.json", "b.txt"])
    ),
    line=st.integers(1, 9),
    date=st.one_of(st.none(), st.dates()),
    listed=st.one_of(st.none(), st.dates()),
    upvotes=st.one_of(st.none(), st.integers(0, 3)),
    organization=st.one_of(st.none(), st.builds(Organization, st.text(max_size=3), st.text())),
    authors=st.one_of(st.just(()), st.lists(st.text(max_size=3), max_size=3).map(tuple)),
    authors_count=st.one_of(st.none(), st.integers(0, 3)),
    arxiv_id=_maybe(st.text(max_size=4)),
    github=_maybe(st.text(max_size=4)),
    project_page=_maybe(st.text(max_size=4)),
    keywords=st.one_of(st.just(()), st.lists(st.text(max_size=3), max_size=2).map(tuple)),
)


@given(SIGHTING)
def test_a_paper_seen_once_merges_as_a_comparison_of_its_sightings_would(e: ListingEntry) -> None:
    fast, notes = merge_group([e])
    slow, slow_notes = merge_sightings([e])
    every = fast.__slots__
    assert [getattr(fast, n) for n in every] == [getattr(slow, n) for n in every]
    assert notes == slow_notes == []


def test_every_seed_paper_seen_once_merges_as_before() -> None:
    once = [g for g in group_entries(seed_entries()) if len(g) == 1]
    assert len(once) > 50
    for group in once:
        fast, slow = merge_group(group)[0], merge_sightings(group)[0]
        assert [getattr(fast, n) for n in fast.__slots__] == [
            getattr(slow, n) for n in slow.__slots__
        ]


def test_each_paper_gets_the_hubs_newest_answer_for_its_arxiv_id() -> None:
    at = lambda day: dt.datetime(2026, 6, day, 6, tzinfo=dt.UTC)  # noqa: E731
    answers = [
        ArtifactsAnswer("2501.00001", at(3), models=HubArtifacts(5, ("a/b",))),
        ArtifactsAnswer("2501.00001", at(2), models=HubArtifacts(1, ("old/one",))),
        ArtifactsAnswer("2501.00009", at(3), spaces=HubArtifacts(2, ("s/t",))),  # not ours
    ]
    (paper, other), _ = merge_entries(
        [entry("T", JAN, "a.json", arxiv_id="2501.00001"), entry("U", JAN, "b.json")]
    )
    got, kept = add_artifacts([paper, other], answers)
    assert got.models == HubArtifacts(5, ("a/b",)) and got.spaces is None
    assert ("models", at(3)) in got.counted
    assert kept is other
