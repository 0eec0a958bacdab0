"""Paper file: Markdown escaping round-trips, slug rules, the paper file format, YAML safety."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from builder.load import parse_paper
from builder.models import KEY_ORDER, HubArtifacts, Organization, Paper, Source
from builder.paperfile import (
    RESERVED_SLUGS,
    base_slug,
    escape_markdown,
    format_body,
    format_paper,
    make_slug,
)
from builder.text import clean_text
from tests.conftest import examples, rendered_text, seed_entries

MARKDOWN_HEAVY = st.lists(
    st.sampled_from(
        list("\\`*_{}[]()#+-.!<>&;:='\"~|^$%@/ \u00a0\t")
        + list("ab1xyzé日")
        + [
            "&amp;",
            "&#x41;",
            "&#65;",
            "&copy;",
            "<b>",
            "</i>",
            "<http://a.b>",
            "[a](b)",
            "![i](s)",
            "1. ",
            "- ",
            "# ",
            "> ",
            "***",
            "___",
            "__a__",
            "_a_",
            "*a*",
            "`c`",
            "``",
            "\\\\",
            "\\*",
            "http://x.y/z_(w)",
        ]
    ),
    max_size=40,
).map(lambda parts: clean_text("".join(parts)))

PRINTABLE = (
    st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=80)
    .map(clean_text)
    .filter(bool)
)


@examples(2)
@given(MARKDOWN_HEAVY | PRINTABLE)
@example("1. not a list")
@example("# not a heading")
@example("- not an item")
@example("+ not an item")
@example("> not a quote")
@example("[id]: http://not.a/definition")
@example("*** not a rule")
@example("snake_case_name and __dunder__ and _lead")
@example("a \\`` b")
@example("&#1 and &#x4g: numeric references without their ';'")
@example("Schr\\\"odinger \\textbf{L} 20\\% ``tensor-type'' {\\em x} R^3 A* x<y>z")
def test_escaped_text_renders_back_exactly(text: str) -> None:
    assert rendered_text(format_body(text)) == text


def test_plain_prose_is_left_readable() -> None:
    prose = "Models (LLMs) e.g. GPT-4 + RAG! Costs 3.5 times less, 2x faster; see Sec. 4 - done."
    assert escape_markdown(prose) == prose
    assert escape_markdown("a snake_case_name") == "a snake_case_name"
    assert escape_markdown("M&A and R&D") == "M&A and R&D"


def test_only_syntax_gets_escaped() -> None:
    assert escape_markdown("1. first") == "1\\. first"
    assert escape_markdown("# tag") == "\\# tag"
    assert escape_markdown("> quote") == "&gt; quote"
    assert escape_markdown("a *b* [c](d) `e` <f> _g_") == (
        "a \\*b\\* \\[c](d) \\`e\\` &lt;f> \\_g\\_"
    )
    assert escape_markdown("&amp; vs & vs &copy;") == "&amp;amp; vs & vs &amp;copy;"
    assert escape_markdown("\\textbf{L} \\% \\{") == "\\textbf{L} \\% \\\\{"


def test_every_seed_abstract_round_trips() -> None:
    entries = seed_entries()
    assert len(entries) == 170
    for e in entries:
        assert rendered_text(format_body(e.abstract)) == e.abstract, e.title


# ---------------------------------------------------------------------------------------------
# Slugs

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@given(st.text(max_size=300), st.sets(st.text(alphabet="abc-", max_size=6), max_size=5))
@example("../../../../tmp/x", set())
@example("/etc/passwd", set())
@example("???", set())
@example("x" * 3000, set())
def test_slugs_are_safe_short_and_free(title: str, taken: set[str]) -> None:
    slug = make_slug(title, taken)
    assert SLUG.match(slug) and len(slug) <= 80
    assert slug not in taken and slug not in RESERVED_SLUGS
    assert make_slug(title, taken) == slug  # deterministic


def test_slug_rules() -> None:
    assert base_slug("Schrödinger Bridges: ünïcödé") == "schrodinger-bridges-unicode"
    assert base_slug("Don't Stop: It\u2019s Fine") == "dont-stop-its-fine"
    assert base_slug("../../../../tmp/x") == "tmp-x"
    assert re.fullmatch(r"paper-[0-9a-f]{10}", base_slug("???"))
    assert base_slug("???") != base_slug("!!!")
    assert base_slug("2024") == base_slug("2024") and base_slug("2024").startswith("paper-")
    long = (
        "The Deep Arbitrary Polynomial Chaos Neural Network or how Deep Artificial Neural "
        "Networks could benefit from Data-Driven Homogeneous Chaos Theory"
    )
    assert base_slug(long) == (
        "the-deep-arbitrary-polynomial-chaos-neural-network-or-how-deep-artificial-neural"
    )
    assert base_slug("A " + "Long" * 30 + " word") == "a"  # cut at the boundary, not a word skipped
    assert base_slug("x" * 100) == "x" * 80


def test_collisions_get_numbered_within_80_characters() -> None:
    taken: set[str] = set()
    first = make_slug("Learning for C++", taken)
    taken.add(first)
    second = make_slug("Learning for C#", taken)
    assert (first, second) == ("learning-for-c", "learning-for-c-2")
    long = "word " * 30
    taken = {base_slug(long)}
    assert make_slug(long, taken) == "word-" * 15 + "2"  # 75 chars of words, then the suffix
    assert make_slug("CON", set()) == "con-2"


# ---------------------------------------------------------------------------------------------
# The paper file

DEI = Paper(
    title="DEI: Diversity in Evolutionary Inference for Quality-Diversity Search",
    listed_abstract="We present DEI: Diversity in Evolutionary Inference, a distributed "
    "Quality-Diversity (QD) search framework.",
    slug="dei-diversity-in-evolutionary-inference-for-quality-diversity-search",
    date=dt.date(2026, 5, 25),
    organization=Organization("Gensyn", "Gensyn"),
    upvotes=2,
    sources=(Source(dt.date(2026, 6, 10), "003_ec715fc4c25e81b6.txt"),),
)


def test_the_design_example_is_written_exactly() -> None:
    assert format_paper(DEI) == (
        "---\n"
        "title: 'DEI: Diversity in Evolutionary Inference for Quality-Diversity Search'\n"
        "slug: dei-diversity-in-evolutionary-inference-for-quality-diversity-search\n"
        "date: 2026-05-25\n"
        "organization: {id: Gensyn, name: Gensyn}\n"
        "upvotes: 2\n"
        "sources:\n"
        "- {file: 003_ec715fc4c25e81b6.txt, captured: 2026-06-10}\n"
        "---\n"
        "We present DEI: Diversity in Evolutionary Inference, a distributed Quality-Diversity (QD) "
        "search framework.\n"
    )


def test_every_key_in_order_and_lists_one_item_a_line() -> None:
    paper = Paper(
        title="T",
        listed_abstract="See https://x.org/a.",
        slug="t",
        date=dt.date(2025, 1, 2),
        listed=dt.date(2026, 1, 3),
        authors=("Ada Lovelace", "Alan Turing"),
        organization=Organization("meituan-longcat", "LongCat"),
        upvotes=0,
        arxiv_id="2501.10000",
        github="https://github.com/a/b",
        project_page="https://a.github.io/",
        keywords=("grokking",),
        ai_summary="A: summary # with YAML's characters, 'quoted'.",
        github_stars=0,
        comments=3,
        thumbnail="https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2501.10000.png",
        submitted_by="akhaliq",
        models=HubArtifacts(12, ("org/model", "gpt2")),
        datasets=HubArtifacts(0),
        spaces=HubArtifacts(100, ("org/space",)),
        links=("https://x.org/a",),
        sources=(Source(dt.date(2026, 1, 3), "a.json"),),
        tags=("math",),
    )
    text = format_paper(paper)
    keys = [line.split(":")[0] for line in text.split("\n")[1:] if re.match(r"^[a-z_]+:", line)]
    assert keys == [k for k in KEY_ORDER if k != "authors_count"]
    assert "arxiv_id: '2501.10000'\n" in text  # quoted: it would load as a float
    assert "authors:\n- Ada Lovelace\n- Alan Turing\n" in text
    assert "upvotes: 0\n" in text
    loaded, _ = parse_paper(text, "t.md", "t")
    assert loaded.arxiv_id == "2501.10000" and loaded.authors == paper.authors
    new_keys = ("ai_summary", "github_stars", "comments", "thumbnail", "submitted_by", "models")
    new_keys += ("datasets", "spaces")
    assert [getattr(loaded, k) for k in new_keys] == [getattr(paper, k) for k in new_keys]


HOSTILE_TITLES = [
    "!!python/object/apply:os.system ['echo pwned']",
    "key: value",
    "- a list item",
    "&anchor and *alias",
    "# not a comment",
    "'single' and \"double\" quotes",
    "yes",
    "null",
    "2024-01-01",
    "0x1F",
    "1e3",
    "~",
    "@at `tick` %percent | pipe > gt",
    "---",
    "...",
    "{flow: map}",
    "[flow, list]",
    "trailing space? no: ends with colon:",
]


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_yaml_special_titles_stay_plain_strings(title: str) -> None:
    paper = Paper(title=title, listed_abstract="--- not a fence\n", slug="x")
    loaded, doc = parse_paper(format_paper(paper), "x.md", "x")
    assert loaded.title == title
    assert isinstance(doc.data["title"], str)


@given(title=PRINTABLE, abstract=PRINTABLE, author=PRINTABLE, org=PRINTABLE)
def test_any_printable_text_survives_the_paper_file(
    title: str, abstract: str, author: str, org: str
) -> None:
    paper = Paper(
        title=title,
        listed_abstract=abstract,
        slug=make_slug(title, set()),
        authors=(author,),
        organization=Organization(org, org),
        sources=(Source(dt.date(2026, 1, 1), "a.txt"),),
    )
    loaded, doc = parse_paper(format_paper(paper), "p.md", paper.slug)
    assert (loaded.title, loaded.authors, loaded.organization) == (
        title,
        (author,),
        Organization(org, org),
    )
    assert rendered_text(doc.body) == abstract
