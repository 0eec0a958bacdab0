"""The build cache: every kind of change gives the site a build without cache gives; a build
with nothing to do writes nothing; a broken or stale cache only costs time."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from builder import cache as cache_module
from builder import related
from builder.build import build
from builder.cache import BuildCache
from builder.config import SiteConfig, load_config
from builder.ingest import ingest
from builder.read import read_snapshots
from builder.render import Renderer
from builder.stats import RACY_NS
from builder.tables import BUNDLE
from builder.workers import Background
from tests.conftest import REPO, SEEDS, file_hashes

SITE_YAML = "title: Cached\nsnapshots: snapshots\npapers: papers\noutput: output\n"


def stats(folder: Path) -> dict[str, tuple]:
    """Every file's and folder's inode, size and modification time below `folder`."""
    found = {}
    for p in sorted(folder.rglob("*")):
        st = p.lstat()
        found[p.relative_to(folder).as_posix()] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return found


def make_project(root: Path) -> Path:
    """A project with three of the seed snapshots (the fourth comes later)."""
    (root / "snapshots").mkdir(parents=True)
    for path in sorted(SEEDS.iterdir())[1:]:
        shutil.copy2(path, root / "snapshots" / path.name)
    (root / "site.yaml").write_text(SITE_YAML)
    return root


def run(root: Path) -> None:
    config, _ = load_config(root / "site.yaml", {})
    build(config)


def settle(root: Path) -> None:
    """Date every input two seconds back, so the build can trust their stats."""
    past = time.time_ns() - 2 * RACY_NS
    for p in root.rglob("*"):
        if ".cache" not in p.parts and "output" not in p.parts:
            os.utime(p, ns=(past, past), follow_symlinks=False)


def copy_project(source: Path, dest: Path) -> None:
    """Copy a built project, its site's files as hard links (they keep their recorded stats)."""
    # Inputs and cache are copied: tests edit them in place. A build never writes into a site
    # file (it renames a new file over it), so links are safe.
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(source, dest, symlinks=True, ignore=shutil.ignore_patterns("output"))
    shutil.copytree(source / "output", dest / "output", copy_function=os.link)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Ingest, settle and build the project once: where it was built, and a copy of it."""
    base = tmp_path_factory.mktemp("cached")
    root = make_project(base / "project")
    ingest(load_config(root / "site.yaml", {})[0])
    settle(root)
    run(root)
    copy_project(root, base / "built")
    return root, base / "built"


@pytest.fixture
def project(built: tuple[Path, Path]) -> Path:
    """The built project for this test alone, restored at the path it was built at."""
    # At the same path: the no-op test and the table of file hashes know files by their path
    # (the pages' keys do not), so a copy elsewhere would read and hash every file again.
    root, saved = built
    copy_project(saved, root)
    return root


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], Path]:
    """Build a copy of a project without cache (once per set of inputs); return its site."""
    # The same inputs: the same files, bytes and modification times.
    sites: dict[tuple, Path] = {}

    def site(root: Path) -> Path:
        inputs = tuple(
            (name, digest, (root / name).stat().st_mtime_ns)
            for name, digest in file_hashes(root).items()
            if not name.startswith((".cache/", "output/"))
        )
        if inputs not in sites:
            scratch = tmp_path_factory.mktemp("fresh")
            shutil.copytree(
                root,
                scratch,
                ignore=shutil.ignore_patterns(".cache", "output"),
                symlinks=True,
                dirs_exist_ok=True,
            )
            run(scratch)
            sites[inputs] = scratch / "output"
        return sites[inputs]

    return site


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


DEI = "papers/dei-diversity-in-evolutionary-inference-for-quality-diversity-search.md"


def add_snapshot(root: Path) -> None:
    first = sorted(SEEDS.iterdir())[0]
    shutil.copy2(first, root / "snapshots" / first.name)


def hand_edit(root: Path) -> None:
    edit(root / DEI, "title: 'DEI: ", "title: 'Edited DEI: ")
    path = root / DEI
    path.write_text(path.read_text() + "\nA paragraph added by hand.\n")


def hand_edit_breaking_the_file(root: Path) -> None:
    edit(root / DEI, "title: ", "title: Edited ")  # `Edited 'DEI: ...` is no YAML
    path = root / DEI
    path.write_text(path.read_text() + "\nA paragraph added by hand.\n")


def delete_paper(root: Path) -> None:
    (root / DEI).unlink()


def hand_written(root: Path) -> None:
    path = root / "papers" / "mine.md"
    path.write_text(
        "---\ntitle: My Own Note on Grokking\ndate: 2026-06-30\ntags: [notes]\n---\n"
        "I wrote this one myself, about grokking.\n"
    )
    written = dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC).timestamp()
    os.utime(path, (written, written))  # the same file in every test: one build without cache


def set_aside_mine(root: Path) -> None:
    """Move the hand-written paper out of the papers folder (as `git stash` would)."""
    (root / "papers" / "mine.md").rename(root / "mine.md")


def bring_back_mine(root: Path) -> None:
    """Put it back as it was: its pages come back."""
    (root / "mine.md").rename(root / "papers" / "mine.md")


def rename_mine(root: Path) -> None:
    """Rename it: without a slug line, its name is its slug, so its page moves."""
    (root / "papers" / "mine.md").rename(root / "papers" / "my-own-note.md")


def hand_written_bare(root: Path) -> None:
    """A paper with a title alone: no date, organization or topic (counted on trends.html)."""
    path = root / "papers" / "bare.md"
    path.write_text("---\ntitle: A Bare Note\n---\nNothing but words.\n")
    written = dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC).timestamp()
    os.utime(path, (written, written))


def theme_template(root: Path) -> None:
    theme = root / "theme"
    theme.mkdir()
    base = (REPO / "templates" / "base.html").read_text()
    (theme / "base.html").write_text(base.replace("<main", "<p class=mine>Mine</p>\n<main"))
    edit(root / "site.yaml", "output: output\n", "output: output\ntheme_dirs: [theme]\n")


def theme_card(root: Path) -> None:
    macros = (REPO / "templates" / "macros.html").read_text()
    (root / "theme" / "macros.html").write_text(
        macros.replace('class="excerpt"', 'class="excerpt mine"')
    )


def theme_static(root: Path) -> None:
    (root / "theme" / "static").mkdir()
    (root / "theme" / "static" / "style.css").write_text("body { color: rebeccapurple; }\n")


def settings_page_size(root: Path) -> None:
    edit(root / "site.yaml", "title: Cached\n", "title: Cached\npage_size: 7\n")


def settings_topics(root: Path) -> None:
    edit(root / "site.yaml", "title: Cached\n", "title: Cached\ntopics:\n  grok: [grokking]\n")


def settings_topics_reordered(root: Path) -> None:
    """The default topics, last first: a paper's topics come in the rules' order."""
    from builder.config import DEFAULT_TOPICS

    rules = "".join(
        f"  {name}: [{', '.join(repr(w) for w in words)}]\n"
        for name, words in reversed(DEFAULT_TOPICS.items())
    )
    edit(root / "site.yaml", "title: Cached\n", "title: Cached\ntopics:\n" + rules)


def settings_title(root: Path) -> None:
    edit(root / "site.yaml", "title: Cached\n", "title: Renamed\n")


def touch_only(root: Path) -> None:
    os.utime(root / DEI, None)


def remove_theme(root: Path) -> None:
    shutil.rmtree(root / "theme")
    edit(root / "site.yaml", "theme_dirs: [theme]\n", "")


# Each kind of change, made to the built project: a build after each step.
CHANGES: dict[str, list[Callable[[Path], None]]] = {
    "nothing": [],
    "add_snapshot": [add_snapshot],
    "hand_edit": [hand_edit],
    "hand_edit_breaking_the_file": [hand_edit_breaking_the_file],
    "delete_paper": [delete_paper],
    "hand_written": [hand_written],
    "hand_written_bare": [hand_written_bare],
    "set_aside_and_back": [hand_written, set_aside_mine, bring_back_mine],
    "renamed_without_slug": [hand_written, rename_mine],
    "theme": [theme_template, theme_card, theme_static, remove_theme],
    "settings_page_size": [settings_page_size],
    "settings_topics": [settings_topics],
    "settings_topics_reordered": [settings_topics_reordered],
    "settings_title": [settings_title],
    "touch_only": [touch_only],
}


@pytest.mark.parametrize("kind", CHANGES)
def test_every_kind_of_change_gives_the_site_a_build_without_cache_gives(
    project: Path, fresh: Callable[[Path], Path], monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    # Related lists are updated with the idf of the last fit until the collection grows 10%
    # (the one documented difference, tested below): here every change refits.
    monkeypatch.setattr(related, "_incremental", lambda *args: None)
    for change in CHANGES[kind] or [lambda root: None]:
        change(project)
        run(project)
        assert file_hashes(project / "output") == file_hashes(fresh(project)), change.__name__


def test_a_warm_build_after_an_edit_makes_again_only_what_the_edited_file_shows(
    project: Path, fresh: Callable[[Path], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from builder import load, prepare

    config, _ = load_config(project / "site.yaml", {})
    warm = BuildCache(config.cache_dir)
    build(config, warm=warm)  # nothing to do: nothing loaded
    edit(project / DEI, "upvotes: ", "tags: [mine]\nupvotes: ")
    build(load_config(project / "site.yaml", {})[0], warm=warm)  # loads, and remembers
    # (Papers written by hand with no day take the day their file appeared: made anew.)
    appeared = {s.paper.slug for s in load.load_papers(project / "papers")[0] if s.paper.appeared}
    hashed: list[bytes] = []
    keyed: list[str] = []
    made: list[str] = []
    real_sha, real_key, real_stored = prepare.sha, related.paper_key, load.StoredPaper
    monkeypatch.setattr(prepare, "sha", lambda data: hashed.append(data) or real_sha(data))
    monkeypatch.setattr(
        related, "paper_key", lambda page: keyed.append(page.paper.slug) or real_key(page)
    )
    monkeypatch.setattr(
        load, "StoredPaper", lambda *args: made.append(args[0]) or real_stored(*args)
    )
    edit(project / DEI, "tags: [mine]", "tags: [mine, yours]")
    build(load_config(project / "site.yaml", {})[0], warm=warm)
    slug = Path(DEI).stem
    # The edited paper's body alone is hashed, keyed and its file taken anew.
    assert slug not in appeared and len(hashed) == 1 + len(appeared)
    assert sorted(keyed) == sorted({slug} | appeared)
    assert [Path(shown).stem for shown in made] == [slug]
    assert file_hashes(project / "output") == file_hashes(fresh(project))


def tables_fetched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the tables read whole from the database from now on (a list it fills)."""
    loaded: list[str] = []
    real_fetch_rows = BuildCache._fetch_rows
    monkeypatch.setattr(
        BuildCache,
        "_fetch_rows",
        lambda self, name: loaded.append(name) or real_fetch_rows(self, name),
    )
    return loaded


