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
    from bs4 import BeautifulSoup

    folder = built_site / "assets" / "library"
    files = sorted(folder.glob("*.js"))
    seen = {}
    named = {}
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
            named[slug] = [other for other, _ in related]
    assert len(seen) == len(list((built_site / "papers").glob("*.html")))
    # A related paper is named by its slug's hash (no two of this site's slugs share one).
    slug_of = {library.fnv1a(slug): slug for slug in seen}
    assert len(slug_of) == len(seen)
    for slug, others in named.items():
        assert all(isinstance(other, int) for other in others)
        page = BeautifulSoup((built_site / "papers" / f"{slug}.html").read_text(), "html.parser")
        shown = [a["href"].removesuffix(".html") for a in page.select("#related li a")]
        assert [slug_of[other] for other in others] == shown


def test_a_related_paper_whose_hash_another_slug_shares_is_named_by_its_slug() -> None:
    # "costarring" and "liquid" are a known FNV-1a 32-bit collision.
    assert library.fnv1a("costarring") == library.fnv1a("liquid")
    slugs = ["costarring", "liquid", "declinate"]
    library.chunks_of(slugs)
    shared = library.shared_hashes(slugs)
    assert shared == {library.fnv1a("liquid")}
    got = library.entry("T", "@misc{}", [("liquid", 0.5), ("declinate", 0.25)], shared)
    assert got == ["T", "@misc{}", [["liquid", 0.5], [library.fnv1a("declinate"), 0.25]]]
