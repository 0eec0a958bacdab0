"""The benchmark's synthetic corpus and its handling of real snapshot folders."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from benchmarks.bench import (
    add_tag,
    add_word,
    copy_snapshot,
    parts_of,
    parts_table,
    real_snapshots,
    written_count,
)
from benchmarks.corpus import LAST_DAY, NEWER, OLDER, write_snapshots
from builder.load import load_papers
from builder.paperfile import format_paper
from builder.read import read_snapshot
from tests.conftest import make_paper


def test_the_corpus_is_daily_api_answers_the_reader_takes_whole(tmp_path: Path) -> None:
    corpus = write_snapshots(tmp_path / "a", 400, seed=5)
    write_snapshots(tmp_path / "b", 400, seed=5)
    files = sorted((tmp_path / "a").iterdir())
    assert [f.read_bytes() for f in files] == [
        f.read_bytes() for f in sorted((tmp_path / "b").iterdir())
    ]
    assert files[-1].name == f"daily-{LAST_DAY}.json"
    entries = []
    for path in files:
        day = dt.date.fromisoformat(path.stem.removeprefix("daily-"))
        assert dt.date.fromtimestamp(path.stat().st_mtime) == day and day.weekday() < 5
        listing = read_snapshot(path, None)
        assert listing.problems == []
        entries += listing.entries
    assert len(entries) == len({e.arxiv_id for e in entries}) == len(corpus.papers) == 400
    # The older papers carry what 2024's answers carry; the newer ones the newer fields too.
    older = [p for p in corpus.papers if p.era is OLDER]
    newer = [p for p in corpus.papers if p.era is NEWER]
    assert 100 < len(older) < 200 and max(p.listed for p in older) < min(p.listed for p in newer)
    assert not any(p.keywords or p.org or p.github or p.ai_summary for p in older)
    assert sum(bool(p.keywords) for p in newer) > 0.9 * len(newer)
    assert 0.4 < sum(bool(p.org) for p in newer) / len(newer) < 0.85
    items = json.loads(files[-1].read_text())
    assert items[0]["paper"]["submittedOnDailyAt"].startswith(str(LAST_DAY))
    assert all(e.authors and e.date and e.date < LAST_DAY + dt.timedelta(1) for e in entries)


def test_real_answers_are_dated_by_their_name_and_ordered_by_day(tmp_path: Path) -> None:
    one, two, into = tmp_path / "one", tmp_path / "two", tmp_path / "into"
    for folder in (one, two, into):
        folder.mkdir()
    (one / "daily-2026-06-02.json").write_text("[]")
    (two / "daily-2024-03-12.json").write_text("[]")
    (two / "README.md").write_text("not a listing")
    found = real_snapshots([one, two])
    assert [p.name for p in found] == ["daily-2024-03-12.json", "daily-2026-06-02.json"]
    copy_snapshot(found[0], into)
    stamp = (into / "daily-2024-03-12.json").stat().st_mtime
    assert dt.datetime.fromtimestamp(stamp, dt.UTC) == dt.datetime(2024, 3, 12, 12, tzinfo=dt.UTC)
    assert os.path.getmtime(found[0]) != stamp  # the source is left as it was


def test_the_edits_add_a_tag_and_a_word_and_the_file_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "paper.md"
    path.write_text(format_paper(make_paper("a-paper", listed_abstract="First words here.")))
    add_tag(path)
    add_word(path)
    (stored,), problems = load_papers(tmp_path)
    assert problems == [] and stored.paper.tags == ("to-read",)
    assert stored.paper.file_body.strip() == "First notably words here."
    assert written_count("build: 9 papers, 2,005 files (1,792 written, 13 unchanged), ...") == 1792


def test_every_file_of_a_site_counts_in_one_part_of_the_bytes_table() -> None:
    files = [
        (10_000, "papers/a.html"),
        (900, "data/papers-2026-06.json.gz"),
        (1_600, "assets/search/r/7.js"),
        (1_400, "assets/search/s/2026-06/t/0.js"),
        (300, "assets/search/meta.js"),
        (2_000, "topics/reasoning/1.html"),
        (500, "orgs/berkeley.xml"),
        (700, "days/2026-06-01.html"),
        (600, "index.html"),
        (650, "months/2026-06.html"),
        (950, "assets/library/0.js"),
        (120, "sitemap.xml"),
    ]
    parts = parts_of(files)
    assert sum(size for size, _ in parts.values()) == sum(size for size, _ in files)
    assert sum(count for _, count in parts.values()) == len(files)
    assert parts["paper pages"] == [10_000, 1] and parts["search records"] == [1_600, 1]
    assert parts["search index (shards, vocabulary, lengths, meta)"] == [1_700, 2]
    assert parts["digest and day pages"] == [1_300, 2]
    site = {"parts": parts, "mb": 0.01872, "files": len(files)}
    text = parts_table({"papers": 2, "site": site})
    assert "| paper pages | 5.00 | 0.50 | 0.0 MB |" in text
    assert text.endswith("| the whole site | 9.36 | 6.00 | 0.0 MB |")


@pytest.mark.browser
def test_the_bytes_before_first_results_are_of_the_files_the_browser_requested(
    browser, built_site: Path
) -> None:
    from benchmarks.browser import OURS, first_results, gzip_bytes

    page = browser.new_page()
    try:
        url = (built_site / "search.html").as_uri() + "?q=grokking"
        shown, size = first_results(page, url, OURS, built_site)
        named = [u for t, u in page.evaluate("window.__loads") if t <= shown]
    finally:
        page.close()
    files = list(dict.fromkeys(Path(unquote(urlparse(u).path)) for u in named))
    feed = built_site / "feed.xml"
    assert feed in files  # the page names its feed (`<link rel="alternate">`): never requested
    assert any(f.parent.name == "r" for f in files)  # a result's record came before it showed
    assert size == gzip_bytes([f for f in files if f != feed])


def test_a_known_item_query_is_the_first_four_words_of_three_letters_of_its_title() -> None:
    from benchmarks.browser import reciprocal_rank, title_query

    assert title_query("VQ4DiT: Efficient Post-Training Vector Quantization") == (
        "VQ4DiT Efficient Post Training"
    )
    assert title_query("A Is Not All: On LLMs' Self-Rewarding") == "Not All LLMs Self"
    assert title_query("Ok") == ""
    assert reciprocal_rank("b", ["a", "b", "c"]) == 0.5
    assert reciprocal_rank("z", ["a", "b"]) == 0.0


@pytest.mark.browser
def test_known_item_search_ranks_each_paper_by_the_opening_of_its_title(
    browser, built_site: Path, sample_pages: list
) -> None:
    from benchmarks.browser import known_items

    papers = [(p.paper.slug, p.paper.title) for p in sample_pages[:40]]
    own = known_items(built_site, None, papers, browser)["ours"]
    assert own["queries"] == 40 and own["mrr"] > 0.9 and own["first"] >= 36
    # Another paper's title: its paper is rarely in the top ten, never first.
    titles = [title for _, title in papers]
    wrong = [(s, t) for (s, _), t in zip(papers, titles[1:] + titles[:1], strict=True)]
    other = known_items(built_site, None, wrong, browser)["ours"]
    assert other["missed"] >= 35 and other["first"] == 0 and other["mrr"] < 0.1
