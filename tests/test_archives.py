"""Groupings for browsing: topics, pagination, days, months, organizations; pure functions."""

from __future__ import annotations

import datetime as dt

from builder.archives import (
    Archive,
    Pagination,
    day_pages,
    digest,
    group_days,
    month_archives,
    newest_first,
    org_archives,
    paginate_archive,
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


def test_pagination_counts_from_the_oldest_and_links_newest_first() -> None:
    rest = "orgs/x/{num}.html"
    assert list(Pagination(1, 1, "orgs/x.html", rest).iter_pages()) == [1]
    middle = Pagination(6, 12, "orgs/x.html", rest)
    assert list(middle.iter_pages()) == [12, None, 8, 7, 6, 5, 4, None, 1]
    assert middle.links()[0] == ("Newest", "orgs/x.html", False)
    assert middle.links()[1] == ("…", None, False)
    assert ("6", "orgs/x/6.html", True) in middle.links()
    newest = Pagination(5, 5, "orgs/x.html", rest)
    assert newest.latest and newest.url(5) == "orgs/x.html"
    assert not newest.has_prev and newest.has_next and newest.next_num == 4
    oldest = Pagination(1, 5, "orgs/x.html", rest)
    assert oldest.has_prev and oldest.prev_num == 2 and not oldest.has_next


def _archive(count: int) -> Archive:
    papers = newest_first(
        [make_paper(f"p{i:02}", listed=D(2026, 1, 1) + dt.timedelta(i)) for i in range(count)]
    )
    return Archive("org", "x", "X", tuple(papers), "orgs/x.html")


def test_archive_pages_hold_the_nth_papers_from_the_oldest_and_new_ones_change_one_page() -> None:
    pages = paginate_archive(_archive(7), 3)
    # Two numbered pages would leave one paper alone: the newest page holds 4 (3 to 5).
    assert [(p.dest, [x.slug for x in p.papers]) for p in pages] == [
        ("orgs/x.html", ["p06", "p05", "p04", "p03"]),
        ("orgs/x/1.html", ["p02", "p01", "p00"]),
    ]
    assert [len(p.papers) for p in paginate_archive(_archive(2), 3)] == [2]
    assert [len(p.papers) for p in paginate_archive(_archive(0), 3)] == [0]
    for count in range(3, 40):
        before = {p.dest: p.papers for p in paginate_archive(_archive(count), 3)}
        after = {p.dest: p.papers for p in paginate_archive(_archive(count + 1), 3)}
        changed = {d for d in after if before.get(d) != after[d]}
        assert changed <= {"orgs/x.html", f"orgs/x/{(count + 1) // 3 - 1}.html"}
        assert 3 <= len(after["orgs/x.html"]) < 6


def test_the_digest_shows_whole_newest_days_and_each_day_has_a_page() -> None:
    sizes = {D(2026, 1, 5): 2, D(2026, 1, 4): 2, D(2026, 1, 2): 3, D(2026, 1, 1): 1}
    papers = newest_first(
        [make_paper(f"{d}-{i}", listed=d) for d, n in sizes.items() for i in range(n)]
    )
    front = digest(papers, 3)
    assert [d.day for d in front.days] == [D(2026, 1, 5), D(2026, 1, 4)]
    assert front.older == D(2026, 1, 2)
    assert digest(papers, 100).older is None
    assert digest(papers, 1).days[0].day == D(2026, 1, 5) and len(digest(papers, 1).days) == 1
    pages = day_pages(papers)
    assert [p.dest for p in pages] == [
        "days/2026-01-05.html",
        "days/2026-01-04.html",
        "days/2026-01-02.html",
        "days/2026-01-01.html",
    ]
    assert pages[0].newer is None and pages[0].older == D(2026, 1, 4)
    assert pages[2].newer == D(2026, 1, 4) and pages[2].month_title == "January 2026"
    assert digest([], 30).days == () and day_pages([]) == []


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
