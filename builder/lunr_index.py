"""lunr's index of the papers, computed with numpy: the weights lunr.py's Builder gives, exactly.

lunr.py's Builder spends most of a build at scale (about 12 s for 10,000 papers), and one new
paper changes the paper count and the average field lengths, so every weight of the index
changes. Here each document's terms are counted once per field (the counts are cached by the
document's content) and the weights of every (term, field, document) are computed in one go:

    idf    = log(1 + |(N - n + 0.5) / (n + 0.5)|)   n: (document, field) pairs with the term
    weight = idf * (k1 + 1) * tf / (k1 * (1 - b + b * length / average length) + tf) * boost

rounded to 3 decimals as Python's `round` does, with lunr's k1 = 1.2 and b = 0.75, in the
same order of floating-point operations as lunr.py (so the doubles are the same). Each term
keeps the vector index lunr gives it: the order in which the documents (in ref order), their
fields and their tokens first show it. The tests write the result as lunr.py's
`Index.serialize()` does and compare the two (tests/lunr_reference.py).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

K1 = 1.2
B = 0.75
# A weight whose thousandths lie this close to a half is rounded one by one (and search.js is
# handed the result: its logarithm may differ from Python's in the last bit).
NEAR_HALF = 1e-6
# lunr.py's Tokenizer splits on these (search.split_words has turned every other separator
# into a space already).
_SEPARATORS = " \t\n\r\f\v\xa0-"


@dataclass(frozen=True)
class DocTerms:
    """One document's terms: per field, its length and its distinct terms with their counts.

    Terms are listed in the order they first appear in the field, as lunr meets them.
    """

    lengths: tuple[int, ...]
    terms: tuple[tuple[str, ...], ...]
    counts: tuple[tuple[int, ...], ...]


def tokens(text: str) -> list[str]:
    """Split text as lunr.py's Tokenizer does: lowercase, on whitespace, no-break space and '-'."""
    lowered = text.lower()
    if "-" in lowered or "\xa0" in lowered:
        lowered = lowered.replace("-", " ").replace("\xa0", " ")
    return lowered.split()


def count_terms(
    doc: Mapping[str, str], fields: Sequence[str], term: Callable[[str], str]
) -> DocTerms:
    """Count a document's terms per field; `term` is the pipeline ('' drops a token)."""
    lengths, terms, counts = [], [], []
    for name in fields:
        found = Counter(map(term, tokens(doc[name])))  # (in the order first seen)
        found.pop("", None)
        lengths.append(sum(found.values()))
        terms.append(tuple(found))
        counts.append(tuple(found.values()))
    return DocTerms(tuple(lengths), tuple(terms), tuple(counts))


@dataclass(frozen=True)
class Postings:
    """Every (term, field, document) of an index with its weight, sorted by term, field, doc.

    `terms` are sorted as lunr.js's token set needs (JavaScript string order); `term` indexes
    them. A weight is `milli / 1000`: lunr's weight rounded to 3 decimals.
    """

    terms: list[str]
    index: np.ndarray  # lunr's vector index of each term
    term: np.ndarray
    field: np.ndarray
    doc: np.ndarray
    milli: np.ndarray
    documents: int
    fields: tuple[str, ...]


def js_order(term: str) -> bytes:
    """Sort key of a string in JavaScript's order (UTF-16 code units)."""
    return term.encode("utf-16-be", "surrogatepass")


def near_half(scores: np.ndarray) -> np.ndarray:
    """Return where a score's thousandths lie within NEAR_HALF of a half (rounded one by one)."""
    scaled = scores * 1000.0
    return np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < NEAR_HALF)


def _round3(scores: np.ndarray) -> np.ndarray:
    """Return round(score, 3) * 1000 as integers, exactly as Python's round would give them."""
    milli = np.rint(scores * 1000.0)
    # Python rounds the exact binary value; scaling can land a value just off a half on it.
    # Those few are rounded one by one.
    for i in near_half(scores):
        milli[i] = round(round(float(scores[i]), 3) * 1000.0)
    return milli.astype(np.int64)


