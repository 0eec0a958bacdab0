"""The search index: terms, records, serialization; lunr.py and lunr.js give the same answers."""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path

import pytest

from builder import search
from builder.config import load_config
from builder.errors import BuilderError
from builder.load import load_papers
from builder.models import Organization, Paper, Source
from builder.render import paper_pages
from builder.search import (
    build_index,
    fold_word,
    index_script,
    parse_index_script,
    search_documents,
    search_files,
    search_records,
    short_ref,
    term_of,
)
from tests.conftest import REPO

DAY = dt.date(2026, 6, 16)


def paper(title: str, body: str = "An abstract.", **fields: object) -> Paper:
    """A loaded paper with a slug, listed on DAY unless dated."""
    slug = fields.pop("slug", None) or title.lower().replace(" ", "-")[:40]
    sources = (Source(DAY, "a.txt"),)
    return Paper(title=title, abstract="", body=body, slug=slug, sources=sources, **fields)


def pages_of(*papers: Paper) -> list:
    config, _ = load_config(None, {})
    return paper_pages(papers, config)


@pytest.mark.parametrize(
    ("word", "folded"),
    [
        ("Schrödinger", "schrodinger"),
        ("SCHRÖDINGER", "schrodinger"),
        ("schrodinger", "schrodinger"),
        ("(grokking),", "grokking"),
        ("“LLMs”", "llms"),
        ("Straße", "strasse"),
        ("Łódź", "lodz"),
        ("ﬁne-tuning", "fine-tuning"),  # a ligature; '-' splits words before this step
        ("qwen2.5", "qwen2.5"),
        ("—", ""),
        ("模型", "模型"),
    ],
)
def test_fold_word(word: str, folded: str) -> None:
    assert fold_word(word) == folded


def test_terms_fold_stem_and_drop_stop_words() -> None:
    assert term_of("Generalization") == term_of("generalize") == term_of("GENERALIZES")
    assert term_of("Schrödinger's") == term_of("schrodinger") == term_of("Schrödinger\u2019s")
    assert term_of("model's") == term_of("models") == term_of("models'")
    assert term_of("The") == "" and term_of("...") == ""


def test_short_refs_count_in_base_36() -> None:
    assert [short_ref(n) for n in (0, 9, 10, 35, 36, 1295, 1296)] == [
        "0",
        "9",
        "a",
        "z",
        "10",
        "zz",
        "100",
    ]


def test_documents_and_records_carry_each_field() -> None:
    first = paper(
        "Grokking/Memorization in LLMs",
        "We study *grokking* — late generalization.",
        date=dt.date(2026, 6, 20),
        organization=Organization("berkeley", "UC Berkeley"),
        authors=("Ada Lovelace", "Alan Turing"),
        upvotes=12,
        tags=("my list",),
    )
    second = paper("Undated", authors=("A", "B", "C", "D"), slug="undated")
    pages = pages_of(first, second)
    docs = search_documents(pages)
    assert docs[0]["id"] == "0" and docs[1]["id"] == "1"
    assert docs[0]["title"] == "Grokking Memorization in LLMs"  # '/' splits words
    assert docs[0]["org"] == "UC Berkeley berkeley"
    assert docs[0]["authors"] == "Ada Lovelace Alan Turing"
    assert "my list" in docs[0]["topic"]
    assert docs[0]["abstract"] == "We study grokking late generalization."
    records = search_records(pages)
    assert records[0] == [
        "Grokking/Memorization in LLMs",
        pages[0].url,
        "2026-06-20",
        1,
        "UC Berkeley",
        12,
        "We study grokking — late generalization.",
    ]
    assert records[1][2:6] == ["2026-06-16", 0, "A, B, C et al.", None]


def test_the_index_script_is_deterministic_and_in_javascript_string_order() -> None:
    # U+1F525 sorts after U+F0AE by code point but before it in UTF-16 (a surrogate pair starts
    # with U+D83D), and lunr.js refuses to load terms out of its order.
    pages = pages_of(paper("Fire x\U0001f525x", slug="b"), paper("Private x\uf0aex", slug="a"))
    script = index_script(build_index(search_documents(pages)), search_records(pages))
    assert script == index_script(build_index(search_documents(pages)), search_records(pages))
    terms = [t for t, _ in parse_index_script(script)["index"]["invertedIndex"]]
    assert terms == sorted(terms, key=lambda t: t.encode("utf-16-be"))
    assert terms.index("x\U0001f525x") < terms.index("x\uf0aex")
    assert parse_index_script(script)["index"]["pipeline"] == ["paperDigestTerm"]


def test_a_hostile_title_stays_data_in_the_script() -> None:
    title = "</script><script>alert(1)</script> \u2028 {{ 7*7 }}"
    pages = pages_of(paper(title, slug="x"))
    script = index_script(build_index(search_documents(pages)), search_records(pages))
    assert parse_index_script(script)["records"][0][0] == title
    assert script.count("\n") == 2  # one statement after the comment: no line break escapes
    assert parse_index_script(script)["records"][0][6] == "An abstract."


