"""Related papers: each paper's most similar papers, by tf-idf over title and abstract.

The collection is weighed as scikit-learn's `TfidfVectorizer` weighs it (tfidf.py, in numpy:
importing scikit-learn would cost more than a small site's build) and the similarities are
cosines of its rows (a sparse product, a chunk of rows at a time, keeping the top few of
each). tf-idf is global, so one new paper could shift every list; a full computation would
cost seconds at tens of thousands of papers. So the cache keeps the fitted vocabulary and idf,
each paper's row and its list: papers added since the last full computation are turned into
rows with that idf, scored against every paper, and merged into the lists they enter; an
edited paper is scored the same way, and the lists a removed or edited paper leaves are
scored anew. Once the collection has grown by REFIT_GROWTH since the last full computation
(or on `build --full`), the next build computes everything anew. This is the one place where
a build with `.cache/` deleted may give another site: its lists are those of a full
computation.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain, repeat
from typing import TYPE_CHECKING, Any

from builder.tfidf import Counting, english_stop_words, tfidf, vectorize
from builder.workers import fork_slices

if TYPE_CHECKING:
    import numpy as np

    from builder.prepare import PaperPage

RELATED = 5  # papers listed per paper
REFIT_GROWTH = 0.10  # a full computation again once the collection grew this much
# Scores held at once per worker: a block of rows times every paper (its sparse product takes
# ~16 bytes a score), so a worker holds ~100 MB whatever the size of the collection.
SCORES_AT_ONCE = 6_000_000


def rows_at_once(papers: int) -> int:
    """Rows scored per sparse product for a collection of `papers`."""
    return max(16, min(1024, SCORES_AT_ONCE // max(1, papers)))


MAX_DF = 0.1  # words in more than a tenth of the papers say little about similarity
# What the vectorizer is asked for; part of the cache key of a fit.
SETTINGS = ("tfidf", 1, "english", "sublinear", MAX_DF, RELATED)


def text_of(page: PaperPage) -> str:
    """The text a paper is compared by: its title and its abstract as a reader sees it."""
    return f"{page.paper.title}\n{page.text}"


def paper_key(page: PaperPage) -> str:
    """Key a paper by what its list depends on: its slug and its text."""
    text = f"{page.paper.slug}\n{text_of(page)}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(text, digest_size=16).hexdigest()


Related = dict[str, tuple[tuple[str, float], ...]]  # slug -> (slug, cosine) pairs, best first


@dataclass(frozen=True)
class Fit:
    """What a full computation fitted: the settings it was asked for (SETTINGS), each term's
    column, the idf of each column, how many papers it was fitted on, the stop words."""

    settings: tuple
    vocabulary: dict[str, int]
    idf: np.ndarray
    papers: int
    stop_words: frozenset[str]


@dataclass(frozen=True)
class Matrix:
    """The fit's tf-idf rows (the papers' keys, in row order, and the CSR arrays)."""

    keys: tuple[str, ...]
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray


@dataclass
class Relating:
    """What `related_papers` found: each paper's list, and the rows of its state to keep for
    the next build (`rows`: to put; when `whole`, they replace every row kept before)."""

    lists: Lists
    rows: dict[tuple, Any] = field(default_factory=dict)
    whole: bool = False


class Lists(Mapping[str, tuple[tuple[str, float], ...]]):
    """Each paper's related list by slug, made from its list by key when first asked for
    (a build asks the lists of the few pages it plans), with each list's print
    (`replan.related_print`) at hand for every paper (`print_of`)."""

    def __init__(
        self,
        tops: Mapping[str, Top],
        key_of: dict[str, str],
        prints: dict[str, bytes],
        named: dict[str, tuple[Top, tuple]] | None = None,
    ) -> None:
        self.tops, self.key_of, self.prints = tops, key_of, prints
        # A warm process's lists by key, with the list by key each was made of (`serve`).
        self.named = named if named is not None else {}

    @cached_property
    def slug_of(self) -> dict[str, str]:
        """Each paper's slug by key (made when a list is first made)."""
        return {key: slug for slug, key in self.key_of.items()}

    def get(self, slug: str, default: Any = None) -> Any:
        """The list of `slug` (`default` when it has none; a list that names a paper with no
        key is a bug, raised, not a missing list)."""
        return self[slug] if slug in self.key_of else default

    def __getitem__(self, slug: str) -> tuple[tuple[str, float], ...]:
        key = self.key_of[slug]
        top = self.tops[key]
        known = self.named.get(key)
        if known is None or known[0] is not top:
            slug_of = self.slug_of
            known = self.named[key] = (top, tuple([(slug_of[n], score) for n, score in top]))
        return known[1]

    def __iter__(self) -> Iterator[str]:
        return iter(self.key_of)

    def __len__(self) -> int:
        return len(self.key_of)

    def print_of(self, slug: str) -> bytes:
        """The print of a paper's list (`replan.related_print`)."""
        return self.prints[slug]