@dataclass(frozen=True, slots=True)
class Counted:
    """A document's term counts with terms as numbers of a shared vocabulary (compact: the
    numbers as int32 bytes, which the cache reads back far faster than arrays, and which many
    documents' join into one array at once: `_column`)."""

    lengths: tuple[int, ...]  # terms per field
    sizes: tuple[int, ...]  # distinct terms per field
    ids: bytes  # the distinct terms, field after field, each field in first-seen order
    counts: bytes

    def __reduce__(self) -> tuple:
        """Pickle as the class and its fields (calling the class is the fastest to load)."""
        return (Counted, (self.lengths, self.sizes, self.ids, self.counts))


def _column(docs: Sequence[Counted], name: str) -> np.ndarray:
    """The `ids` or `counts` of many counted documents, one after the other, as one array."""
    return np.frombuffer(bytearray(b"".join([getattr(d, name) for d in docs])), dtype=np.int32)


class Vocabulary:
    """Words numbered in the order they were first given; numbers never change."""

    def __init__(self, words: list[str] | None = None) -> None:
        self.words: list[str] = words if words is not None else []
        self.numbers = {w: i for i, w in enumerate(self.words)}

    def encode(self, doc: DocTerms) -> Counted:
        """Number a document's terms."""
        numbers, words = self.numbers, self.words
        ids = []
        for terms in doc.terms:
            for term in terms:
                number = numbers.get(term)
                if number is None:
                    number = numbers[term] = len(words)
                    words.append(term)
                ids.append(number)
        return Counted(
            doc.lengths,
            tuple(len(t) for t in doc.terms),
            np.array(ids, dtype=np.int32).tobytes(),
            np.array([c for counts in doc.counts for c in counts], dtype=np.int32).tobytes(),
        )


def _postings_of(docs: Sequence[Counted], width: int) -> tuple[np.ndarray, ...]:
    """Every posting of counted documents as arrays: (term id, count, field, doc), and the
    documents' field lengths (documents x fields)."""
    documents = len(docs)
    lengths = np.array([d.lengths for d in docs], dtype=np.int64).reshape(documents, width)
    sizes = np.array([d.sizes for d in docs], dtype=np.int64).reshape(documents, width)
    ids = _column(docs, "ids")
    tf = _column(docs, "counts")
    field = np.repeat(np.tile(np.arange(width, dtype=np.int8), documents), sizes.ravel())
    doc = np.repeat(np.arange(documents, dtype=np.int32), sizes.sum(axis=1))
    return ids, tf, field, doc, lengths


def _js_ranks(names: Sequence[str]) -> tuple[list[int], np.ndarray]:
    """Sort names as JavaScript sorts strings: the order of their numbers, and each one's
    rank."""
    order = sorted(range(len(names)), key=lambda i: js_order(names[i]))
    rank = np.empty(len(names), dtype=np.int32)
    rank[order] = np.arange(len(names), dtype=np.int32)
    return order, rank


def weigh(
    docs: Sequence[Counted], words: Sequence[str], fields: Sequence[str], boosts: Sequence[float]
) -> Postings:
    """Compute lunr's index of counted documents (doc i has ref i); `words` names their ids."""
    documents = len(docs)
    ids, tf, field, doc, lengths = _postings_of(docs, len(fields))
    ids, vocabulary = _number_as_lunr(ids, words)
    milli, _ = _weights(tf, ids, doc, field, lengths, len(vocabulary), boosts)
    del tf  # the biggest array: gone before sorting needs memory
    # Sort terms in JavaScript order, then postings by term, field and document.
    order, rank = _js_ranks(vocabulary)
    term = rank[ids]
    del ids
    sort = np.lexsort((doc, field, term))
    return Postings(
        terms=[vocabulary[i] for i in order],
        index=np.array(order, dtype=np.int64),
        term=term[sort],
        field=field[sort],
        doc=doc[sort],
        milli=milli[sort],
        documents=documents,
        fields=tuple(fields),
    )


def near_weights(
    docs: Sequence[Counted], words: Sequence[str], fields: Sequence[str], boosts: Sequence[float]
) -> list[tuple[str, int, int, int]]:
    """Return the postings of counted documents (doc i has ref i) whose weight lies near a half
    thousandth (`near_half`): (term, field number, doc, weight * 1000), by doc, field and
    term's place in its document. `weigh` computes the same weights, but sorts every posting
    as lunr does, which this needs not."""
    ids, tf, field, doc, lengths = _postings_of(docs, len(fields))
    milli, near = _weights(tf, ids, doc, field, lengths, len(words), boosts)
    return [(words[int(ids[i])], int(field[i]), int(doc[i]), int(milli[i])) for i in near.tolist()]


