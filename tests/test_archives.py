"""Groupings for browsing: topics, pagination, days, months, organizations; pure functions."""

from __future__ import annotations

import datetime as dt

from builder.archives import (
    Pagination,
    compile_topics,
    group_days,
    key_slug,
    listed_on,
    month_archives,
    newest_first,
    org_archives,
    org_key,
    paginate,
    paper_topics,
    topic_archives,
)
from builder.config import DEFAULT_TOPICS
from builder.models import Organization
from tests.conftest import make_paper

D = dt.date


def test_phrases_match_at_a_word_start_in_any_case() -> None:
    rules = compile_topics({"math": ["math"], "language models": ["LLM"], "rl": ["RL"]})
    found = lambda text: [t.slug for t in paper_topics(make_paper("p"), text, rules)]  # noqa: E731
    assert found("Mathematical olympiad") == ["math"]
    assert found("the aftermath of a storm") == []
    assert found("many llms and RL-based agents") == ["language-models", "rl"]
    assert found("world models") == []  # "rl" inside a word is not RL
    assert found("snake_math") == []  # an underscore joins words


def test_hand_tags_come_first_and_merge_with_rules_by_slug() -> None:
    rules = compile_topics({"Language Models": ["LLM"]})
    tagged = make_paper("p", tags=("language models", "My list"))
    topics = paper_topics(tagged, "An LLM paper", rules)
    assert [(t.name, t.slug) for t in topics] == [
        ("language models", "language-models"),
        ("My list", "my-list"),
    ]


def test_default_topics_compile_and_find_the_usual_fields() -> None:
    rules = compile_topics(DEFAULT_TOPICS)
    text = "We fine-tune a large language model with GRPO for math reasoning."
    assert [t.slug for t in paper_topics(make_paper("p"), text, rules)] == [
        "reasoning",
        "math",
        "reinforcement-learning",
        "language-models",
    ]


def test_keys_are_slugs_and_never_empty() -> None:
    assert org_key("Meituan-LongCat") == "meituan-longcat"
    assert org_key("berkeley") == "berkeley"
    assert key_slug("3D", "topic") == "3d"
    han = key_slug("清华大学", "org")
    assert han and all(c.isalnum() or c == "-" for c in han) and han.isascii()
    assert key_slug("???", "org").startswith("org-")


def test_undated_papers_sit_under_their_first_capture() -> None:
    assert listed_on(make_paper("a", captured=D(2026, 6, 16))) == D(2026, 6, 16)
    assert listed_on(make_paper("b", D(2026, 5, 1), captured=D(2026, 6, 16))) == D(2026, 5, 1)
    assert listed_on(make_paper("c")) is None


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
