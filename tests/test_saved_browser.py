"""The reading list in a real Chromium, from file:// (and, where it is kept per site, from an
HTTP server under a sub-path): stars save papers, saved.html lists them, recommends, exports and
imports, and says so when the browser keeps nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from builder.related import related_papers
from tests.conftest import bibtex_of
from tests.test_browser import AXE

pytestmark = pytest.mark.browser

GROK = "grokking-at-the-edge-of-numerical-stability"


@pytest.fixture
def page(browser):
    """A fresh page (its own storage) that records page errors and requests."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(5000)
    page = context.new_page()
    page.errors = []
    page.requests = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("request", lambda r: page.requests.append(r.url))
    yield page
    context.close()


def saved_titles(page) -> list[str]:
    return page.locator("#saved-list .card-title").all_inner_texts()


def open_saved(page, site_url: str) -> None:
    page.goto(site_url + "saved.html")
    page.wait_for_function(
        "() => /saved/.test(document.getElementById('saved-status').textContent)"
    )


def test_a_star_saves_a_paper_and_saved_html_lists_it_with_recommendations(
    page, each_site_url: str, sample_pages: list
) -> None:
    page.goto(each_site_url + f"papers/{GROK}.html")
    star = page.locator(".paper-head > button.star")
    assert star.get_attribute("aria-pressed") == "false"
    star.click()
    assert star.get_attribute("aria-pressed") == "true"
    page.goto(each_site_url + "index.html")
    cards = page.locator(".cards > li button.star")
    assert cards.count() == 59  # the two newest days
    second = page.locator(".cards > li").nth(1)
    second_title = second.locator(".card-title").inner_text()
    second.locator("button.star").click()
    open_saved(page, each_site_url)
    assert page.inner_text("#saved-status").startswith("2 saved papers")
    assert saved_titles(page) == [second_title, "Grokking at the Edge of Numerical Stability"]
    page.wait_for_function("() => !document.getElementById('recommended').hidden")
    shown = [
        re.search(r"papers/([a-z0-9-]+)\.html", href)[1]
        for href in page.locator("#recommended-list a").evaluate_all("l => l.map(a => a.href)")
    ]
    related = {s: [r for r, _ in pairs] for s, pairs in related_papers(sample_pages).lists.items()}
    slugs = [
        re.search(r"papers/([a-z0-9-]+)\.html", h)[1]
        for h in page.locator("#saved-list a").evaluate_all("l => l.map(a => a.href)")
    ]
    expected = {r for s in slugs for r in related[s]} - set(slugs)
    assert set(shown) == expected and 5 <= len(shown) <= 10
    assert not page.errors
    assert all(u.startswith(each_site_url) or u.startswith("blob:") for u in page.requests)
    # A star in the list takes a paper off it.
    page.locator("#saved-list button.star").first.click()
    page.wait_for_function(
        "() => /^1 saved paper/.test(document.getElementById('saved-status').textContent)"
    )


def test_export_then_import_brings_the_list_back_and_bibtex_holds_the_entries(
    page, site_url: str, built_site: Path, tmp_path: Path
) -> None:
    page.goto(site_url + f"papers/{GROK}.html")
    page.locator(".paper-head > button.star").click()
    open_saved(page, site_url)
    with page.expect_download() as got:
        page.click("#saved-export-json")
    exported = json.loads(Path(got.value.path()).read_text())
    assert exported["format"] == "paper-digest-saved"
    assert [i["slug"] for i in exported["saved"]] == [GROK]
    with page.expect_download() as got:
        page.click("#saved-export-bib")
    bib = Path(got.value.path()).read_text(encoding="utf-8")
    assert bib == bibtex_of(built_site / "papers" / f"{GROK}.html")
    # Empty the list, then import the export (and a hostile entry, which is refused).
    page.evaluate("() => localStorage.clear()")
    open_saved(page, site_url)
    assert saved_titles(page) == []
    exported["saved"].append({"slug": "<img src=x onerror=alert(1)>", "title": "x"})
    exported["saved"].append({"slug": "fine-slug", "title": "<script>alert(1)</script>"})
    file = tmp_path / "list.json"
    file.write_text(json.dumps(exported))
    page.set_input_files("#saved-import", str(file))
    page.wait_for_function(
        "() => /Imported 2 papers/.test(document.getElementById('saved-status').textContent)"
    )
    assert "skipped 1" in page.inner_text("#saved-status")
    assert saved_titles(page) == [
        "Grokking at the Edge of Numerical Stability",
        "<script>alert(1)</script>",
    ]
    assert page.locator("#saved-list script, #saved-list img").count() == 0
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    page.set_input_files("#saved-import", str(bad))
    page.wait_for_function(
        "() => /not JSON/.test(document.getElementById('saved-status').textContent)"
    )
    assert not page.errors


def test_without_storage_there_are_no_stars_and_saved_html_says_why(browser, built_site) -> None:
    context = browser.new_context()
    context.add_init_script(
        "Object.defineProperty(window, 'localStorage', { get() { throw new Error('denied'); } });"
    )
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((built_site / "index.html").as_uri())
    page.wait_for_load_state("load")
    assert page.locator("button.star").count() == 0
    page.goto((built_site / "saved.html").as_uri())
    page.wait_for_function(
        "() => /cannot be kept/.test(document.getElementById('saved-status').textContent)"
    )
    assert page.locator(".saved-tools").is_hidden()
    assert not errors
    context.close()


def test_the_saved_page_with_papers_passes_axe(page, built_site: Path) -> None:
    page.goto((built_site / f"papers/{GROK}.html").as_uri())
    page.locator(".paper-head > button.star").click()
    open_saved(page, built_site.as_uri() + "/")
    page.wait_for_function("() => !document.getElementById('recommended').hidden")
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async () => (await axe.run()).violations.filter(v => ['serious', 'critical']"
        ".includes(v.impact)).map(v => [v.id, v.nodes.map(n => n.target)])"
    )
    assert found == []


def test_search_results_carry_stars_too(page, site_url: str) -> None:
    page.goto(site_url + "search.html?q=grokking")
    page.wait_for_function(
        "() => /match/.test(document.getElementById('search-status').textContent) && "
        "document.getElementById('search-results').getAttribute('aria-busy') !== 'true'"
    )
    results = page.locator("#search-results > li")
    assert results.count() > 3
    assert page.locator("#search-results button.star").count() == results.count()
    first = results.first.locator(".card-title").inner_text()
    results.first.locator("button.star").click()
    open_saved(page, site_url)
    assert saved_titles(page) == [first]
