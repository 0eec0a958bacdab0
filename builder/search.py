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
papers did not change is not even made again.

This module holds what the index is made of (the papers' documents and result records, their
refs, segments and cached term counts) and makes its files (`compute_index`,
`record_outputs`); `search_files` writes each file's bytes, and lists the files.

Python and JavaScript turn a word into an index term with one pipeline step, registered under
one label (`terms.py`); search.js gets that rule, FORMAT and lunr's constants written into it as
the build copies it (`engine_rules`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from builder import lunr_index
from builder.config import SiteConfig
from builder.errors import BuilderError, display_path
from builder.lunr_index import (
    K1,
    B,
    Counted,
    Vocabulary,
    count_postings,
    count_terms,
)
from builder.models import Output, by_fields, capture_order, first_capture, listed_on
from builder.prepare import PaperPage, byline
from builder.search_files import (
    DATA,
    FORMAT,
    LENGTH_DIGITS,
    RECORDS_PER_FILE,
    compact_file,
    length_file,
    payload,
    segment_files,
)
from builder.stats import LUNR_JS, key_of, sha
from builder.terms import TERM_LABEL, script_rules, split_words, term_of
from builder.topics import rules_key
from builder.workers import fork_map

# Where `npm ci` (make setup) puts lunr.js; the build copies it into the site, never the repo.
FIELDS = ("title", "abstract", "org", "authors", "topic")
BOOSTS = {"title": 10, "org": 2, "topic": 2}
LUNR_FILE = "assets/lunr.min.js"
ENGINE_FILE = "assets/search.js"  # the theme's engine, which the build writes the rules into
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


@dataclass
class Counts:
    """What `counted_documents` found: each document's term counts (in ref order), the
    vocabulary their term numbers refer to, and what it counted anew (the counts by their
    keys, and the vocabulary when it grew), for the build to keep."""

    counted: list[Counted]
    words: list[str]
    made: dict[Any, Any] = field(default_factory=dict)


Known = Callable[[Any], Any]  # what a stage made before, by its key (None: not made)


def counted_documents(pages: Sequence[PaperPage], known: Known | None = None) -> Counts:
    """Count the terms of `pages` (in ref order); `known` gives the counts made before (by
    `key_of(id, topic names)`, and the vocabulary they number terms by: "vocabulary"), which
    are not made again."""
    vocabulary = Vocabulary(list((known("vocabulary") if known is not None else None) or []))
    # A paper's document is made from its file (its id) and its topics.
    keys = [key_of(p.id, [t.name for t in p.topics]) for p in pages]
    counted = [known(k) if known is not None else None for k in keys]
    missing = [i for i, c in enumerate(counted) if c is None]
    made: dict[Any, Any] = {}
    if missing:
        workers = 0 if len(missing) >= PARALLEL_FROM else 1
        docs = search_documents([pages[i] for i in missing])
        fresh = fork_map(_count_all, docs, workers=workers)
        for i, doc_terms in zip(missing, fresh, strict=True):
            counted[i] = made[keys[i]] = vocabulary.encode(doc_terms)
        made["vocabulary"] = vocabulary.words
    return Counts(counted, vocabulary.words, made)  # type: ignore[arg-type]


def near_weights(counted: Sequence[Counted], words: Sequence[str]) -> list[list[Any]]:
    """Return the postings whose weight search.js is handed rather than rounding it itself:
    [term, field number, ref, weight * 1000] of each weight near a half thousandth (JavaScript's
    Math.log may differ from Python's in its last bit, which could tip such a one)."""
    boosts = [BOOSTS.get(f, 1) for f in FIELDS]
    return [list(near) for near in lunr_index.near_weights(counted, words, FIELDS, boosts)]


# ---------------------------------------------------------------------------------------------
# The files


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
    counts: dict[Any, Any] = field(default_factory=dict)  # term counts made (`Counts.made`)


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
    counts: Counts,
    records: Sequence[str],
    known: Mapping[str, SegmentFiles] | None = None,
    keyed: Segments | None = None,
) -> IndexFiles:
    """Make the index files (segments, field lengths, compact data, manifest, lunr.js) of
    pages in ref order; `records` are the keys of the record files (they go into their
    version). A segment `known` by its `segment_key` is not made again (an edit or a day
    changes a segment or two: the others keep their files); `keyed`: the pages'
    `keyed_segments`, when the caller has them); `counts`: the pages' `counted_documents`."""
    counted, words = counts.counted, counts.words
    index = IndexFiles(made={}, counts=counts.made)
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
    terms: Known | None = None,
    known: Mapping[str, SegmentFiles] | None = None,
    keyed: Segments | None = None,
) -> IndexFiles:
    """Make the index files (except those of the segments `known`; `keyed`: the pages'
    `keyed_segments`, when the caller has them); `terms` gives the term counts made before
    (`counted_documents`), and the index holds those it made anew (`IndexFiles.counts`)."""
    keys = [key for _, key, _ in record_files(by_ref)]
    return index_files(by_ref, counted_documents(by_ref, terms), keys, known, keyed)
