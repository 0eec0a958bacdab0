"""lunr.js 2.3.9's Porter stemmer, ported rule for rule, so index and query terms agree.

lunr.py ships a different Porter implementation (it turns `berkeley` into `berkelei`, lunr.js
leaves it), and the browser stems queries with lunr.js, so the index must be stemmed the same
way. Like JavaScript, the rules run over UTF-16 code units.
"""

from __future__ import annotations

import re
from functools import lru_cache

_STEP2 = {
    "ational": "ate",
    "tional": "tion",
    "enci": "ence",
    "anci": "ance",
    "izer": "ize",
    "bli": "ble",
    "alli": "al",
    "entli": "ent",
    "eli": "e",
    "ousli": "ous",
    "ization": "ize",
    "ation": "ate",
    "ator": "ate",
    "alism": "al",
    "iveness": "ive",
    "fulness": "ful",
    "ousness": "ous",
    "aliti": "al",
    "iviti": "ive",
    "biliti": "ble",
    "logi": "log",
}
_STEP3 = {
    "icate": "ic",
    "ative": "",
    "alize": "al",
    "iciti": "ic",
    "ical": "ic",
    "ful": "",
    "ness": "",
}

_c = "[^aeiou]"  # consonant
_v = "[aeiouy]"  # vowel
_C = _c + "[^aeiouy]*"  # consonant sequence
_V = _v + "[aeiou]*"  # vowel sequence
# JavaScript's `.` stops at line breaks and `$` only at the very end: (?s) is not wanted, \Z is.
_MGR0 = re.compile(f"^({_C})?{_V}{_C}")  # [C]VC... is m>0
_MEQ1 = re.compile(f"^({_C})?{_V}{_C}({_V})?\\Z")  # [C]VC[V] is m=1
_MGR1 = re.compile(f"^({_C})?{_V}{_C}{_V}{_C}")  # [C]VCVC... is m>1
_S_V = re.compile(f"^({_C})?{_v}")  # vowel in stem

_1A = re.compile(r"^(.+?)(ss|i)es\Z")
_1A2 = re.compile(r"^(.+?)([^s])s\Z")
_1B = re.compile(r"^(.+?)eed\Z")
_1B2 = re.compile(r"^(.+?)(ed|ing)\Z")
_LAST = re.compile(r".\Z")
_1B2_2 = re.compile(r"(at|bl|iz)\Z")
_1B2_3 = re.compile(r"([^aeiouylsz])\1\Z")
_CVC = re.compile(f"^{_C}{_v}[^aeiouwxy]\\Z")
_1C = re.compile(r"^(.+?[^aeiou])y\Z")
_2 = re.compile(f"^(.+?)({'|'.join(_STEP2)})\\Z")
_3 = re.compile(f"^(.+?)({'|'.join(_STEP3)})\\Z")
_4 = re.compile(
    r"^(.+?)(al|ance|ence|er|ic|able|ible|ant|ement|ment|ent|ou|ism|ate|iti|ous|ive|ize)\Z"
)
_4_2 = re.compile(r"^(.+?)(s|t)(ion)\Z")
_5 = re.compile(r"^(.+?)e\Z")
_5_1 = re.compile(r"ll\Z")


def _porter(w: str) -> str:
    """Stem one word exactly as lunr.js's porterStemmer does (on UTF-16 code units)."""
    if len(w) < 3:
        return w
    first = w[0]
    if first == "y":
        w = "Y" + w[1:]

    # Step 1a
    if _1A.search(w):
        w = _1A.sub(r"\1\2", w, count=1)
    elif _1A2.search(w):
        w = _1A2.sub(r"\1\2", w, count=1)

    # Step 1b
    if m := _1B.search(w):
        if _MGR0.search(m.group(1)):
            w = _LAST.sub("", w, count=1)
    elif m := _1B2.search(w):
        stem = m.group(1)
        if _S_V.search(stem):
            w = stem
            if _1B2_2.search(w):
                w += "e"
            elif _1B2_3.search(w):
                w = _LAST.sub("", w, count=1)
            elif _CVC.search(w):
                w += "e"

    # Step 1c
    if m := _1C.search(w):
        w = m.group(1) + "i"

    # Step 2
    if (m := _2.search(w)) and _MGR0.search(m.group(1)):
        w = m.group(1) + _STEP2[m.group(2)]

    # Step 3
    if (m := _3.search(w)) and _MGR0.search(m.group(1)):
        w = m.group(1) + _STEP3[m.group(2)]

    # Step 4
    if m := _4.search(w):
        if _MGR1.search(m.group(1)):
            w = m.group(1)
    elif m := _4_2.search(w):
        stem = m.group(1) + m.group(2)
        if _MGR1.search(stem):
            w = stem

    # Step 5
    if m := _5.search(w):
        stem = m.group(1)
        if _MGR1.search(stem) or (_MEQ1.search(stem) and not _CVC.search(stem)):
            w = stem
    if _5_1.search(w) and _MGR1.search(w):
        w = _LAST.sub("", w, count=1)

    if first == "y":
        w = "y" + w[1:]
    return w


def _code_units(word: str) -> str:
    """Spell characters beyond U+FFFF as surrogate pairs, as JavaScript strings hold them."""
    return "".join(c if ord(c) < 0x10000 else _pair(ord(c)) for c in word)


def _pair(code: int) -> str:
    code -= 0x10000
    return chr(0xD800 + (code >> 10)) + chr(0xDC00 + (code & 0x3FF))


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """Return lunr.js's stem of a lowercase word."""
    if word.isascii() or max(word) < "\U00010000":
        return _porter(word)
    units = _porter(_code_units(word))
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
