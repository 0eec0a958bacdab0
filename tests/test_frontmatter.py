"""Front matter: exact split, safe YAML with key lines, and patches that keep hand edits."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from builder.errors import FrontMatterError
from builder.frontmatter import dump_keys, parse_document, patch_document, split_document
from builder.models import KEY_ORDER
from tests.conftest import examples

EDITED = """---
# my notes on this paper
title: 'DEI: Diversity'   # fixed the title
slug: dei-diversity
date: 2026-05-25
tags: [evolution, llm]
upvotes: 2
sources:
  - {file: 003.txt, captured: 2026-06-10}
# sources end here
extra:
  mine: true
---
My *own* summary, edited.

Second paragraph.
"""


def test_split_keeps_the_body_byte_for_byte() -> None:
    front, body = split_document(EDITED, "p.md")
    assert front.startswith("# my notes") and front.endswith("  mine: true\n")
    assert body == "My *own* summary, edited.\n\nSecond paragraph.\n"
    assert split_document("---\na: 1\n---", "p.md") == ("a: 1\n", "")
    assert split_document("\ufeff---\r\na: 1\r\n---\r\nbody", "p.md")[1] == "body"


def test_split_errors_name_the_file() -> None:
    with pytest.raises(
        FrontMatterError,
        match=r"^p.md:1: expected '---' to open the front matter, found 'title: x'$",
    ):
        split_document("title: x\n", "p.md")
    with pytest.raises(FrontMatterError, match="closing '---'"):
        split_document("---\ntitle: x\n", "p.md")


def test_yaml_errors_give_the_file_line() -> None:
    with pytest.raises(FrontMatterError) as info:
        parse_document("---\ntitle: x\ndate: [2026\n---\n", "p.md")
    # The line of the unclosed '[', not the line after it where the parser gave up.
    assert str(info.value) == (
        "p.md:3: front matter is not valid YAML: while parsing a flow sequence, "
        "did not find expected ',' or ']'"
    )
    with pytest.raises(FrontMatterError, match=r"^p.md:2: .*scanning a quoted scalar"):
        parse_document('---\ntitle: "open\nslug: x\n---\n', "p.md")
    with pytest.raises(
        FrontMatterError, match=r"^p.md:3: key 'title' appears twice \(also on line 2\)"
    ):
        parse_document("---\ntitle: x\ntitle: y\n---\n", "p.md")
    with pytest.raises(FrontMatterError, match="found a list"):
        parse_document("---\n- a\n---\n", "p.md")


def test_loading_never_constructs_objects() -> None:
    text = "---\ntitle: !!python/object/apply:os.system ['touch /tmp/pwned']\n---\n"
    with pytest.raises(FrontMatterError, match=r"^p.md:2: front matter is not valid YAML"):
        parse_document(text, "p.md")


def test_key_lines_and_raw_scalars() -> None:
    doc = parse_document(EDITED, "p.md")
    assert doc.lines["title"] == 3 and doc.lines["sources"] == 8
    assert (
        parse_document("---\narxiv_id: 2401.10000\n---\n", "p.md").raw["arxiv_id"] == "2401.10000"
    )


def test_patch_changes_only_the_given_keys() -> None:
    doc = parse_document(EDITED, "p.md")
    sources = [
        {"file": "003.txt", "captured": dt.date(2026, 6, 10)},
        {"file": "new.json", "captured": dt.date(2026, 7, 1)},
    ]
    changes = {"upvotes": 9, "sources": sources, "arxiv_id": "2506.00001", "authors": ["A B"]}
    text = patch_document(doc, changes, KEY_ORDER)
    assert (
        text
        == """---
# my notes on this paper
title: 'DEI: Diversity'   # fixed the title
slug: dei-diversity
date: 2026-05-25
authors:
- A B
tags: [evolution, llm]
upvotes: 9
arxiv_id: '2506.00001'
sources:
- {file: 003.txt, captured: 2026-06-10}
- {file: new.json, captured: 2026-07-01}
# sources end here
extra:
  mine: true
---
My *own* summary, edited.

