"""Search: the papers' lunr index, in segments of papers cut into small scripts that search.js
loads as needed.

The index is what lunr.py would build (`lunr_index` proves how), and lunr.js 2.3.9 answers
every query (`templates/static/search.js`). lunr.js scores a field as dot(query vector, field
vector) / |query vector|, so a query needs only its own terms' entries, and search.js assembles
a small `lunr.Index` from the files its terms need.

Papers are numbered (their refs) in the order they were first captured, then by slug, and kept
in **segments**, runs of consecutive refs, as Lucene keeps documents: a new day of papers goes
into a small segment of its own, and small segments are merged now and then (`segment_sizes`).
Each segment's files hold only what its own papers give: per term, raw term counts (not
lunr's weights, which depend on every paper: the paper count, average field lengths, a term's
document count). search.js computes lunr's weights from those, each paper's field lengths and
the collection's totals in `meta.js`, exactly as `lunr_index` does, so a day of papers rewrites
its own segment's files and the few a merge makes, and an edit the files of the terms and paper
it changed. The build state keeps each segment's files' hashes (`SearchIndex`): a segment whose
papers did not change is not even made again. Files, all in `assets/search/`, each a script
that hands its data to `PaperDigestSearch.receive(kind, number, data)` (a `fetch()` of JSON is
blocked under `file://`):

- `meta.js`: the fields, the paper count and each field's total length, the few weights
  search.js must not round itself (`near`), the versions of the other files, and per segment
  its name, paper count, version and where its shards and vocabulary chunks start (the
  shortest prefix of each one's first term that tells it from the file before: `separators`);
- `s/<segment>/t/<n>.js`: a shard: its terms (sorted as lunr.js sorts), each with where it
  first shows in its segment's first paper that has it (lunr's term order) and, per field, the
  papers that have it with the term's count (numbers within the segment, as gaps);
- `s/<segment>/v/<n>.js`: the segment's terms alone, for fuzzy queries (`word~1`);
- `n/<field>.js`: every paper's length of one field (field by number), in ref order, in base
  64: a query loads those of the fields its terms are in (a byte or two a paper, rewritten by
  any day);
- `r/<n>.js`: what a result shows (title, slug, day, byline, upvotes, the abstract's text) for
  RECORDS_PER_FILE papers by ref (refs never change, so neither do these files when segments
  merge), loaded for the results on screen only;
- `papers.js`: every paper's day and upvotes, for sorting and `-word` queries.

Python and JavaScript turn a word into an index term with one pipeline step, registered under
one label (`terms.py`); search.js gets that rule, FORMAT and lunr's constants written into it as
the build copies it (`engine_rules`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from builder import lunr_index
from builder.cache import BuildCache
from builder.config import SiteConfig
from builder.errors import BuilderError, display_path
from builder.lunr_index import (
    K1,
    B,
    Counted,
    TermCounts,
    Vocabulary,
    count_postings,
    count_terms,
    js_order,
)
from builder.models import Output, by_fields, capture_order, first_capture, listed_on
from builder.prepare import PaperPage, byline
from builder.stats import LUNR_JS, key_of, sha
from builder.terms import TERM_LABEL, script_rules, split_words, term_of
from builder.topics import rules_key
from builder.workers import fork_map

# Where `npm ci` (make setup) puts lunr.js; the build copies it into the site, never the repo.
FIELDS = ("title", "abstract", "org", "authors", "topic")
BOOSTS = {"title": 10, "org": 2, "topic": 2}
LUNR_FILE = "assets/lunr.min.js"
ENGINE_FILE = "assets/search.js"  # the theme's engine, which the build writes the rules into
DATA = "assets/search/"
FORMAT = 3  # bumped when the files change shape; search.js checks it (see `engine_rules`)
# A shard closes once its postings pass SHARD_BYTES * (its segment's papers / SHARD_PAPERS),
# within MIN_SHARD_BYTES and SHARD_BYTES (a big term stands alone): a query reads a shard of
# every segment, so small segments have small shards.
SHARD_BYTES = 12_000
SHARD_PAPERS = 4_000
MIN_SHARD_BYTES = 1_500
VOCABULARY_TERMS = 2_000  # terms per vocabulary chunk, about
# Shards and vocabulary chunks are cut after terms the content picks (a term whose hash is 0
# modulo CUT_EVERY, once the file holds half its size), not at a count of bytes or terms, so a
# term that grows or comes in moves the cuts of its own file, not of every file after it.
CUT_EVERY = 8
LENGTH_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"  # `length_file`
RECORDS_PER_FILE = 1  # result records per `r/<n>.js` (meta.js calls it "chunk")
# The merge policy (`segment_sizes`): two neighbouring segments merge when together they hold
# at most 1/MERGE_PARTS of the papers and the older is at most MERGE_RATIO times the newer; a
# day's merges rewrite at most 1/STEP_PARTS of the papers.
MERGE_PARTS = 5
MERGE_RATIO = 4
STEP_PARTS = 5
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
# Segments


def segment_sizes(days: Sequence[int]) -> list[int]:
    """Return the sizes of the segments of papers brought by `days` (how many papers each
    capture day brought, in capture order), in ref order.

    The days are replayed as they came: each brings a segment of its own; then neighbouring
    segments merge, the smallest pair first, while together they hold at most 1/MERGE_PARTS of
    the papers, the older is at most MERGE_RATIO times the newer, and what the day rewrote
    (its segment and the merged ones) stays within 1/STEP_PARTS of the papers. So a daily
    build sees the step it replays, the segments are a function of the papers alone (not of
    the builds that came before), and a day of papers rewrites at most a fifth of them.
    """
    segments: list[tuple[int, int]] = []  # (first ref, size)
    total = 0
    for count in days:
        if not count:
            continue
        before = set(segments)
        segments.append((total, count))
        total += count
        while True:
            pairs = sorted(
                (a[1] + b[1], i)
                for i, (a, b) in enumerate(itertools.pairwise(segments))
                if MERGE_PARTS * (a[1] + b[1]) <= total and a[1] <= MERGE_RATIO * b[1]
            )
            for _, i in pairs:
                merged = (segments[i][0], segments[i][1] + segments[i + 1][1])
                trial = [*segments[:i], merged, *segments[i + 2 :]]
                if (
                    STEP_PARTS * sum(size for start, size in trial if (start, size) not in before)
                    <= total
                ):
                    segments = trial
                    break
            else:
                break
    return [size for _, size in segments]


def capture_days(by_ref: Sequence[PaperPage]) -> list[int]:
    """Count the papers (in ref order) of each day they were first captured."""
    days: list[int] = []
    last: Any = None
    for page in by_ref:
        day = first_capture(page.paper) or page.paper.date
        if days and day == last:
            days[-1] += 1
        else:
            days.append(1)
        last = day
    return days


def segment_name(first: PaperPage) -> str:
    """Name a segment by its first paper (a merge keeps the older segment's name)."""
    return key_of("segment", first.paper.slug)[:10]


def segments_of(by_ref: Sequence[PaperPage]) -> list[tuple[str, int, int]]:
    """Cut pages (in ref order) into segments: (name, first ref, size)."""
    out = []
    start = 0
    for size in segment_sizes(capture_days(by_ref)):
        out.append((segment_name(by_ref[start]), start, size))
        start += size
    names = [name for name, _, _ in out]
    if len(set(names)) != len(names):  # two first slugs with one hash: never in practice
        out = [(f"{name}-{i}", start, size) for i, (name, start, size) in enumerate(out)]
    return out


# ---------------------------------------------------------------------------------------------
# Term counts, cached per document


def _count_all(docs: Sequence[Mapping[str, str]]) -> list:
    """Count the terms of many documents (what each worker runs)."""
    return [count_terms(d, FIELDS, term_of) for d in docs]


def counted_documents(
    pages: Sequence[PaperPage], cache: BuildCache | None
) -> tuple[list[Counted], list[str]]:
    """Count the terms of `pages` (in ref order), only of papers not cached; return the counts
    and the vocabulary their term numbers refer to."""
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
    return counted, vocabulary.words  # type: ignore[return-value]


def near_weights(counted: Sequence[Counted], words: Sequence[str]) -> list[list[Any]]:
    """Return the postings whose weight search.js is handed rather than rounding it itself:
    [term, field number, ref, weight * 1000] of each weight near a half thousandth (JavaScript's
    Math.log may differ from Python's in its last bit, which could tip such a one)."""
    boosts = [BOOSTS.get(f, 1) for f in FIELDS]
    return [list(near) for near in lunr_index.near_weights(counted, words, FIELDS, boosts)]


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


def _term_json(counts: TermCounts, block: int = 1 << 20) -> list[str]:
    """Encode each term's entry: [term, first, postings of each field ("gap,tf,gap,tf")].

    The numbers are written a block of about `block` postings at a time (whole terms), so
    the temporary arrays stay small.
    """
    term, field, doc, tf = counts.term, counts.field, counts.doc, counts.tf
    count = len(term)
    width = len(counts.fields)
    fields_of: list[list[str]] = [[""] * width for _ in counts.terms]
    # Where each term's postings start (terms without postings have none).
    term_starts = np.searchsorted(term, np.arange(len(counts.terms) + 1))
    low = 0
    while low < count:
        cut = int(term_starts[min(np.searchsorted(term_starts, low + block), len(term_starts) - 1)])
        high = max(cut, min(count, low + 1)) if cut > low else count
        group = term[low:high].astype(np.int64) * width + field[low:high]
        is_start = np.r_[True, group[1:] != group[:-1]]
        starts = np.flatnonzero(is_start)
        docs = doc[low:high].astype(np.int64)
        gaps = docs - np.where(is_start, 0, np.r_[0, docs[:-1]])
        text, offsets = decimal_text(np.column_stack((gaps, tf[low:high])).ravel())
        ends = np.r_[starts[1:], high - low]
        begin = offsets[2 * starts].tolist()
        finish = (offsets[2 * ends] - 1).tolist()
        for a, b, g in zip(begin, finish, group[starts].tolist(), strict=True):
            fields_of[g // width][g % width] = text[a:b]
        low = high
    quote = json.encoder.encode_basestring  # type: ignore[attr-defined]
    return [
        f'[{quote(t)},{i},"' + '","'.join(f) + '"]'
        for t, i, f in zip(counts.terms, counts.first.tolist(), fields_of, strict=True)
    ]


def is_cut(term: str, every: int) -> bool:
    """Whether a file may end after this term (one term in `every`, picked by its hash)."""
    return zlib.crc32(term.encode("utf-8", "surrogatepass")) % every == 0


def shard_bytes(papers: int) -> int:
    """Return where a shard of a segment of `papers` papers closes (see SHARD_BYTES)."""
    return max(MIN_SHARD_BYTES, min(SHARD_BYTES, SHARD_BYTES * papers // SHARD_PAPERS))


def separators(terms: Sequence[str], firsts: Sequence[int]) -> list[str]:
    """Name files of sorted terms, file i starting at terms[firsts[i]], by the shortest prefix
    of its first term that sorts (as JavaScript sorts) after the last term of the file before
    (the first file by ""): search.js finds a term's file as the last whose name is not after
    it, so names need not be whole terms."""
    names = []
    for i, start in enumerate(firsts):
        if i == 0:
            names.append("")
            continue
        first, last = terms[start], js_order(terms[start - 1])
        cut = 1
        while js_order(first[:cut]) <= last:
            cut += 1
        names.append(first[:cut])
    return names


def segment_files(name: str, counts: TermCounts) -> tuple[dict[str, bytes], list[str], list[str]]:
    """Write a segment's shards and vocabulary chunks; return the files and the names
    (`separators`) of its shards and of its vocabulary chunks."""
    folder = f"{DATA}s/{name}/"
    entries = _term_json(counts)
    files: dict[str, bytes] = {}
    firsts: list[int] = []  # where each shard starts in counts.terms
    batch: list[str] = []
    size = 0
    limit = shard_bytes(len(counts.lengths))

    def close() -> None:
        number = len(firsts) - 1
        files[f"{folder}t/{number}.js"] = payload(f"{name}/t", number, f"[{','.join(batch)}]")

    for i, (term_text, entry) in enumerate(zip(counts.terms, entries, strict=True)):
        if batch and size + len(entry) >= 2 * limit:  # a big term starts a shard
            close()
            batch, size = [], 0
        if not batch:
            firsts.append(i)
        batch.append(entry)
        size += len(entry)
        if size >= 2 * limit or (2 * size >= limit and is_cut(term_text, CUT_EVERY)):
            close()
            batch, size = [], 0
    if batch:
        close()
    chunks: list[int] = []
    chunk: list[str] = []
    for i, term_text in enumerate(counts.terms):
        if not chunk:
            chunks.append(i)
        chunk.append(term_text)
        if (
            i + 1 == len(counts.terms)
            or len(chunk) >= 2 * VOCABULARY_TERMS
            or (2 * len(chunk) >= VOCABULARY_TERMS and is_cut(term_text, CUT_EVERY * 8))
        ):
            files[f"{folder}v/{len(chunks) - 1}.js"] = payload(f"{name}/v", len(chunks) - 1, chunk)
            chunk = []
    return files, separators(counts.terms, firsts), separators(counts.terms, chunks)


def length_file(field: int, lengths: np.ndarray) -> bytes:
    """Write every paper's length (in terms) of one field, in ref order: [width, text], each
    length `width` digits of base 64 (LENGTH_DIGITS), most significant first (gzipped, a tenth
    smaller than decimals with commas)."""
    column = lengths[:, field].astype(np.int64)
    width = 1
    while len(column) and int(column.max()) >= 64**width:
        width += 1
    places = 64 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    digits = np.frombuffer(LENGTH_DIGITS.encode("ascii"), dtype=np.uint8)
    text = digits[(column[:, None] // places) % 64].tobytes().decode("ascii")
    return payload("n", field, [width, text])


def record_files(by_ref: Sequence[PaperPage]) -> list[tuple[str, str, Sequence[PaperPage]]]:
    """Cut pages (in ref order) into record files: (site path, key of what it holds, pages).
    Records go by ref, not by segment: a merge of segments leaves them alone."""
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
    """What search.js takes from here (its `rules` mark): the files' FORMAT, lunr's weight
    constants and field boosts, the digits of the field lengths, the term rule."""
    return {
        "format": FORMAT,
        "k1": K1,
        "b": B,
        "boosts": BOOSTS,
        "digits": LENGTH_DIGITS,
        **script_rules(),
    }


def lunr_js() -> bytes:
    """Return lunr.js as npm installed it."""
    if not LUNR_JS.is_file():
        raise BuilderError(
            f"lunr.js is missing ({display_path(LUNR_JS)}); run `make setup`, which installs it "
            "with npm ci from package-lock.json"
        )
    return LUNR_JS.read_bytes()


@dataclass(frozen=True, slots=True)
class SegmentFiles:
    """What the build state keeps of a segment's files: their hashes by site path, and its
    entry in meta.js (the names of its shards and vocabulary chunks, its version)."""

    __reduce__ = by_fields

    files: dict[str, str]
    shards: list[str]
    vocabulary: list[str]
    token: str


@dataclass(frozen=True, slots=True)
class SearchIndex:
    """What the build state keeps of the last index: its key (`index_key`), its files' hashes
    by site path, and its segments' `SegmentFiles` by `segment_key` (for the next index)."""

    __reduce__ = by_fields

    key: str
    files: dict[str, str]
    segments: dict[str, SegmentFiles]


@dataclass
class IndexFiles:
    """The index files of a build: those made, and those of segments whose papers are as the
    last index had them (by site path, their hashes), with every segment's `SegmentFiles` by
    `segment_key`."""

    made: dict[str, bytes]
    kept: dict[str, str] = field(default_factory=dict)
    segments: dict[str, SegmentFiles] = field(default_factory=dict)


def segment_key(name: str, pages: Sequence[PaperPage]) -> str:
    """Hash what a segment's files are made from: its name, and its papers' files (content
    ids) and topics, in ref order."""
    return key_of("segment", FORMAT, name, [(p.id, [t.name for t in p.topics]) for p in pages])


Segments = list[tuple[str, int, int, str]]  # (name, first ref, size, segment_key)


def keyed_segments(by_ref: Sequence[PaperPage]) -> Segments:
    """Cut pages (in ref order) into segments, each with its `segment_key`."""
    return [
        (name, first, size, segment_key(name, by_ref[first : first + size]))
        for name, first, size in segments_of(by_ref)
    ]


def papers_to_make(segments: Segments, known: Mapping[str, SegmentFiles]) -> int:
    """Count the papers of the segments not `known` (those an index must make)."""
    return sum(size for _, _, size, key in segments if key not in known)


def index_files(
    by_ref: Sequence[PaperPage],
    cache: BuildCache | None,
    records: Sequence[str],
    known: Mapping[str, SegmentFiles] | None = None,
    keyed: Segments | None = None,
) -> IndexFiles:
    """Make the index files (segments, field lengths, compact data, manifest, lunr.js) of
    pages in ref order; `records` are the keys of the record files (they go into their
    version). A segment `known` by its `segment_key` is not made again (an edit or a day
    changes a segment or two: the others keep their files); `keyed`: the pages'
    `keyed_segments`, when the caller has them."""
    counted, words = counted_documents(by_ref, cache)
    index = IndexFiles(made={})
    files = index.made
    segments = []
    for name, first, size, key in keyed if keyed is not None else keyed_segments(by_ref):
        entry = (known or {}).get(key)
        if entry is None:
            counts = count_postings(counted[first : first + size], words, FIELDS)
            made, shards, vocabulary = segment_files(name, counts)
            token = sha(b"".join(made[n] for n in sorted(made)))[:12]
            hashes = {dest: sha(data) for dest, data in made.items()}
            entry = SegmentFiles(hashes, shards, vocabulary, token)
            files.update(made)
        else:
            index.kept.update(entry.files)
        index.segments[key] = entry
        segments.append([name, size, entry.token, entry.shards, entry.vocabulary])
    files[f"{DATA}papers.js"] = compact_file(by_ref)
    lengths = np.array([c.lengths for c in counted], dtype=np.int64).reshape(-1, len(FIELDS))
    versions = []
    for f in range(len(FIELDS)):
        files[f"{DATA}n/{f}.js"] = length_file(f, lengths)
        versions.append(sha(files[f"{DATA}n/{f}.js"])[:12])
    meta = {
        "format": FORMAT,
        "token": sha(files[f"{DATA}papers.js"])[:12],
        "records": key_of(list(records))[:12],
        "count": len(by_ref),
        "fields": list(FIELDS),
        "lengths": lengths.sum(axis=0).tolist(),
        "n": versions,
        "near": near_weights(counted, words),
        "segments": segments,
        "chunk": RECORDS_PER_FILE,
        "label": TERM_LABEL,
    }
    files[f"{DATA}meta.js"] = payload("meta", 0, meta)
    files[LUNR_FILE] = lunr_js()
    return index


def index_key(by_ref: Sequence[PaperPage], config: SiteConfig) -> str:
    """Hash what the index files show: every paper's content, in ref order, and the topics."""
    return key_of("search", FORMAT, [p.id for p in by_ref], rules_key(config.topics))


def record_outputs(by_ref: Sequence[PaperPage]) -> list[Output]:
    """Plan the record files; each is made only when its papers changed."""
    return [
        Output(dest, key, partial(record_file, dest, held))
        for dest, key, held in record_files(by_ref)
    ]


def compute_index(
    by_ref: Sequence[PaperPage],
    cache: BuildCache | None,
    known: Mapping[str, SegmentFiles] | None = None,
    keyed: Segments | None = None,
) -> IndexFiles:
    """Make the index files (except those of the segments `known`; `keyed`: the pages'
    `keyed_segments`, when the caller has them), and save the term counts the cache gained
    (it may run in a forked process, which then owns the term-count table)."""
    keys = [key for _, key, _ in record_files(by_ref)]
    index = index_files(by_ref, cache, keys, known, keyed)
    if cache is not None:
        cache.release("terms")
    return index
