"""Search: the papers' lunr index, split into small scripts that search.js loads as needed.

The index is what lunr.py would build (`lunr_index` computes it), and lunr.js 2.3.9 answers
every query (`templates/static/search.js`). lunr.js scores a field as dot(query vector, field
vector) / |query vector|, so a query needs only its own terms' entries: the index is cut by term
into shards, and search.js assembles a small `lunr.Index` from the shards a query needs. Files,
all in `assets/search/`, each a script that hands its data to `PaperDigestSearch.receive`
(a `fetch()` of JSON is blocked under `file://`):

- `meta.js`: the fields, the paper count, the first term of every shard and vocabulary chunk;
- `t/<n>.js`: shard n: its terms (sorted as lunr.js sorts), each with lunr's vector index and,
  per field, the papers that have it with lunr's weight (refs as gaps, weights * 1000);
- `v/<n>.js`: the terms alone, for fuzzy queries (`word~1`), which may match many terms;
- `r/<n>.js`: what a result shows (title, slug, day, byline, upvotes, the abstract's text)
  for RECORDS_PER_FILE papers, loaded for the results on screen only;
- `papers.js`: every paper's day and upvotes, for sorting and `-word` queries.

Refs are numbers in base 36, in the order papers were first captured (then by slug), so adding
papers leaves the refs and record files of the others as they were. Python and JavaScript turn
a word into an index term with one pipeline step, registered under one label (`terms.py`);
search.js gets that rule and FORMAT written into it as the build copies it (`engine_rules`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np

from builder.cache import BuildCache
from builder.config import SiteConfig
from builder.errors import BuilderError, display_path
from builder.lunr_index import Postings, Vocabulary, count_terms, weigh
from builder.models import Output, capture_order, listed_on
from builder.prepare import PaperPage, byline
from builder.stats import LUNR_JS, key_of, sha
from builder.terms import TERM_LABEL, script_rules, split_words, term_of
from builder.workers import fork_map

# Where `npm ci` (make setup) puts lunr.js; the build copies it into the site, never the repo.
FIELDS = ("title", "abstract", "org", "authors", "topic")
BOOSTS = {"title": 10, "org": 2, "topic": 2}
LUNR_FILE = "assets/lunr.min.js"
ENGINE_FILE = "assets/search.js"  # the theme's engine, which the build writes the rules into
DATA = "assets/search/"
FORMAT = 1  # bumped when the files change shape; search.js checks it (see `engine_rules`)
SHARD_BYTES = 12_000  # a shard closes once its postings pass this (a big term stands alone)
VOCABULARY_TERMS = 2_000  # terms per vocabulary chunk
RECORDS_PER_FILE = 1  # result records per `r/<n>.js` (meta.js calls it "chunk")
PARALLEL_FROM = 400  # documents to count before the work is worth forking for


def short_ref(number: int) -> str:
    """Return a record number in base 36: refs repeat in every posting, so they stay short."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


def ref_order(pages: Sequence[PaperPage]) -> list[PaperPage]:
    """Order pages by ref: first capture, then slug (a new paper does not move the others)."""
    return sorted(pages, key=lambda p: capture_order(p.paper))


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


def search_records(pages: Sequence[PaperPage]) -> list[list[Any]]:
    """Return what a result shows, per ref: title, slug, day, dated, byline, upvotes, text."""
    records = []
    for page in pages:
        paper = page.paper
        day = paper.date or listed_on(paper)  # shown as on its card: its date, else "listed"
        records.append(
            [
                paper.title,
                paper.slug,
                day.isoformat() if day else "",
                1 if paper.date else 0,
                byline(paper),
                paper.upvotes,
                page.text,
            ]
        )
    return records


# ---------------------------------------------------------------------------------------------
# The index, computed from term counts cached per document


def _count_all(docs: Sequence[Mapping[str, str]]) -> list:
    """Count the terms of many documents (what each worker runs)."""
    return [count_terms(d, FIELDS, term_of) for d in docs]


def index_postings(pages: Sequence[PaperPage], cache: BuildCache | None) -> Postings:
    """Compute the index of `pages` (in ref order), counting terms only of papers not cached."""
    table = cache.table("terms") if cache is not None else None
    known = table.get("vocabulary") if table is not None else None
    vocabulary = Vocabulary(list(known or []))
    # A paper's document is made from its file (its id) and its topics.
    keys = [key_of(p.id, [t.name for t in p.topics]) for p in pages]
    counted = [table.get(k) if table is not None else None for k in keys]
    missing = [i for i, c in enumerate(counted) if c is None]
    if missing:
        workers = 0 if len(missing) >= PARALLEL_FROM else 1
        docs = search_documents([pages[i] for i in missing])
        fresh = fork_map(_count_all, docs, workers=workers)
        for i, doc_terms in zip(missing, fresh, strict=True):
            counted[i] = vocabulary.encode(doc_terms)
            if table is not None:
                table.put(keys[i], counted[i])
        if table is not None:
            table.put("vocabulary", vocabulary.words)
    boosts = [BOOSTS.get(f, 1) for f in FIELDS]
    return weigh(counted, vocabulary.words, FIELDS, boosts)


