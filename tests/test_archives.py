"""Groupings for browsing: topics, pagination, days, months, organizations; pure functions."""

from __future__ import annotations

import datetime as dt

from builder.archives import (
    Pagination,
    group_days,
    month_archives,
    newest_first,
    org_archives,
    paginate,
    topic_archives,
)
from builder.models import Organization
from tests.conftest import make_paper

D = dt.date


def test_newest_first_with_ties_by_slug_and_no_day_last() -> None:
    papers = [
        make_paper("z"),
        make_paper("b", D(2026, 1, 1)),
        make_paper("a", D(2026, 1, 1)),
        make_paper("n", D(2026, 3, 1)),
    ]
    assert [p.slug for p in newest_first(papers)] == ["n", "a", "b", "z"]


def test_pagination_links_the_edges_and_the_pages_around() -> None:
    assert list(Pagination(1, 1).iter_pages()) == [1]
    assert list(Pagination(6, 12).iter_pages()) == [1, None, 4, 5, 6, 7, 8, None, 12]
    assert list(Pagination(1, 5).iter_pages()) == [1, 2, 3, None, 5]
    last = Pagination(5, 5)
    assert last.has_prev and not last.has_next and last.prev_num == 4


def test_paginate_cuts_pages_and_groups_days() -> None:
    papers = newest_first([make_paper(f"p{i}", D(2026, 1, 1 + i // 3)) for i in range(7)])
    pages = paginate(papers, 3)
    assert [p.dest for p in pages] == ["index.html", "page/2.html", "page/3.html"]
    assert [len(d.papers) for d in pages[0].days] == [1, 2]
    assert sum(len(d.papers) for p in pages for d in p.days) == 7
    assert paginate([], 30)[0].dest == "index.html"


def test_group_days_keeps_runs_in_order() -> None:
    papers = [
        make_paper("a", D(2026, 1, 2)),
        make_paper("b", D(2026, 1, 2)),
        make_paper("c", captured=D(2026, 1, 1)),
    ]
    days = group_days(papers)
    assert [(d.day, len(d.papers)) for d in days] == [(D(2026, 1, 2), 2), (D(2026, 1, 1), 1)]


def test_month_org_and_topic_archives() -> None:
    berkeley = Organization("berkeley", "UC Berkeley")
    papers = newest_first(
        [
            make_paper("a", D(2026, 5, 25), organization=berkeley),
            make_paper("b", D(2026, 4, 1), organization=Organization("Berkeley", "Berkeley")),
            make_paper("c", captured=D(2026, 5, 2)),
            make_paper("d"),
        ]
    )
    months = month_archives(papers)
    assert [(m.key, m.title, [p.slug for p in m.papers]) for m in months] == [
        ("2026-05", "May 2026", ["a", "c"]),
        ("2026-04", "April 2026", ["b"]),
    ]
    orgs = org_archives(papers)
    assert [(o.dest, o.title, len(o.papers)) for o in orgs] == [
        ("orgs/berkeley.html", "UC Berkeley", 2)
    ]
    topics = {"a": (), "b": (), "c": (), "d": ()}
    assert topic_archives(papers, topics) == []
