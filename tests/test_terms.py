"""How a word becomes an index term, and the same rule written into search.js."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from builder import search, terms
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


def test_search_js_gets_the_format_and_the_rule_written_in(built_site: Path) -> None:
    theme = (Path(terms.__file__).parent.parent / "templates/static/search.js").read_bytes()
    assert theme.count(search.RULES_MARK) == 1
    built = (built_site / "assets" / "search.js").read_bytes()
    assert search.RULES_MARK not in built
    found = re.search(rb"var RULES = (\{.*?\});\n", built)
    assert found is not None
    rules = json.loads(found.group(1))
    assert rules == {"format": search.FORMAT, **terms.script_rules()}
    assert built == theme.replace(search.RULES_MARK, found.group(1))
