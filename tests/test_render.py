"""Rendering, checked in a real Chromium: every seed abstract shows exactly, from file://."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.load import load_papers
from builder.merge import merge_entries
from builder.models import Organization, Paper
from builder.render import Renderer, links_out
from builder.tables import Table
from builder.text import title_key
from tests.conftest import REPO, make_paper, seed_entries


def test_links_out_use_the_arxiv_id_else_a_title_search() -> None:
    known = links_out(Paper(title="T", arxiv_id="2501.00001"))
    assert [label for label, _, _ in known] == ["arXiv abstract", "PDF", "Hugging Face"]
    assert known[1][1] == "https://arxiv.org/pdf/2501.00001"
    unknown = links_out(Paper(title="A & B", github="javascript:alert(1)", github_stars=3))
    assert unknown == [
        ("Search arXiv", "https://arxiv.org/search/?query=A+%26+B&searchtype=title", None)
    ]
    # The discussion on the listing, with its comments; the code with its stars.
    talked = links_out(
        Paper(
            title="T", arxiv_id="2501.00001", comments=1, github="https://g.test/a", github_stars=0
        )
    )
    assert talked[3:] == [
        ("1 comment", "https://huggingface.co/papers/2501.00001#community", None),
        ("Code", "https://g.test/a", 0),
    ]
    assert (
        links_out(Paper(title="T", arxiv_id="2501.00001", comments=1200))[3][0] == "1,200 comments"
    )


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({"organization": Organization("ucb", "UC Berkeley"), "authors": ("A",)}, "UC Berkeley"),
        ({"authors": ("A", "B", "C", "D")}, "A, B, C et al."),
        ({"authors": ("A & B",)}, "A & B"),
        ({"authors_count": 7}, "7 authors"),
        ({"authors_count": 1}, "1 author"),
        ({}, ""),
    ],
)
def test_a_card_and_a_search_result_name_the_same_byline(fields: dict, shown: str) -> None:
    from bs4 import BeautifulSoup

    from builder.config import load_config
    from builder.prepare import prepare_papers
    from builder.search import search_records

    paper = make_paper("t", title="T", file_body="Text.", **fields)
    config, _ = load_config(None, {})
    pages = prepare_papers([paper], config).pages
    renderer = Renderer(config, {"t": pages[0]})
    for kind in ("card", "row"):
        meta = BeautifulSoup(renderer.item(kind, "", paper), "html.parser").select_one(".meta")
        byline = meta.select_one(".org, .authors")
        assert (byline.get_text() if byline else "") == shown
    assert search_records(pages)[0][4] == shown


@pytest.mark.browser
def test_every_abstract_reads_exactly_in_chromium(built_site: Path, browser) -> None:
    merged, _ = merge_entries(seed_entries())
    abstracts = {title_key(p.title): p.listed_abstract for p in merged}
    stored, _ = load_papers(REPO / "content" / "papers")
    page = browser.new_page()
    errors: list[str] = []
    foreign: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda r: None if r.url.startswith("file://") else foreign.append(r.url))
    # Every paper page as Chromium's HTML parser reads it (DOMParser is the parser a navigation
    # uses), all in one go: what a reader sees of its title, heading and abstract.
    page.goto((built_site / "index.html").as_uri())
    texts = [(built_site / "papers" / f"{s.paper.slug}.html").read_text("utf-8") for s in stored]
    read = page.evaluate(
        "pages => pages.map(html => { const d = new DOMParser().parseFromString(html, 'text/html');"
        " return [d.title, d.querySelector('h1').textContent,"
        " d.querySelector('.abstract p').textContent]; })",
        texts,
    )
    for s, (title, heading, shown) in zip(stored, read, strict=True):
        assert title.startswith(s.paper.title) and heading == s.paper.title
        assert shown == abstracts[title_key(s.paper.title)], s.paper.slug
    # Every day's page opened for real, and a paper page in ten (their scripts run, nothing
    # loads from another host); every paper is linked once from the days.
    links: list[str] = []
    for digest in sorted((built_site / "days").glob("*.html")):
        page.goto(digest.as_uri())
        links += page.eval_on_selector_all(".card-title a", "as => as.map(a => a.href)")
    assert len(links) == len(set(links)) == len(stored) == 134
    for link in links[::10]:
        page.goto(link)
        assert page.url.startswith("file://")
        assert page.text_content(".abstract p") in abstracts.values()
    assert errors == [] and foreign == []
    page.close()


def test_a_unit_is_keyed_by_its_inputs_and_planned_only_when_made(monkeypatch) -> None:
    from builder import render
    from builder.config import load_config
    from builder.models import Output

    config, _ = load_config(None, {})
    planned: list[str] = []

    def plan(key: str) -> Output:
        planned.append(key)
        return Output("p.html", key, lambda: b"made")

    monkeypatch.setattr(render, "CHECK_UNITS", False)
    first = Renderer(config, {}, base="b")
    unit = first.unit("p.html", ("id-1",), lambda: plan("k1"))
    assert unit.key == first.signatures["p.html"] and planned == []  # nothing planned yet
    assert unit.make() == b"made" and planned == ["k1"]  # planned when made
    again = Renderer(config, {}, base="b")
    assert again.unit("p.html", ("id-1",), lambda: plan("k2")).key == unit.key
    assert again.unit("p.html", ("id-2",), lambda: plan("k2")).key != unit.key
    other_base = Renderer(config, {}, base="c")
    assert other_base.unit("p.html", ("id-1",), lambda: plan("k1")).key != unit.key
    # The tests' check: inputs that leave out what the key changed by are caught.
    monkeypatch.setattr(render, "CHECK_UNITS", True)
    monkeypatch.setattr(render, "_UNIT_KEYS", Table("unitkeys"))
    Renderer(config, {}, base="b").unit("p.html", ("id-1",), lambda: plan("k3"))
    with pytest.raises(AssertionError, match=r"p\.html"):
        Renderer(config, {}, base="b").unit("p.html", ("id-1",), lambda: plan("k4"))
