"""The hostile corpus (tests/hostile.py): clear warnings, nothing lost, nothing executed."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import time
from pathlib import Path

import feedparser
import pytest
from bs4 import BeautifulSoup
from hypothesis import given
from hypothesis import strategies as st

from builder.load import load_papers
from builder.read import parse_snapshot
from builder.text import clean_text, title_key
from tests import hostile
from tests.conftest import bibtex_of, file_hashes

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
WARNING = re.compile(r"^warning: (\S+?)(?::(\d+))?: (.+)$")
SITE_TITLE = "Daily Papers Digest"


@pytest.fixture
def corpus(hostile_build: tuple[Path, str]) -> tuple[Path, str]:
    """The hostile corpus, built once: its root and what the build printed."""
    return hostile_build


def warnings_of(stderr: str) -> list[tuple[str, int | None, str]]:
    """(file, line, message) of every warning line."""
    found = []
    for line in stderr.splitlines():
        if line.startswith("warning:"):
            m = WARNING.match(line)
            assert m, f"not a 'file:line: message' warning: {line}"
            found.append((m.group(1), int(m.group(2)) if m.group(2) else None, m.group(3)))
    return found


def test_the_corpus_holds_over_150_hostile_cases() -> None:
    assert hostile.case_count() >= 150


def test_every_broken_file_gets_its_warning_naming_file_and_line(corpus) -> None:
    _, stderr = corpus
    assert "Traceback" not in stderr and "internal error" not in stderr
    warnings = warnings_of(stderr)
    for case in hostile.broken_files():
        path = f"{case.folder}/{case.name}"
        about = [w for w in warnings if w[0] == path]
        if not case.expect:  # read cleanly (BOM + CRLF) or only field warnings (wrong types)
            continue
        assert about, f"no warning about {path}"
        assert any(case.expect in msg and line == case.line for _, line, msg in about), (
            path,
            about,
        )
    # Wrong types in API JSON: one warning per field, each naming the item's line.
    types = [w for w in warnings if w[0] == "snapshots/wrong-types.json"]
    assert len(types) == 12 and all(line for _, line, _ in types)
    assert any("found '12'; read as one" in msg for _, _, msg in types)
    # A count as text or below 0, a thumbnail not https, a submitter not a user: left out.
    left_out = [msg for _, _, msg in types if msg.endswith("; left out")]
    assert [m.split(": expected ")[1].split(" ")[0:3] for m in left_out] == [
        ["'paper.githubStars'", "to", "be"],
        ["'item.numComments'", "to", "be"],
        ["an", "https", "URL"],
        ["an", "https", "URL"],
        ["a", "Hugging", "Face"],
    ]
    # javascript: links from a saved page and the API (and one thumbnail) are left out, with a
    # warning each.
    js = [w for w in warnings if "javascript:" in w[2].lower() and "left out" in w[2]]
    assert len(js) == 3 + len(hostile.INJECTIONS) + len(hostile.INJECTIONS) // 2
    assert "build: " in stderr and "skipped (" in stderr


def test_good_entries_beside_broken_ones_still_come_through(corpus) -> None:
    root, _ = corpus
    titles = {s.paper.title for s in load_papers(root / "papers")[0]}
    for title in ["Good Entry", "Café Résumé Paper", "Bom Crlf Paper", "Headless Paper"]:
        assert title in titles
    assert "Upvotes As Text" in titles
    # A date that cannot be one loses the date, not the paper.
    undated = [
        s.paper for s in load_papers(root / "papers")[0] if s.paper.title == "Impossible Date Paper"
    ]
    assert len(undated) == 1 and undated[0].date is None


def own_copy(root: Path, tmp_path: Path) -> Path:
    """A copy of the built hostile project for a test that builds again (the shared one is
    read by tests in other workers)."""
    copy = tmp_path / "project"
    shutil.copytree(root, copy, symlinks=True)
    return copy


def test_strict_turns_warnings_into_exit_1(corpus, cli, tmp_path: Path) -> None:
    root = own_copy(corpus[0], tmp_path)
    code, _, err = cli(*hostile.command("build", "--strict"), cwd=root)
    assert code == 1
    assert "warning(s) and --strict is set" in err


def test_check_reports_the_same_problems_and_writes_nothing(corpus, cli) -> None:
    root, stderr = corpus
    before = file_hashes(root)
    code, _, err = cli(*hostile.command("check"), cwd=root)
    assert code == 1
    assert file_hashes(root) == before
    built = {w for w in warnings_of(stderr) if w[0].startswith("papers/")}
    checked = set(warnings_of(err))
    assert built <= checked
    snapshot_files = {w[0] for w in warnings_of(stderr) if w[0].startswith("snapshots/")}
    assert snapshot_files == {w[0] for w in checked if w[0].startswith("snapshots/")}
    assert re.search(r"check: \d+ snapshot files .* \d+ problem\(s\)", err)


def test_check_names_a_template_syntax_error(tmp_path: Path, cli) -> None:
    hostile.write_corpus(tmp_path)
    (tmp_path / "theme").mkdir()
    (tmp_path / "theme" / "paper.html").write_text("{% extends 'base.html' %}\n{% block x %}\n")
    (tmp_path / "site.yaml").write_text("theme_dirs: [theme]\n")
    code, _, err = cli(*hostile.command("check"), cwd=tmp_path)
    assert code == 1
    assert re.search(r"warning: theme/paper\.html:2: .*block", err), err


def test_every_slug_is_safe_and_nothing_is_written_elsewhere(corpus) -> None:
    root, _ = corpus
    stored, _ = load_papers(root / "papers")
    for s in stored:
        assert SLUG.match(s.paper.slug) and len(s.paper.slug) <= 80, s.paper.slug
    for path in (root / "papers").iterdir():
        assert (SLUG.match(path.stem) and len(path.stem) <= 80) or path.name in {
            c.name for c in hostile.broken_files()
        }
    assert {p.name for p in root.iterdir()} == {
        "site.yaml",
        "snapshots",
        "papers",
        "site",
        ".cache",
    }
    assert not Path("/tmp/paper-digest-escape.md").exists()
    assert not Path("/tmp/paper-digest-pwned").exists()
    for page in (root / "site").rglob("*"):
        assert page.resolve().is_relative_to((root / "site").resolve())


def test_yaml_and_path_titles_round_trip_as_plain_strings(corpus) -> None:
    root, _ = corpus
    titles = {s.paper.title for s in load_papers(root / "papers")[0]}
    for title in hostile.YAML_TITLES + hostile.PATH_TITLES:
        assert clean_text(title) in titles, title
    for i, attack in enumerate(hostile.INJECTIONS):
        assert clean_text(f"Hostile {i} {attack}") in titles


def test_alike_titles_get_distinct_stable_slugs_and_one_paper_per_title(
    corpus, cli, tmp_path: Path
) -> None:
    root = own_copy(corpus[0], tmp_path)
    stored, _ = load_papers(root / "papers")
    by_key: dict[str, list[str]] = {}
    for s in stored:
        by_key.setdefault(title_key(s.paper.title), []).append(s.paper.slug)
    slugs = [by_key[title_key(t)] for t in hostile.COLLISIONS]
    assert all(len(s) == 1 for s in slugs) and len({s[0] for s in slugs}) == 3
    assert all(title_key(t) == title_key(hostile.COLLISIONS[0]) for t in hostile.SAME_PAPER)
    # A second run gives every paper the same slug and file.
    before = file_hashes(root / "papers")
    assert cli(*hostile.command("build"), cwd=root)[0] == 0
    assert file_hashes(root / "papers") == before


@given(data=st.binary(max_size=400), suffix=st.sampled_from([".txt", ".html", ".json"]))
def test_any_bytes_in_any_snapshot_kind_give_entries_or_warnings(data: bytes, suffix: str) -> None:
    result = parse_snapshot(data, "x" + suffix, dt.date(2026, 6, 16), None)
    for problem in result.problems:
        assert str(problem).startswith("x" + suffix)


@given(
    st.lists(
        st.sampled_from(['{"paper":', '"title":', '"x"', "1", "[", "]", "{", "}", ",", "null"])
        | st.text(max_size=8),
        max_size=30,
    )
)
def test_any_json_ish_text_gives_entries_or_warnings(pieces: list[str]) -> None:
    for wrap in ("{}", '<div data-target="DailyPapers" data-props="{}"></div>'):
        text = wrap.format("".join(pieces)) if wrap != "{}" else "".join(pieces)
        name = "x.json" if wrap == "{}" else "x.html"
        result = parse_snapshot(text.encode(), name, dt.date(2026, 6, 16), None)
        assert all(str(p).startswith(name) for p in result.problems)


@pytest.mark.browser
def test_every_page_shows_hostile_text_literally_and_runs_nothing(corpus, browser) -> None:
    root, _ = corpus
    site = root / "site"
    context = browser.new_context(viewport={"width": 360, "height": 780})  # a phone
    context.set_default_timeout(5000)
    page = context.new_page()
    dialogs, errors = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 80
    seen = {}  # what each page shows, read on the one visit
    for path in pages:
        page.goto(path.as_uri())
        inert = page.evaluate(
            """() => {
              const bad = [];
              for (const el of document.querySelectorAll('*')) {
                for (const a of el.attributes) {
                  if (a.name.startsWith('on')) bad.push(el.tagName + ' ' + a.name);
                  if (/^\\s*(javascript|data|vbscript):/i.test(a.value) &&
                      ['href', 'src', 'action', 'formaction'].includes(a.name)) bad.push(a.value);
                }
              }
              for (const s of document.scripts) {
                const ours =
                  /\\/site\\/assets\\/((site|search|search-ui|saved|lunr\\.min)\\.js|search\\/(meta|papers|[trv]\\/\\d+)\\.js(\\?v=\\w+)?|library\\/\\d+\\.js)$/;
                if (!ours.test(s.src)) bad.push('script ' + (s.src || s.text.slice(0, 40)));
              }
              const tags = 'iframe, object, embed, img, svg, math, style, link[href*="evil"]';
              for (const el of document.querySelectorAll(tags)) {
                // The charts of trends.html are ours: plain shapes and text, nothing else.
                const chart = el.matches('figure.chart > svg.chart-svg');
                if (!chart) bad.push(el.tagName);
              }
              for (const el of document.querySelectorAll('svg.chart-svg *')) {
                if (!['g', 'rect', 'line', 'path', 'text', 'title'].includes(el.localName)) {
                  bad.push('chart ' + el.localName);
                }
              }
              const root = document.documentElement;
              if (root.scrollWidth > root.clientWidth) bad.push('scrolls sideways');
              const meta = n => document.querySelector(`meta[${n}]`)?.getAttribute('content');
              const shown = {
                title: document.title,
                h1: document.querySelector('h1')?.innerText,
                og: meta('property="og:title"'),
                image: meta('property="og:image"'),
                citation: meta('name="citation_title"'),
                main: document.querySelector('main')?.innerText,
                cards: [...document.querySelectorAll('.card-title')].map(e => e.innerText),
              };
              return {bad, shown,
                      pwned: window.__pwned === undefined ? null : String(window.__pwned)};
            }"""
        )
        seen[path.relative_to(site).as_posix()] = inert.pop("shown")
        assert inert == {"bad": [], "pwned": None}, path
    assert dialogs == [] and errors == []

    # Each hostile title is the page's title, heading and meta title, to the character (as the
    # browser read them on the visit above).
    stored = {s.paper.title: s.paper for s in load_papers(root / "papers")[0]}
    for i, attack in enumerate(hostile.INJECTIONS):
        title = clean_text(f"Hostile {i} {attack}")
        shown = seen[f"papers/{stored[title].slug}.html"]
        assert shown["title"] == f"{title} · {SITE_TITLE}"
        assert shown["h1"] == shown["og"] == shown["citation"] == title
        body = shown["main"]
        assert clean_text(f"Abstract {i} quarantined {attack} end.") in " ".join(body.split())
        assert clean_text(f"Author {attack}") in body
        assert clean_text(f"Org {attack}") in body
        assert clean_text(f"Summary {i} {attack}") in body  # the AI summary, as text
        assert shown["image"] == f"https://x.invalid/thumb-{i}.png?a=1&b='"
        # The organization page shows the card with the same literal title.
        assert title in seen[f"orgs/org{i}.html"]["cards"]

    # The hand-written paper: raw HTML in the body is text, the script link has no href.
    page.goto((site / "papers" / "hand-written.html").as_uri())
    abstract = page.locator(".abstract").inner_text()
    assert "<script>window.__pwned='body'</script>" in abstract
    assert "an image" in abstract and page.locator(".abstract a:not([href])").count() == 1
    assert page.locator('.abstract a[href="https://example.org/ok"]').count() == 1

    # Search results show the same strings as text, and run nothing.
    page.goto((site / "search.html").as_uri() + "?q=quarantined")
    page.wait_for_selector("#search-results .result-link")
    shown = set(page.locator("#search-results .result-link").all_inner_texts())
    page.click("#search-more") if page.is_visible("#search-more") else None
    shown |= set(page.locator("#search-results .result-link").all_inner_texts())
    for i, attack in enumerate(hostile.INJECTIONS):
        assert clean_text(f"Hostile {i} {attack}") in shown
    assert page.locator("#search-results script, #search-results img").count() == 0
    time.sleep(0.2)
    assert page.evaluate("window.__pwned") is None
    assert dialogs == [] and errors == []
    context.close()


def test_the_feed_carries_hostile_titles_as_text(corpus) -> None:
    root, _ = corpus
    feed = feedparser.parse((root / "site" / "feed.xml").read_bytes())
    assert not feed.bozo and feed.version == "atom10"
    hostile_titles = {clean_text(f"Hostile {i} {a}") for i, a in enumerate(hostile.INJECTIONS)}
    shown = [e for e in feed.entries if e.title.startswith("Hostile ")]
    # Escaped once in the XML, read back by a feed parser as the literal title and abstract.
    assert len(shown) == len(hostile.INJECTIONS)
    assert {e.title for e in shown} == hostile_titles
    for entry in shown:
        assert "quarantined" in entry.content[0].value


def test_every_bibtex_entry_parses_back_to_its_hostile_title(corpus) -> None:
    import bibtexparser
    from pylatexenc.latex2text import LatexNodes2Text

    root, _ = corpus
    site = root / "site"
    pages = sorted((site / "papers").glob("*.html"))
    keys = set()
    for page in pages:
        entry = bibtex_of(page)
        library = bibtexparser.parse_string(entry)
        assert not library.failed_blocks and len(library.entries) == 1, page.name
        found = library.entries[0]
        keys.add(found.key)
        title = LatexNodes2Text().latex_to_text(found.fields_dict["title"].value[1:-1])
        shown = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").h1.get_text()
        assert title.replace("\u02c6", "^") == " ".join(shown.split()), page.name
    assert len(keys) == len(pages)


def test_the_data_files_hold_every_hostile_paper_valid_against_the_schema(corpus) -> None:
    import csv
    import gzip
    import io
    import json

    import jsonschema

    root, _ = corpus
    folder = root / "site" / "data"
    schema = json.loads((folder / "papers.schema.json").read_text())
    listing = json.loads((folder / "index.json").read_text())
    slugs = []
    for item in listing["files"]:
        records = json.loads(gzip.decompress((folder / item["json"]).read_bytes()))
        jsonschema.validate(records, schema)
        rows = list(csv.DictReader(io.StringIO((folder / item["csv"]).read_text("utf-8")[1:])))
        assert [r["slug"] for r in rows] == [r["slug"] for r in records]
        slugs += [r["slug"] for r in records]
    pages = {p.stem for p in (root / "site" / "papers").glob("*.html")}
    assert sorted(slugs) == sorted(pages)
