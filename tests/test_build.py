"""End to end: ingest the seeds, re-ingest, hand edits, removed snapshots, broken files, build."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest

from benchmarks.corpus import make_papers
from builder.build import build
from builder.cache import BuildCache
from builder.config import SiteConfig, load_config
from builder.errors import BuilderError
from builder.ingest import ingest
from builder.killpoint import KILL_AT
from builder.load import load_papers
from builder.merge import merge_entries
from builder.run import build_lock
from builder.text import title_key
from tests.conftest import LISTINGS, REPO, SEEDS, file_hashes, rendered_text, seed_entries


def config_for(snapshots: Path, papers: Path, **overrides) -> SiteConfig:
    """Settings for these folders, with the cache and lock beside the papers (not the repo's)."""
    config, _ = load_config(None, {"snapshots": snapshots, "papers": papers, **overrides})
    return replace(config, root=papers.parent)


def by_title(papers_dir: Path) -> dict[str, object]:
    stored, problems = load_papers(papers_dir)
    assert problems == []
    return {title_key(s.paper.title): s for s in stored}


def test_seeds_ingest_into_134_papers_whose_fields_match_the_listings(ingested_seeds: Path) -> None:
    files = sorted(ingested_seeds.glob("*.md"))
    assert len(files) == 134
    stored = by_title(ingested_seeds)
    merged, _ = merge_entries(seed_entries())
    for paper in merged:
        s = stored[title_key(paper.title)]
        got = s.paper
        assert (got.title, got.date, got.organization, got.authors_count, got.upvotes) == (
            paper.title,
            paper.date,
            paper.organization,
            paper.authors_count,
            paper.upvotes,
        )
        assert got.sources == paper.sources and got.links == paper.links
        assert Path(s.fs_path).name == f"{got.slug}.md"
        # The body renders back to exactly the newest capture's abstract.
        assert rendered_text(got.file_body) == paper.listed_abstract


def test_every_seed_sighting_is_in_its_paper(ingested_seeds: Path) -> None:
    stored = by_title(ingested_seeds)
    for e in seed_entries():
        paper = stored[title_key(e.title)].paper
        assert e.source in paper.sources
        if e.date is not None:
            assert paper.date == e.date
    undated = [s.paper.title for s in stored.values() if s.paper.date is None]
    assert len(undated) == 5  # the five seed entries without a meta block


def test_a_second_run_changes_no_byte(snapshots: Path, tmp_path: Path) -> None:
    config = config_for(snapshots, tmp_path / "papers")
    first = ingest(config)
    assert (first.files, first.entries, first.papers, first.new) == (4, 170, 134, 134)
    before = file_hashes(tmp_path / "papers")
    mtimes = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "papers").iterdir()}
    second = ingest(config)
    assert (second.new, second.updated, second.unchanged) == (0, 0, 134)
    assert file_hashes(tmp_path / "papers") == before
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "papers").iterdir()} == mtimes
    assert second.summary().startswith(
        "ingest: 4 files read, 170 entries, 134 unique papers (0 new, 0 updated, 134 unchanged), "
        "nothing skipped, "
    )


def test_the_shipped_sample_papers_are_what_ingest_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from builder import store

    papers = tmp_path / "papers"
    shutil.copytree(REPO / "content" / "papers", papers)
    before = file_hashes(papers)
    report = ingest(config_for(SEEDS, papers))
    assert (report.new, report.updated, report.unchanged) == (0, 0, 134)
    assert file_hashes(papers) == before
    fresh = tmp_path / "fresh"
    ingest(config_for(SEEDS, fresh))
    assert file_hashes(fresh) == before
    # Formatted by forked workers, as a first ingest of thousands is: the same files.
    monkeypatch.setattr(store, "PARALLEL_FROM", 2)
    forked = tmp_path / "forked"
    ingest(config_for(SEEDS, forked))
    assert file_hashes(forked) == before


DEI = "dei-diversity-in-evolutionary-inference-for-quality-diversity-search.md"


