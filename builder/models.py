"""Plain records passed between the pipeline stages, the keys of a paper file, and the date
rules every stage shares: when a capture was made, the day a paper sits under, its month."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

# The keys of a paper file, in the order they are written (a key with no value is left out).
KEY_ORDER = (
    "title",
    "slug",
    "date",
    "listed",
    "authors",
    "authors_count",
    "organization",
    "upvotes",
    "arxiv_id",
    "github",
    "project_page",
    "keywords",
    "ai_summary",
    "github_stars",
    "comments",
    "thumbnail",
    "submitted_by",
    "models",
    "datasets",
    "spaces",
    "links",
    "sources",
    "tags",
)
# The counts a newer capture updates in a paper file (the others are filled when missing).
COUNT_KEYS = ("upvotes", "github_stars", "comments")
# What the Hub holds that cites a paper, by kind: a newer answer updates them as it does counts.
ARTIFACT_KINDS = ("models", "datasets", "spaces")
TOP_ARTIFACTS = 5  # the ids kept of each kind (the most downloaded; Spaces, the most liked)
PAGE_ARTIFACTS = 100  # one page of an answer: a count of this many means this many or more


def by_fields(self: Any) -> tuple[type, tuple[Any, ...]]:
    """Pickle a slotted dataclass as its class and field values (the cache loads these a
    few thousand at a time: calling the class is twice as fast as dataclasses' setstate)."""
    return type(self), tuple([getattr(self, name) for name in self.__slots__])


def capture_moment(captured: dt.date) -> dt.datetime:
    """When a capture was made, in UTC: a capture known only by its day counts as the start of
    that day (so a fetched capture of the same day, known to the second, is newer)."""
    if isinstance(captured, dt.datetime):
        if captured.tzinfo is None:
            return captured.replace(tzinfo=dt.UTC)
        return captured.astimezone(dt.UTC)
    return dt.datetime(captured.year, captured.month, captured.day, tzinfo=dt.UTC)


def capture_day(captured: dt.date) -> dt.date:
    """The UTC day of a capture."""
    return capture_moment(captured).date()


def capture_text(captured: dt.date) -> str:
    """Write a capture as the paper file does: 2026-11-20, or 2026-11-20T06:00:00Z."""
    if isinstance(captured, dt.datetime):
        return capture_moment(captured).strftime("%Y-%m-%dT%H:%M:%SZ")
    return captured.isoformat()


@functools.total_ordering
@dataclass(frozen=True, slots=True)
class Source:
    """One snapshot that listed a paper, and when it was captured: a day (a saved page), or a
    UTC time to the second (a snapshot `fetch` saved). Sources order by that moment."""

    __reduce__ = by_fields

    captured: dt.date  # a dt.date, or a UTC dt.datetime
    file: str

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Source):
            return NotImplemented
        return (capture_moment(self.captured), self.file) < (
            capture_moment(other.captured),
            other.file,
        )


@dataclass(frozen=True, slots=True)
class Organization:
    """The organization a listing attributes a paper to."""

    __reduce__ = by_fields

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class HubArtifacts:
    """The models, datasets or Spaces on the Hub that cite a paper: how many (one page of
    the answer: `PAGE_ARTIFACTS` means that many or more) and the ids of the first few."""

    __reduce__ = by_fields

    count: int
    top: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ArtifactsAnswer:
    """What the Hub answered for one paper, as an artifacts snapshot holds it."""

    __reduce__ = by_fields

    arxiv_id: str
    asked: dt.datetime  # UTC, to the second
    models: HubArtifacts | None = None
    datasets: HubArtifacts | None = None
    spaces: HubArtifacts | None = None