def warm_after_nothing_to_do(project: Path) -> tuple[Callable[[], SiteConfig], dict]:
    """serve's build process after a first build with nothing to do, which wants a rehearsal:
    how it loads the settings, and its warm cache (as `serve._rehearse` takes them)."""
    from builder.serve import needs_rehearsal

    def load() -> SiteConfig:
        return load_config(project / "site.yaml", {})[0]

    run(project)  # (the copied site's folders have other stats: its files are looked at)
    warm = {"cache": BuildCache(load().cache_dir)}
    build(load(), warm=warm["cache"])  # nothing to do: nothing loaded
    assert needs_rehearsal(warm["cache"])
    return load, warm


def test_builds_with_the_warm_cache_of_the_last_give_what_builds_without_cache_give(
    project: Path, fresh: Callable[[Path], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(related, "_incremental", lambda *args: None)  # as above
    config, _ = load_config(project / "site.yaml", {})
    warm = BuildCache(config.cache_dir)
    build(config, warm=warm)
    loaded = tables_fetched(monkeypatch)
    edit(project / DEI, "upvotes: ", "tags: [mine]\nupvotes: ")  # ingest looks at it alone
    build(load_config(project / "site.yaml", {})[0], warm=warm)
    assert "papers" not in loaded and "prepared" not in loaded  # still in memory
    hand_edit(project)  # a new title: every merged paper is matched again
    build(load_config(project / "site.yaml", {})[0], warm=warm)
    assert file_hashes(project / "output") == file_hashes(fresh(project))
    # Another process's build writes the database: the warm cache reads it anew.
    hand_written(project)
    run(project)
    delete_paper(project)
    loaded.clear()
    build(load_config(project / "site.yaml", {})[0], warm=warm)
    assert "papers" in loaded
    assert file_hashes(project / "output") == file_hashes(fresh(project))
    for change in (add_snapshot, settings_topics, theme_template, hand_edit_breaking_the_file):
        change(project)
        build(load_config(project / "site.yaml", {})[0], warm=warm)
        assert file_hashes(project / "output") == file_hashes(fresh(project)), change.__name__


def test_a_rehearsal_after_a_build_with_nothing_to_do_writes_nothing_and_warms_the_cache(
    project: Path,
    fresh: Callable[[Path], Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # What serve's build process does after its first build, when that had nothing to do.
    from builder.serve import _rehearse, needs_rehearsal

    load, warm = warm_after_nothing_to_do(project)
    before = stats(project / "output")
    caplog.set_level(logging.DEBUG, logger="builder")
    caplog.clear()
    _rehearse(load, warm)
    assert caplog.records == []  # quietly
    assert stats(project / "output") == before  # no file written, moved or removed
    assert not needs_rehearsal(warm["cache"])
    loaded = tables_fetched(monkeypatch)
    edit(project / DEI, "upvotes: ", "tags: [mine]\nupvotes: ")
    report = build(load(), warm=warm["cache"])
    assert report.unchanged < report.files
    assert not {"papers", "prepared", "related", "files", "plan"} & set(loaded), loaded
    assert file_hashes(project / "output") == file_hashes(fresh(project))


def test_a_rehearsal_after_an_edit_leaves_it_to_the_next_build_which_shows_it(
    project: Path, fresh: Callable[[Path], Path]
) -> None:
    # An edit saved between serve's first build and its rehearsal: the rehearsal must not
    # build it (quietly, telling no page), the build the watcher asks for must.
    from builder.serve import _rehearse

    load, warm = warm_after_nothing_to_do(project)
    edit(project / DEI, "upvotes: ", "tags: [mine]\nupvotes: ")
    before = stats(project / "output")
    _rehearse(load, warm)
    assert stats(project / "output") == before
    published: list[bool] = []
    report = build(load(), warm=warm["cache"], published=lambda: published.append(True))
    assert published == [True] and 0 < report.files - report.unchanged < 40
    assert file_hashes(project / "output") == file_hashes(fresh(project))


def test_a_template_saved_during_a_rehearsal_is_left_to_the_next_build(
    project: Path, fresh: Callable[[Path], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Templates are read after the build's inputs are compared with the last build's: a
    # rehearsal that then finds files to write writes none of them.
    from builder import theme
    from builder.serve import _rehearse

    theme_template(project)
    settle(project)
    load, warm = warm_after_nothing_to_do(project)
    before = stats(project / "output")
    real_key = theme.theme_key

    def saved_meanwhile(config: SiteConfig) -> str:
        edit(project / "theme" / "base.html", "Mine</p>", "Mine, saved meanwhile</p>")
        return real_key(config)

    monkeypatch.setattr(theme, "theme_key", saved_meanwhile)
    _rehearse(load, warm)
    monkeypatch.setattr(theme, "theme_key", real_key)
    assert "saved meanwhile" in (project / "theme" / "base.html").read_text()
    assert stats(project / "output") == before
    published: list[bool] = []
    report = build(load(), warm=warm["cache"], published=lambda: published.append(True))
    assert published == [True] and report.files - report.unchanged > 100  # every page
    assert "saved meanwhile" in (project / "output" / "index.html").read_text()
    assert file_hashes(project / "output") == file_hashes(fresh(project))


def merged_rows(root: Path) -> dict[str, bytes]:
    """The rows of the build cache's table of merged papers, by row key."""
    with contextlib.closing(sqlite3.connect(root / ".cache" / cache_module.DATABASE)) as db:
        found = db.execute("SELECT key, item FROM entries WHERE tbl = 'merged'").fetchall()
    return {key: item for key, item in found if key.startswith("('paper'")}


def test_a_new_snapshot_writes_the_rows_of_the_merged_papers_it_added_or_changed_alone(
    project: Path,
) -> None:
    before = merged_rows(project)
    add_snapshot(project)  # the first seed: its papers merge in among the others
    settle(project)
    run(project)
    after = merged_rows(project)
    first = sorted(SEEDS.iterdir())[0]
    listed = len(read_snapshots([first], None)[0].entries)
    new = after.keys() - before.keys()
    assert 0 < len(new) <= listed
    assert all(after[key] == before[key] for key in after.keys() & before.keys())
    count = BuildCache(project / ".cache").fetch("merged", "merge").count
    assert len(after) == count  # one row a paper: those it no longer has were dropped


def without_related(files: dict[str, bytes]) -> dict[str, bytes]:
    """The files with the related-papers section of each paper page cut out, and without the
    reading list's chunks (which carry the same lists)."""
    return {
        name: re.sub(rb'<section id="related".*?</section>', b"", data, flags=re.S)
        for name, data in files.items()
        if not name.startswith("assets/library/")
    }


def contents(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_every_page_that_counts_the_papers_counts_a_bare_hand_written_one(project: Path) -> None:
    said = {
        "trends.html": r"What the collection holds over time: (\d+) paper",
        "search.html": r"Search all (\d+) papers",
        "index.html": r"\. (\d+) papers",
    }

    def counts() -> set[int]:
        out = project / "output"
        return {int(re.search(p, (out / page).read_text()).group(1)) for page, p in said.items()}

    (before,) = counts()
    hand_written_bare(project)
    run(project)
    assert counts() == {before + 1}


def test_with_the_cache_only_the_related_lists_may_differ(project: Path, fresh) -> None:
    hand_written(project)  # one paper more: its list and those it enters use the last fit's idf
    run(project)
    cached = contents(project / "output")
    assert without_related(cached) == without_related(contents(fresh(project)))
    assert b'<section id="related"' in cached["papers/mine.html"]
    hand_edit(project)  # an edited paper too: scored with the last fit, no refit of the rest
    run(project)
    assert without_related(contents(project / "output")) == without_related(
        contents(fresh(project))
    )
    # build --full ignores the build state: the site of a build from nothing, lists included.
    build(load_config(project / "site.yaml", {})[0], full=True)
    assert contents(project / "output") == contents(fresh(project))


def test_a_new_builder_version_rebuilds_the_same_site(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = file_hashes(project / "output")
    monkeypatch.setattr(cache_module, "code_version", lambda: "another builder")
    run(project)
    assert file_hashes(project / "output") == before


def test_a_build_with_nothing_to_do_writes_nothing(project: Path) -> None:
    run(project)  # its inputs are settled: this build records their stats (a copy's are new)
    before = stats(project)
    run(project)
    assert stats(project) == before


def test_a_change_within_the_same_clock_tick_is_still_seen(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paper = project / DEI
    written = time.time_ns()
    os.utime(paper, ns=(written, written))
    # The build that records the paper looks at it half a second after it was written, by the
    # clock it reads (on a busy machine the real one could be past the racy second already).
    with monkeypatch.context() as m:
        m.setattr(time, "time_ns", lambda: written + 500_000_000)
        run(project)
    text = paper.read_text()
    st = paper.stat()
    # The same size, inode and modification time as the build saw: only the bytes differ.
    with open(paper, "r+", encoding="utf-8") as f:
        f.write(text.replace("title: 'DEI:", "title: 'DEF:", 1))
    os.utime(paper, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert paper.stat().st_size == st.st_size and paper.stat().st_mtime_ns == st.st_mtime_ns
    run(project)
    page = project / "output" / "papers" / (Path(DEI).stem + ".html")
    assert '<h1 itemprop="name">DEF: Diversity' in page.read_text()


def test_a_broken_cache_only_costs_time(project: Path, fresh) -> None:
    before = file_hashes(project / "output")
    database = project / ".cache" / "build.sqlite"
    assert database.stat().st_size > 100_000
    database.write_bytes(database.read_bytes()[: database.stat().st_size // 2])
    original = (project / DEI).read_text()
    (project / DEI).write_text(original + "\nA note by hand.\n")
    run(project)
    assert file_hashes(project / "output") == file_hashes(fresh(project))
    shutil.rmtree(project / ".cache")
    (project / DEI).write_text(original)
    run(project)
    assert file_hashes(project / "output") == before


def test_tables_keep_only_what_the_last_build_used(tmp_path: Path) -> None:
    cache = BuildCache(tmp_path)
    table = cache.table("t")
    table.put("a", 1)
    table.put("b", 2)
    cache.save()
    again = BuildCache(tmp_path)
    assert again.table("t").get("a") == 1
    again.save()
    assert BuildCache(tmp_path).table("t").data == {"a": 1}
    assert BuildCache(tmp_path, code="other").table("t").data == {}


def test_a_lazy_table_reads_only_what_is_asked_and_keeps_what_it_is_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from builder.workers import fork_map

    first = BuildCache(tmp_path, code="v1")
    first.lazy_table("t").replace({("k", i): f"value {i}" for i in range(100)})
    first.save()
    read: list[str] = []
    second = BuildCache(tmp_path, code="v1")
    real_fetch = second.fetch
    monkeypatch.setattr(
        second, "fetch", lambda name, key: read.append(key) or real_fetch(name, key)
    )
    table = second.lazy_table("t")
    assert table.has(("k", 5)) and not table.has(("k", 100)) and read == []
    assert table.get(("k", 5)) == "value 5" and table.get(("k", 100)) is None
    assert read == [("k", 5), ("k", 100)]
    # A forked worker reads through a connection of its own.
    assert fork_map(lambda keys: [table.get(k) for k in keys], [("k", 7), ("k", 8)], workers=2) == [
        "value 7",
        "value 8",
    ]
    table.put(("k", 200), "new")
    table.retain({("k", i) for i in range(10)})
    second.save()
    kept = BuildCache(tmp_path, code="v1").lazy_table("t").everything()
    assert kept == {("k", i): f"value {i}" for i in range(10)} | {("k", 200): "new"}
    # Written by other code, or a `fresh` build: empty.
    assert not BuildCache(tmp_path, code="v2").lazy_table("t").has(("k", 1))
    assert BuildCache(tmp_path, code="v1", fresh=True).lazy_table("t").get(("k", 1)) is None


def test_a_lazy_table_that_retains_most_of_its_rows_reads_no_keys_to_prune(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = BuildCache(tmp_path, code="v1")
    first.lazy_table("t").replace({i: f"value {i}" for i in range(100)})
    first.save()
    for retained, pruned in ((range(80), False), (range(50), True)):
        cache = BuildCache(tmp_path, code="v1")
        asked: list[str] = []
        real = cache.stored_keys
        monkeypatch.setattr(
            cache,
            "stored_keys",
            lambda name, asked=asked, real=real: asked.append(name) or real(name),
        )
        table = cache.lazy_table("t")
        table.put(500, "new")
        table.retain(set(retained) | {500})
        cache.save()
        assert bool(asked) == pruned
        left = set(BuildCache(tmp_path, code="v1").lazy_table("t").everything())
        assert left == ((set(retained) if pruned else set(range(100))) | {500})


def test_a_lazy_table_asked_for_many_entries_one_by_one_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from builder import tables

    monkeypatch.setattr(tables, "READ_WHOLE_AFTER", 5)
    first = BuildCache(tmp_path, code="v1")
    first.lazy_table("t").replace({i: f"value {i}" for i in range(20)})
    first.save()
    second = BuildCache(tmp_path, code="v1")
    reads: list[str] = []
    for name in ("fetch", "fetch_all"):
        real = getattr(second, name)
        monkeypatch.setattr(
            second, name, lambda *a, _real=real, _name=name: reads.append(_name) or _real(*a)
        )
    table = second.lazy_table("t")
    assert [table.get(i) for i in range(20)] == [f"value {i}" for i in range(20)]
    assert table.get(99) is None
    assert reads == ["fetch"] * 5 + ["fetch_all"]


def test_a_warm_lazy_table_counts_each_builds_reads_on_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from builder import tables

    monkeypatch.setattr(tables, "READ_WHOLE_AFTER", 5)
    first = BuildCache(tmp_path, code="v1")
    first.lazy_table("t").replace({i: f"value {i}" for i in range(20)})
    first.save()
    warm = BuildCache(tmp_path, code="v1")
    reads: list[str] = []
    for name in ("fetch", "fetch_all"):
        real = getattr(warm, name)
        monkeypatch.setattr(
            warm, name, lambda *a, _real=real, _name=name: reads.append(_name) or _real(*a)
        )
    monkeypatch.setattr(cache_module, "code_version", lambda: "v1")
    for n in range(3):  # as `serve` does: three builds, each reading three new entries
        table = warm.again().lazy_table("t")
        assert [table.get(i) for i in range(3 * n, 3 * n + 3)] == [
            f"value {i}" for i in range(3 * n, 3 * n + 3)
        ]
        warm.save()
    assert reads == ["fetch"] * 9  # not read whole: no build asked for more than 5


def test_a_database_locked_by_another_process_is_a_miss_not_damage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    cache = BuildCache(tmp_path, code="v1")
    cache.lazy_table("t").put("k", "v")
    cache.save()
    monkeypatch.setattr(cache_module, "BUSY_SECONDS", 0.1)
    other = sqlite3.connect(tmp_path / "build.sqlite", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # a writer that holds its lock past the timeout
    try:
        reader = BuildCache(tmp_path, code="v1")
        assert reader.lazy_table("t").get("k") is None  # a miss: only time is lost
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert BuildCache(tmp_path, code="v1").lazy_table("t").get("k") == "v"  # nothing deleted


def test_a_save_writes_what_changed_and_a_save_killed_midway_leaves_the_last_one(
    tmp_path: Path,
) -> None:
    import sqlite3
    import subprocess
    import sys

    cache = BuildCache(tmp_path)
    first = {"a": 1, ("k", "k"): [2], **{f"n{i}": i for i in range(8)}}
    for key, value in first.items():
        cache.table("t").put(key, value)
    cache.save()
    cache.close()
    db = tmp_path / "build.sqlite"
    rows = sqlite3.connect(db).execute("SELECT key FROM entries")
    bundle = repr((BUNDLE, 0))
    assert [k for (k,) in rows] == [bundle]  # a new table: its entries in one row
    again = BuildCache(tmp_path)
    assert again.table("t").data == first
    again.table("t").keep(first)
    again.table("t").put("b", 3)
    again.save()
    again.close()
    # The entry put has a row of its own (the bundle is left as it was).
    rows = sqlite3.connect(db).execute("SELECT key FROM entries")
    assert sorted(k for (k,) in rows) == sorted(["'b'", bundle])
    assert BuildCache(tmp_path).table("t").data == {**first, "b": 3}
    # An entry of the bundle that changes overrides it; once those are a quarter of the
    # bundle's, or one of its entries goes, the table is bundled whole again.
    third = BuildCache(tmp_path)
    third.table("t").keep(first)
    third.table("t").put("a", "changed")
    third.save()
    rows = sqlite3.connect(db).execute("SELECT key FROM entries")
    assert sorted(k for (k,) in rows) == sorted(["'a'", "'b'", bundle])
    assert BuildCache(tmp_path).table("t").data == {**first, "a": "changed", "b": 3}
    third.table("t").drop("n0")
    third.save()
    third.close()
    rows = sqlite3.connect(db).execute("SELECT key FROM entries")
    assert [k for (k,) in rows] == [bundle]
    expected = {**first, "a": "changed", "b": 3}
    del expected["n0"]
    assert BuildCache(tmp_path).table("t").data == expected
    # A save killed inside its transaction (SIGKILL: no clean-up at all) changes nothing.
    script = (
        "import sys; from pathlib import Path; from builder.cache import BuildCache\n"
        "c = BuildCache(Path(sys.argv[1]))\n"
        "t = c.table('t'); t.put('a', 'new'); t.put('c', 4); c.save()\n"
    )
    env = {**os.environ, "PAPER_DIGEST_KILL_AT": "cache-saving"}
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], env=env, cwd=REPO)
    assert done.returncode == -9
    assert BuildCache(tmp_path).table("t").data == expected


def test_entries_changed_in_rows_of_their_own_are_bundled_again_once_a_quarter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from builder import tables

    monkeypatch.setattr(tables, "BUNDLE_ENTRIES", 3)
    monkeypatch.setattr(cache_module, "BUNDLE_ENTRIES", 3)

    def keys() -> list[str]:
        rows = sqlite3.connect(tmp_path / "build.sqlite").execute("SELECT key FROM entries")
        return sorted(k for (k,) in rows)

    cache = BuildCache(tmp_path)
    cache.table("t").replace({f"k{i}": i for i in range(8)})
    cache.save()
    bundles = [repr((BUNDLE, n)) for n in range(3)]  # 3 + 3 + 2 entries
    assert keys() == bundles
    for n in (1, 2):  # 2 entries of their own: a quarter of 8 at most
        cache.table("t").put(f"new{n}", n)
        cache.save()
    assert keys() == sorted([*bundles, "'new1'", "'new2'"])
    cache.table("t").put("k0", "changed")  # a third
    cache.save()
    assert keys() == [repr((BUNDLE, n)) for n in range(4)]  # 11 entries bundled again
    expected = {**{f"k{i}": i for i in range(8)}, "k0": "changed", "new1": 1, "new2": 2}
    assert BuildCache(tmp_path).table("t").data == expected
    # Unused entries pruned (over 30% of the table) go with their bundles.
    again = BuildCache(tmp_path)
    again.table("t").keep(["k0", "k1", "k2", "new1"])
    again.save()
    assert BuildCache(tmp_path).table("t").data == {"k0": "changed", "k1": 1, "k2": 2, "new1": 1}
    assert keys() == [repr((BUNDLE, n)) for n in range(2)]


def test_an_entry_too_big_for_sqlite_is_not_saved_and_the_rest_of_the_cache_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    cache = BuildCache(tmp_path)
    cache.table("kept").put("a", 1)
    cache.save()
    cache.close()
    real_connect = sqlite3.connect

    def small_blobs(*args: object, **kwargs: object) -> sqlite3.Connection:
        db = real_connect(*args, **kwargs)
        db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 10_000)  # as 1e9 bytes would be
        return db

    monkeypatch.setattr(sqlite3, "connect", small_blobs)
    again = BuildCache(tmp_path)
    again.table("kept").get("a")
    again.table("big").put("x", "y" * 100_000)
    again.save()  # not saved: only time is lost; the database is not set aside
    assert BuildCache(tmp_path).table("kept").data == {"a": 1}
    assert BuildCache(tmp_path).table("big").data == {}


def test_a_file_removed_from_the_site_comes_back_on_the_next_build(project: Path) -> None:
    run(project)  # its inputs are settled: this build records their stats (a copy's are new)
    before = file_hashes(project / "output")
    (project / "output" / "papers" / (Path(DEI).stem + ".html")).unlink()
    (project / "output" / "assets" / "search" / "meta.js").unlink()
    run(project)
    assert file_hashes(project / "output") == before


def test_what_the_api_did_not_know_outlives_a_change_of_the_builders_code(tmp_path: Path) -> None:
    old = BuildCache(tmp_path / ".cache", code="one version")
    old.table("resolve-misses").put("a title nobody knows", "2026-11-20T06:00:00+00:00")
    old.table("papers").put("key", "made by the old code")
    old.save()
    new = BuildCache(tmp_path / ".cache", code="another version")
    assert new.table("resolve-misses").get("a title nobody knows") == "2026-11-20T06:00:00+00:00"
    assert new.table("papers").get("key") is None  # what the code made is made again


def test_a_moved_project_keeps_its_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = make_project(tmp_path / "first")
    (first / "theme").mkdir()
    (first / "theme" / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (first / "site.yaml").write_text(SITE_YAML + "theme_dirs: [theme]\n")
    run(first)
    built = file_hashes(first / "output")
    moved = tmp_path / "elsewhere" / "moved"
    moved.parent.mkdir()
    first.rename(moved)
    rendered: list[str] = []
    render = Renderer.__call__
    monkeypatch.setattr(
        Renderer, "__call__", lambda r, *a, **k: rendered.append(a[1]) or render(r, *a, **k)
    )
    config, _ = load_config(moved / "site.yaml", {})
    report = build(config)
    assert report.files > 400 and report.unchanged == report.files
    assert rendered == []  # its pages' keys did not change with its place
    assert file_hashes(moved / "output") == built


def test_a_site_restored_with_new_stats_is_not_rendered_again(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from builder import write

    before = file_hashes(project / "output")
    # As a CI cache restores it: the same bytes, new inodes and modification times.
    restored = tmp_path / "restored"
    shutil.copytree(project / "output", restored)
    shutil.rmtree(project / "output")
    restored.rename(project / "output")
    later = time.time() + 10
    for path in (project / "output").rglob("*"):
        os.utime(path, (later, later))
    rendered: list[str] = []
    real = write.render_outputs

    def counting(todo, *args):
        rendered.extend(o.dest for o in todo)
        return real(todo, *args)

    monkeypatch.setattr(write, "render_outputs", counting)
    run(project)
    assert rendered == [] and file_hashes(project / "output") == before


def test_the_site_is_read_again_only_in_folders_whose_stat_changed(tmp_path: Path) -> None:
    from builder.sitetable import SiteFile
    from builder.stats import folder_tree, output_stats, site_stats
    from builder.tables import Table

    site = tmp_path / "site"
    for name in ("index.html", "papers/a.html", "papers/b.html", "days/d.html"):
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(name)
    table = Table("site")
    for dest, st in output_stats(site).items():
        table.put(dest, SiteFile("key", st, "digest"))
    last = folder_tree(site)
    assert site_stats(site, folder_tree(site), last, table) == output_stats(site)
    (site / "papers" / "c.html").write_text("added")  # the folder's stat changes
    (site / "days" / "d.html").write_text("edited in place, longer")  # its folder's does not
    stats = site_stats(site, folder_tree(site), last, table)
    assert stats["papers/c.html"] == output_stats(site)["papers/c.html"]
    assert stats["days/d.html"] == table.get("days/d.html").stat  # trusted, as a no-op build
    assert set(stats) == set(output_stats(site))
    assert site_stats(site, folder_tree(site), None, table) == output_stats(site)


def test_tables_released_with_many_rows_are_saved_aside_and_read_back_once_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(cache_module, "ASIDE_FROM", 4)
    caplog.set_level(logging.INFO, logger="builder.cache")
    cache = BuildCache(tmp_path)
    for i in range(3):
        cache.table("t").put(i, f"row {i}")
        cache.table("u").put(i, i)
    cache.table("small").put("a", 1)
    cache.release("small")  # one row: saved here, at once
    assert cache._aside == {}
    cache.release("t", "u", "never loaded")  # six rows: saved by a forked writer
    assert set(cache._aside) == {"t", "u"} and len(set(cache._aside.values())) == 1
    assert cache.fetch_all("u") == {0: 0, 1: 1, 2: 2}  # every read waits for the writer
    assert "t" not in cache.tables  # let go of: read again from the database...
    assert cache.table("t").data == {i: f"row {i}" for i in range(3)}  # ...once written
    assert cache._aside == {}
    assert BuildCache(tmp_path).table("u").data == {0: 0, 1: 1, 2: 2}
    # A writer killed inside its transaction saves nothing (the rows the table had stay, and
    # so does the code they were saved by), and costs the build nothing.
    for i in range(5):
        cache.table("v").put(i, i)
    cache.save()
    for i in range(5):
        cache.table("v").put(i, -i)
    cache.table("v").put(5, 5)
    monkeypatch.setenv("PAPER_DIGEST_KILL_AT", "cache-saving")  # (in this process, too)
    cache.release("v")
    monkeypatch.delenv("PAPER_DIGEST_KILL_AT")  # (the writer was forked with it set)
    assert cache.table("v").data == {i: i for i in range(5)}  # read once the writer is gone
    assert "cache not saved" in caplog.text
    cache.save()
    assert BuildCache(tmp_path).table("small").data == {"a": 1}


def test_a_read_locked_out_by_a_release_writer_waits_for_it_instead_of_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A `release` writer saving many rows can hold SQLite's lock longer than a read waits (at
    # 50,000 papers): the build's read of another table then waits for the writer, instead of
    # taking the table for missing (and making it again from nothing).
    monkeypatch.setattr(cache_module, "ASIDE_FROM", 2)
    monkeypatch.setattr(cache_module, "BUSY_SECONDS", 0.2)
    held = tmp_path / "held"
    save_all = BuildCache._save_all

    def slow_save_all(self: BuildCache, tables: list) -> None:
        db = sqlite3.connect(tmp_path / cache_module.DATABASE, isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")  # as a writer holds it once its rows spill to disk
        held.touch()
        time.sleep(0.8)
        db.execute("ROLLBACK")
        db.close()
        save_all(self, tables)

    monkeypatch.setattr(BuildCache, "_save_all", slow_save_all)
    cache = BuildCache(tmp_path)
    cache.table("other").put("a", 1)
    cache.save()
    for i in range(3):
        cache.table("big").put(i, i)
    cache.release("big")
    for _ in range(500):
        if held.exists():
            break
        time.sleep(0.01)
    assert held.exists()
    del cache.tables["other"]  # read from the database
    assert cache.table("other").data == {"a": 1}
    assert cache._aside == {}
    assert BuildCache(tmp_path).table("big").data == {0: 0, 1: 1, 2: 2}


HOLD_THE_LOCK = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("held", flush=True)
time.sleep(0.8)
db.execute("COMMIT")
"""


def test_a_forked_worker_s_write_waits_for_the_writer_ahead_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The search worker saves its term counts while a `release` writer may still hold the
    # write lock: it waits for it (longer than the build's own reads would), and saves them.
    monkeypatch.setattr(cache_module, "BUSY_SECONDS", 0.2)
    cache = BuildCache(tmp_path)
    cache.table("terms").put("a", 1)
    cache.save()
    ahead = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK, str(tmp_path / cache_module.DATABASE)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert ahead.stdout is not None and ahead.stdout.readline() == "held\n"

    def work() -> None:
        cache.table("terms").put("b", 2)
        cache.release("terms")

    Background(work).wait()
    assert ahead.wait() == 0
    assert BuildCache(tmp_path).table("terms").data == {"a": 1, "b": 2}
