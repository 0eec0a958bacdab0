"""The search index's files: how each file `search` puts in `assets/search/` is written, byte
for byte (`search`'s docstring says how the index is kept in segments, and why).

`search` decides what the files hold (documents, records, segments, term counts, the entries
of meta.js); this module writes a segment's shards and vocabulary chunks (and picks where they
are cut), the field lengths and the papers' compact data, and `payload`, the script every file
is: it hands its data to `PaperDigestSearch.receive(kind, number, data)` (a `fetch()` of JSON
is blocked under `file://`). The files:

- `meta.js`: the fields, the paper count and each field's total length, the few weights
  search.js must not round itself (`near`), the versions of the other files, and per segment
  its name, paper count, version and where its shards and vocabulary chunks start (the
  shortest prefix of each one's first term that tells it from the file before: `separators`);
- `s/<segment>/t/<n>.js`: a shard: its terms (sorted as lunr.js sorts), each with where it
  first shows in its segment's first paper that has it (lunr's term order) and, per field, the
  papers that have it with the term's count (numbers within the segment, as gaps), up to
  the last field that has it;
- `s/<segment>/v/<n>.js`: the segment's terms alone, for fuzzy queries (`word~1`);
- `n/<field>.js`: every paper's length of one field (field by number), in ref order, in base
  64: a query loads those of the fields its terms are in (a byte or two a paper, rewritten by
  any day);
- `r/<n>.js`: what a result shows (title, slug, day, byline, upvotes, the abstract's text) for
  RECORDS_PER_FILE papers by ref (refs never change, so neither do these files when segments
  merge), loaded for the results on screen only;
- `papers.js`: every paper's day and upvotes, for sorting and `-word` queries.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from builder.lunr_index import TermCounts, js_order
from builder.models import listed_on
from builder.prepare import PaperPage

DATA = "assets/search/"
FORMAT = 4  # bumped when the files change shape; search.js checks it (see `search.engine_rules`)
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
    """Encode each term's entry: [term, first, postings of each field ("gap,tf,gap,tf"), to
    the last field that has any].

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
    # Empty fields at the end are left out (postings end in a digit: rstrip takes only them).
    return [
        f'[{quote(t)},{i},"' + '","'.join(f).rstrip('",') + '"]'
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