def test_search_files_need_lunr_js(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(search, "LUNR_JS", tmp_path / "missing" / "lunr.min.js")
    with pytest.raises(BuilderError, match=r"lunr\.js is missing .*make setup"):
        search_files(pages_of(paper("A")))


def test_search_files_copy_lunr_js_from_node_modules() -> None:
    files = search_files(pages_of(paper("A")))
    assert files["assets/lunr.min.js"] == search.LUNR_JS.read_bytes()
    assert b"2.3.9" in files["assets/lunr.min.js"][:200]


PARITY_QUERIES = [
    "grokking",
    "schrodinger",
    "Schrödinger",
    "SCHRÖDINGER",
    "generalize",
    "reinforcement learning",
    "title:reasoning",
    "org:berkeley",
    "topic:math",
    "abstract:grokking",
    "+diffusion -image",
    "grok*",
    "transfomer~1",
    "LLM agents",
    "zero-shot",
    "neural^10 network",
    "a survey of the",
    "berkeley",
]


def random_words(count: int, seed: int = 5) -> list[str]:
    """Words mixing scripts, accents, marks, ligatures, emoji and punctuation."""
    rng = random.Random(seed)
    ranges = [
        (0x21, 0x7E),  # ASCII letters, digits, punctuation
        (0xA0, 0x24F),  # Latin-1 and Latin Extended
        (0x300, 0x36F),  # combining marks
        (0x370, 0x3FF),  # Greek
        (0x400, 0x4FF),  # Cyrillic
        (0x590, 0x6FF),  # Hebrew, Arabic
        (0x900, 0x97F),  # Devanagari
        (0x1E00, 0x1EFF),  # Latin Extended Additional
        (0x2000, 0x206F),  # general punctuation
        (0x2100, 0x218F),  # letterlike symbols, number forms
        (0x3040, 0x30FF),  # kana
        (0x4E00, 0x4E80),  # CJK
        (0xFB00, 0xFB06),  # ligatures
        (0xFF01, 0xFF5E),  # fullwidth forms
        (0x1D400, 0x1D4FF),  # mathematical letters
        (0x1F300, 0x1F64F),  # emoji
    ]
    words = []
    for _ in range(count):
        chars = []
        for _ in range(rng.randint(1, 9)):
            low, high = rng.choice(ranges)
            chars.append(chr(rng.randint(low, high)))
        words.append(re.sub(r"[\s\ufeff]", "", "".join(chars)))  # one word: no separators
    fixed = ["model's", "Models\u2019", "Über", "ǅemal", "ﬁne", "\uff2c\uff2c\uff2d", "\U0001d400s"]
    return [*words, *fixed, "İstanbul"]


@pytest.mark.browser
def test_python_and_javascript_turn_words_into_the_same_terms(built_site: Path, browser) -> None:
    words = [w for w in random_words(3000) if w.strip()]
    page = browser.new_page()
    page.goto((built_site / "search.html").as_uri())
    page.wait_for_function("window.PaperDigestSearch && PaperDigestSearch.size() > 0")
    js = page.evaluate("words => words.map(w => PaperDigestSearch.term(w))", words)
    page.close()
    differ = [(w, term_of(w), j) for w, j in zip(words, js, strict=True) if term_of(w) != j]
    assert differ == []
    assert sum(1 for t in js if t) > 2000  # most words leave a term: the comparison is real


@pytest.mark.browser
def test_lunr_py_and_lunr_js_give_the_same_results(built_site: Path, browser) -> None:
    config, _ = load_config(REPO / "site.yaml", {"papers": REPO / "content" / "papers"})
    stored, _ = load_papers(config.papers)
    index = build_index(search_documents(paper_pages([s.paper for s in stored], config)))
    page = browser.new_page()
    page.goto((built_site / "search.html").as_uri())
    page.wait_for_function("window.PaperDigestSearch && PaperDigestSearch.size() > 0")
    for query in PARITY_QUERIES:
        python = [(r["ref"], round(r["score"], 6)) for r in index.search(query)]
        js = [
            (r["ref"], round(r["score"], 6))
            for r in page.evaluate("q => PaperDigestSearch.lunrSearch(q)", query)
        ]
        assert sorted(js, key=lambda r: (-r[1], r[0])) == sorted(
            python, key=lambda r: (-r[1], r[0])
        )
        assert python, f"{query!r} finds nothing: the comparison would prove little"
    page.close()


def test_the_index_is_cached_by_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pages = pages_of(paper("Grokking"), paper("Other", slug="other"))
    first = search_files(pages, tmp_path)
    entries = list(tmp_path.glob("search-index-*.js"))
    assert len(entries) == 1
    calls = []
    monkeypatch.setattr(search, "build_index", lambda docs: calls.append(docs))
    assert search_files(pages, tmp_path) == first and calls == []  # served from the cache
    monkeypatch.undo()
    changed = search_files(pages_of(paper("Grokking"), paper("Else", slug="else")), tmp_path)
    assert changed != first
    assert [p.name for p in tmp_path.iterdir()] != [e.name for e in entries]  # old entry gone
    assert len(list(tmp_path.iterdir())) == 1


def test_an_unwritable_cache_does_not_stop_the_build(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    files = search_files(pages_of(paper("Grokking")), blocker)
    assert "Grokking" in parse_index_script(files["assets/search-index.js"])["records"][0][0]
