"""tf-idf as scikit-learn's `TfidfVectorizer(stop_words="english", sublinear_tf=True)` makes
it, bit for bit, without importing scikit-learn (its import takes longer than a small site's
build): words counted as its analyzer splits them, its English stop words, its weights and
the rows of new texts under a past fit (related.py lists each paper's most similar papers
with them)."""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

PARALLEL_FROM = 500  # texts to count before the work is worth forking for
TOKEN = re.compile(r"(?u)\w\w+")  # scikit-learn's default, (?u)\b\w\w+\b: the same runs


def words(text: str, stop_words: frozenset[str] = frozenset()) -> dict[str, int]:
    """Count a text's words as scikit-learn's analyzer splits them (lowercase, 2+ letters,
    no stop words)."""
    counts = Counter(TOKEN.findall(text.lower()))
    for word in stop_words.intersection(counts):
        del counts[word]
    return dict(counts)


def count_all(texts: Sequence[str]) -> list[tuple[str, bytes]]:
    """Each text's distinct words (stop words included) joined by spaces, and their counts as
    int32 bytes: a form that crosses back from a worker quickly."""
    import numpy as np

    made = []
    for text in texts:
        counts = Counter(TOKEN.findall(text.lower()))
        made.append(
            (" ".join(counts), np.fromiter(counts.values(), np.int32, len(counts)).tobytes())
        )
    return made


class Counting:
    """Every text's words, counted by two forked workers while this process imports
    scipy; `wait` gives them in order (see `count_all`)."""

    def __init__(self, texts: list[str]) -> None:
        from builder.workers import Background, cores

        self.parts: list[Background] = []
        self.done: list[tuple[str, bytes]] | None = None
        if len(texts) < PARALLEL_FROM or cores() < 2:
            self.done = count_all(texts)
            return
        half = len(texts) // 2
        self.parts = [Background(count_all, texts[:half]), Background(count_all, texts[half:])]

    def wait(self) -> list[tuple[str, bytes]]:
        """Return the counts, once the workers are done."""
        if self.done is None:
            self.done = [counts for part in self.parts for counts in part.wait()]
        return self.done

    def stop(self) -> None:
        """Make sure no worker is left running."""
        for part in self.parts:
            part.stop()


def english_stop_words() -> frozenset[str]:
    """scikit-learn's English stop words, read from its file without importing scikit-learn
    (importing it takes 1.6 s, more than a small site's whole build)."""
    import importlib.util
    import runpy

    spec = importlib.util.find_spec("sklearn")  # finds the package, runs none of it
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("scikit-learn is not installed: it holds the English stop words")
    folder = spec.submodule_search_locations[0]
    path = os.path.join(folder, "feature_extraction", "_stop_words.py")
    return frozenset(runpy.run_path(path)["ENGLISH_STOP_WORDS"])


def tfidf(matrix: Any) -> np.ndarray:
    """Weigh a CSR matrix of word counts (float32, indices sorted) in place as scikit-learn's
    `TfidfTransformer(sublinear_tf=True)` does, to the bit; return the idf.

    Its steps in its types: idf = ln((n + 1) / (df + 1)) + 1 in float32; each count c becomes
    (ln c + 1) * idf in float32; each row is divided by its L2 norm, whose squares (float32)
    are summed one after another in float64, as its Cython loop sums them (a cumulative sum:
    numpy's plain sums add in pairs, which can round otherwise).
    """
    import numpy as np

    rows, columns = matrix.shape
    df = np.bincount(matrix.indices, minlength=columns).astype(np.float32)
    df += 1.0
    idf = np.full_like(df, fill_value=rows + 1, dtype=np.float32)
    idf /= df
    np.log(idf, out=idf)
    idf += 1.0
    data = matrix.data
    np.log(data, out=data)
    data += 1.0
    data *= idf[matrix.indices]
    lengths = np.diff(matrix.indptr)
    sums = np.zeros(rows, np.float64)
    squares = (data * data).astype(np.float64)
    step = max(1, NORM_CELLS // max(1, int(lengths.max(initial=0))))
    for start in range(0, rows, step):
        block = lengths[start : start + step]
        width = int(block.max(initial=0))
        if width == 0:
            continue
        padded = np.zeros((len(block), width), np.float64)  # + 0.0 leaves a sum as it is
        padded[np.arange(width) < block[:, None]] = squares[
            matrix.indptr[start] : matrix.indptr[start + len(block)]
        ]
        sums[start : start + len(block)] = np.cumsum(padded, axis=1)[:, -1]
    norms = np.sqrt(sums)
    norms[sums == 0.0] = 1.0  # an empty row is left as it is
    matrix.data = (data.astype(np.float64) / np.repeat(norms, lengths)).astype(np.float32)
    return idf


NORM_CELLS = 4_000_000  # float64 cells padded at once to sum the rows' squares (32 MB)


def vectorize(
    text: str, vocabulary: Mapping[str, int], idf: np.ndarray, stop_words: frozenset[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Turn a text into its tf-idf row under a past fit (what scikit-learn's transform gives)."""
    import numpy as np

    found = words(text, stop_words)
    counts = {vocabulary[w]: n for w, n in found.items() if w in vocabulary}
    columns = np.array(sorted(counts), dtype=np.int32)
    values = np.array(
        [(math.log(counts[c]) + 1.0) * float(idf[c]) for c in columns], dtype=np.float32
    )
    norm = np.sqrt(np.sum(values.astype(np.float64) ** 2))
    return columns, (values / norm).astype(np.float32) if norm else values
