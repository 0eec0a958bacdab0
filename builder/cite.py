"""Citations: a BibTeX entry per paper, with a cite key unique across the site; pure.

Written here rather than with pybtex: pybtex writes a title's unbalanced brace as it is, which
breaks the entry (and every entry after it in a user's .bib). Every character BibTeX or LaTeX
treats specially is escaped, so any title parses back to itself (the tests check it with
bibtexparser and pylatexenc); other characters stay UTF-8, which biber and Zotero read.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache

from builder.models import Paper
from builder.urls import arxiv_abs

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# Words a cite key skips when it takes the title's first word.
SKIPPED = frozenset(
    [
        "a",
        "an",
        "the",
        "on",
        "of",
        "in",
        "for",
        "to",
        "and",
        "with",
        "from",
        "by",
        "via",
        "at",
        "is",
        "are",
        "towards",
        "toward",
        "how",
        "why",
        "what",
        "when",
        "do",
        "does",
        "can",
        "we",
        "our",
        "your",
        "it",
        "its",
        "as",
        "into",
        "beyond",
    ]
)
_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
    "@": "{@}",  # an @ inside a value can start a new entry for some parsers
}
_SPECIALS = re.compile("[" + re.escape("".join(_SPECIAL)) + "]")


# Pairs LaTeX prints as one mark (`--` an en dash, two backquotes an opening quote): kept apart.
_LIGATURES = re.compile(r"([-`'<>!?])(?=[-`'<>])")


# Text `escape` leaves as it is: no special character, ligature or whitespace but single spaces
# between words (what most titles and names are; checking is far cheaper than escaping).
_NOTHING_TO_ESCAPE = re.compile(r"(?:(?![\\{}%&$#_^~@\s]|[-`'<>!?][-`'<>]).|(?<=\S) (?=\S))*\Z")
# A name BibTeX would split (at " and ") or reorder (at a comma) unless it is braced.
_SPLITS = re.compile(r",|\band\b", re.IGNORECASE)


def escape(text: str) -> str:
    """Escape what BibTeX and LaTeX treat specially; collapse whitespace (BibTeX would)."""
    if _NOTHING_TO_ESCAPE.match(text):
        return text
    text = " ".join(text.split())
    text = _SPECIALS.sub(lambda m: _SPECIAL[m.group()], text)
    return _LIGATURES.sub(r"\1{}", text)


def _ascii_word(text: str) -> str:
    """Fold a word to lowercase ASCII letters and digits (`Schrödinger` -> `schrodinger`)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def key_base(paper: Paper, day: dt.date | None) -> str:
    """The cite key before any suffix: first author's family name, year, first title word."""
    first = paper.authors[0] if paper.authors else ""
    org = paper.organization.id if paper.organization else ""
    return _key_base(first, org, day.year if day else None, paper.title)


@lru_cache(maxsize=1 << 17)
def _key_base(first: str, org: str, year: int | None, title: str) -> str:
    """`key_base` of the values it is made from (remembered: every build asks it of every
    paper)."""
    who = _ascii_word(first.split()[-1]) if first.split() else ""
    if not who and org:
        who = _ascii_word(org)
    pieces = re.split(r"[\s\-:/]+", title)
    word = next(
        (w for w in map(_ascii_word, pieces) if len(w) > 2 and w not in SKIPPED), ""
    ) or next((w for w in map(_ascii_word, pieces) if w), "")
    return f"{who or 'anon'}{year if year is not None else 'nd'}{word}"[:60]


def _suffix(n: int) -> str:
    """`b`, `c`, ..., `z`, `aa`, `ab`, ...: the suffix of the n-th paper (n >= 1) after the
    first to share a key (the first is the `a` that goes unwritten)."""
    letters = ""
    k = n + 1
    while k:
        k, r = divmod(k - 1, 26)
        letters = "abcdefghijklmnopqrstuvwxyz"[r] + letters
    return letters


def cite_keys(
    papers: Sequence[Paper],
    days: Mapping[str, dt.date | None],
    bases: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Give every paper (in first-capture order) a unique cite key; the first of a base keeps it.

    New papers come after the ones already there, so their keys never take another's.
    `bases` are the papers' `key_base`s, by slug, when the caller knows them.
    """
    keys: dict[str, str] = {}
    taken: set[str] = set()
    count: dict[str, int] = {}
    for paper in papers:
        base = bases[paper.slug] if bases is not None else key_base(paper, days.get(paper.slug))
        key = base
        while key in taken:
            count[base] = count.get(base, 0) + 1
            key = base + _suffix(count[base])
        taken.add(key)
        keys[paper.slug] = key
    return keys


def _author(name: str) -> str:
    """One author for the `author` field: braced when BibTeX would split or reorder it."""
    name = escape(name)
    if _SPLITS.search(name):
        return "{" + name + "}"
    return name


def bibtex(paper: Paper, key: str, day: dt.date | None, url: str | None) -> str:
    """The paper's BibTeX entry: arXiv-style with `eprint` when its arXiv id is known."""
    fields = [("title", "{" + escape(paper.title) + "}")]
    if paper.authors:
        fields.append(("author", " and ".join(_author(a) for a in paper.authors)))
    elif paper.organization:
        fields.append(("author", "{" + escape(paper.organization.name) + "}"))
    if day:
        fields.append(("year", str(day.year)))
        fields.append(("month", MONTHS[day.month - 1]))
    if paper.arxiv_id:
        fields.append(("eprint", escape(paper.arxiv_id)))
        fields.append(("archivePrefix", "arXiv"))
        url = arxiv_abs(paper.arxiv_id)
    if url:
        fields.append(("url", escape_url(url)))
    lines = []
    for name, value in fields:
        bare = name in ("month",)
        lines.append(f"  {name} = {value}" if bare else f"  {name} = {{{value}}}")
    return f"@misc{{{key},\n" + ",\n".join(lines) + "\n}\n"


def escape_url(url: str) -> str:
    """A URL for the `url` field (read verbatim by the url package): only braces and % matter."""
    return url.replace("{", "%7B").replace("}", "%7D").replace(" ", "%20")
