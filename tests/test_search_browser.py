"""Search in a real Chromium, from file://; what loads, and from where, from an HTTP server under
a sub-path too."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest

from builder.load import load_papers
from builder.models import listed_on
from tests.conftest import REPO
from tests.hostile import SEARCHED_TITLE
from tests.test_browser import AXE, AXE_RUN, SCHEME_RULES

pytestmark = pytest.mark.browser

MALFORMED = [
    "title:",
    "foo~",
    "^",
    "+",
    "-",
    "org:",
    "grokking^",
    "~1",
    ":",
    "*",
    "-+",
    "a:b:c",
    "title:grokking~x",
    "constructor:x",
    "__proto__:x",
    "\\",
    '"',
    "'",
    "((",
    "grok~99",
]


@pytest.fixture
def page(browser):
    """A fresh page that records page errors, dialogs and requests."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(5000)
    page = context.new_page()
    page.errors = []
    page.dialogs = []
    page.requests = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: page.requests.append(r.url))
    yield page
    context.close()


ANSWERED = (
    "() => /match|No papers|Type to search|Nothing/.test("
    "document.getElementById('search-status').textContent) && "
    "document.getElementById('search-results').getAttribute('aria-busy') !== 'true'"
)


def open_search(page, site_url: str, query: str = "", sort: str = "") -> None:
    """Open search.html (with ?q= when given) and wait for its first answer, all shown."""
    params = "&".join(f"{k}={quote(v)}" for k, v in (("q", query), ("sort", sort)) if v)
    page.goto(site_url + "search.html" + ("?" + params if params else ""))
    page.wait_for_function(ANSWERED)


def type_query(page, text: str) -> None:
    """Replace the page's query by typing, and wait for the debounced answer."""
    box = page.locator("#search-page-q")
    box.fill("")
    box.press_sequentially(text)
    page.wait_for_function(
        "q => new URLSearchParams(location.search).get('q') === q || "
        "(!q.trim() && !location.search.includes('q='))",
        arg=text.strip(),
    )
    page.wait_for_function(ANSWERED)


def titles(page) -> list[str]:
    return page.locator("#search-results .result-link").all_inner_texts()


def total(page) -> int:
    status = page.inner_text("#search-status")
    found = re.match(r"([\d,]+) papers? match", status)
    return int(found.group(1).replace(",", "")) if found else 0


def test_a_deep_link_lists_grokking_papers_with_highlighted_snippets(
    page, each_site_url: str
) -> None:
    open_search(page, each_site_url, "grokking")
    assert total(page) == 6 == len(titles(page))
    assert all("grokking" in t.lower() for t in titles(page)[:4])
    snippets = page.locator("#search-results .excerpt")
    assert snippets.count() == 6
    for i in range(6):
        marks = snippets.nth(i).locator("mark").all_inner_texts()
        assert marks and all(m.lower().startswith("grokk") for m in marks)
    # Links go to the paper pages, which exist.
    page.locator("#search-results .result-link").first.click()
    page.wait_for_load_state()
    assert "/papers/" in page.url and "grokking" in page.title().lower()
    assert page.errors == []


def test_typing_updates_results_and_the_address(page, each_site_url: str) -> None:
    open_search(page, each_site_url)
    assert "Type to search 134 papers" in page.inner_text("#search-status")
    assert page.locator("#search-more").is_hidden() and page.locator("#search-notice").is_hidden()
    type_query(page, "grokking")
    assert total(page) == 6
    assert "q=grokking" in page.url
    type_query(page, "schrodinger")
    assert total(page) == 1 and "q=schrodinger" in page.url
    page.reload()
    page.wait_for_function("document.getElementById('search-results').children.length > 0")
    assert page.input_value("#search-page-q") == "schrodinger" and total(page) == 1
    assert page.errors == []


def test_accents_and_case_do_not_matter_and_words_are_stemmed(page, site_url: str) -> None:
    open_search(page, site_url)
    found = {}
    for query in ["Schrödinger", "schrodinger", "SCHRÖDINGER", "schrödinger's"]:
        type_query(page, query)
        found[query] = titles(page)
    assert len(set(map(tuple, found.values()))) == 1 and len(found["schrodinger"]) == 1
    type_query(page, "generalize")
    marks = {m.lower() for m in page.locator("#search-results mark").all_inner_texts()}
    assert {"generalize", "generalization"} <= marks
    assert page.errors == []