def newer_json_snapshot(folder: Path) -> None:
    """A later API capture of the DEI paper: an arXiv id, authors and more upvotes."""
    item = {
        "paper": {
            "id": "2605.20001",
            "title": "DEI: Diversity in Evolutionary Inference for Quality-Diversity Search",
            "summary": "A newer, different abstract.",
            "upvotes": 17,
            "publishedAt": "2026-05-25T10:00:00.000Z",
            "authors": [{"name": "Ada Lovelace"}],
        }
    }
    path = folder / "later.json"
    path.write_text(json.dumps([item]))
    stamp = dt.datetime(2026, 7, 1, 12).timestamp()
    os.utime(path, (stamp, stamp))


def test_hand_edits_survive_and_new_sightings_update_only_ingest_keys(
    snapshots: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="builder")
    papers = tmp_path / "papers"
    config = config_for(snapshots, papers)
    ingest(config)
    dei = papers / DEI
    text = dei.read_text()
    edited = (
        text.replace(
            "title: 'DEI: Diversity in Evolutionary Inference for Quality-Diversity Search'",
            "title: 'DEI: Diversity in Evolutionary Inference'  # shorter",
        )
        .replace("upvotes: 2\n", "upvotes: 2\ntags: [evolution]\nnotes: read this one\n")
        .replace("We present DEI", "My summary. We present DEI")
    )
    dei.write_text(edited)
    newer_json_snapshot(snapshots)
    report = ingest(config)
    assert (report.new, report.updated, report.unchanged) == (0, 1, 133)
    assert dei.read_text() == (
        "---\n"
        "title: 'DEI: Diversity in Evolutionary Inference'  # shorter\n"
        "slug: dei-diversity-in-evolutionary-inference-for-quality-diversity-search\n"
        "date: 2026-05-25\n"
        "listed: 2026-06-10\n"
        "authors:\n"
        "- Ada Lovelace\n"
        "organization: {id: Gensyn, name: Gensyn}\n"
        "upvotes: 17\n"
        "arxiv_id: '2605.20001'\n"
        "tags: [evolution]\n"
        "notes: read this one\n"
        "sources:\n"
        "- {file: 003_ec715fc4c25e81b6.txt, captured: 2026-06-10}\n"
        "- {file: later.json, captured: 2026-07-01}\n"
        "---\n" + text.split("---\n", 2)[2].replace("We present DEI", "My summary. We present DEI")
    )
    assert "shows a different abstract" in caplog.text and "keeps its body" in caplog.text
    # And once more: nothing changes.
    before = file_hashes(papers)
    assert ingest(config).updated == 0
    assert file_hashes(papers) == before