Second paragraph.
"""
    )
    assert parse_document(text, "p.md").data == {**doc.data, **changes}


def test_patch_of_a_last_key_and_of_an_empty_front_matter() -> None:
    doc = parse_document("---\ntitle: T\nupvotes: 1\n---\nBody\n", "p.md")
    assert (
        patch_document(doc, {"upvotes": 2}, KEY_ORDER) == "---\ntitle: T\nupvotes: 2\n---\nBody\n"
    )
    empty = parse_document("---\n---\nBody\n", "p.md")
    assert patch_document(empty, {"title": "T"}, KEY_ORDER) == "---\ntitle: T\n---\nBody\n"


def test_dump_keys_never_folds_long_values() -> None:
    title = "A " * 200
    assert dump_keys({"title": title.strip()}).count("\n") == 1


PLAIN_TEXT = st.text(
    st.characters(
        max_codepoint=0xFFFF, blacklist_categories=("Cs", "Cc", "Cf", "Co", "Cn", "Zl", "Zp")
    ),
    max_size=60,
)
VALUES = st.one_of(
    PLAIN_TEXT,
    st.integers(),
    st.dates(),
    st.none(),
    st.lists(PLAIN_TEXT, max_size=4),
    st.fixed_dictionaries({"id": PLAIN_TEXT, "name": PLAIN_TEXT}),
)


@examples(5)
@given(st.dictionaries(st.sampled_from(["title", "date", "authors", "organization"]), VALUES))
def test_libyamls_emitter_writes_plain_front_matter_byte_for_byte_as_pythons(mapping) -> None:
    import yaml

    from builder import frontmatter

    if frontmatter._CDumper is None or not mapping:
        return
    assume(frontmatter._plain(mapping))  # (a no-break space, say, goes through Python's)
    options = {"sort_keys": False, "allow_unicode": True, "width": 1 << 30}
    top = frontmatter._TopLevel(mapping)
    assert yaml.dump(top, Dumper=frontmatter._CDumper, **options) == yaml.dump(
        top, Dumper=frontmatter._Dumper, **options
    )


def test_text_libyaml_would_escape_goes_through_pythons_emitter() -> None:
    from builder.frontmatter import dump_keys

    title = "🤗 Transformers and \U0001d465"  # an emoji, a mathematical italic x
    assert dump_keys({"title": title}) == f"title: {title}\n"


ANY_TEXT = st.text(max_size=30)  # controls, astral characters, YAML's own signs
SCALARS = st.one_of(
    ANY_TEXT,
    st.integers(),
    st.booleans(),
    st.none(),
    st.dates(),
    st.datetimes(),  # not made directly: PyYAML writes the mapping
    st.floats(allow_nan=False),  # likewise
)
NESTED = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=4),
    st.lists(SCALARS, max_size=3).map(tuple),
    st.dictionaries(ANY_TEXT, SCALARS, max_size=3),
)


def pyyaml_dump(mapping: dict) -> str:
    """What PyYAML's representer writes of a mapping (`dump_keys` makes most nodes itself)."""
    import yaml

    from builder import frontmatter

    top = frontmatter._TopLevel(mapping)
    dumper = frontmatter._dumper_for(mapping)
    return yaml.dump(top, Dumper=dumper, **frontmatter._STYLE)


@examples(5)
@given(st.dictionaries(ANY_TEXT, NESTED, min_size=1, max_size=6))
def test_front_matter_is_written_as_pyyamls_representer_writes_it(mapping: dict) -> None:
    assert dump_keys(mapping) == pyyaml_dump(mapping)


def test_a_value_met_twice_is_written_as_pyyaml_writes_it() -> None:
    day, names, empty = dt.date(2026, 6, 1), ["a", "b"], []
    for mapping in (
        {"date": day, "listed": day},  # one date object twice: PyYAML anchors it
        {"authors": names, "keywords": names},
        {"links": empty, "tags": empty},
        {"a": (), "b": ()},  # the empty tuple alone gets no anchor
        {"sources": [{"captured": day}], "date": day},
    ):
        assert dump_keys(mapping) == pyyaml_dump(mapping), mapping
    assert "&id001" in dump_keys({"date": day, "listed": day})
