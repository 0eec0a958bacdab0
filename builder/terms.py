"""How a word becomes an index term: one rule for the index (here) and for queries and
highlights in the browser (search.js, which `script_rules` writes it into).

A word is folded (lowercase, accents and a few letters NFKD keeps whole taken apart, no
punctuation at either end, no possessive 's), dropped if it is a stop word, and stemmed as
lunr.js stems (`stem.py`). Text is split into words at whitespace as Python or JavaScript sees
it, '-', dashes, '/', '\\' and '|'. lunr.js runs the same step under one label in its
pipeline; the tests prove the two give every seed word the same term.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from lunr.stop_word_filter import WORDS as STOP_WORDS

from builder.stem import stem

# The label of the pipeline step in lunr.js and lunr.py.
TERM_LABEL = "paperDigestTerm"
# Letters NFKD does not take apart.
LETTERS = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th"}
LETTERS["\u0131"] = "i"  # dotless i
# The marks NFKD takes off letters (a Unicode category).
MARKS = "Mn"
# What splits words besides '-' (which lunr's query parser reads as "not", so search.js leaves
# it to lunr): whitespace as Python or JavaScript sees it (Python's \s lacks U+FEFF and
# JavaScript's lacks U+001C-U+001F and U+0085), dashes, '/', '\' and '|'. The inside of a
# character class, written so that Python's `re` and JavaScript's RegExp read it alike.
SEPARATORS = r"\s\ufeff\x1c-\x1f\x85\u2010-\u2015\u2212/\\|"
# A letter or a digit (JavaScript, with the u flag); Python's [^\W_] is the same class.
WORD_CHARACTERS = r"\p{L}\p{N}"
# A possessive ending: "model's" is indexed as "model".
POSSESSIVE = r"['\u2019]s"

_LETTERS = str.maketrans(LETTERS)
_EDGES = re.compile(r"^[\W_]+|[\W_]+\Z")
_POSSESSIVE = re.compile(POSSESSIVE + r"\Z")
_SEPARATORS = re.compile(rf"[{SEPARATORS}\-]+")


def fold_word(word: str) -> str:
    """Fold a word for the index: lowercase, no accents, no punctuation at the ends, no 's."""
    if word.isascii():  # no accent, no letter of LETTERS: NFKD leaves it as it is
        lowered = word.lower()
        return lowered if lowered.isalnum() else _POSSESSIVE.sub("", _EDGES.sub("", lowered))
    decomposed = unicodedata.normalize("NFKD", word.lower())
    bare = "".join(c for c in decomposed if unicodedata.category(c) != MARKS)
    return _POSSESSIVE.sub("", _EDGES.sub("", bare.translate(_LETTERS)))


@lru_cache(maxsize=1 << 17)
def term_of(word: str) -> str:
    """Return the index term of a word ("" for a stop word or a word of punctuation only)."""
    folded = fold_word(word)
    if not folded or folded in STOP_WORDS:
        return ""
    return stem(folded)


def split_words(text: str) -> str:
    """Turn every word separator into a space, so lunr.py and lunr.js split text alike."""
    return _SEPARATORS.sub(" ", text)


def script_rules() -> dict[str, Any]:
    """Return the rule as search.js reads it (regular expression sources and the letters)."""
    return {
        "separators": SEPARATORS,
        "word": WORD_CHARACTERS,
        "marks": MARKS,
        "possessive": POSSESSIVE,
        "letters": LETTERS,
    }
