"""Plain records passed between the pipeline stages; no behaviour."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


def by_fields(self: Any) -> tuple[type, tuple[Any, ...]]:
    """Pickle a slotted dataclass as its class and field values (the cache loads these a
    few thousand at a time: calling the class is twice as fast as dataclasses' setstate)."""
    return type(self), tuple([getattr(self, name) for name in self.__slots__])


@dataclass(frozen=True, order=True, slots=True)
class Source:
    """One snapshot that listed a paper, and the day it was captured."""

    __reduce__ = by_fields

    captured: dt.date
    file: str


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