def test_field_filters_narrow_to_one_field(page, site_url: str) -> None:
    open_search(page, site_url, "org:berkeley")
    assert total(page) == 1
    assert page.inner_text("#search-results .meta").startswith("UC Berkeley")
    type_query(page, "title:grokking")
    assert total(page) == 6 and all("grokking" in t.lower() for t in titles(page))
    type_query(page, "abstract:grokking")
    in_abstract = total(page)
    type_query(page, "topic:math")
    math = total(page)
    # topics/math.html lists the same papers.
    page.goto(site_url + "topics/math.html")
    assert page.locator(".cards > li").count() == math > 0
    assert in_abstract >= 6
    assert page.errors == []


def test_all_words_must_match_and_minus_excludes(page, site_url: str) -> None:
    open_search(page, site_url, "grokking")
    grokking = set(titles(page))
    type_query(page, "grokking transformers")
    both = set(titles(page))
    type_query(page, "grokking -transformers")
    without = set(titles(page))
    assert both and without and both | without == grokking and not both & without
    type_query(page, "the grokking of a")  # stop words do not count
    assert set(titles(page)) == grokking


def test_sorting_by_newest_and_by_upvotes(page, site_url: str) -> None:
    open_search(page, site_url, "reasoning", sort="newest")
    assert page.input_value("#search-sort") == "newest"
    # Newest: the most recently listed first (a card shows the paper's own date).
    links = page.locator("#search-results .card-title a").evaluate_all(
        "nodes => nodes.map(n => n.getAttribute('href'))"
    )
    listed = {s.paper.slug: listed_on(s.paper) for s in load_papers(REPO / "content" / "papers")[0]}
    days = [listed[Path(link).stem] for link in links]
    assert len(days) > 10 and days == sorted(days, reverse=True)
    page.select_option("#search-sort", "upvotes")
    page.wait_for_function("location.search.includes('sort=upvotes')")
    votes = page.locator("#search-results .votes").evaluate_all(
        "nodes => nodes.map(n => parseInt(n.textContent.replace(/\\D/g, ''), 10))"
    )
    assert votes == sorted(votes, reverse=True) and votes[0] > votes[-1]
    page.select_option("#search-sort", "relevance")
    page.wait_for_function("!location.search.includes('sort=')")
    assert page.errors == []


def test_show_more_adds_the_next_results(page, site_url: str) -> None:
    open_search(page, site_url, "model")
    count = total(page)
    assert count > 50 and page.locator("#search-results > li").count() == 50
    page.click("#search-more")
    page.wait_for_function(ANSWERED)
    assert page.locator("#search-results > li").count() == min(count, 100)


def test_malformed_queries_explain_or_fall_back_and_never_throw(page, site_url: str) -> None:
    open_search(page, site_url)
    for query in MALFORMED:
        type_query(page, query)
        status = page.inner_text("#search-status")
        notice = page.inner_text("#search-notice") if page.is_visible("#search-notice") else ""
        assert notice or "match" in status or "No papers" in status, query
    assert page.errors == []


def test_a_hostile_address_is_ignored_not_obeyed(page, site_url: str) -> None:
    hostile = "q=grokking&sort=%27%5D%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&q=2"
    page.goto(site_url + "search.html?" + hostile)
    page.wait_for_selector("#search-results .result-link")
    assert page.input_value("#search-sort") == "relevance" and total(page) == 6
    page.goto(site_url + "search.html?q=" + quote("<img src=x onerror=alert(1)>") + "#x")
    page.wait_for_function(
        "/No papers|match/.test(document.getElementById('search-status').textContent)"
    )
    assert page.locator("#search-status img").count() == 0
    assert page.errors == [] and page.dialogs == []


def test_a_parse_error_says_what_is_wrong_and_searches_the_plain_words(page, site_url) -> None:
    open_search(page, site_url, "grokking~")
    assert "~ needs a number" in page.inner_text("#search-notice")
    assert total(page) == 6
    type_query(page, "nosuchfield:grokking")
    assert "no field “nosuchfield”" in page.inner_text("#search-notice")


