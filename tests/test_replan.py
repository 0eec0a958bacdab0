"""The plan's record: a change plans again only the outputs that took the changed papers, and
in full only the families whose lists it reshapes; what is kept is what a full plan makes."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from builder import replan
from builder.build import build
from builder.cache import BuildCache
from builder.config import SiteConfig
from builder.sitetable import site_table
from tests.conftest import REPO, bibtex_of
from tests.test_incremental import backdate, contents

DEI = "dei-diversity-in-evolutionary-inference-for-quality-diversity-search"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample papers, built once for the module (with no snapshots: ingest keeps the
    upvotes of papers the snapshots list current, and would undo an edit of them)."""
    root = tmp_path_factory.mktemp("replan")
    shutil.copytree(REPO / "content" / "papers", root / "papers")
    for path in (root / "papers").iterdir():
        backdate(path)
    (root / "snapshots").mkdir()
    build(config_at(root))
    return root


def config_at(root: Path) -> SiteConfig:
    """The settings of a project at `root`."""
    return SiteConfig(
        root=root, snapshots=root / "snapshots", papers=root / "papers", output=root / "site"
    )


@pytest.fixture
def project(built: Path, tmp_path: Path) -> SiteConfig:
    """A copy of the built project (the site's files linked: a build replaces files, it never
    writes into one)."""
    root = tmp_path / "project"
    for name in ("papers", "snapshots", ".cache"):
        shutil.copytree(built / name, root / name)
    shutil.copytree(built / "site", root / "site", copy_function=os.link)
    return config_at(root)


@pytest.fixture
def reuses(monkeypatch: pytest.MonkeyPatch) -> list[replan.Reuse | None]:
    """What each build's plan kept of the last (None: it planned everything)."""
    seen: list[replan.Reuse | None] = []
    compare = replan.compare

    def spy(*args, **kwargs):
        found = compare(*args, **kwargs)
        seen.append(found[0])
        return found

    monkeypatch.setattr(replan, "compare", spy)
    return seen


@pytest.fixture
def plans(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the site was planned (the tests plan it in full beside a partial plan,
    to check it: twice; three times when kept outputs had to be made)."""
    from builder import plan

    count: list[int] = []
    plan_site = plan.plan_site

    def spy(*args, **kwargs):
        count.append(1)
        return plan_site(*args, **kwargs)

    monkeypatch.setattr(plan, "plan_site", spy)
    return count


def edit(config: SiteConfig, slug: str, old: str, new: str) -> None:
    """Replace text in a paper file, dated back past the cache's rule for racy stats."""
    path = config.papers / f"{slug}.md"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    backdate(path)


def fresh_site(config: SiteConfig, tmp_path: Path) -> dict[str, bytes]:
    """The site a build from nothing makes of the same papers."""
    root = tmp_path / "fresh"
    shutil.copytree(config.papers, root / "papers")
    (root / "snapshots").mkdir()
    other = config_at(root)
    build(other)
    return contents(other.output)


def test_a_new_tag_plans_the_topics_in_full_and_elsewhere_only_what_shows_the_paper(
    project: SiteConfig, reuses: list, plans: list, tmp_path: Path
) -> None:
    edit(project, DEI, "upvotes: 2\n", "upvotes: 2\ntags: [my list]\n")
    report = build(project)
    assert len(plans) == 2
    reuse = reuses[-1]
    assert reuse is not None
    # A tag is a topic: the new topic's archive and feed, the topic index, feeds.html and
    # feeds.opml are planned again, and trends.html in full.
    assert reuse.shaped == {"trends"}
    assert {"topics/index.html", "feeds.html", "feeds.opml"} <= reuse.dirty
    # Elsewhere, the outputs that took the paper: its page, its neighbours' pages (they link
    # it), the pages that list it as related, its day, month and organization.
    assert {f"papers/{DEI}.html", "days/2026-06-10.html"} <= reuse.dirty
    assert {"months/2026-06.html", "orgs/gensyn.html", "index.html"} <= reuse.dirty
    assert len(reuse.dirty) < 40, sorted(reuse.dirty)
    assert report.files - report.unchanged < 30
    assert contents(project.output) == fresh_site(project, tmp_path)
    assert (project.output / "topics" / "my-list.html").is_file()


def test_an_abstract_edit_reshapes_nothing(
    project: SiteConfig, reuses: list, tmp_path: Path
) -> None:
    path = project.papers / f"{DEI}.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nOne more sentence.\n")
    backdate(path)
    build(project)
    reuse = reuses[-1]
    assert reuse is not None and reuse.shaped == set()
    assert f"papers/{DEI}.html" in reuse.dirty and "topics.html" not in reuse.dirty
    assert contents(project.output) == fresh_site(project, tmp_path)


def test_papers_removed_or_moved_to_another_day_plan_everything(
    project: SiteConfig, reuses: list, tmp_path: Path
) -> None:
    edit(project, DEI, "listed: 2026-06-10", "listed: 2026-06-09")
    build(project)
    assert reuses[-1] is None
    (project.papers / f"{DEI}.md").unlink()
    build(project)
    assert reuses[-1] is None
    assert contents(project.output) == fresh_site(project, tmp_path)


