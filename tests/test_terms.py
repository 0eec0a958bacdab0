"""How a word becomes an index term, and the same rule written into search.js."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from builder import lunr_index, search, search_files, terms
from builder.terms import fold_word, split_words, term_of


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


def test_words_split_at_every_separator_python_or_javascript_knows() -> None:
    text = "a-b\u2013c/d\\e|f\ufeffg\x1ch\x85i\u00a0j\tk"
    assert split_words(text).split() == list("abcdefghijk")


def test_the_scripts_get_the_values_they_take_from_the_build_written_in(built_site: Path) -> None:
    from builder import library, urls
    from builder.theme import SCRIPT_MARK, fill_script

    values = {
        "rules": search.engine_rules(),
        "paper-url": urls.PATTERNS["paper"],
        "library": library.script_values(),
    }
    static = Path(terms.__file__).parent.parent / "templates" / "static"
    marks = {}
    for name in ("search.js", "saved.js", "site.js"):
        theme = (static / name).read_bytes()
        marks[name] = sorted(m.decode() for m in SCRIPT_MARK.findall(theme))
        built = (built_site / "assets" / name).read_bytes()
        assert not SCRIPT_MARK.search(built)
        assert built == fill_script(theme, values)
    assert marks == {
        "search.js": ["paper-url", "rules"],
        "saved.js": ["library", "paper-url"],
        "site.js": ["paper-url"],
    }
    rules = re.search(rb"var RULES = (\{.*?\});\n", (built_site / "assets/search.js").read_bytes())
    assert rules is not None
    assert json.loads(rules.group(1)) == {
        "format": search_files.FORMAT,
        "k1": lunr_index.K1,
        "b": lunr_index.B,
        "boosts": search.BOOSTS,
        "digits": search_files.LENGTH_DIGITS,
        **terms.script_rules(),
    }
