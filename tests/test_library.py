"""The reading list's data: every paper in the chunk its slug hashes to, as a loadable script."""

from __future__ import annotations

import json
from pathlib import Path

from builder import library
from tests.conftest import bibtex_of


def test_fnv1a_is_the_standard_32_bit_hash() -> None:
    assert library.fnv1a("") == 0x811C9DC5
    assert library.fnv1a("a") == 0xE40C292C
    assert library.fnv1a("foobar") == 0xBF9CF968


def test_fnv1a_of_many_texts_at_once_is_each_ones() -> None:
    texts = ["", "a", "foobar", "schrödinger-cat", "x" * 300, "ab", "é"]
    assert library.fnv1a_all(texts) == [library.fnv1a(t) for t in texts]
    assert library.fnv1a_all([]) == []


def test_the_chunk_count_doubles_with_the_collection() -> None:
    assert [library.chunk_count(n) for n in (0, 1, 256, 257, 512, 513, 10_000, 50_000)] == [
        1, 1, 1, 2, 2, 4, 64, 256,
    ]  # fmt: skip


def test_every_paper_is_once_in_its_chunk(built_site: Path) -> None:
    folder = built_site / "assets" / "library"
    files = sorted(folder.glob("*.js"))
    seen = {}
    for file in files:
        text = file.read_text(encoding="utf-8")
        assert text.startswith("PaperDigestLibrary.receive(") and text.endswith(");\n")
        head_end = text.index("},") + 1
        head = json.loads(text[len("PaperDigestLibrary.receive(") : head_end])
        papers = json.loads(text[head_end + 1 : -3])
        assert head["format"] == library.FORMAT and head["chunks"] == len(files)
        for slug, (title, bib, related) in papers.items():
            assert library.chunk_of(slug, len(files)) == head["chunk"]
            assert bib == bibtex_of(built_site / "papers" / f"{slug}.html")
            assert title and len(related) == 5 and all(0 < c <= 1 for _, c in related)
            seen[slug] = True
    assert len(seen) == len(list((built_site / "papers").glob("*.html")))