def related_papers(
    pages: Sequence[PaperPage],
    known: Callable[[tuple], Any] | None = None,
    last: dict[str, dict] | None = None,
) -> Relating:
    """Return slug -> its most similar papers (slug, cosine), most similar first.

    `known` gives a row of the state the last build kept (the fit, its matrix, the rows of
    papers added since, each paper's list and its print, each page's key by content id: None
    without one); without it, or when its rows cannot be updated, every list is computed
    anew. `last` holds, in a process that builds again (`serve`), the last build's lists by
    key (brought up to date).
    """
    from builder.replan import related_print

    if len(pages) < 2:
        slugs = {page.paper.slug: page.paper.slug for page in pages}
        empty = related_print(())
        return Relating(Lists({key: [] for key in slugs}, slugs, dict.fromkeys(slugs, empty)))
    rows: dict[tuple, Any] = {}  # the state's rows to put
    key_of = {page.paper.slug: _key_of(page, known, rows) for page in pages}
    keys = sorted(key_of.values())
    by_key = {key_of[page.paper.slug]: page for page in pages}
    texts = _Texts(keys, by_key)  # made when asked: an edit asks the edited paper's alone
    tops = _incremental(known, rows, keys, texts) if known is not None else None
    whole = tops is None
    if tops is None:
        fit, matrix, tops = _full(keys, list(texts))
        rows = {("fit",): fit, ("matrix",): Matrix(tuple(keys), *matrix)}
        rows[("keys",)] = frozenset(keys)
        rows.update({("top", key): tops[key] for key in keys})
        rows.update({("key", page.id): key_of[page.paper.slug] for page in pages})
    named = last.setdefault("lists", {}) if last is not None else None
    lists = Lists(tops, key_of, {}, named)
    # Each list's print: kept with its list, made again for the lists made now.
    for slug, key in key_of.items():
        made = ("top", key) in rows
        found = None if made or known is None else known(("print", key))
        if found is None:
            found = rows[("print", key)] = related_print(lists[slug])
        lists.prints[slug] = found
    if named is not None:
        for k in named.keys() - by_key.keys():
            del named[k]
    return Relating(lists, rows, whole)


def _key_of(page: PaperPage, known: Callable[[tuple], Any] | None, rows: dict[tuple, Any]) -> str:
    """`paper_key`, kept by content id in the state (`known`, `rows`): what it hashes follows
    from the paper's file."""
    key = known(("key", page.id)) if known is not None else None
    if key is None:
        key = rows[("key", page.id)] = paper_key(page)
    return key


class _Texts(Sequence[str]):
    """The texts of the papers of `keys` (`text_of`), each made when asked for."""

    def __init__(self, keys: list[str], by_key: dict[str, PaperPage]) -> None:
        self.keys, self.by_key = keys, by_key

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return text_of(self.by_key[self.keys[i]])


Top = list[tuple[str, float]]  # (key, cosine), best first