def test_no_results_offers_a_fuzzy_retry(page, site_url: str) -> None:
    open_search(page, site_url, "transfomer")
    assert page.inner_text("#search-status").startswith("No papers match “transfomer”")
    page.click("#search-status button")
    page.wait_for_function(
        "/^[\\d,]+ papers? match/.test(document.getElementById('search-status').textContent)"
    )
    assert page.input_value("#search-page-q") == "transfomer~2"
    assert total(page) > 0 and page.locator("#search-results mark").count() > 0


def wait_for_panel(page, query: str) -> None:
    """Wait until the panel under the header box shows its answer to the whole of `query`."""
    # While typing goes on, the panel shows (and then replaces) the answers to the letters typed
    # so far: a result focused in one of those would be gone when the last answer comes. Its
    # last link opens the search page with the query the panel answered.
    page.wait_for_function(
        # The panel itself appears once search-ui.js, loaded on the first focus, has run.
        "q => { const pop = document.getElementById('search-pop');"
        " const all = document.querySelector('#search-pop a.pop-all');"
        " return !!pop && !pop.hidden && !!all &&"
        " all.getAttribute('href').endsWith('?q=' + encodeURIComponent(q)); }",
        arg=query,
    )


def test_keyboard_slash_arrows_and_enter(page, each_site_url: str) -> None:
    page.goto(each_site_url + "index.html")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "site-search"
    page.keyboard.type("grokking")
    wait_for_panel(page, "grokking")
    assert page.locator("#search-pop .result-link").count() == 6
    page.keyboard.press("ArrowDown")
    first = page.evaluate("document.activeElement.textContent")
    page.keyboard.press("ArrowDown")
    second = page.evaluate("document.activeElement.textContent")
    assert "rokking" in first and "rokking" in second and first != second
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.id") == "site-search"
    page.keyboard.press("Escape")  # closes the panel (and Chromium empties a search box)
    assert page.locator("#search-pop").is_hidden()
    page.keyboard.type("grokking")  # typing again opens it
    wait_for_panel(page, "grokking")
    page.keyboard.press("ArrowDown")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/papers/" in page.url and page.title().startswith(first.strip()[:20])
    # Enter in the box itself opens the search page with the query.
    page.keyboard.press("/")
    page.keyboard.type("schrodinger")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('search-results').children.length > 0")
    assert total(page) == 1 and page.input_value("#search-page-q") == "schrodinger"
    assert page.errors == []


def test_the_index_loads_only_when_search_is_used(page, each_site_url: str) -> None:
    for name in ["index.html", "papers/" + "grokking-at-the-edge-of-numerical-stability.html"]:
        page.goto(each_site_url + name)
        page.wait_for_timeout(300)
        assert not [u for u in page.requests if "search" in u.rsplit("/", 1)[-1]]
        assert page.evaluate("typeof window.lunr") == "undefined"
    page.focus("#site-search")
    page.wait_for_function("window.PaperDigestSearch && PaperDigestSearch.size() === 134")
    assert any("/search/meta.js" in u for u in page.requests)
    assert any(u.endswith("lunr.min.js") for u in page.requests)
    # Focusing the box loads the engine and its manifest, not the index: shards come per query.
    assert not any("/t/" in u or "/r/" in u or "/n/" in u for u in page.requests)
    page.fill("#site-search", "grokking")  # one input event: one query, whatever the timing
    wait_for_panel(page, "grokking")
    shards = [u for u in page.requests if "/t/" in u]
    records = [u for u in page.requests if "/r/" in u]
    first_record = page.requests.index(records[0])
    lengths = [u.split("?")[0] for u in page.requests[:first_record] if "/n/" in u]
    shown = page.locator("#search-pop .result-link").count()
    segments = page.evaluate("PaperDigestSearch.forTests.segments()")
    # The shard of its one term in each segment, the lengths of the fields it is in (not the
    # authors'), and a record per result shown: nothing more.
    assert len(shards) == segments and 1 <= len(lengths) < 5
    assert not any(u.endswith("/n/3.js") for u in lengths)
    assert len(records) == shown == 6
    # Then, the results on screen, the lengths of the other fields (for the next query), and
    # nothing else.
    others = [u for u in page.requests if "/n/" not in u]
    page.wait_for_timeout(600)
    later = [u.split("?")[0] for u in page.requests if "/n/" in u]
    assert sorted(u.rsplit("/", 1)[1] for u in later) == [f"{f}.js" for f in range(5)]
    assert [u for u in page.requests if "/n/" not in u] == others
    assert all(u.startswith(each_site_url) for u in page.requests)  # nothing from another host


