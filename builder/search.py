"""The search index: a lunr.py index plus small result records, written as `.js` files.

The browser loads them with `<script>` tags (so search works from `file://`, where `fetch()` is
blocked) and searches with lunr.js 2.3.9 (`templates/static/search.js`). Both sides turn a word
into an index term the same way: `term` below and `termToken` in search.js are one pipeline step,
registered under one label (fold accents and case, trim punctuation, drop stop words, stem).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from lunr.builder import Builder
from lunr.index import Index
from lunr.pipeline import Pipeline
from lunr.stop_word_filter import WORDS as STOP_WORDS
from lunr.token import Token

from builder.archives import listed_on
from builder.errors import BuilderError, display_path
from builder.models import Paper
from builder.render import PaperPage
from builder.stem import stem

log = logging.getLogger(__name__)

# Where `npm ci` (make setup) puts lunr.js; the build copies it into the site, never the repo.
LUNR_JS = Path(__file__).resolve().parent.parent / "node_modules" / "lunr" / "lunr.min.js"
FIELDS = ("title", "abstract", "org", "authors", "topic")
BOOSTS = {"title": 10, "org": 2, "topic": 2}
TERM_LABEL = "paperDigestTerm"
INDEX_FILE = "assets/search-index.js"
LUNR_FILE = "assets/lunr.min.js"

# Letters NFKD does not take apart; folded the same way in search.js.
_LETTERS = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "\u0131": "i",
    }
)
# Anything but a letter or a digit at either end of a token (search.js: [^\p{L}\p{N}]).
_EDGES = re.compile(r"^[\W_]+|[\W_]+\Z")
# A possessive ending: "model's" is indexed as "model" (search.js: POSSESSIVE).
_POSSESSIVE = re.compile(r"['\u2019]s\Z")
# What splits words: whitespace as Python or JavaScript sees it (Python's \s lacks U+FEFF and
# JavaScript's lacks U+001C-U+001F and U+0085), '-', dashes, '/', '\\' and '|' (search.js: WORD).
_SEPARATORS = re.compile(r"[\s\ufeff\-\u2010-\u2015\u2212/\\|]+")


def fold_word(word: str) -> str:
    """Fold a word for the index: lowercase, no accents, no punctuation at the ends, no 's."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return _POSSESSIVE.sub("", _EDGES.sub("", bare.translate(_LETTERS)))


@lru_cache(maxsize=1 << 17)
def term_of(word: str) -> str:
    """Return the index term of a word ("" for a stop word or a word of punctuation only)."""
    folded = fold_word(word)
    if not folded or folded in STOP_WORDS:
        return ""
    return stem(folded)


def term(token: Token, i: int | None = None, tokens: list[Token] | None = None) -> Token | None:
    """Pipeline step: turn a token into its index term; drop it when there is none."""
    found = term_of(str(token))
    return token.update(lambda text, metadata=None: found) if found else None


Pipeline.register_function(term, TERM_LABEL)


def split_words(text: str) -> str:
    """Turn every word separator into a space, so lunr.py and lunr.js split text alike."""
    return _SEPARATORS.sub(" ", text)


def make_builder() -> Builder:
    """Return a lunr Builder with this site's fields and the shared fold/stop-word/stem pipeline."""
    builder = Builder()
    builder.pipeline.add(term)
    # Stop words are dropped from queries too, so "a survey of agents" needs only its real words.
    builder.search_pipeline.add(term)
    builder.ref("id")
    for name in FIELDS:
        builder.field(name, boost=BOOSTS.get(name, 1))
    return builder


