"""Which files are saved listings, and what reading one yields: its entries, its problems,
notes for the log."""

from __future__ import annotations

from dataclasses import dataclass, field

from builder.errors import Problem
from builder.models import ArtifactsAnswer, ListingEntry

# The suffixes of saved listings (any case): text dumps, saved HTML pages, API JSON.
SNAPSHOT_SUFFIXES = (".txt", ".html", ".htm", ".json")


def quote(text: str, limit: int = 60) -> str:
    """Quote a found value for a message, shortened to `limit` characters."""
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


@dataclass
class ListingFile:
    """What one snapshot file yielded."""

    entries: list[ListingEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # info for the log (e.g. the inferred year)
    artifacts: list[ArtifactsAnswer] = field(default_factory=list)  # an artifacts snapshot's