def _full(keys: list[str], texts: list[str]) -> tuple[tuple, tuple, dict[str, Top]]:
    """Fit tf-idf on every paper and list each one's most similar; return the fit, rows, lists.

    The words are counted as scikit-learn's `TfidfVectorizer` counts them, by forked workers
    when there are many, and weighed as it weighs them (`tfidf`: the tests check the matrix is
    its matrix, bit for bit).
    """
    pending = Counting(texts)
    try:
        import numpy as np
        from scipy.sparse import csr_matrix

        stop_words = english_stop_words()
        counted = pending.wait()
    finally:
        pending.stop()
    # A word's count of papers is how many papers' distinct words it is among. The words are
    # split out of each paper's string twice, not held all at once: at 50,000 papers they
    # would take hundreds of megabytes.
    documents: Counter[str] = Counter()
    for joined, _ in counted:
        if joined:
            documents.update(joined.split(" "))
    most = MAX_DF * len(keys)
    terms = sorted(t for t, df in documents.items() if df <= most and t not in stop_words)
    del documents
    vocabulary = {term: column for column, term in enumerate(terms)}
    if not vocabulary:  # no word left after the stop words: nothing is related
        empty = (np.zeros(len(keys) + 1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32))
        fit = Fit(SETTINGS, {}, np.zeros(0, np.float32), len(keys), stop_words)
        return fit, empty, {k: [] for k in keys}
    lengths = [len(raw) // 4 for _, raw in counted]
    get = vocabulary.get
    columns = np.fromiter(
        chain.from_iterable(map(get, j.split(" "), repeat(-1)) for j, _ in counted if j),
        np.int64,
        sum(lengths),
    )
    values = np.frombuffer(b"".join(raw for _, raw in counted), np.int32).astype(np.float32)
    rows = np.repeat(np.arange(len(keys)), lengths)
    known = columns >= 0  # stop words and words in too many papers have no column
    matrix = csr_matrix(
        (values[known], (rows[known], columns[known])), shape=(len(keys), len(terms))
    )
    matrix.sort_indices()
    idf = tfidf(matrix)
    step = rows_at_once(len(keys))
    starts = list(range(0, len(keys), step))
    workers = 0 if len(starts) > 1 else 1
    tops: dict[str, Top] = {}
    transposed = matrix.T.tocsr()  # once: each slice of blocks multiplies by it
    for part in fork_slices(_score_blocks, starts, matrix, transposed, keys, workers=workers):
        tops.update(part)
    fit = Fit(SETTINGS, vocabulary, idf, len(keys), stop_words)
    return fit, (matrix.indptr, matrix.indices, matrix.data), tops


def _score_blocks(
    starts: Sequence[int], matrix: Any, transposed: Any, keys: Sequence[str]
) -> dict[str, Top]:
    """List the most similar papers of the blocks of rows that begin at `starts`
    (`transposed`: the matrix's transpose, as CSR)."""
    tops = {}
    for start in starts:
        block = (matrix[start : start + rows_at_once(len(keys))] @ transposed).toarray()
        for offset, top in enumerate(_block_best(block, start, keys)):
            tops[keys[start + offset]] = top
    return tops


def _block_best(block: np.ndarray, start: int, keys: Sequence[str]) -> list[Top]:
    """The lists of a block of rows of scores (row r is paper start + r)."""
    import numpy as np

    rows = np.arange(block.shape[0])
    block[rows, start + rows] = 0.0  # a paper is not related to itself
    width = block.shape[1]
    if width <= RELATED:
        return [_best(scores, keys) for scores in block]
    chosen = np.argpartition(block, width - RELATED, axis=1)[:, width - RELATED :]
    values = np.take_along_axis(block, chosen, axis=1)
    # More papers at the cut than places: choose among the tied by key.
    tied = (block >= values.min(axis=1)[:, None]).sum(axis=1) > RELATED
    tops = []
    for r in range(block.shape[0]):
        if tied[r]:
            tops.append(_best(block[r], keys))
            continue
        pairs = [(keys[i], float(v)) for i, v in zip(chosen[r], values[r], strict=True) if v > 0]
        tops.append(sorted(pairs, key=lambda item: (-item[1], item[0])))
    return tops


def _best(scores: np.ndarray, keys: Sequence[str], count: int = RELATED) -> Top:
    """The `count` best scores above 0 of one row, ties broken by key (so the lists are stable)."""
    import numpy as np

    if len(scores) > count:
        cut = np.partition(scores, len(scores) - count)[len(scores) - count]
        chosen = np.flatnonzero(scores >= cut)
    else:
        chosen = np.arange(len(scores))
    chosen = chosen[scores[chosen] > 0]
    ranked = sorted(chosen.tolist(), key=lambda i: (-float(scores[i]), keys[i]))
    return [(keys[i], float(scores[i])) for i in ranked[:count]]


def _incremental(
    known: Callable[[tuple], Any], rows: dict[tuple, Any], keys: list[str], texts: Sequence[str]
) -> dict[str, Top] | None:
    """Update the cached lists for papers added, edited or removed since the last fit; None:
    compute anew.

    An edited paper is a new one (its key holds its text): scored with the last fit's idf
    and merged into the lists it enters. A list that names a paper gone (removed, or edited)
    is scored anew, its paper against every paper. The fit's matrix is stored once; each paper
    added since has its row stored on its own, so a build that adds a few papers writes a few
    rows, not the whole matrix again. `known` gives the rows kept; the rows to keep anew go
    into `rows`.
    """
    fit: Fit | None = known(("fit",))
    stored: Matrix | None = known(("matrix",))
    if fit is None or fit.settings != SETTINGS or stored is None:
        return None
    vocabulary, idf, fitted, stop_words = fit.vocabulary, fit.idf, fit.papers, fit.stop_words
    if len(keys) > fitted * (1 + REFIT_GROWTH):
        return None
    fit_row = {k: i for i, k in enumerate(stored.keys)}
    cached = _cached_lists(known, keys, fit_row)
    if cached is None:
        return None
    lists, later = cached
    added = [i for i, k in enumerate(keys) if k not in lists]
    present = frozenset(keys)
    # The last build's lists name papers of that build only: when all of them are here, only
    # the lists of papers that were not (kept from an older build, the paper back) may name a
    # gone paper (the keys are kept to tell without looking at every list).
    last: frozenset[str] | None = known(("keys",))
    if last != present:
        rows[("keys",)] = present
    suspects = lists.keys() if last is None or not last <= present else lists.keys() - last
    stale = [
        k for k, top in lists.items() if k in suspects and any(n not in present for n, _ in top)
    ]
    if not added and not stale:
        return lists
    new_rows = [vectorize(texts[i], vocabulary, idf, stop_words) for i in added]
    old_keys = [k for k in keys if k in fit_row] + list(later)
    order = old_keys + [keys[i] for i in added]
    kept = [fit_row[k] for k in keys if k in fit_row]
    nonzeros = _by_column(*_nonzeros(stored, kept, later, new_rows), len(idf))
    for i, row in zip(added, new_rows, strict=True):
        rows[("row", keys[i])] = row
    existing = len(old_keys)
    column_of = {k: n for n, k in enumerate(order)}
    if stale:
        # The lists a gone paper leaves: each scored anew against every paper here.
        stale_rows = [_fit_row(stored, fit_row[k]) if k in fit_row else later[k] for k in stale]
        scores = _cosines(stale_rows, nonzeros, len(order))
        for n, key in enumerate(stale):
            scores[n, column_of[key]] = 0.0  # not related to itself
            lists[key] = _best(scores[n], order)
            rows[("top", key)] = lists[key]
    if added:
        scores = _cosines(new_rows, nonzeros, len(order))
        for n, i in enumerate(added):
            scores[n, existing + n] = 0.0
            lists[keys[i]] = _best(scores[n], order)
        new_keys = [keys[i] for i in added]
        _let_new_papers_in(rows, lists, scores, order, existing, new_keys, set(stale))
        for i in added:
            rows[("top", keys[i])] = lists[keys[i]]
    return lists


def _fit_row(stored: Matrix, row: int) -> tuple[np.ndarray, np.ndarray]:
    """One row of the fit's matrix: (columns, values)."""
    indptr, indices, data = stored.indptr, stored.indices, stored.data
    start, end = indptr[row], indptr[row + 1]
    return indices[start:end], data[start:end]


def _cached_lists(
    known: Callable[[tuple], Any], keys: list[str], fit_row: dict[str, int]
) -> tuple[dict[str, Top], dict[str, tuple[np.ndarray, np.ndarray]]] | None:
    """Return the cached list of every paper known to the cache (fitted, or added since, with
    its row); None when one is missing."""
    lists: dict[str, Top] = {}
    later: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # rows of papers added since the fit
    for key in keys:
        row = None if key in fit_row else known(("row", key))
        if key in fit_row or row is not None:
            top = known(("top", key))
            if top is None:
                return None
            lists[key] = top
            if row is not None:
                later[key] = row
    return lists, later


def _nonzeros(
    stored: Matrix,
    still: list[int],
    later: dict[str, tuple[np.ndarray, np.ndarray]],
    new_rows: list[tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every row's nonzeros as (row, column, value): the rows of the fit `still` here, then the
    rows added since the fit, then the new ones (numpy only: loading scipy would cost more
    than this whole update)."""
    import numpy as np

    fit_keys, indptr, indices, data = stored.keys, stored.indptr, stored.indices, stored.data
    position = np.full(len(fit_keys), -1, np.int64)
    position[still] = np.arange(len(still))
    fit_rows = position[np.repeat(np.arange(len(fit_keys)), np.diff(indptr))]
    here = fit_rows >= 0  # papers removed since: their rows go
    extra = [*later.values(), *new_rows]
    rows = np.concatenate(
        [fit_rows[here], *(np.full(len(c), len(still) + n) for n, (c, _) in enumerate(extra))]
    )
    columns = np.concatenate([indices[here], *(c for c, _ in extra)])
    values = np.concatenate([data[here], *(v for _, v in extra)])
    return rows, columns, values


def _let_new_papers_in(
    rows: dict[tuple, Any],
    lists: dict[str, Top],
    scores: np.ndarray,
    order: list[str],
    existing: int,
    new_keys: list[str],
    scored: set[str],
) -> None:
    """Merge the new papers into the lists of the `existing` papers (the first of `order`),
    only where one scores at least a list's last entry (or the list is short); the lists
    `scored` anew already hold them."""
    import numpy as np

    best_new = scores[:, :existing].max(axis=0) if existing else np.zeros(0)
    for column in np.flatnonzero(best_new > 0).tolist():
        key = order[column]
        if key in scored:
            continue
        top = lists[key]
        if len(top) == RELATED and best_new[column] < top[-1][1]:
            continue
        entering = np.flatnonzero(scores[:, column] > 0).tolist()
        merged = top + [(new_keys[n], float(scores[n, column])) for n in entering]
        best = sorted(merged, key=lambda item: (-item[1], item[0]))[:RELATED]
        if best != top:
            lists[key] = best
            rows[("top", key)] = best


def _by_column(
    rows: np.ndarray, columns: np.ndarray, values: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every row's nonzeros ordered by column: (rows, values, where each column starts)."""
    import numpy as np

    by_column = np.argsort(columns, kind="stable")
    starts = np.searchsorted(columns[by_column], np.arange(width + 1))
    return rows[by_column], values[by_column], starts


def _cosines(
    new_rows: list[tuple[np.ndarray, np.ndarray]],
    nonzeros: tuple[np.ndarray, np.ndarray, np.ndarray],
    count: int,
) -> np.ndarray:
    """Each new row's dot product with every row (their nonzeros by column: `_by_column`),
    with numpy alone."""
    import numpy as np

    rows, values, starts = nonzeros
    scores = np.zeros((len(new_rows), count), np.float32)
    for n, (cols, vals) in enumerate(new_rows):
        first, lengths = starts[cols], starts[cols + 1] - starts[cols]
        if not lengths.sum():
            continue
        # The nonzeros of every column of this row, one run per column, gathered at once.
        runs = np.repeat(first - np.cumsum(lengths) + lengths, lengths)
        taken = runs + np.arange(lengths.sum())
        weights = values[taken] * np.repeat(vals, lengths)
        scores[n] = np.bincount(rows[taken], weights=weights, minlength=count)
    return scores