def axe_violations(page, scheme: str = "light") -> list[tuple[str, str]]:
    """Run axe-core on the page as it is (in dark, its rules of colour: `AXE_RUN`); return
    (rule, impact) of every violation."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(AXE_RUN, SCHEME_RULES if scheme == "dark" else None)
    return [(v["id"], v["impact"]) for v in result["violations"]]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_search_state_passes_axe(page, built_site: Path, scheme: str) -> None:
    page.emulate_media(color_scheme=scheme)
    for query, ready in [
        ("grokking", "#search-results .result-link"),  # results with highlights
        ("foo~", "#search-notice:not([hidden])"),  # a query that cannot be read
        ("transfomer", "#search-status button"),  # no results, fuzzy retry offered
    ]:
        page.goto((built_site / "search.html").as_uri() + "?q=" + quote(query))
        page.wait_for_selector(ready)
        assert axe_violations(page, scheme) == [], query
    page.goto((built_site / "index.html").as_uri())
    page.fill("#site-search", "grokking")
    page.wait_for_selector("#search-pop .result-link")
    assert axe_violations(page, scheme) == []


def test_a_hostile_title_and_abstract_show_as_text(page, hostile_build) -> None:
    site = hostile_build[0] / "site"
    page.goto((site / "search.html").as_uri() + "?q=zyxwv")
    page.wait_for_selector("#search-results .result-link")
    assert titles(page) == [SEARCHED_TITLE]
    assert "<svg onload=window.__pwned=3>" in page.inner_text("#search-results .excerpt")
    assert (
        page.locator("#search-results script, #search-results img, #search-results svg").count()
        == 0
    )
    link = page.locator("#search-results .result-link")
    link.hover()
    paper_url = link.evaluate("a => a.href")
    # The panel under the header box, on any other page.
    page.goto((site / "index.html").as_uri())
    page.locator("#site-search").fill("zyxwv")
    page.wait_for_selector("#search-pop .result-link")
    assert page.locator("#search-pop .result-link").inner_text() == SEARCHED_TITLE
    assert page.locator("#search-pop script, #search-pop img, #search-pop svg").count() == 0
    # The title is on the digest, and the paper page, as text too.
    cards = 0
    for digest in [site / "index.html", *sorted((site / "page").glob("*.html"))]:
        page.goto(digest.as_uri())
        cards += page.locator(".card-title").get_by_text(SEARCHED_TITLE, exact=True).count()
    assert cards == 1
    page.goto(paper_url)
    assert page.locator("h1").inner_text() == SEARCHED_TITLE
    assert page.evaluate("window.__pwned") is None
    assert page.dialogs == [] and page.errors == []


def test_a_query_no_paper_has_every_word_of_lists_the_papers_with_some(page, site_url) -> None:
    open_search(page, site_url, "grokking transfomer")
    # No paper has "transfomer": the papers with "grokking", and a notice saying so.
    assert "No paper has all these words" in page.inner_text("#search-notice")
    assert total(page) == 6
    # Every word in some paper: the papers with all of them, and no notice.
    type_query(page, "grokking numerical stability")
    assert page.locator("#search-notice").is_hidden()
    assert 1 <= total(page) < 6
    links = page.locator("#search-results .result-link").evaluate_all("l => l.map(a => a.href)")
    assert links[0].endswith("papers/grokking-at-the-edge-of-numerical-stability.html")
    # Papers with every word, each left out by the -word: none, not the papers with some words.
    # (No fuzzy retry either: it would find the papers left out.)
    type_query(page, "grokking numerical -stability -wild")
    assert total(page) == 0 and page.locator("#search-notice").is_hidden()
    assert page.locator("#search-status button").count() == 0
    # The fuzzy retry offered takes neither the -word nor a field's name for a word.
    type_query(page, "title:transfomer -grokking")
    assert page.locator("#search-status button").inner_text() == "Try a fuzzy search: transfomer~2"
    assert page.errors == []
