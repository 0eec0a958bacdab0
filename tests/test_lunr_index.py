"""lunr's index computed with numpy equals what lunr.py's Builder serializes, to the last bit."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lunr.tokenizer import Tokenizer

from builder import lunr_index
from builder.config import load_config
from builder.load import load_papers
from builder.lunr_index import Vocabulary, _round3, count_terms, near_weights, tokens, weigh
from builder.prepare import prepare_papers
from builder.search import (
    FIELDS,
    ref_order,
    search_documents,
    short_ref,
)
from builder.terms import TERM_LABEL, term_of
from tests.conftest import REPO
from tests.lunr_reference import BOOST_LIST, build_index, computed_index, rows, serialized


def same(ours: dict, theirs: dict) -> bool:
    return json.dumps(ours, sort_keys=True) == json.dumps(theirs, sort_keys=True)


def documents(papers) -> list[dict]:
    config, _ = load_config(REPO / "site.yaml", {})
    return search_documents(ref_order(prepare_papers(papers, config).pages))


def test_the_seeds_give_lunr_py_s_index_exactly() -> None:
    stored, _ = load_papers(REPO / "content" / "papers")
    docs = documents([s.paper for s in stored])
    assert same(computed_index(docs), build_index(docs).serialize())


def test_a_synthetic_corpus_gives_lunr_py_s_index_exactly(synthetic_corpus) -> None:
    # All 1,500: test_search's parity test takes `computed_index` of them for lunr.py's.
    stored, _ = load_papers(synthetic_corpus)
    docs = documents([s.paper for s in stored])
    assert all(doc["abstract"] for doc in docs)
    assert same(computed_index(docs), build_index(docs).serialize())


def test_cached_counts_with_an_older_vocabulary_give_the_same_index() -> None:
    # Cached documents number their terms in a vocabulary that grew over earlier builds; lunr
    # numbers them in the order this build's documents show them.
    stored, _ = load_papers(REPO / "content" / "papers")
    docs = documents([s.paper for s in stored])
    counts = [count_terms(d, FIELDS, term_of) for d in docs]
    vocabulary = Vocabulary()
    encoded_late_first = [vocabulary.encode(c) for c in reversed(counts)][::-1]
    postings = weigh(encoded_late_first, vocabulary.words, FIELDS, BOOST_LIST)
    assert same(serialized(postings, short_ref, [TERM_LABEL]), build_index(docs).serialize())


def test_near_weights_are_the_weights_near_a_half_thousandth(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stored, _ = load_papers(REPO / "content" / "papers")
    docs = documents([s.paper for s in stored])
    vocabulary = Vocabulary()
    counts = [vocabulary.encode(count_terms(d, FIELDS, term_of)) for d in docs]
    postings = weigh(counts, vocabulary.words, FIELDS, BOOST_LIST)
    every = set(rows(postings))
    monkeypatch.setattr(lunr_index, "NEAR_HALF", 0.51)  # every weight: each as weigh gives it
    found = near_weights(counts, vocabulary.words, FIELDS, BOOST_LIST)
    assert len(found) == len(every) and set(found) == every
    monkeypatch.setattr(lunr_index, "NEAR_HALF", 0.1)  # a fifth of them, about
    some = near_weights(counts, vocabulary.words, FIELDS, BOOST_LIST)
    assert set(some) < every and 0.1 < len(some) / len(every) < 0.3


def test_no_documents_and_empty_fields() -> None:
    empty = {"id": "0", "title": "", "abstract": "", "org": "", "authors": "", "topic": ""}
    assert same(computed_index([empty]), build_index([empty]).serialize())
    assert computed_index([])["invertedIndex"] == []


@given(st.text(alphabet=" \t\n\r\f\v\xa0-\u2013\u2014aZé1_.", max_size=30))
def test_tokens_split_as_lunr_py_s_tokenizer(text: str) -> None:
    assert tokens(text) == [str(t) for t in Tokenizer(text)]


@pytest.mark.parametrize("seed", range(3))
def test_rounding_is_python_s_round_to_three_places(seed: int) -> None:
    import numpy as np

    rng = random.Random(seed)
    values = [rng.uniform(0, 60) for _ in range(20000)]
    # Values at and next to halves of the third decimal, where scaling by 1000 can mislead.
    for k in range(1, 4000):
        half = (k + 0.5) / 1000
        values += [half, float(np.nextafter(half, 0)), float(np.nextafter(half, 1))]
    milli = _round3(np.array(values))
    assert [m / 1000 for m in milli.tolist()] == [round(v, 3) for v in values]
