"""Merge listing entries (sightings) into one paper per arXiv id, else per normalized title."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TypeVar

from builder.models import (
    ARTIFACT_KINDS,
    COUNT_KEYS,
    ArtifactsAnswer,
    ListingEntry,
    Paper,
    capture_moment,
)
from builder.text import title_key
from builder.urls import extract_links

T = TypeVar("T")


def _sighting_order(e: ListingEntry) -> tuple:
    return (capture_moment(e.source.captured), e.source.file, e.line)


def _newest(sightings: list[ListingEntry], get: Callable[[ListingEntry], T]) -> T | None:
    """Return the value from the newest sighting that has one."""
    for e in reversed(sightings):
        value = get(e)
        if value not in (None, "", ()):
            return value
    return None


def group_entries(entries: Iterable[ListingEntry]) -> list[list[ListingEntry]]:
    """Group sightings of the same paper, each group oldest capture first."""
    ordered = sorted(entries, key=_sighting_order)
    by_id: dict[str, list[ListingEntry]] = {}
    for e in ordered:
        if e.arxiv_id:
            by_id.setdefault(e.arxiv_id.lower(), []).append(e)
    # A sighting without an id joins the paper with the same title (the first id seen wins).
    id_by_title: dict[str, list[ListingEntry]] = {}
    for group in by_id.values():
        for e in group:
            id_by_title.setdefault(title_key(e.title), group)
    by_title: dict[str, list[ListingEntry]] = {}
    for e in ordered:
        if e.arxiv_id:
            continue
        key = title_key(e.title)
        group = id_by_title.get(key)
        if group is not None:
            group.append(e)
        else:
            by_title.setdefault(key, []).append(e)
    groups = [*by_id.values(), *by_title.values()]
    for group in groups:
        group.sort(key=_sighting_order)
    groups.sort(key=lambda g: _sighting_order(g[0]))
    return groups


def _given(value: T) -> T | None:
    """A sighting's value, or None when it shows none (as `_newest` counts them)."""
    return None if value in (None, "", ()) else value


def _merge_one(e: ListingEntry) -> Paper:
    """`merge_group` of a paper seen once (most are), without comparing sightings."""
    abstract = _given(e.abstract) or ""
    authors = _given(e.authors) or ()
    return Paper(
        title=e.title,
        listed_abstract=abstract,
        date=_given(e.date),
        listed=e.listed or None,
        authors=authors,
        authors_count=None if authors else _given(e.authors_count),
        organization=_given(e.organization),
        upvotes=e.upvotes,
        arxiv_id=_given(e.arxiv_id),
        github=_given(e.github),
        project_page=_given(e.project_page),
        keywords=_given(e.keywords) or (),
        ai_summary=_given(e.ai_summary),
        github_stars=e.github_stars,
        comments=e.comments,
        thumbnail=_given(e.thumbnail),
        submitted_by=_given(e.submitted_by),
        links=extract_links(abstract),
        sources=(e.source,),
        counted=tuple(
            (key, e.source.captured) for key in COUNT_KEYS if getattr(e, key) is not None
        ),
    )


def merge_group(sightings: list[ListingEntry]) -> tuple[Paper, list[str]]:
    """Make one paper from its sightings (oldest first): the newest capture wins."""
    if len(sightings) == 1:
        return _merge_one(sightings[0]), []
    return merge_sightings(sightings)


def merge_sightings(sightings: list[ListingEntry]) -> tuple[Paper, list[str]]:
    """`merge_group` of any number of sightings, comparing them all."""
    notes: list[str] = []
    newest = sightings[-1]
    abstract = _newest(sightings, lambda e: e.abstract) or ""
    differing = {e.abstract for e in sightings if e.abstract} - {abstract}
    if differing:
        old = next(e for e in sightings if e.abstract in differing)
        notes.append(
            f"{newest.source.file}:{newest.line}: the abstract of {newest.title!r} differs from "
            f"the one in {old.source.file}:{old.line}; the newest capture's is used"
        )
    # Each count from the newest sighting that shows one (0 included), with its capture.
    counts: dict[str, tuple[int, dt.date]] = {}
    for e in sightings:
        for key in COUNT_KEYS:
            if (value := getattr(e, key)) is not None:
                counts[key] = (value, e.source.captured)
    authors = _newest(sightings, lambda e: e.authors) or ()
    paper = Paper(
        title=newest.title,
        listed_abstract=abstract,
        date=_newest(sightings, lambda e: e.date),
        listed=min((e.listed for e in sightings if e.listed), default=None),
        authors=authors,
        authors_count=None if authors else _newest(sightings, lambda e: e.authors_count),
        organization=_newest(sightings, lambda e: e.organization),
        upvotes=counts["upvotes"][0] if "upvotes" in counts else None,
        arxiv_id=_newest(sightings, lambda e: e.arxiv_id),
        github=_newest(sightings, lambda e: e.github),
        project_page=_newest(sightings, lambda e: e.project_page),
        keywords=_newest(sightings, lambda e: e.keywords) or (),
        ai_summary=_newest(sightings, lambda e: e.ai_summary),
        github_stars=counts["github_stars"][0] if "github_stars" in counts else None,
        comments=counts["comments"][0] if "comments" in counts else None,
        thumbnail=_newest(sightings, lambda e: e.thumbnail),
        submitted_by=_newest(sightings, lambda e: e.submitted_by),
        links=extract_links(abstract),
        sources=tuple(sorted({e.source for e in sightings})),
        counted=tuple((key, counts[key][1]) for key in COUNT_KEYS if key in counts),
    )
    return paper, notes


def merge_entries(entries: Iterable[ListingEntry]) -> tuple[list[Paper], list[str]]:
    """Merge sightings into unique papers, ordered by first capture; return notes for the log."""
    papers: list[Paper] = []
    notes: list[str] = []
    for group in group_entries(entries):
        paper, group_notes = merge_group(group)
        papers.append(paper)
        notes += group_notes
    return papers, notes


def add_artifacts(papers: list[Paper], answers: Iterable[ArtifactsAnswer]) -> list[Paper]:
    """Give each paper the Hub's newest answer for its arXiv id: its models, datasets and
    Spaces (each kind counted as asked, for `store.update_fields`)."""
    newest: dict[str, ArtifactsAnswer] = {}
    for answer in answers:
        key = answer.arxiv_id.lower()
        if key not in newest or answer.asked >= newest[key].asked:
            newest[key] = answer
    if not newest:
        return papers
    out = []
    for paper in papers:
        answer = newest.get(paper.arxiv_id.lower()) if paper.arxiv_id else None
        if answer is None:
            out.append(paper)
            continue
        kinds = {k: getattr(answer, k) for k in ARTIFACT_KINDS if getattr(answer, k) is not None}
        counted = (*paper.counted, *((k, answer.asked) for k in kinds))
        out.append(replace(paper, **kinds, counted=counted))
    return out
