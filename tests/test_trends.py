"""Trends: the numbers behind each chart, and charts drawn as small, deterministic SVG."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

from bs4 import BeautifulSoup

from builder.models import Organization
from builder.topics import Topic
from builder.trends import draw, per_month, top_orgs, topics_over_time, trends, upvotes
from tests.conftest import make_paper

SVG = "{http://www.w3.org/2000/svg}"


ACME, BETA = Organization("acme", "Acme"), Organization("beta", "Beta")
PAPERS = [
    make_paper("a", dt.date(2026, 1, 5), upvotes=0, organization=ACME),
    make_paper("b", dt.date(2026, 1, 9), upvotes=3, organization=ACME),
    make_paper("c", dt.date(2026, 3, 2), upvotes=12, organization=BETA),
    make_paper("d", dt.date(2026, 3, 3), upvotes=150),
    make_paper("e", organization=BETA),
]
TOPICS = {"a": (Topic("math", "math"),), "c": (Topic("math", "math"), Topic("vision", "vision"))}


def test_papers_per_month_include_the_empty_months_between() -> None:
    trend = per_month(PAPERS)
    assert trend.rows == (("2026-01", "2"), ("2026-02", "0"), ("2026-03", "2"))
    assert "busiest month was 2026-03" in trend.summary


def test_organizations_rank_by_papers_then_key() -> None:
    assert top_orgs(PAPERS).rows == (("Acme", "2"), ("Beta", "2"))


def test_topics_over_time_follow_the_biggest_topics_month_by_month() -> None:
    trend = topics_over_time(PAPERS, TOPICS)
    assert trend.columns == ("Month", "math", "vision")
    assert trend.rows == (("2026-01", "1", "0"), ("2026-02", "0", "0"), ("2026-03", "1", "1"))


def test_the_upvote_bins_hold_every_counted_paper_once() -> None:
    trend = upvotes(PAPERS)
    counts = dict(trend.rows)
    assert counts["0"] == "1" and counts["1\u20134"] == "1" and counts["10\u201319"] == "1"
    assert counts["100+"] == "1" and sum(int(n) for n in counts.values()) == 4


def test_every_chart_is_titled_scalable_svg_and_the_same_every_time() -> None:
    for trend in trends(PAPERS, TOPICS):
        svg = draw(trend)
        assert svg == draw(trend)
        root = ET.fromstring(svg)
        assert root.tag == f"{SVG}svg" and root.get("role") == "img"
        assert root.get("viewBox") and root.get("width") is None
        assert root.find(f"{SVG}title").text == trend.title
        assert root.get("aria-labelledby") == f"{trend.id}-title {trend.id}-summary"
        assert not any(e.tag.endswith(("script", "image", "foreignObject")) for e in root.iter())
        assert "href" not in svg
    empty = trends([], {})
    assert all(draw(t) == "" for t in empty)


def test_the_trends_page_shows_each_chart_with_its_summary_and_table(built_site: Path) -> None:
    soup = BeautifulSoup((built_site / "trends.html").read_text(encoding="utf-8"), "html.parser")
    sections = soup.select("section.trend")
    assert [s.h2.get_text() for s in sections] == [
        "Papers per month",
        "Most active organizations",
        "Topics over time",
        "Upvote distribution",
    ]
    for section in sections:
        svg = section.select_one("figure svg[role=img]")
        labels = svg["aria-labelledby"].split()
        assert all(soup.find(id=i) is not None for i in labels)
        table = section.select_one("details table")
        assert table.select("tbody tr")
    months = soup.select("section.trend")[0].select("tbody tr")
    assert sum(int(r.td.get_text()) for r in months) == 134
    nav = soup.select_one("nav.site-nav")
    assert any(a["href"] == "trends.html" for a in nav.select("a"))


def test_one_month_one_paper_or_all_zeros_still_draw() -> None:
    for papers in (
        [make_paper("a", dt.date(2026, 1, 1), upvotes=0)],
        [
            make_paper("a", dt.date(2026, 1, 1), upvotes=0, organization=ACME),
            make_paper("b", dt.date(2026, 1, 2), upvotes=0, organization=ACME),
        ],
    ):
        for trend in trends(papers, {"a": (Topic("math", "math"),)}):
            svg = draw(trend)
            assert not trend.rows or ET.fromstring(svg).get("role") == "img"
