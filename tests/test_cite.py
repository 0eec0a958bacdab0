"""Citations: BibTeX entries that parse back to the paper whatever its title, unique stable keys."""

from __future__ import annotations

import datetime as dt

import bibtexparser
from hypothesis import given
from hypothesis import strategies as st
from pylatexenc.latex2text import LatexNodes2Text

from builder.cite import bibtex, cite_keys, escape, key_base
from builder.models import Organization, Paper

DAY = dt.date(2025, 3, 4)


def parse(entry: str) -> dict[str, str]:
    """Parse one BibTeX entry; fail on anything the parser could not read."""
    library = bibtexparser.parse_string(entry)
    assert not library.failed_blocks, library.failed_blocks[0].error
    assert len(library.entries) == 1
    found = library.entries[0]
    return {
        "key": found.key,
        "type": found.entry_type,
        **{name: field.value for name, field in found.fields_dict.items()},
    }


def as_text(latex: str) -> str:
    """What LaTeX would print for a field's value (its outer braces off); LaTeX's text
    circumflex is the modifier letter, which is what pylatexenc gives for it."""
    return LatexNodes2Text().latex_to_text(latex).replace("\u02c6", "^")


hostile = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from('{}\\%&$#_^~@,"'),
    min_size=1,
    max_size=80,
).filter(lambda t: t.strip())


@given(title=hostile, author=hostile)
def test_any_title_and_author_parse_back_to_themselves(title: str, author: str) -> None:
    paper = Paper(title=title, slug="x", authors=(author, "Ada Lovelace"))
    fields = parse(bibtex(paper, "key2025x", DAY, None))
    assert as_text(fields["title"][1:-1]) == " ".join(title.split())
    names = fields["author"]
    assert names.endswith(" and Ada Lovelace")
    first = names[: -len(" and Ada Lovelace")]
    if first.startswith("{") and first.endswith("}"):
        first = first[1:-1]
    assert as_text(first) == " ".join(author.split())


def test_an_arxiv_paper_is_an_arxiv_style_misc() -> None:
    paper = Paper(
        title="Grokking at the Edge",
        slug="g",
        authors=("Lucas Prieto",),
        arxiv_id="2501.04697",
    )
    fields = parse(bibtex(paper, "prieto2025grokking", DAY, "https://example.org/p.html"))
    assert fields["type"] == "misc" and fields["key"] == "prieto2025grokking"
    assert fields["eprint"] == "2501.04697" and fields["archivePrefix"] == "arXiv"
    assert fields["url"] == "https://arxiv.org/abs/2501.04697"
    assert fields["year"] == "2025" and fields["month"] == "mar"


def test_a_paper_without_an_arxiv_id_cites_its_url_and_its_organization() -> None:
    paper = Paper(title="Notes", slug="n", organization=Organization("acme", "Acme & Co"))
    fields = parse(bibtex(paper, "acme2025notes", None, "https://example.org/papers/n.html"))
    assert "eprint" not in fields and "year" not in fields
    assert fields["url"] == "https://example.org/papers/n.html"
    assert as_text(fields["author"][1:-1]) == "Acme & Co"


def test_keys_are_unique_and_a_later_paper_never_takes_an_earlier_ones_key() -> None:
    papers = [
        Paper(title="Grokking Tickets", slug=f"p{i}", authors=("Gouki Minegishi",))
        for i in range(30)
    ]
    days = {p.slug: DAY for p in papers}
    keys = cite_keys(papers, days)
    assert len(set(keys.values())) == 30
    assert keys["p0"] == "minegishi2025grokking" and keys["p1"] == "minegishi2025grokkingb"
    more = cite_keys(
        [*papers, Paper(title="Grokking", slug="new", authors=("G. Minegishi",))],
        {**days, "new": DAY},
    )
    assert all(more[p.slug] == keys[p.slug] for p in papers)
    assert more["new"] not in keys.values()


def test_key_bases_fold_accents_and_skip_small_words() -> None:
    paper = Paper(title="On the Schrödinger Bridge", slug="s", authors=("Erwin Schrödinger",))
    assert key_base(paper, DAY) == "schrodinger2025schrodinger"
    assert key_base(Paper(title="???", slug="q"), None) == "anonnd"
    assert escape("50% of {x}_1 & $\\alpha$ -- ~") == (
        r"50\% of \{x\}\_1 \& \$\textbackslash{}alpha\$ -{}- \textasciitilde{}"
    )


def _escaped_the_long_way(text: str) -> str:
    """`escape` without its shortcut for text it leaves as it is."""
    from builder import cite

    text = " ".join(text.split())
    text = cite._SPECIALS.sub(lambda m: cite._SPECIAL[m.group()], text)
    return cite._LIGATURES.sub(r"\1{}", text)


@given(st.text(alphabet="ab -`'<>!?\\{}%&$#_^~@\t\n\u00a0\u2003\u0085é,"))
def test_the_shortcut_of_escape_changes_nothing(text: str) -> None:
    assert escape(text) == _escaped_the_long_way(text)