def files_looked_at(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The slugs of the paper files ingest compares with their merged papers, as it does."""
    from builder import store

    looked_at: list[str] = []
    real_update_fields = store.update_fields
    monkeypatch.setattr(
        store,
        "update_fields",
        lambda stored, *a: looked_at.append(stored.slug) or real_update_fields(stored, *a),
    )
    return looked_at


def test_an_ingest_after_hand_edits_alone_reads_no_snapshot_and_looks_at_the_edited_files(
    snapshots: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from builder import read, store

    papers = tmp_path / "papers"
    config = config_for(snapshots, papers)
    ingest(config)
    newer_json_snapshot(snapshots)  # a newer capture: ingest updates a file
    assert ingest(config).updated == 1  # then knows what the files it wrote hold
    read_calls: list[Path] = []  # (every read of snapshots, with or without the cache)
    real_parse = read.parse_listings
    monkeypatch.setattr(
        read, "parse_listings", lambda p, *a: read_calls.extend(p) or real_parse(p, *a)
    )
    looked_at = files_looked_at(monkeypatch)
    matched: list[int] = []
    real_match_stored = store.match_stored
    monkeypatch.setattr(
        store, "match_stored", lambda papers, *a: matched.append(1) or real_match_stored(papers, *a)
    )
    # A person drops a key ingest fills, and edits another file's tags: no file says it is
    # another paper now, so no paper is matched again.
    dei = papers / DEI
    dei.write_text(dei.read_text().replace("date: 2026-05-25\n", ""))
    other = sorted(papers.glob("*.md"))[0]
    other.write_text(other.read_text().replace("\nsources:", "\ntags: [mine]\nsources:", 1))
    for path in (dei, other):
        os.utime(path, ns=(time.time_ns() - 5 * 10**9,) * 2)
    report = ingest(config)
    assert read_calls == [] and matched == []
    assert sorted(looked_at) == sorted([DEI[:-3], other.stem])
    assert (report.files, report.entries, report.papers) == (5, 171, 134)
    assert (report.updated, report.unchanged) == (1, 133)
    assert "date: 2026-05-25\n" in dei.read_text()  # filled again, as a full ingest does
    assert "tags: [mine]" in other.read_text()
    # A retitled file may match another paper: every file is matched again, and only the
    # retitled one is looked at (the rest hold their papers as the last ingest found).
    assert ingest(config).updated == 0  # settles the file just filled
    looked_at.clear()
    title = next(line for line in other.read_text().splitlines() if line.startswith("title:"))
    other.write_text(other.read_text().replace(title, "title: My own title"))
    os.utime(other, ns=(time.time_ns() - 5 * 10**9,) * 2)
    report = ingest(config)
    assert looked_at == [other.stem] and read_calls == [] and matched == [1]
    assert (report.new, report.updated, report.unchanged) == (0, 0, 134)


def test_hand_edits_that_ingest_leaves_are_looked_at_again_not_saved_in_the_pairing(
    snapshots: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from builder import ingest as ingest_module
    from builder.tables import LazyTable

    papers = tmp_path / "papers"
    config = config_for(snapshots, papers)
    ingest(config)
    saved: list[int] = []  # each pairing stored: how many files it holds
    real_put = LazyTable.put

    def put(table: LazyTable, key: object, value: object) -> None:
        if key == "pairing":
            saved.append(len(value.pairing.files))  # type: ignore[attr-defined]
        real_put(table, key, value)

    monkeypatch.setattr(LazyTable, "put", put)
    looked_at = files_looked_at(monkeypatch)
    files = sorted(papers.glob("*.md"))

    def tag(path: Path, name: str) -> None:
        path.write_text(path.read_text().replace("\nsources:", f"\ntags: [{name}]\nsources:", 1))
        os.utime(path, ns=(time.time_ns() - 5 * 10**9,) * 2)

    # A hand edit ingest leaves as it is: the pairing of every file is not written again...
    tag(files[0], "first")
    assert ingest(config).unchanged == 134
    assert saved == [] and looked_at == [files[0].stem]
    # ...so the next ingest looks at that file again, with the one edited since.
    looked_at.clear()
    tag(files[1], "second")
    assert ingest(config).unchanged == 134
    assert saved == [] and sorted(looked_at) == [files[0].stem, files[1].stem]
    # Past RELOOK files changed since, the pairing is saved, and they are not looked at again.
    looked_at.clear()
    for path in files[2 : ingest_module.RELOOK + 1]:
        tag(path, "more")
    assert ingest(config).unchanged == 134
    assert len(looked_at) == ingest_module.RELOOK + 1 and saved == [134]
    looked_at.clear()
    assert ingest(config).unchanged == 134  # nothing changed: the ingest record answers
    tag(files[-1], "last")
    ingest(config)
    assert looked_at == [files[-1].stem] and saved == [134]
    # What the files hold is the hand edits, every one.
    assert all("tags: [" in path.read_text() for path in [*files[: ingest_module.RELOOK + 1]])


def test_a_build_stopped_midway_prunes_no_table_and_the_next_removes_a_deleted_papers_files(
    snapshots: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from builder import memo

    config = config_for(snapshots, tmp_path / "papers", output=tmp_path / "site")
    ingest(config)
    mine = config.papers / "mine.md"  # written by hand: no snapshot brings it back
    mine.write_text("---\ntitle: My Own Note\ndate: 2026-06-30\n---\nMine.\n")
    os.utime(mine, ns=(time.time_ns() - 5 * 10**9,) * 2)
    build(config)
    page = config.output / "papers" / "mine.html"
    assert page.is_file()
    mine.unlink()
    # A bug (or Ctrl-C) stops the next build after it read the site's table, before it
    # planned a file: the table keeps every file it holds.
    monkeypatch.setattr(memo, "related_lists", lambda *a: (_ for _ in ()).throw(KeyError("x")))
    with pytest.raises(KeyError):
        build(config)
    monkeypatch.undo()
    build(config)
    assert not page.exists()
    (tmp_path / "other").mkdir()  # built from nothing: another cache
    fresh = replace(config, output=tmp_path / "fresh", root=tmp_path / "other")
    build(fresh)
    assert file_hashes(config.output).keys() == file_hashes(fresh.output).keys()


def test_an_ingest_of_a_new_snapshot_looks_only_at_the_files_of_the_papers_it_changed(
    snapshots: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    papers = tmp_path / "papers"
    config = config_for(snapshots, papers)
    ingest(config)
    looked_at = files_looked_at(monkeypatch)
    # A newer capture of one paper, and a listing of a new one: every file is matched again
    # (the merge changed), and only the file of the changed paper is looked at.
    newer_json_snapshot(snapshots)
    item = {"paper": {"id": "2607.00001", "title": "A Paper Never Seen", "summary": "New."}}
    (snapshots / "new.json").write_text(json.dumps([item]))
    for path in (snapshots / "later.json", snapshots / "new.json"):
        os.utime(path, ns=(time.time_ns() - 5 * 10**9,) * 2)
    # The same files, ingested without the cache's memory of the last ingest: every file
    # looked at.
    uncached = tmp_path / "uncached" / "papers"
    shutil.copytree(papers, uncached)
    report = ingest(config)
    assert looked_at == [DEI[:-3]]
    assert (report.new, report.updated, report.unchanged) == (1, 1, 133)
    looked_at.clear()
    ingest(config_for(snapshots, uncached))
    assert len(looked_at) == 134
    assert file_hashes(papers) == file_hashes(uncached)
    # A paper whose merge changed is looked at again, though its file did not change.
    later = json.loads((snapshots / "later.json").read_text())
    later[0]["paper"]["upvotes"] = 18
    (snapshots / "later.json").write_text(json.dumps(later))
    os.utime(snapshots / "later.json", ns=(time.time_ns() - 5 * 10**9,) * 2)
    looked_at.clear()
    assert ingest(config).updated == 1 and looked_at == [DEI[:-3]]
    assert "upvotes: 18\n" in (papers / DEI).read_text()


def test_a_paper_first_seen_without_abstract_gets_one_later(
    snapshots: Path, tmp_path: Path
) -> None:
    papers = tmp_path / "papers"
    cards = tmp_path / "cards"
    cards.mkdir()
    shutil.copy(LISTINGS / "cards.html", cards)
    ingest(config_for(cards, papers))
    path = papers / "the-truthfulness-spectrum-hypothesis.md"
    assert path.read_text().endswith("---\n")  # no abstract on a card
    shutil.copy(LISTINGS / "cards.html", snapshots)
    report = ingest(config_for(snapshots, papers))
    assert report.updated == 2 and report.new == 132
    text = path.read_text()
    assert text.startswith("---\ntitle: The Truthfulness Spectrum Hypothesis\n")
    assert "arxiv_id: '2506.10003'\n" in text
    assert text.split("---\n", 2)[2].startswith("Large language models (LLMs) have been reported")
    assert ingest(config_for(snapshots, papers)).updated == 0


def test_removed_snapshots_keep_their_papers(snapshots: Path, tmp_path: Path) -> None:
    papers = tmp_path / "papers"
    config = config_for(snapshots, papers)
    ingest(config)
    before = file_hashes(papers)
    for path in snapshots.glob("00[0-2]_*.txt"):
        path.unlink()
    report = ingest(config)
    assert report.papers == 42 and report.new == 0 and report.updated == 0
    assert file_hashes(papers) == before


def test_an_older_capture_does_not_replace_a_newer_count(snapshots: Path, tmp_path: Path) -> None:
    papers = tmp_path / "papers"
    newer_json_snapshot(snapshots)
    ingest(config_for(snapshots, papers))
    assert "upvotes: 17\n" in (papers / DEI).read_text()
    (snapshots / "later.json").unlink()
    report = ingest(config_for(snapshots, papers))
    assert report.updated == 0
    assert "upvotes: 17\n" in (papers / DEI).read_text()


def test_hand_written_and_retitled_papers_are_kept_not_duplicated(
    snapshots: Path, tmp_path: Path
) -> None:
    papers = tmp_path / "papers"
    config = config_for(snapshots, papers)
    ingest(config)
    mine = papers / "my-notes.md"
    mine.write_text("---\ntitle: My Own Notes\ntags: [reading]\n---\nNot from any listing.\n")
    dei = papers / DEI
    dei.write_text(dei.read_text().replace("title: 'DEI: Diversity", "title: 'Renamed: DEI"))
    report = ingest(config)
    assert (report.new, report.updated, report.unchanged) == (0, 0, 134)
    assert len(list(papers.glob("*.md"))) == 135
    assert mine.read_text().endswith("Not from any listing.\n")


def test_a_broken_paper_file_is_never_overwritten(
    snapshots: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    papers = tmp_path / "papers"
    config = config_for(snapshots, papers)
    ingest(config)
    dei = papers / DEI
    broken = dei.read_text().replace("date: 2026-05-25", "date: [2026")
    dei.write_text(broken)
    report = ingest(config)
    assert dei.read_text() == broken
    assert len(list(papers.glob("*.md"))) == 134  # no duplicate beside the broken file
    assert report.new == 0 and report.unchanged == 133
    assert "front matter is not valid YAML" in caplog.text
    assert "fix the file and run ingest again" in caplog.text
    assert "skipped (1 paper file to fix first, 1 unreadable paper file)" in report.summary()


def test_build_renders_a_page_per_paper(tmp_path: Path) -> None:
    papers = tmp_path / "papers"
    shutil.copytree(REPO / "content" / "papers", papers)
    out = tmp_path / "site"
    report = build(config_for(SEEDS, papers, output=out))
    assert report.papers == 134
    pages = sorted((out / "papers").glob("*.html"))
    assert len(pages) == 134
    assert (out / "index.html").read_text().count('class="card-title"') == 59  # two days
    assert (out / "assets" / "style.css").is_file()


def test_an_unchanged_rebuild_writes_nothing_and_a_change_rewrites_only_its_pages(
    tmp_path: Path,
) -> None:
    papers = tmp_path / "papers"
    shutil.copytree(REPO / "content" / "papers", papers)
    out = tmp_path / "site"
    config = config_for(SEEDS, papers, output=out)
    first = build(config)
    inodes = {p: p.stat().st_ino for p in out.rglob("*") if p.is_file()}
    seen: list[tuple] = []  # what `published` found: the page, and the saved build state

    def published() -> None:
        page = (
            out
            / "papers"
            / "dei-diversity-in-evolutionary-inference-for-quality-diversity-search.html"
        )
        saved = BuildCache(config.cache_dir).table("state").get("build")
        seen.append(("my list" in page.read_text(), saved))

    again = build(config, published=published)
    assert again.files == first.files and again.unchanged == again.files
    assert {p: p.stat().st_ino for p in out.rglob("*") if p.is_file()} == inodes
    assert seen == []  # nothing changed: nothing published
    state = BuildCache(config.cache_dir).table("state").get("build")

    dei = papers / "dei-diversity-in-evolutionary-inference-for-quality-diversity-search.md"
    dei.write_text(dei.read_text().replace("upvotes: 2\n", "upvotes: 2\ntags: [my list]\n"))
    third = build(config, published=published)
    # Published once, with the new page in place and the last build's state not yet replaced.
    assert seen == [(True, state)]
    assert BuildCache(config.cache_dir).table("state").get("build") != state
    changed = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {
        p.relative_to(out).as_posix() for p, ino in inodes.items() if p.stat().st_ino == ino
    }
    # The paper's page and the pages that show its card, nothing else.
    assert (
        "papers/dei-diversity-in-evolutionary-inference-for-quality-diversity-search.html"
        in changed
    )
    assert "index.html" in changed and "days/2026-06-10.html" in changed  # its card
    assert "topics/my-list.html" in changed
    # Archives list rows without tags: the paper's month and organization look the same.
    assert "months/2026-06.html" not in changed and "orgs/gensyn.html" not in changed
    assert not any(c.startswith("papers/") for c in changed if "dei-" not in c)
    assert third.files - third.unchanged == len(changed)
    pages = {c for c in changed if not c.startswith("assets/search/")}
    # Feeds list a paper's topics: the new topic's feed, the feeds with the paper, the lists.
    assert {"topics/my-list.xml", "feed.xml", "orgs/gensyn.xml", "feeds.opml"} <= pages
    assert len(pages) < 16, pages
    # The topic field's average length changed, so the weights of every topic term did: the
    # shards that hold them change, and the manifest; the records (no topics in them) do not.
    search_files = changed - pages
    assert "assets/search/meta.js" in search_files
    assert not any(c.startswith(("assets/search/r/", "assets/search/papers")) for c in search_files)


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (lambda tmp: Path("/"), "is the filesystem root"),
        (lambda tmp: Path.home(), "is your home folder"),
        (lambda tmp: tmp, "would replace"),
        (lambda tmp: tmp / "notes", "not an earlier build"),
        (lambda tmp: tmp / "papers", "would replace"),
    ],
)
def test_build_refuses_a_dangerous_out_and_touches_nothing(
    tmp_path: Path, cli, where, message: str
) -> None:
    papers = tmp_path / "papers"
    shutil.copytree(REPO / "content" / "papers", papers)
    (tmp_path / "site.yaml").write_text("title: T\n")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "keep.txt").write_text("mine")
    before = file_hashes(tmp_path)
    code, _, err = cli(
        "build",
        "--snapshots",
        str(SEEDS),
        "--papers",
        str(papers),
        "--out",
        str(where(tmp_path)),
        cwd=tmp_path,
    )
    assert code == 1 and message in err and "Error: --out" in err
    assert file_hashes(tmp_path) == before


def test_a_theme_folder_overrides_single_files(tmp_path: Path) -> None:
    papers = tmp_path / "papers"
    shutil.copytree(REPO / "content" / "papers", papers)
    theme = tmp_path / "theme"
    (theme / "static").mkdir(parents=True)
    (theme / "static" / "style.css").write_text("body { color: rebeccapurple; }\n")
    (theme / "static" / "extra.js").write_text("// mine\n")
    base = (REPO / "templates" / "base.html").read_text()
    (theme / "base.html").write_text(base.replace("<main", "<p class=mine>Mine</p>\n<main"))
    out = tmp_path / "site"
    build(config_for(SEEDS, papers, output=out, theme_dirs=(theme,)))
    assert (out / "assets" / "style.css").read_text() == "body { color: rebeccapurple; }\n"
    assert (out / "assets" / "extra.js").is_file() and (out / "assets" / "site.js").is_file()
    assert (
        "<p class=mine>Mine</p>"
        in (
            out
            / "papers"
            / "dei-diversity-in-evolutionary-inference-for-quality-diversity-search.html"
        ).read_text()
    )
    assert "<p class=mine>" in (out / "index.html").read_text()


def test_a_theme_search_js_without_the_rules_mark_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    papers = tmp_path / "papers"
    shutil.copytree(REPO / "content" / "papers", papers)
    theme = tmp_path / "theme"
    (theme / "static").mkdir(parents=True)
    (theme / "static" / "search.js").write_text("// an old copy, with rules of its own\n")
    out = tmp_path / "site"
    with caplog.at_level(logging.WARNING, logger="builder"):
        build(config_for(SEEDS, papers, output=out, theme_dirs=(theme,)))
    assert "static/search.js has no '/* paper-digest: rules */ null'" in caplog.text
    assert (out / "assets" / "search.js").read_text() == "// an old copy, with rules of its own\n"


def run_killed(point: str, *args: str) -> None:
    """Run the CLI in a process of its own that kills itself at `point`; check that it did."""
    done = subprocess.run(
        [sys.executable, "-m", "builder", *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), KILL_AT: point},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == -signal.SIGKILL, f"not killed at {point}: {done.stderr}"


def test_a_killed_build_leaves_every_file_whole_and_the_next_one_completes_it(
    tmp_path: Path, synthetic_corpus
) -> None:
    (tmp_path / "snapshots").mkdir()
    (tmp_path / "papers").mkdir()
    for path in sorted(synthetic_corpus.iterdir())[:40]:
        shutil.copy(path, tmp_path / "papers")
    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text(
            f"title: Site {name}\nsnapshots: snapshots\npapers: papers\noutput: site\n"
        )
    out = tmp_path / "site"

    def build_now(name: str) -> dict[str, str]:
        build(load_config(tmp_path / f"{name}.yaml", {})[0])
        return file_hashes(out)

    def build_killed(name: str, point: str) -> None:
        run_killed(point, "build", "--config", str(tmp_path / f"{name}.yaml"))

    def beside() -> list[str]:
        """The folders left beside the site (`site.tmp-PID`)."""
        return sorted(p.name[:8] for p in tmp_path.glob("site.*"))

    sites = {"b": build_now("b"), "a": build_now("a")}
    assert sites["a"] != sites["b"] and beside() == []

    # Every page rendered, none moved in: the site untouched, the new files beside it.
    build_killed("b", "rendered")
    assert file_hashes(out) == sites["a"]
    assert beside() == ["site.tmp"]
    # Midway through the moves: every file whole, the old site's or the new one's.
    build_killed("b", "moving")
    now = file_hashes(out)
    assert now != sites["a"] and now != sites["b"]
    assert all(digest in (sites["a"].get(f), sites["b"].get(f)) for f, digest in now.items())
    # The next build completes those moves first (whichever site it builds), then its own.
    assert build_now("b") == sites["b"]
    assert beside() == []
    build_killed("a", "moving")
    assert build_now("a") == sites["a"]
    assert beside() == []


def test_a_second_build_waits_for_the_first_and_then_builds(tmp_path: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "snapshots")
    (tmp_path / "site.yaml").write_text("title: Locked\nsnapshots: snapshots\npapers: papers\n")
    config, _ = load_config(tmp_path / "site.yaml", {})
    with build_lock(config):  # this test plays the first build
        second = subprocess.Popen(
            [sys.executable, "-m", "builder", "build"],
            cwd=tmp_path,
            stderr=subprocess.PIPE,
            text=True,
            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        )
        first_line = second.stderr.readline()
        assert f"another build (PID {os.getpid()})" in first_line and "waiting" in first_line
        time.sleep(1.0)
        assert second.poll() is None  # still waiting
        assert not (tmp_path / "output").exists() and not (tmp_path / "papers").exists()
    rest = second.communicate(timeout=120)[1]
    assert second.returncode == 0, rest
    assert "build: 134 papers" in rest
    # The lock file is left empty and unlocked: the next build does not wait.
    assert (tmp_path / ".cache" / "build.lock").read_text() == ""
    with build_lock(config):
        pass


def test_a_killed_ingest_leaves_every_paper_file_whole(tmp_path: Path) -> None:
    snapshots = tmp_path / "snapshots"
    snapshots.mkdir()
    (tmp_path / "site.yaml").write_text("snapshots: snapshots\npapers: papers\n")
    papers = tmp_path / "papers"
    synthetic = make_papers(30, seed=3)

    def snapshot(name: str, day: int, more: int) -> None:
        """An API snapshot of the synthetic papers, captured on `day` July 2026."""
        items = [
            {
                "paper": {
                    "title": p.title,
                    "summary": p.listed_abstract,
                    "upvotes": (p.upvotes or 0) + more,
                }
            }
            for p in synthetic
        ]
        (snapshots / name).write_text(json.dumps(items), encoding="utf-8")
        stamp = dt.datetime(2026, 7, day, 12).timestamp()
        os.utime(snapshots / name, (stamp, stamp))

    def complete() -> dict[str, str]:
        """The paper files a whole ingest of the snapshots writes into an empty folder."""
        folder = tmp_path / f"complete-{len(list(snapshots.iterdir()))}"
        ingest(load_config(tmp_path / "site.yaml", {"papers": folder})[0])
        return file_hashes(folder)

    def killed(point: str) -> tuple[dict[str, str], list[str]]:
        """Ingest in a process killed at `point`; return the paper files and the other files."""
        run_killed(point, "ingest", "--config", str(tmp_path / "site.yaml"))
        files = file_hashes(papers)
        assert load_papers(papers)[1] == []  # every paper file reads
        return {n: h for n, h in files.items() if n.endswith(".md")}, [
            n for n in files if not n.endswith(".md")
        ]

    snapshot("first.json", 1, 0)
    created = complete()
    assert len(created) == 30
    # After ten files: those ten, each whole, and nothing else.
    files, others = killed("paper-written:10")
    assert len(files) == 10 and others == []
    assert all(created[name] == h for name, h in files.items())
    # With a fifth file written beside its place: the others whole, that one never moved in.
    files, others = killed("temp-written:5")
    assert len(files) == 14 and all(created[name] == h for name, h in files.items())
    assert len(others) == 1 and others[0].startswith(".") and others[0].endswith(".tmp")
    assert others[0][1:].partition(".md.")[0] + ".md" not in files
    # The next run completes the job and removes the temporary file.
    ingest(load_config(tmp_path / "site.yaml", {})[0])
    assert file_hashes(papers) == created

    # Killed while updating: every file is the old one or the new one, whole.
    snapshot("later.json", 2, 5)
    updated = complete()
    assert all(updated[name] != created[name] for name in created)
    files, others = killed("temp-written:8")
    assert sorted(files) == sorted(created) and len(others) == 1
    assert sum(files[name] == updated[name] for name in files) == 7
    assert all(files[name] in (created[name], updated[name]) for name in files)
    ingest(load_config(tmp_path / "site.yaml", {})[0])
    assert file_hashes(papers) == updated


def test_an_organization_or_tag_called_index_gets_a_suffix_and_keeps_the_index_pages(
    tmp_path: Path,
) -> None:
    papers = tmp_path / "papers"
    papers.mkdir()
    (papers / "a.md").write_text(
        "---\ntitle: A\ndate: 2026-01-02\norganization: {id: index, name: Index Lab}\n"
        "tags: [index]\n---\nAbout an index.\n"
    )
    out = tmp_path / "site"
    (tmp_path / "snapshots").mkdir()
    build(config_for(tmp_path / "snapshots", papers, output=out))
    for section in ("orgs", "topics"):
        assert "<h1>" in (out / section / "index-2.html").read_text()
        index = (out / section / "index.html").read_text()
        assert f'href="../{section}/index-2.html"' in index  # the section's own index lists it


def test_two_outputs_of_one_path_are_an_error_naming_both() -> None:
    from builder.models import Output
    from builder.plan import check_paths

    plan = [Output("a.html", "1", lambda: b""), Output("a.html", "2", partial(str.encode, "x"))]
    with pytest.raises(
        BuilderError, match=r"written to a.html: one by .*<lambda>, one by .*encode"
    ):
        check_paths(plan)
