"""tf-idf as scikit-learn makes it: its stop words, its weights to the bit, new texts' rows."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from builder import related, tfidf


@pytest.fixture
def pages(sample_pages: list) -> list:
    """The sample papers as the build sees them."""
    return sample_pages


def test_a_new_papers_row_is_what_scikit_learns_transform_gives(pages: list) -> None:
    texts = [related.text_of(p) for p in pages]
    vectorizer = TfidfVectorizer(
        stop_words="english", sublinear_tf=True, max_df=related.MAX_DF, dtype=np.float32
    )
    vectorizer.fit(texts[:100])
    expected = vectorizer.transform(texts[100:]).tocsr()
    expected.sort_indices()
    for n, text in enumerate(texts[100:]):
        columns, values = tfidf.vectorize(
            text,
            vectorizer.vocabulary_,
            vectorizer.idf_,
            frozenset(vectorizer.get_stop_words()),
        )
        row = expected[n]
        assert columns.tolist() == row.indices.tolist()
        np.testing.assert_allclose(values, row.data, rtol=1e-6)


def test_the_stop_words_are_scikit_learns() -> None:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    assert tfidf.english_stop_words() == ENGLISH_STOP_WORDS


def count_matrices(pages: list) -> list:
    """Word-count matrices as the fit makes them: the sample papers', and random ones (rows
    empty, short and long; counts up to 40)."""
    from scipy.sparse import csr_matrix
    from sklearn.feature_extraction.text import CountVectorizer

    counts = CountVectorizer(dtype=np.float32).fit_transform([related.text_of(p) for p in pages])
    matrices = [csr_matrix(counts)]
    rng = np.random.default_rng(7)
    for _ in range(60):
        rows, columns = int(rng.integers(1, 200)), int(rng.integers(1, 1500))
        dense = (rng.random((rows, columns)) < rng.uniform(0.001, 0.4)) * rng.integers(
            1, 40, (rows, columns)
        )
        dense[rng.integers(0, rows)] = 0
        matrices.append(csr_matrix(dense.astype(np.float32)))
    for matrix in matrices:
        matrix.sort_indices()
    return matrices


def test_the_weights_are_scikit_learns_to_the_bit(pages: list) -> None:
    from sklearn.feature_extraction.text import TfidfTransformer

    for matrix in count_matrices(pages):
        transformer = TfidfTransformer(sublinear_tf=True)
        expected = transformer.fit_transform(matrix.copy()).tocsr()
        expected.sort_indices()
        idf = tfidf.tfidf(matrix)
        assert idf.dtype == matrix.data.dtype == np.float32
        assert np.array_equal(idf, transformer.idf_)
        assert np.array_equal(matrix.indptr, expected.indptr)
        assert np.array_equal(matrix.indices, expected.indices)
        assert np.array_equal(matrix.data, expected.data)
