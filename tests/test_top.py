"""Top papers: most upvoted first, recent months and weeks counted from the newest listing."""

from __future__ import annotations

import datetime as dt

from builder.top import MONTHS, TOP, WEEKS, most_upvoted, top_papers, week_of
from tests.conftest import make_paper


def test_most_upvoted_first_ties_to_the_newer_then_by_slug_and_no_count_left_out() -> None:
    papers = [
        make_paper("b", dt.date(2026, 1, 1), upvotes=5),
        make_paper("a", dt.date(2026, 1, 1), upvotes=5),
        make_paper("c", dt.date(2026, 2, 1), upvotes=5),
        make_paper("d", dt.date(2026, 3, 1), upvotes=9),
        make_paper("e", dt.date(2026, 3, 1)),
    ]
    assert [p.slug for p in most_upvoted(papers)] == ["d", "c", "a", "b"]
    many = [make_paper(f"p{i:03d}", dt.date(2026, 1, 1), upvotes=i) for i in range(40)]
    assert [p.upvotes for p in most_upvoted(many)] == list(range(39, 39 - TOP, -1))


def test_recent_months_and_weeks_count_back_from_the_newest_day_not_the_clock() -> None:
    newest = dt.date(2019, 6, 12)  # a Wednesday, years before today
    papers = [
        make_paper(f"d{i}", newest - dt.timedelta(days=i // 4), upvotes=i % 7) for i in range(2400)
    ]
    papers.append(make_paper("undated", upvotes=999))  # no day: in the all-time list only
    tops = top_papers(papers)
    assert [t.title for t in tops.months][:3] == ["June 2019", "May 2019", "April 2019"]
    assert len(tops.months) == MONTHS and len(tops.weeks) == WEEKS
    assert tops.weeks[0].title == "Week of Jun 10, 2019"
    assert tops.weeks[1].title == "Week of Jun 3, 2019"
    for t in tops.weeks:
        monday = dt.date.fromisoformat(t.anchor[2:])
        assert monday.weekday() == 0
        assert all(week_of(p.date) == monday for p in t.papers)
        assert len(t.papers) == TOP
    assert tops.all_time.papers[0].slug == "undated"
    # Every month has its own top list, old ones too (for the month pages).
    assert tops.by_month["2018-01"].papers
    assert all(len(t.papers) <= TOP for t in tops.by_month.values())


def test_a_collection_without_days_or_counts_has_empty_lists() -> None:
    tops = top_papers([make_paper("x")])
    assert tops.all_time.papers == () and tops.months == () and tops.weeks == ()
    assert top_papers([]).all_time.papers == ()


def test_a_paper_without_a_date_sits_in_the_month_of_its_first_capture() -> None:
    undated = make_paper("u", upvotes=3, captured=dt.date(2026, 4, 2))
    tops = top_papers([undated, make_paper("d", dt.date(2026, 3, 1), upvotes=1)])
    assert [p.slug for p in tops.by_month["2026-04"].papers] == ["u"]
