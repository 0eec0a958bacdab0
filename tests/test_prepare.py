"""Preparing papers: bodies rendered to safe HTML with their text, topics and content ids."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from hypothesis import given
from hypothesis import strategies as st

from builder.load import load_papers
from builder.prepare import (
    link_plain,
    link_soup,
    make_markdown,
    plain_html,
    plain_text,
    render_markdown,
)
from tests.conftest import REPO, examples, rendered_text


def test_markdown_bodies_render_as_html_paragraphs() -> None:
    html = render_markdown("a \\*b\\* &lt;script>alert(1)&lt;/script>\n")
    assert html == "<p>a *b* &lt;script&gt;alert(1)&lt;/script&gt;</p>"


def test_urls_in_an_abstract_become_links_and_the_text_stays() -> None:
    body = "Code at https://github.com/a/b. See (https://x.org/p?q=1), and `https://no.link`.\n"
    html = render_markdown(body)
    soup = BeautifulSoup(html, "html.parser")
    assert [a["href"] for a in soup.find_all("a")] == [
        "https://github.com/a/b",
        "https://x.org/p?q=1",
    ]
    assert all(a["rel"] == ["nofollow", "noopener", "noreferrer"] for a in soup.find_all("a"))
    assert soup.get_text() == rendered_text(body) == plain_text(html)


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ("<script>alert(1)</script>\n", "<script>alert(1)</script>"),
        ("a <img src=x onerror=alert(1)> b\n", "a <img src=x onerror=alert(1)> b"),
        ("<div onclick='x()'>hi</div>\n", "<div onclick='x()'>hi</div>"),
    ],
)
def test_raw_html_written_in_a_paper_body_shows_as_text(body: str, text: str) -> None:
    html = render_markdown(body)
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find(["script", "img", "div"]) is None
    assert soup.get_text() == text


def test_unsafe_links_and_images_in_a_body_are_made_inert() -> None:
    html = render_markdown(
        "[click](javascript:alert(1)) [ok](https://a.org) [rel](other.html) "
        "![tracker](https://evil.example/x.png) <javascript:alert(2)>\n"
    )
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("img") is None and "tracker" in soup.get_text()
    hrefs = [a.get("href") for a in soup.find_all("a")]
    assert "https://a.org" in hrefs and "other.html" in hrefs
    assert not any(h and h.lower().startswith("javascript") for h in hrefs)


# Characters that matter to Markdown or HTML, and ordinary ones, to build bodies from.
TRICKY = "ab Z09 é.,;:?!'\"%()/+-=#~|{}$^@\\`*_[]<>&\t\u00a0\u2003\u2028\x02\x85" + "\n" * 4


@examples(5)
@given(st.text(alphabet=TRICKY, max_size=40))
def test_plain_bodies_render_as_python_markdown_renders_them(body: str) -> None:
    html = plain_html(body)
    if html is not None:
        assert html == make_markdown().convert(body)


@given(
    st.lists(
        st.text(alphabet="abcdefXYZé09 .,;:?!'\"%()/+-=#", min_size=1, max_size=30), min_size=1
    )
)
def test_most_plain_paragraphs_take_the_direct_way(lines: list[str]) -> None:
    body = "\n\n".join("A" + " ".join(line.split()) for line in lines) + "\n"
    html = plain_html(body)
    assert html is not None and html == make_markdown().convert(body)


@pytest.mark.parametrize(
    ("line", "plain"),
    [
        ("3D scenes from 2 views", True),
        ("(a) a parenthesis first", True),
        ('"Quoted" first', True),
        ("'Quoted' first", True),
        ("1986 was a year", True),
        ("1. an ordered list", False),
        ("12. an ordered list", False),
        ("3.5x faster", False),  # a number then a dot: left to python-markdown
        ("- a list", False),
        ("+ a list", False),
        ("# a header", False),
        ("> a quote", False),
    ],
)
def test_a_line_may_start_with_what_python_markdown_shows_as_text(line: str, plain: bool) -> None:
    for body in (f"{line}\n", f"First line\n{line}\n", f"First\n\n{line}\n"):
        html = plain_html(body)
        assert (html is not None) == plain, body
        if html is not None:
            assert html == make_markdown().convert(body)


@examples(5)
@given(
    st.lists(st.text(alphabet="(\"'0123456789.)aZ -=+#>", min_size=1, max_size=12), min_size=1),
    st.sampled_from(["\n", "\n\n"]),
)
def test_lines_starting_with_digits_parentheses_or_quotes_render_as_python_markdown(
    lines: list[str], between: str
) -> None:
    body = between.join(lines) + "\n"
    html = plain_html(body)
    if html is not None:
        assert html == make_markdown().convert(body)


def test_every_sample_body_renders_as_python_markdown_renders_it() -> None:
    stored, _ = load_papers(REPO / "content" / "papers")
    direct = 0
    for s in stored:
        md = make_markdown()
        assert render_markdown(s.paper.file_body) == render_markdown_by(md, s.paper.file_body), (
            s.path
        )
        direct += plain_html(s.paper.file_body) is not None
    assert 50 < direct < len(stored)  # both ways are taken


# Pieces of plain paragraphs: words, URLs cut every way punctuation can cut them, and the
# characters a URL stops at or may hold.
URL_PIECES = st.sampled_from(
    [
        "https://github.com/a/b",
        "http://x.org/p?q=1",
        "HTTPS://Y.io/",
        "https://",
        "http://a",
        "https://x.org/it's",
        "(see",
        "https://z.org/a-(b)c).",
        "end.",
        "x",
        ".,;:)}",
        '"https://q.org/x"',
        "{https://b.org}",
        "é",
        "%20",
        "#frag",
        "a/b",
    ]
)


@given(st.lists(st.lists(URL_PIECES, min_size=1, max_size=8), min_size=1, max_size=3))
def test_urls_in_plain_paragraphs_become_the_links_beautifulsoup_makes(
    paragraphs: list[list[str]],
) -> None:
    body = "\n\n".join("A " + " ".join(words) for words in paragraphs) + "\n"
    html = plain_html(body)
    assert html is not None
    assert link_plain(html) == link_soup(html)
    assert render_markdown(body) == link_soup(make_markdown().convert(body))


def test_every_sample_body_with_a_url_links_as_beautifulsoup_links() -> None:
    stored, _ = load_papers(REPO / "content" / "papers")
    plain = [h for s in stored if (h := plain_html(s.paper.file_body)) and "://" in h]
    assert len(plain) > 10
    for html in plain:
        assert link_plain(html) == link_soup(html)


def render_markdown_by(md, body: str) -> str:
    """Render a body the way render_markdown does, python-markdown alone doing the Markdown."""
    from builder import prepare

    class Slow(prepare.Converter):
        def convert(self, text: str) -> str:
            return md.reset().convert(text)

    return render_markdown(body, Slow())


def test_a_new_tag_or_topic_rule_finds_topics_again_and_renders_no_body(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dataclasses import replace

    from builder import prepare
    from builder.config import load_config

    config, _ = load_config(None, {})
    papers = [s.paper for s in load_papers(REPO / "content" / "papers")[0]][:20]
    first = prepare.prepare_papers(papers, config)
    kept = dict(first.made)
    tagged = [replace(papers[0], tags=("mine",)), *papers[1:]]
    retopiced = replace(config, topics={**config.topics, "mine": ["a", "the"]})
    expected = [
        prepare.prepare_papers(tagged, config).pages,
        prepare.prepare_papers(papers, retopiced).pages,
    ]

    def no_render(*args: object) -> None:
        raise AssertionError("a body rendered again")

    monkeypatch.setattr(prepare, "render_markdown", no_render)
    for (some, settings), pages in zip(
        [(tagged, config), (papers, retopiced)], expected, strict=True
    ):
        found = prepare.prepare_papers(some, settings, known=kept.get)
        assert found.pages == pages
        assert {key[0] for key in found.made} == {"topics"}  # topics alone made anew
    for pages in expected:  # the topics changed
        assert [p.topics for p in pages] != [p.topics for p in first.pages]
