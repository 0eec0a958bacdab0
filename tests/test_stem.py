"""The Python port of lunr.js's stemmer and stop words gives exactly what lunr.js gives."""

from __future__ import annotations

import json
import re
import subprocess

from lunr.stop_word_filter import WORDS

from builder.stem import stem
from tests.conftest import REPO

LUNR_SOURCE = REPO / "node_modules" / "lunr" / "lunr.js"
NODE_STEM = """
const lunr = require(process.argv[1]);
const words = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(words.map(w => lunr.stemmer(new lunr.Token(w)).toString())));
"""
TRICKY = [
    "berkeley",  # lunr.py's own stemmer says "berkelei"
    "generalization",
    "generalize",
    "cry",
    "by",
    "say",
    "yield",
    "yy",
    "sky",
    "agreed",
    "feed",
    "hopping",
    "filing",
    "conditional",
    "hopeful",
    "electricity",
    "ms",
    "audibly",
    "tautology",
    "x",
    "",
    "\U00020000\U00020000s",  # characters beyond U+FFFF count twice in JavaScript
    "ab\U0001f525ed",
    "études",
    "модели",
    "模型s",
]


def js_stems(words: list[str]) -> list[str]:
    """Stem words with lunr.js itself, in Node."""
    done = subprocess.run(
        ["node", "-e", NODE_STEM, str(LUNR_SOURCE)],
        input=json.dumps(words),
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    )
    return json.loads(done.stdout)


def seed_words() -> list[str]:
    """Every distinct lowercase word of the shipped paper files."""
    text = " ".join(p.read_text(encoding="utf-8") for p in (REPO / "content" / "papers").glob("*"))
    return sorted({w.strip(".,;:()[]{}'\"!?") for w in text.lower().split()} - {""})


def test_the_port_stems_every_seed_word_and_the_tricky_ones_like_lunr_js() -> None:
    words = seed_words() + TRICKY
    assert len(words) > 5000
    differ = [
        (w, stem(w), js) for w, js in zip(words, js_stems(words), strict=True) if stem(w) != js
    ]
    assert differ == []


def test_the_stop_words_are_lunr_js_s() -> None:
    source = LUNR_SOURCE.read_text(encoding="utf-8")
    listed = re.search(
        r"lunr\.stopWordFilter = lunr\.generateStopWordFilter\(\[(.*?)\]\)", source, re.S
    )
    assert listed, "lunr.js's stop word list was not found"
    assert set(re.findall(r"'([^']*)'", listed.group(1))) == set(WORDS)
