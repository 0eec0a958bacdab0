"""Plain records passed between the pipeline stages (and the rule that orders captures)."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any


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
class ListingEntry:
    """One paper as one snapshot shows it (a sighting)."""

    __reduce__ = by_fields

    title: str
    abstract: str
    source: Source
    line: int
    date: dt.date | None = None
    upvotes: int | None = None  # None: the snapshot shows no count at all (no meta block)
    organization: Organization | None = None
    authors: tuple[str, ...] = ()
    authors_count: int | None = None
    arxiv_id: str | None = None
    github: str | None = None
    project_page: str | None = None
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Paper:
    """One unique paper: the fields of its paper file plus its abstract."""

    __reduce__ = by_fields

    title: str
    abstract: str  # plain text, as the listing shows it (set by merge)
    body: str = ""  # the paper file's Markdown body (set by load)
    slug: str = ""  # assigned once by store; "" until then
    date: dt.date | None = None
    authors: tuple[str, ...] = ()
    authors_count: int | None = None
    organization: Organization | None = None
    upvotes: int | None = None
    arxiv_id: str | None = None
    github: str | None = None
    project_page: str | None = None
    keywords: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()
    tags: tuple[str, ...] = ()
    # Capture date of the sighting that gave `upvotes` (not stored; lets a re-ingest decide
    # whether a paper file's count is older than what the snapshots show).
    upvotes_captured: dt.date | None = field(default=None, compare=False)