def test_a_new_paper_plans_its_groups_its_neighbours_and_the_lists_of_every_paper(
    project: SiteConfig, reuses: list, tmp_path: Path
) -> None:
    (project.papers / "mine.md").write_text(
        "---\ntitle: Mine\nlisted: 2026-06-10\norganization: {id: Gensyn, name: Gensyn}\n"
        "tags: [notes]\n---\nMy note on evolutionary inference.\n"
    )
    backdate(project.papers / "mine.md")
    build(project)
    reuse = reuses[-1]
    assert reuse is not None
    assert reuse.shaped >= replan.ARRIVALS
    assert {"orgs/gensyn.html", "orgs/index.html", "topics/index.html"} <= reuse.dirty
    # Its neighbours in the digest link it.
    at = reuse.slugs.index("mine")
    neighbours = {f"papers/{reuse.slugs[i]}.html" for i in (at - 1, at + 1)}
    assert neighbours <= reuse.dirty
    assert len(reuse.dirty) < 60, sorted(reuse.dirty)
    assert contents(project.output) == fresh_site(project, tmp_path)


def test_kept_files_gone_from_the_site_are_made_by_a_full_plan(
    project: SiteConfig, reuses: list, plans: list, tmp_path: Path
) -> None:
    other = sorted((project.output / "papers").glob("*.html"))[-1]
    gone = [other, project.output / "orgs" / "index.html", project.output / "top.html"]
    edit(project, DEI, "upvotes: 2\n", "upvotes: 2\ntags: [mine]\n")
    for path in gone:
        path.unlink()
    build(project)
    assert reuses[-1] is not None and len(plans) == 3  # kept, then planned in full
    assert all(path.is_file() for path in gone)
    assert contents(project.output) == fresh_site(project, tmp_path)


def test_a_key_the_site_table_lost_is_not_trusted(
    project: SiteConfig, reuses: list, plans: list, tmp_path: Path
) -> None:
    # As if the last save of the site's table had failed: a kept output's key is the
    # record's, which does not match it, so the file is made again (and equal).
    cache = BuildCache(project.cache_dir)
    site = site_table(cache)
    entry = site.data["orgs/index.html"]
    site.put("orgs/index.html", type(entry)("stale", entry.stat, entry.digest, entry.inputs))
    cache.save()
    cache.close()
    before = (project.output / "orgs" / "index.html").read_bytes()
    edit(project, DEI, "upvotes: 2\n", "upvotes: 2\ntags: [mine]\n")
    build(project)
    assert reuses[-1] is not None and len(plans) == 3
    assert (project.output / "orgs" / "index.html").read_bytes() == before
    assert contents(project.output) == fresh_site(project, tmp_path)


