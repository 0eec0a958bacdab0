"""Related papers: tf-idf lists that make sense, equal a brute-force computation, and update."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from builder import related
from builder.cache import BuildCache
from builder.memo import related_lists


@pytest.fixture
def pages(sample_pages: list) -> list:
    """The sample papers as the build sees them."""
    return sample_pages


def related_slugs(pages: list, cache: BuildCache | None = None) -> dict[str, tuple[str, ...]]:
    """The related lists, without their cosines."""
    lists = related.related_papers(pages).lists if cache is None else related_lists(cache, pages)
    return {slug: tuple(s for s, _ in pairs) for slug, pairs in lists.items()}


def brute_force(pages: list, fitted_on: list | None = None) -> dict[str, tuple[str, ...]]:
    """Every pair's cosine with scikit-learn (tf-idf fitted on `fitted_on`, else on all), the
    best five of each (ties by key)."""
    keys = sorted(related.paper_key(p) for p in pages)
    by_key = {related.paper_key(p): p for p in pages}
    texts = [related.text_of(by_key[k]) for k in keys]
    vectorizer = TfidfVectorizer(
        stop_words="english", sublinear_tf=True, max_df=related.MAX_DF, dtype=np.float32
    )
    vectorizer.fit([related.text_of(p) for p in fitted_on or pages])
    scores = cosine_similarity(vectorizer.transform(texts))
    lists = {}
    for i, key in enumerate(keys):
        ranked = sorted(
            (j for j in range(len(keys)) if j != i and scores[i, j] > 1e-6),
            key=lambda j: (-round(float(scores[i, j]), 5), keys[j]),
        )
        lists[by_key[key].paper.slug] = tuple(by_key[keys[j]].paper.slug for j in ranked[:5])
    return lists


def test_a_grokking_papers_related_papers_are_mostly_about_grokking(pages: list) -> None:
    lists = related_slugs(pages)
    by_slug = {p.paper.slug: p for p in pages}
    grokking = [p for p in pages if "grokking" in p.paper.title.lower()]
    assert len(grokking) >= 6
    about = shown = 0
    for page in grokking:
        listed = [by_slug[s] for s in lists[page.paper.slug]]
        assert len(listed) == related.RELATED
        shown += len(listed)
        about += sum("grok" in (p.paper.title + p.text).lower() for p in listed)
    # 6 grokking papers among 134: by chance, one related paper in 20 would be about it.
    assert about / shown > 0.5, (about, shown)


def test_the_lists_are_the_best_cosines_of_scikit_learns_tfidf(pages: list) -> None:
    assert related_slugs(pages) == brute_force(pages)


def test_no_paper_is_its_own_relative_and_every_list_is_full(pages: list) -> None:
    lists = related_slugs(pages)
    assert len(lists) == len(pages)
    for slug, shown in lists.items():
        assert slug not in shown
        assert len(set(shown)) == len(shown) == related.RELATED


def test_a_few_new_papers_update_the_cached_lists_without_a_new_fit(
    pages: list, tmp_path: Path
) -> None:
    cache = BuildCache(tmp_path / ".cache")
    first = pages[8:]  # the newest 8 come later: under 10% more
    related_slugs(first, cache)
    fit = cache.table("related").get(("fit",))
    matrix = cache.table("related").get(("matrix",))
    lists = related_slugs(pages, cache)
    assert cache.table("related").get(("fit",)) is fit  # no new fit
    # The fit's matrix is not written again: the new papers' rows are stored on their own.
    assert cache.table("related").get(("matrix",)) is matrix
    assert all(cache.table("related").get(("row", related.paper_key(p))) for p in pages[:8])
    # Every list is what the old fit gives: new papers scored against all, and entering the
    # lists of the others where they beat them.
    assert lists == brute_force(pages, fitted_on=first)
    new = {p.paper.slug for p in pages[:8]}
    assert any(set(lists[s]) & new for s in lists if s not in new)
    assert lists != related_slugs(pages)  # a full computation differs
    # Asked again, and saved and read back, the lists stay.
    assert related_slugs(pages, cache) == lists
    cache.save()
    assert related_slugs(pages, BuildCache(tmp_path / ".cache")) == lists


def test_growth_past_ten_percent_computes_anew(pages: list, tmp_path: Path) -> None:
    cache = BuildCache(tmp_path / ".cache")
    related_slugs(pages[:100], cache)
    assert related_slugs(pages, cache) == related_slugs(pages)


def test_a_removed_or_edited_paper_updates_the_lists_with_the_last_fit(
    pages: list, tmp_path: Path
) -> None:
    cache = BuildCache(tmp_path / ".cache")
    related_slugs(pages, cache)
    fit = cache.table("related").get(("fit",))
    # A paper that is in lists goes away: the lists it leaves are scored anew, with the fit.
    named = related_slugs(pages)[pages[0].paper.slug][0]
    fewer = [p for p in pages if p.paper.slug != named]
    assert related_slugs(fewer, cache) == brute_force(fewer, fitted_on=pages)
    assert cache.table("related").get(("fit",)) is fit  # no new fit
    # An edited paper is scored like a new one: it leaves lists and enters others.
    first = fewer[0]
    paper = replace(first.paper, title=first.paper.title + " and softmax collapse in grokking")
    # (an edit changes the file, so the page's content id: the state keeps keys by it)
    edited = [replace(first, paper=paper, id=first.id + "-edited"), *fewer[1:]]
    lists = related_slugs(edited, cache)
    assert lists == brute_force(edited, fitted_on=pages)
    assert lists != related_slugs(fewer, cache) and cache.table("related").get(("fit",)) is fit


def test_a_warm_cache_gives_the_lists_a_cold_one_gives_build_after_build(
    pages: list, tmp_path: Path
) -> None:
    # `serve` keeps each list by slug from the last build (made from the same list by key):
    # after removals, edits and additions it must give what a cache read anew gives.
    warm = BuildCache(tmp_path / "warm")
    warm.warm = True
    cold = tmp_path / "cold"
    first = pages[0]
    edited = replace(
        first, paper=replace(first.paper, title=first.paper.title + " grokking"), id="edited"
    )
    named = related_slugs(pages)[pages[1].paper.slug][0]
    steps = [
        pages,
        [p for p in pages if p.paper.slug != named],
        [edited, *[p for p in pages[1:] if p.paper.slug != named]],
        pages,
    ]
    last = None
    for step in steps:
        cache = BuildCache(cold)
        expected = related_lists(cache, step)
        cache.save()
        lists = related_lists(warm, step)
        warm.save()
        assert lists == expected
        if last is not None:  # unchanged lists are the last build's, not made again
            same = [s for s in lists if s in last and lists[s] == last[s]]
            assert same and all(lists[s] is last[s] for s in same)
        last = lists


def test_tiny_or_wordless_collections_have_empty_lists(pages: list) -> None:
    assert related_slugs(pages[:1]) == {pages[0].paper.slug: ()}
    assert related_slugs([]) == {}


def test_a_paper_back_after_a_build_without_it_has_its_list_scored_anew(
    pages: list, tmp_path: Path
) -> None:
    # A paper gone for a build keeps its list in the state (a few rows are not pruned): when
    # it comes back, that list may name a paper gone since, and must be scored anew.
    cache = BuildCache(tmp_path / ".cache")
    first = related_slugs(pages, cache)
    back = pages[0].paper.slug
    named = first[back][0]
    without = [p for p in pages if p.paper.slug not in (back, named)]
    related_slugs(without, cache)
    cache.save()
    again = [p for p in pages if p.paper.slug != named]
    cache = BuildCache(tmp_path / ".cache")
    lists = related_slugs(again, cache)
    assert named not in lists[back]
    assert lists[back] == brute_force(again, fitted_on=pages)[back]
