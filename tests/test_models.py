"""The date rules every stage shares: captures, the day a paper sits under, its month."""

from __future__ import annotations

import datetime as dt

from builder.models import (
    Paper,
    Source,
    capture_order,
    first_capture,
    listed_on,
    month_key,
    month_name,
    month_start,
)
from tests.conftest import make_paper

D = dt.date


def paper(slug: str, day: D | None = None, *captured: dt.date) -> Paper:
    """A paper with a source for each capture day, in the order given."""
    return make_paper(
        slug, day, sources=tuple(Source(c, f"{n}.txt") for n, c in enumerate(captured))
    )


def test_papers_sit_under_their_listing_day_else_first_capture_else_date_else_file_day() -> None:
    listed = make_paper("a", D(2026, 5, 1), listed=D(2026, 6, 17), captured=D(2026, 6, 16))
    assert listed_on(listed) == D(2026, 6, 17)
    assert listed_on(paper("b", D(2026, 5, 1), D(2026, 6, 16))) == D(2026, 6, 16)
    assert listed_on(paper("c", D(2026, 5, 1))) == D(2026, 5, 1)
    assert listed_on(make_paper("d", appeared=D(2026, 7, 1))) == D(2026, 7, 1)
    assert listed_on(paper("e")) is None


def test_the_first_capture_is_the_earliest_whatever_the_order_of_sources() -> None:
    late_first = paper("a", None, D(2026, 6, 20), D(2026, 6, 16))
    assert first_capture(late_first) == listed_on(late_first) == D(2026, 6, 16)
    # A capture to the second counts in UTC: 23:30 at UTC-5 is the next day.
    evening = dt.datetime(2026, 6, 16, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert first_capture(paper("b", None, evening)) == D(2026, 6, 17)


def test_papers_come_in_capture_order_then_slug_those_never_captured_last() -> None:
    papers = [
        paper("never"),
        paper("dated-only", D(2026, 1, 1)),
        paper("b", D(2020, 1, 1), D(2026, 3, 1)),
        paper("a", None, D(2026, 3, 1)),
    ]
    ordered = sorted(papers, key=capture_order)
    assert [p.slug for p in ordered] == ["dated-only", "a", "b", "never"]


def test_month_keys_names_and_starts() -> None:
    assert month_key(D(2026, 3, 31)) == "2026-03"
    assert month_name("2026-03") == "March 2026"
    assert month_start("2026-12") == D(2026, 12, 1)