# ---------------------------------------------------------------------------------------------
# The files


def payload(kind: str, number: int, data: Any) -> bytes:
    """Write data as a script handing it to search.js: receive(kind, number, data)."""
    text = (
        data
        if isinstance(data, str)
        else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    )
    text = text.replace("\\", "\\\\").replace("'", "\\'")
    # JSON.parse of a string is much faster in browsers than the same data as a JS literal.
    return (
        f"PaperDigestSearch.receive({json.dumps(kind)},{number},JSON.parse('{text}'));\n".encode()
    )


def decimal_text(values: np.ndarray, block: int = 1 << 20) -> tuple[str, np.ndarray]:
    """Write whole numbers >= 0 as "v0,v1,...," with numpy, a block of numbers at a time.

    Returns the text and where each number starts in it (plus its end, as a last offset).
    """
    values = values.astype(np.int64)
    digits = np.maximum(1, np.floor(np.log10(np.maximum(values, 1))).astype(np.int64) + 1)
    # log10 can land a hair below a power of ten: check against the powers themselves.
    digits += values >= 10 ** np.minimum(digits, 18)
    digits -= (digits > 1) & (values < 10 ** np.maximum(digits - 1, 0))
    offsets = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(digits + 1, out=offsets[1:])
    width = int(digits.max(initial=1))
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    columns = np.arange(width + 1)
    parts = []
    for start in range(0, len(values), block):
        chunk, size = values[start : start + block], digits[start : start + block]
        grid = np.empty((len(chunk), width + 1), dtype=np.uint8)
        grid[:, :width] = (chunk[:, None] // powers) % 10 + ord("0")
        grid[:, width] = ord(",")
        parts.append(grid[columns[None, :] >= (width - size)[:, None]].tobytes())
    return b"".join(parts).decode("ascii"), offsets


def _term_json(postings: Postings, block: int = 1 << 20) -> list[str]:
    """Encode each term's entry: [term, vector index, postings of each field ("gap,w,gap,w")].

    The numbers are written a block of about `block` postings at a time (whole terms), so
    the temporary arrays stay small.
    """
    term, field, doc, milli = postings.term, postings.field, postings.doc, postings.milli
    count = len(term)
    width = len(postings.fields)
    fields_of: list[list[str]] = [[""] * width for _ in postings.terms]
    # Where each term's postings start (terms without postings have none).
    term_starts = np.searchsorted(term, np.arange(len(postings.terms) + 1))
    low = 0
    while low < count:
        cut = int(term_starts[min(np.searchsorted(term_starts, low + block), len(term_starts) - 1)])
        high = max(cut, min(count, low + 1)) if cut > low else count
        group = term[low:high].astype(np.int64) * width + field[low:high]
        is_start = np.r_[True, group[1:] != group[:-1]]
        starts = np.flatnonzero(is_start)
        docs = doc[low:high].astype(np.int64)
        gaps = docs - np.where(is_start, 0, np.r_[0, docs[:-1]])
        text, offsets = decimal_text(np.column_stack((gaps, milli[low:high])).ravel())
        ends = np.r_[starts[1:], high - low]
        begin = offsets[2 * starts].tolist()
        finish = (offsets[2 * ends] - 1).tolist()
        for a, b, g in zip(begin, finish, group[starts].tolist(), strict=True):
            fields_of[g // width][g % width] = text[a:b]
        low = high
    quote = json.encoder.encode_basestring  # type: ignore[attr-defined]
    return [
        f'[{quote(t)},{i},"' + '","'.join(f) + '"]'
        for t, i, f in zip(postings.terms, postings.index.tolist(), fields_of, strict=True)
    ]


def shard_files(postings: Postings) -> tuple[dict[str, bytes], list[str], list[str]]:
    """Cut the index into shards and vocabulary chunks; return files and their first terms."""
    entries = _term_json(postings)
    files: dict[str, bytes] = {}
    firsts: list[str] = []
    batch: list[str] = []
    size = 0
    for term_text, entry in zip(postings.terms, entries, strict=True):
        if not batch:
            firsts.append(term_text)
        batch.append(entry)
        size += len(entry)
        if size >= SHARD_BYTES:
            files[f"{DATA}t/{len(firsts) - 1}.js"] = payload(
                "t", len(firsts) - 1, f"[{','.join(batch)}]"
            )
            batch, size = [], 0
    if batch:
        files[f"{DATA}t/{len(firsts) - 1}.js"] = payload(
            "t", len(firsts) - 1, f"[{','.join(batch)}]"
        )
    vocabulary = []
    for n, start in enumerate(range(0, len(postings.terms), VOCABULARY_TERMS)):
        terms = postings.terms[start : start + VOCABULARY_TERMS]
        vocabulary.append(terms[0])
        files[f"{DATA}v/{n}.js"] = payload("v", n, terms)
    return files, firsts, vocabulary


def record_files(by_ref: Sequence[PaperPage]) -> list[tuple[str, str, Sequence[PaperPage]]]:
    """Cut pages (in ref order) into record files: (site path, key of what it holds, pages)."""
    files = []
    for n, start in enumerate(range(0, len(by_ref), RECORDS_PER_FILE)):
        held = by_ref[start : start + RECORDS_PER_FILE]
        key = f"record:{FORMAT}:{n}:" + ":".join(p.id for p in held)
        files.append((f"{DATA}r/{n}.js", key, held))
    return files


def record_file(dest: str, held: Sequence[PaperPage]) -> bytes:
    """Write one file of result records."""
    number = int(dest.rsplit("/", 1)[1].split(".")[0])
    return payload("r", number, search_records(held))


def compact_file(pages: Sequence[PaperPage]) -> bytes:
    """Write every paper's day (as gaps between day numbers) and upvotes, in ref order."""
    days = [(listed_on(p.paper) or dt.date(1970, 1, 1)).toordinal() for p in pages]
    gaps = [b - a for a, b in zip([days[0] if days else 0, *days], days, strict=False)]
    votes = ["" if p.paper.upvotes is None else str(p.paper.upvotes) for p in pages]
    data = {
        "first": days[0] if days else 0,
        "days": ",".join(map(str, gaps)),
        "votes": ",".join(votes),
    }
    return payload("p", 0, data)


def engine_rules() -> dict[str, Any]:
    """What search.js takes from here (its `rules` mark): the files' FORMAT, the term rule."""
    return {"format": FORMAT, **script_rules()}


def lunr_js() -> bytes:
    """Return lunr.js as npm installed it."""
    if not LUNR_JS.is_file():
        raise BuilderError(
            f"lunr.js is missing ({display_path(LUNR_JS)}); run `make setup`, which installs it "
            "with npm ci from package-lock.json"
        )
    return LUNR_JS.read_bytes()


def index_files(
    by_ref: Sequence[PaperPage], cache: BuildCache | None, records: Sequence[str]
) -> dict[str, bytes]:
    """Return the index files (shards, vocabulary, compact data, manifest, lunr.js) of pages in
    ref order; `records` are the keys of the record files (they go into the version token)."""
    postings = index_postings(by_ref, cache)
    files, shards, vocabulary = shard_files(postings)
    files[f"{DATA}papers.js"] = compact_file(by_ref)
    token = key_of(sha(b"".join(files[name] for name in sorted(files))), list(records))[:12]
    meta = {
        "format": FORMAT,
        "token": token,
        "count": len(by_ref),
        "fields": list(FIELDS),
        "shards": shards,
        "vocabulary": vocabulary,
        "chunk": RECORDS_PER_FILE,
        "label": TERM_LABEL,
    }
    files[f"{DATA}meta.js"] = payload("meta", 0, meta)
    files[LUNR_FILE] = lunr_js()
    return files


def index_key(by_ref: Sequence[PaperPage], config: SiteConfig) -> str:
    """Hash what the index files show: every paper's content, in ref order, and the topics."""
    return key_of("search", FORMAT, [p.id for p in by_ref], sorted(config.topics.items()))


def record_outputs(by_ref: Sequence[PaperPage]) -> list[Output]:
    """Plan the record files; each is made only when its papers changed."""
    return [
        Output(dest, key, partial(record_file, dest, held))
        for dest, key, held in record_files(by_ref)
    ]


def compute_index(by_ref: Sequence[PaperPage], cache: BuildCache | None) -> dict[str, bytes]:
    """Make the index files, and save the term counts the cache gained (it may run in a
    forked process, which then owns the term-count table)."""
    keys = [key for _, key, _ in record_files(by_ref)]
    files = index_files(by_ref, cache, keys)
    if cache is not None:
        cache.release("terms")
    return files