def short_ref(number: int) -> str:
    """Return a record number in base 36: refs repeat in every posting, so they stay short."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


def search_documents(pages: Sequence[PaperPage]) -> list[dict[str, str]]:
    """Return the lunr documents of rendered paper pages (in the given order)."""
    docs = []
    for number, page in enumerate(pages):
        paper = page.paper
        org = paper.organization
        docs.append(
            {
                "id": short_ref(number),
                "title": split_words(paper.title),
                "abstract": split_words(page.text),
                "org": split_words(" ".join(dict.fromkeys([org.name, org.id])) if org else ""),
                "authors": split_words(" ".join(paper.authors)),
                "topic": split_words(" ".join(t.name for t in page.topics)),
            }
        )
    return docs


def build_index(docs: Iterable[Mapping[str, str]]) -> Index:
    """Build the lunr index of the documents."""
    builder = make_builder()
    for doc in docs:
        builder.add(doc)
    return builder.build()


def byline(paper: Paper) -> str:
    """Return who a result names: the organization, else up to three authors."""
    if paper.organization:
        return paper.organization.name or paper.organization.id
    if paper.authors:
        more = " et al." if len(paper.authors) > 3 else ""
        return ", ".join(paper.authors[:3]) + more
    return ""


def search_records(pages: Sequence[PaperPage]) -> list[list[Any]]:
    """Return what a result shows, per ref number: title, URL, day, dated, byline, upvotes, text."""
    records = []
    for page in pages:
        paper = page.paper
        day = listed_on(paper)
        records.append(
            [
                paper.title,
                page.url,
                day.isoformat() if day else "",
                1 if paper.date else 0,
                byline(paper),
                paper.upvotes,
                page.text,
            ]
        )
    return records


SCRIPT_START = "/* paper-digest search index */\nPaperDigestSearch.receive(JSON.parse('"
SCRIPT_END = "'));\n"


def index_script(index: Index, records: list[list[Any]]) -> str:
    """Serialize the index and records as a script that hands them to search.js."""
    serialized = index.serialize()
    # lunr.js builds its token set in JavaScript string order (UTF-16 code units); Python sorts
    # by code point, and the two differ once a term holds a character beyond U+FFFF.
    serialized["invertedIndex"].sort(key=lambda posting: posting[0].encode("utf-16-be"))
    data = {"index": serialized, "records": records}
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    # JSON.parse of a string is much faster in browsers than the same data as a JS literal.
    quoted = text.replace("\\", "\\\\").replace("'", "\\'")
    return SCRIPT_START + quoted + SCRIPT_END


def parse_index_script(script: str) -> dict[str, Any]:
    """Read back the data of an index script (the inverse of `index_script`)."""
    if not (script.startswith(SCRIPT_START) and script.endswith(SCRIPT_END)):
        raise ValueError("not a paper-digest search index script")
    quoted = script[len(SCRIPT_START) : -len(SCRIPT_END)]
    return json.loads(re.sub(r"\\(.)", r"\1", quoted, flags=re.S))


def _cache_key(docs: list[dict[str, str]], records: list[list[Any]]) -> str:
    """Hash everything the index script depends on: the data and the code that indexes it."""
    digest = hashlib.sha256()
    for code in (Path(__file__), Path(__file__).with_name("stem.py")):
        digest.update(code.read_bytes())
    digest.update(json.dumps([docs, records], ensure_ascii=False).encode())
    return digest.hexdigest()[:32]


def cached_index_script(
    docs: list[dict[str, str]], records: list[list[Any]], cache: Path | None
) -> str:
    """Return the index script, from `cache` when the same documents were indexed before."""
    if cache is None:
        return index_script(build_index(docs), records)
    path = cache / f"search-index-{_cache_key(docs, records)}.js"
    if path.is_file():
        return path.read_text(encoding="utf-8")
    script = index_script(build_index(docs), records)
    temporary = cache / f".search-index-{os.getpid()}.tmp"
    try:
        cache.mkdir(parents=True, exist_ok=True)
        # One entry is kept; older ones and the leftovers of killed builds go.
        for old in [*cache.glob("search-index-*.js"), *cache.glob(".search-index-*.tmp")]:
            old.unlink(missing_ok=True)
        temporary.write_text(script, encoding="utf-8")
        temporary.replace(path)
    except OSError as error:  # the cache only saves time: a build never fails for it
        log.info("search index not cached in %s: %s", display_path(cache), error)
    return script


def search_files(pages: Sequence[PaperPage], cache: Path | None = None) -> dict[str, str | bytes]:
    """Return the search files of the site: the index script and lunr.js itself."""
    if not LUNR_JS.is_file():
        raise BuilderError(
            f"lunr.js is missing ({display_path(LUNR_JS)}); run `make setup`, which installs it "
            "with npm ci from package-lock.json"
        )
    script = cached_index_script(search_documents(pages), search_records(pages), cache)
    return {LUNR_FILE: LUNR_JS.read_bytes(), INDEX_FILE: script}
