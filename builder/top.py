"""Top papers: the most upvoted of all time, of each recent month and of each recent week; pure.

"Recent" counts back from the newest day in the collection, never from the clock, so the
same papers always give the same lists. A paper sits in the month and week of the day it is
listed under (its date, else its first capture); papers with no upvote count are left out.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from builder.models import Paper, listed_on, month_key, month_name

TOP = 10  # papers per list
MONTHS = 12  # recent months listed on top.html
WEEKS = 8  # recent weeks listed on top.html


@dataclass(frozen=True)
class TopList:
    """One list: what it covers, an anchor for it, and its papers, most upvoted first."""

    title: str
    anchor: str
    papers: tuple[Paper, ...]
    label: str = ""  # a shorter title, for the list of lists (the title when empty)


@dataclass(frozen=True)
class TopPapers:
    """Every list top.html shows, and the top of each month (for the month pages)."""

    all_time: TopList
    months: tuple[TopList, ...]
    weeks: tuple[TopList, ...]
    by_month: dict[str, TopList]  # month key (`2026-03`) -> its top papers


def most_upvoted(papers: Iterable[Paper], count: int = TOP) -> tuple[Paper, ...]:
    """The `count` most upvoted papers; ties go to the newer, then by slug."""
    counted = [p for p in papers if p.upvotes is not None]
    # nsmallest gives what sorted(...)[:count] gives (the key is unique: it ends with the slug).
    return tuple(heapq.nsmallest(count, counted, key=_upvoted_first))


def _upvoted_first(paper: Paper) -> tuple[int, int, str]:
    """The order of top lists: most upvoted, then newer, then by slug."""
    day = listed_on(paper) or dt.date.min
    return (-(paper.upvotes or 0), -day.toordinal(), paper.slug)


def week_of(day: dt.date) -> dt.date:
    """The Monday that starts a day's week (ISO weeks)."""
    return day - dt.timedelta(days=day.weekday())


def top_papers(papers: Sequence[Paper]) -> TopPapers:
    """Make every top list of a collection."""
    months: dict[str, list[Paper]] = defaultdict(list)
    weeks: dict[dt.date, list[Paper]] = defaultdict(list)
    days = []
    for paper in papers:
        day = listed_on(paper)
        if day is None:
            continue
        days.append(day)
        months[month_key(day)].append(paper)
        weeks[week_of(day)].append(paper)
    by_month = {
        key: TopList(month_name(key), f"m-{key}", most_upvoted(group))
        for key, group in months.items()
    }
    recent_months: list[TopList] = []
    recent_weeks: list[TopList] = []
    if days:
        newest = max(days)
        year, month = newest.year, newest.month
        for _ in range(MONTHS):
            key = month_key(dt.date(year, month, 1))
            if key in by_month and by_month[key].papers:
                recent_months.append(by_month[key])
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        monday = week_of(newest)
        for _ in range(WEEKS):
            shown = most_upvoted(weeks.get(monday, ()))
            if shown:
                label = f"{monday:%b} {monday.day}, {monday.year}"
                anchor = f"w-{monday.isoformat()}"
                recent_weeks.append(TopList(f"Week of {label}", anchor, shown, label))
            monday -= dt.timedelta(days=7)
    return TopPapers(
        TopList("All time", "all-time", most_upvoted(papers)),
        tuple(recent_months),
        tuple(recent_weeks),
        by_month,
    )
