"""The references the search index is proven equal to: lunr.py's own index of the documents,
and ours written in lunr.py's serialized form (`Index.serialize()`), to compare the two.

The build never calls this: it computes the index with `builder.lunr_index` and cuts it into
shards with `builder.search`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lunr.index import Index

from builder.lunr_index import DocTerms, Postings, Vocabulary, count_terms, weigh
from builder.search import BOOSTS, FIELDS, short_ref
from builder.terms import TERM_LABEL, term_of

BOOST_LIST = [BOOSTS.get(f, 1) for f in FIELDS]  # each field's boost, in FIELDS order


def term(token: Any, i: int | None = None, tokens: list | None = None) -> Any:
    """lunr.py pipeline step: turn a token into its index term; drop it when there is none."""
    found = term_of(str(token))
    return token.update(lambda text, metadata=None: found) if found else None


def build_index(docs: Sequence[Mapping[str, str]]) -> Index:
    """Build the whole lunr.py index of the documents (the reference the shards must equal)."""
    from lunr.builder import Builder
    from lunr.pipeline import Pipeline

    if TERM_LABEL not in Pipeline.registered_functions:
        Pipeline.register_function(term, TERM_LABEL)
    builder = Builder()
    builder.pipeline.add(term)
    # Stop words are dropped from queries too, so "a survey of agents" needs only its real words.
    builder.search_pipeline.add(term)
    builder.ref("id")
    for name in FIELDS:
        builder.field(name, boost=BOOSTS.get(name, 1))
    for doc in docs:
        builder.add(doc)
    return builder.build()


def compute(docs: Sequence[DocTerms], fields: Sequence[str], boosts: Sequence[float]) -> Postings:
    """Compute lunr's index of `docs` (in ref order: doc i has ref i)."""
    vocabulary = Vocabulary()
    return weigh([vocabulary.encode(d) for d in docs], vocabulary.words, fields, boosts)


def computed_index(docs: Sequence[Mapping[str, str]]) -> dict:
    """Our whole index of the documents in lunr.py's serialized form: what `build_index` gives
    (as `test_lunr_index` proves on the seeds and the 1,500 synthetic papers), in a fraction of
    its time (numpy, not lunr.py's Builder). Doc i must have ref `short_ref(i)`."""
    assert all(doc["id"] == short_ref(i) for i, doc in enumerate(docs))
    postings = compute([count_terms(d, FIELDS, term_of) for d in docs], FIELDS, BOOST_LIST)
    return serialized(postings, short_ref, [TERM_LABEL])


def rows(postings: Postings) -> list[tuple[str, int, int, int]]:
    """Every posting as (term, field number, doc, weight * 1000), in the postings' order."""
    fields = (postings.term, postings.field, postings.doc, postings.milli)
    terms = postings.terms
    return [(terms[t], f, d, m) for t, f, d, m in zip(*(a.tolist() for a in fields), strict=True)]


def serialized(postings: Postings, ref: Callable[[int], str], pipeline: list[str]) -> dict:
    """Write the index as lunr.py's `Index.serialize()` does (terms in Python's order)."""
    from lunr import __TARGET_JS_VERSION__

    fields = postings.fields
    inverted: dict[str, dict] = {
        t: {"_index": int(i), **{f: {} for f in fields}}
        for t, i in zip(postings.terms, postings.index.tolist(), strict=True)
    }
    vectors: dict[tuple[int, int], list] = {
        (d, f): [] for d in range(postings.documents) for f in range(len(fields))
    }
    for term, f, d, m in rows(postings):
        inverted[term][fields[f]][ref(d)] = {}
        vectors[(d, f)].append((inverted[term]["_index"], m / 1000))
    field_vectors = []
    for (d, f), elements in vectors.items():
        flat: list[float] = []
        for i, w in sorted(elements):
            flat += [i, w]
        field_vectors.append([f"{fields[f]}/{ref(d)}", flat])
    return {
        "version": __TARGET_JS_VERSION__,
        "fields": list(fields),
        "fieldVectors": field_vectors,
        "invertedIndex": [[t, inverted[t]] for t in sorted(inverted)],
        "pipeline": pipeline,
    }