def test_the_tests_catch_an_output_kept_stale(
    project: SiteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Were the archives a paper enters not planned again, the plan would keep stale ones (the
    # topic index and feeds.html): the full plan the tests run beside every partial one finds it.
    monkeypatch.setattr(replan, "_regrouped", lambda *args: set())
    edit(project, DEI, "upvotes: 2\n", "upvotes: 2\ntags: [my list]\n")
    with pytest.raises(AssertionError, match=r"kept .* stale"):
        build(project)


@pytest.mark.parametrize(
    ("old", "new", "shaped", "dirty"),
    [
        (
            "organization: {id: Gensyn, name: Gensyn}",
            "organization: {id: Elsewhere, name: Elsewhere Lab}",
            {"trends"},
            {"orgs/gensyn.html", "orgs/gensyn.xml", "orgs/index.html", "feeds.opml"},
        ),
        ("upvotes: 2\n", "upvotes: 999\n", {"trends", "top"}, {"months/2026-06.html"}),
        # A new first word: the cite key's base changes, and with it the reading list's entry.
        ("title: 'DEI: ", "title: 'Zebras and DEI: ", set(), {"assets/library/0.js"}),
    ],
)
def test_a_paper_leaving_a_group_plans_that_group_again(
    project: SiteConfig,
    reuses: list,
    tmp_path: Path,
    old: str,
    new: str,
    shaped: set[str],
    dirty: set[str],
) -> None:
    edit(project, DEI, old, new)
    build(project)
    reuse = reuses[-1]
    assert reuse is not None and reuse.shaped == shaped
    assert dirty <= reuse.dirty
    assert contents(project.output) == fresh_site(project, tmp_path)


def test_a_cite_key_taken_by_an_edit_moves_the_other_papers_key(
    project: SiteConfig, reuses: list, tmp_path: Path
) -> None:
    # DEI, first seen before `later`, takes the base of its cite key (no author, no
    # organization, its year and first title word): `later`'s key gets a suffix, so its page
    # and reading-list entry change though its file did not.
    later = next(
        path
        for path in sorted(project.papers.glob("*.md"))
        if "listed: 2026-06-16" in (text := path.read_text())
        and "\nauthors:" not in text
        and "\norganization:" not in text
    )
    title = later.read_text().splitlines()[1]
    path = project.papers / f"{DEI}.md"
    lines = path.read_text().splitlines(keepends=True)
    lines[1] = title + "\n"
    path.write_text("".join(x for x in lines if not x.startswith("organization:")))
    backdate(path)
    build(project)
    reuse = reuses[-1]
    assert reuse is not None
    assert f"papers/{later.stem}.html" in reuse.dirty
    bib = bibtex_of(project.output / "papers" / f"{later.stem}.html")
    assert bib.split(",")[0].endswith("b"), bib
    assert contents(project.output) == fresh_site(project, tmp_path)


def test_files_made_again_stay_in_the_record_and_the_site(
    project: SiteConfig, reuses: list, tmp_path: Path
) -> None:
    # Files made again as they are rendered (a unit planned anew then) stay in the plan's
    # record: a later build that keeps their family whole keeps them, and does not drop them.
    gone = [project.output / "orgs" / "gensyn.html", project.output / "papers" / f"{DEI}.html"]
    for path in gone:
        path.unlink()
    build(project)
    assert all(path.is_file() for path in gone)
    other = sorted(project.papers.glob("*.md"))[0]
    other.write_text(other.read_text() + "\nOne more sentence.\n")
    backdate(other)
    build(project)
    assert reuses[-1] is not None
    assert all(path.is_file() for path in gone)
    assert contents(project.output) == fresh_site(project, tmp_path)


def test_a_stale_kept_key_found_by_a_full_plan_is_made_again_and_reported(
    project: SiteConfig, monkeypatch: pytest.MonkeyPatch, caplog, tmp_path: Path
) -> None:
    # Were the archives a paper enters not planned again (a bug), a build that must plan in
    # full anyway (a kept file is gone) makes the stale ones again, and says so.
    from builder import render

    monkeypatch.setattr(render, "CHECK_UNITS", False)
    monkeypatch.setattr(replan, "_regrouped", lambda *args: set())
    edit(project, DEI, "upvotes: 2\n", "upvotes: 2\ntags: [my list]\n")
    (project.output / "orgs" / "index.html").unlink()
    build(project)
    assert "kept with a key a full plan gives otherwise" in caplog.text
    assert contents(project.output) == fresh_site(project, tmp_path)


def test_a_placement_line_holds_the_cite_key_base_as_it_is(sample_pages) -> None:
    from builder.cite import key_base
    from builder.plan_papers import paper_cite_keys

    lines = [replan.place_line(page) for page in sample_pages]
    bases = replan.cite_bases(lines)
    assert bases == [key_base(page.paper, page.day) for page in sample_pages]
    assert paper_cite_keys(sample_pages, bases) == paper_cite_keys(sample_pages)


def test_the_bibtex_entries_made_as_pages_render_are_kept(
    project: SiteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A paper's page and its reading-list chunk make its entry when they are made,
    # in forked workers: what those make comes back, for the next build (not the tests'
    # plan of every unit, which would make them all here).
    from builder import render

    monkeypatch.setattr(render, "CHECK_UNITS", False)
    shutil.rmtree(project.cache_dir)
    build(project)
    entries = BuildCache(project.cache_dir).fetch_all("bibtex") or {}
    papers = len(list(project.papers.glob("*.md")))
    assert len(entries) == papers


def test_a_new_slug_with_anothers_hash_has_both_named_by_slug_in_the_reading_list(
    project: SiteConfig, reuses: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    from builder import library

    # Many chunks, so that the chunks naming a paper are not only the one it joins.
    monkeypatch.setattr(library, "PER_CHUNK", 16)
    shutil.rmtree(project.cache_dir)  # built anew with those chunks
    build(project)
    source = (project.papers / f"{DEI}.md").read_text(encoding="utf-8")

    def add(slug: str) -> None:
        # DEI's abstract: each lists the other, and DEI's neighbours list both, as related.
        text = source.replace(f"slug: {DEI}", f"slug: {slug}").replace(
            "title: 'DEI: ", f"title: '{slug.title()} and DEI: "
        )
        (project.papers / f"{slug}.md").write_text(text, encoding="utf-8")
        backdate(project.papers / f"{slug}.md")

    def named() -> list:
        found = []
        for path in sorted((project.output / "assets" / "library").glob("*.js")):
            text = path.read_text(encoding="utf-8")
            papers = json.loads(text[text.index("},") + 2 : -3])
            found += [other for entry in papers.values() for other, _ in entry[2]]
        return found

    assert library.fnv1a("costarring") == library.fnv1a("liquid")  # a known collision
    add("liquid")
    build(project)
    assert library.fnv1a("liquid") in named()
    add("costarring")
    build(project)
    reuse = reuses[-1]
    assert reuse is not None and "library" in reuse.shaped
    now = named()
    assert library.fnv1a("liquid") not in now and {"liquid", "costarring"} <= set(now)