def _number_as_lunr(ids: np.ndarray, words: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Renumber word ids as lunr numbers terms: in the order the documents first show them."""
    seen, first = np.unique(ids, return_index=True)
    in_order = seen[np.argsort(first, kind="stable")]
    del seen, first
    local = np.zeros(len(words), dtype=np.int32)
    local[in_order] = np.arange(len(in_order), dtype=np.int32)
    return local[ids], [words[i] for i in in_order.tolist()]


def _weights(
    tf: np.ndarray,
    ids: np.ndarray,
    doc: np.ndarray,
    field: np.ndarray,
    lengths: np.ndarray,
    terms: int,
    boosts: Sequence[float],
) -> tuple[np.ndarray, np.ndarray]:
    """Return each posting's BM25 weight, boosted and rounded to thousandths as lunr.py rounds
    it, and where it was near a half (`near_half`)."""
    tf = tf.astype(np.float64)  # the weights are computed in place, in this copy
    documents, width = lengths.shape
    with_term = np.bincount(ids, minlength=terms)
    idf_of = {  # (a set, not np.unique: that imports numpy.ma, 15 ms a process)
        n: math.log(1 + abs((documents - n + 0.5) / (n + 0.5))) for n in set(with_term.tolist())
    }
    idf = np.array([idf_of[n] for n in with_term.tolist()], dtype=np.float64)
    # Python divides an int sum by an int count: one correctly rounded division, as here.
    average = np.array(
        [int(lengths[:, f].sum()) / documents if documents else 0.0 for f in range(width)]
    )
    # idf * ((k1 + 1) * tf) / (k1 * (1 - b + b * (length / average)) + tf) * boost, one
    # operation at a time in place (each is one IEEE operation on the same two operands as
    # lunr.py's, so the doubles are the same; the arrays are big).
    scale = lengths[doc, field].astype(np.float64)
    scale /= average[field]
    scale *= B
    scale += 1 - B
    scale *= K1
    scale += tf
    tf *= K1 + 1
    tf *= idf[ids]
    tf /= scale
    del scale
    tf *= np.array(boosts, dtype=np.float64)[field]
    return _round3(tf).astype(np.int32), near_half(tf)


@dataclass(frozen=True)
class TermCounts:
    """What lunr's weights of some documents are made from, without the values that depend on
    the whole collection (its document count, average field lengths, each term's document
    count): per (term, field, document) the term's count, sorted by term, field and document,
    and each document's field lengths."""

    terms: list[str]  # in JavaScript order
    first: np.ndarray  # per term: its place among the distinct terms of its first document
    term: np.ndarray
    field: np.ndarray
    doc: np.ndarray
    tf: np.ndarray
    lengths: np.ndarray  # documents x fields
    fields: tuple[str, ...]


def count_postings(
    docs: Sequence[Counted], words: Sequence[str], fields: Sequence[str]
) -> TermCounts:
    """Gather counted documents (doc i is number i) into their term counts per field.

    lunr numbers a term by its first document, then by where it first shows among that
    document's distinct terms (field after field): `first` keeps the second part, so search.js
    can order terms as lunr does (the dot products add up in that order).
    """
    documents = len(docs)
    empty = np.zeros(0, dtype=np.int32)
    ids, tf, field, doc, lengths = _postings_of(docs, len(fields))
    per_doc = np.bincount(doc, minlength=documents)
    starts = np.concatenate(([0], np.cumsum(per_doc)[:-1])) if documents else empty
    place = np.arange(len(ids), dtype=np.int64) - np.repeat(starts, per_doc)
    seen, first_at, local = np.unique(ids, return_index=True, return_inverse=True)
    names = [words[i] for i in seen.tolist()]
    order, rank = _js_ranks(names)
    term = rank[local.reshape(-1)] if len(ids) else empty
    sort = np.lexsort((doc, field, term))
    return TermCounts(
        terms=[names[i] for i in order],
        first=place[first_at][order] if len(ids) else np.zeros(0, dtype=np.int64),
        term=term[sort],
        field=field[sort],
        doc=doc[sort],
        tf=tf[sort],
        lengths=lengths,
        fields=tuple(fields),
    )