@dataclass(frozen=True, slots=True)
class ListingEntry:
    """One paper as one snapshot shows it (a sighting)."""

    __reduce__ = by_fields

    title: str
    abstract: str
    source: Source
    line: int
    date: dt.date | None = None
    listed: dt.date | None = None  # the listing day that showed it; None in search results
    upvotes: int | None = None  # None: the snapshot shows no count at all (no meta block)
    organization: Organization | None = None
    authors: tuple[str, ...] = ()
    authors_count: int | None = None
    arxiv_id: str | None = None
    github: str | None = None
    project_page: str | None = None
    keywords: tuple[str, ...] = ()
    ai_summary: str | None = None  # the listing's AI-generated one-paragraph summary
    github_stars: int | None = None
    comments: int | None = None  # the listing's discussion of the paper
    thumbnail: str | None = None  # the listing's social image: an https URL
    submitted_by: str | None = None  # the Hub user who put the paper on the listing


@dataclass(frozen=True, slots=True)
class Paper:
    """One unique paper: the fields of its paper file, with its abstract as the listing shows it
    (a merged paper) or the file's Markdown body (a loaded paper)."""

    __reduce__ = by_fields

    title: str
    listed_abstract: str = ""  # plain text, as the listing shows it: merge sets it, load not
    file_body: str = ""  # the paper file's Markdown body: load sets it, merge not
    slug: str = ""  # assigned once by store; "" until then
    date: dt.date | None = None
    listed: dt.date | None = None  # the day the listing first showed it; set once
    authors: tuple[str, ...] = ()
    authors_count: int | None = None
    organization: Organization | None = None
    upvotes: int | None = None
    arxiv_id: str | None = None
    github: str | None = None
    project_page: str | None = None
    keywords: tuple[str, ...] = ()
    ai_summary: str | None = None
    github_stars: int | None = None
    comments: int | None = None
    thumbnail: str | None = None
    submitted_by: str | None = None
    models: HubArtifacts | None = None
    datasets: HubArtifacts | None = None
    spaces: HubArtifacts | None = None
    links: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()
    tags: tuple[str, ...] = ()
    # The day its file first appeared (its modification day), for a paper written by hand with
    # no listing day, capture or date (not stored; load sets it).
    appeared: dt.date | None = None
    # When the sighting that gave each count (`COUNT_KEYS`, `ARTIFACT_KINDS`) was captured, as
    # (key, capture)
    # pairs (not stored; lets a re-ingest decide whether a paper file's count is older than
    # what the snapshots show).
    counted: tuple[tuple[str, dt.date], ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Output:
    """One file of the site: where it goes, what it shows (hashed), and how to make it."""

    dest: str
    key: str
    make: Callable[[], str | bytes]


# ---------------------------------------------------------------------------------------------
# The days and months papers sit under


def first_capture(paper: Paper) -> dt.date | None:
    """Return the (UTC) day a paper was first captured; None when no snapshot lists it."""
    return _first_capture(paper.sources) if paper.sources else None


@lru_cache(maxsize=65536)
def _first_capture(sources: tuple[Source, ...]) -> dt.date:
    return capture_day(min(sources).captured)


def listed_on(paper: Paper) -> dt.date | None:
    """Return the listing day a paper sits under: the day the listing first showed it, else
    its first capture (a paper seen only in search results), else its date, else the day its
    file appeared (a paper written by hand)."""
    return paper.listed or first_capture(paper) or paper.date or paper.appeared


def capture_order(paper: Paper) -> tuple[dt.date, str]:
    """Order papers as they came: by first capture (else date; papers with neither last), then
    slug, so a paper added later never comes before one that was there."""
    return (first_capture(paper) or paper.date or dt.date.max, paper.slug)


@lru_cache(maxsize=4096)
def month_key(day: dt.date) -> str:
    """Return the month a day is in, as its archive's key: `2026-03`."""
    return f"{day:%Y-%m}"


def month_start(key: str) -> dt.date:
    """Return the first day of a month key."""
    return dt.date(int(key[:4]), int(key[5:7]), 1)


def month_name(key: str) -> str:
    """Return how a month key is shown: `March 2026`."""
    return month_start(key).strftime("%B %Y")
