"""The built site in a real Chromium from file://: accessibility, layout, JavaScript on and off."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import REPO, bibtex_of

pytestmark = pytest.mark.browser

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
# axe-core on the page as it is (the violations alone): every rule, or those of `rules` (which
# must be every rule of colour axe runs by default). In the dark scheme, which changes colours
# alone (test_the_colour_scheme_is_css_alone), only those can find what light did not.
AXE_RUN = """async rules => {
  if (!rules) return await axe.run(document, {resultTypes: ['violations']});
  const colour = axe._audit.rules.filter(r => r.enabled && r.tags.includes('cat.color'));
  if (JSON.stringify(colour.map(r => r.id).sort()) !== JSON.stringify([...rules].sort())) {
    throw new Error('axe runs other rules of colour: ' + colour.map(r => r.id));
  }
  return await axe.run(document,
    {resultTypes: ['violations'], runOnly: {type: 'rule', values: rules}});
}"""
SCHEME_RULES = ["color-contrast", "link-in-text-block"]
PAGE_TYPES = [
    "index.html",
    "days/2026-04-15.html",
    "papers/dei-diversity-in-evolutionary-inference-for-quality-diversity-search.html",
    "papers/equiformerv3-scaling-efficient-expressive-and-general-se-3-equivariant-graph.html",
    "months/index.html",
    "months/2026-06.html",
    "orgs/index.html",
    "orgs/gensyn.html",
    "topics/index.html",
    "topics/reasoning.html",
    "search.html",
    "top.html",
    "trends.html",
    "saved.html",
    "feeds.html",
    "404.html",
]


@pytest.fixture(scope="module")
def context(browser):
    """A browser context with axe, recording page errors and foreign requests."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.add_init_script(path=str(AXE))  # axe in every page it opens, read once
    ctx.errors = []
    ctx.foreign = []
    ctx.on("weberror", lambda e: ctx.errors.append(str(e.error)))
    ctx.on("request", lambda r: None if r.url.startswith("file://") else ctx.foreign.append(r.url))
    yield ctx
    ctx.close()


def serious_violations(context, url: str) -> dict[str, list]:
    """Open `url` and run axe in light and dark: the serious and critical violations of each."""
    assert AXE.is_file(), "axe-core is missing: run `make setup` (npm ci)"
    page = context.new_page()
    page.goto(url)
    # Both colour schemes on the one page: the theme is CSS alone and the dark one changes
    # colours alone (the test below), so the page restyles as the scheme changes, and in dark
    # only axe's rules of colour can find anything light did not.
    serious = {}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        dark = page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
        assert dark == (scheme == "dark")
        # No transition is under way: axe reads the scheme's own colours, not ones between.
        assert page.evaluate("document.getAnimations().length") == 0
        result = page.evaluate(AXE_RUN, SCHEME_RULES if dark else None)
        serious[scheme] = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
    page.close()
    return serious


@pytest.mark.parametrize("name", PAGE_TYPES)
def test_axe_finds_no_serious_violations(built_site: Path, context, name: str) -> None:
    serious = serious_violations(context, (built_site / name).as_uri())
    assert serious == {"light": [], "dark": []}, serious
    assert context.errors == [] and context.foreign == []


@pytest.mark.parametrize(
    "name", ["papers/grokking-at-the-edge-of-numerical-stability.html", "index.html"]
)
def test_the_listings_extras_pass_axe_and_load_nothing_from_elsewhere(
    listing_site: Path, context, name: str
) -> None:
    # The page names an image on another host (og:image) that no browser loads.
    assert (
        "cdn-thumbnails.huggingface.co" in (listing_site / name).read_text() or name == "index.html"
    )
    serious = serious_violations(context, (listing_site / name).as_uri())
    assert serious == {"light": [], "dark": []}, serious
    assert context.errors == [] and context.foreign == []


def test_stars_read_as_stars(listing_site: Path, browser) -> None:
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto((listing_site / "papers/grokking-at-the-edge-of-numerical-stability.html").as_uri())
    code = page.get_by_role("link", name="Code 1,234 stars")
    assert code.inner_text() == "Code 1,234"  # the ★ is drawn, " stars" said
    assert "★" in page.evaluate(
        "getComputedStyle(document.querySelector('.stars'), '::before').content"
    )
    ctx.close()


def test_the_colour_scheme_is_css_alone() -> None:
    # The axe test loads each page once, in light, and switches to dark: no script or page may
    # read the scheme at load (else load each page in each scheme again).
    theme = REPO / "templates"
    readers = [
        path.relative_to(theme).as_posix()
        for path in sorted(theme.rglob("*"))
        if path.suffix in (".js", ".html", ".xml")
        and re.search(r"matchMedia|prefers-color-scheme", path.read_text(encoding="utf-8"))
    ]
    assert readers == []
    css = (theme / "static" / "style.css").read_text(encoding="utf-8")
    assert css.count("prefers-color-scheme") == 1  # where the dark theme is: one block...
    dark = re.search(r"@media \(prefers-color-scheme: dark\) \{\s*:root \{([^}]*)\}\s*\}", css)
    assert dark is not None  # ...of the light theme's variables, given other colours alone
    light = re.search(r":root \{([^}]*)\}", css)
    assert light is not None and light.start() < dark.start()
    declared = re.findall(r"(--[\w-]+):\s*([^;]+);", dark.group(1))
    assert len(declared) == dark.group(1).count(";") > 5
    for name, value in declared:
        assert re.search(rf"{name}:", light.group(1)), name
        assert re.fullmatch(r"#[0-9a-f]{6}|none", value), (name, value)


def test_no_page_scrolls_sideways(built_site: Path, browser) -> None:
    ctx = browser.new_context(viewport={"width": 360, "height": 800})
    page = ctx.new_page()
    for name in PAGE_TYPES:
        page.goto((built_site / name).as_uri())
        for width in (360, 768, 1600):  # a phone, a tablet, a desktop: the page laid out anew
            page.set_viewport_size({"width": width, "height": 800})
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (name, width, overflow)
        page.set_viewport_size({"width": 360, "height": 800})
    ctx.close()


def test_pages_work_without_javascript(built_site: Path, browser) -> None:
    ctx = browser.new_context(java_script_enabled=False)
    page = ctx.new_page()
    paper = built_site / PAGE_TYPES[2]
    page.goto(paper.as_uri())
    link = page.locator(".read a.copy-link")
    assert link.count() == 1
    # Without JavaScript the BibTeX entry shows, and no button that could not work.
    assert page.locator("#bibtex").inner_text().startswith("@misc{")
    assert page.locator("#cite button, #cite a").count() == 0
    link.click()
    assert page.url == paper.as_uri()
    assert page.locator(".abstract").inner_text().startswith("We present DEI")
    page.goto((built_site / "index.html").as_uri())
    page.fill("#site-search", "grokking")
    page.press("#site-search", "Enter")
    assert page.url.endswith("search.html?q=grokking")
    ctx.close()


def test_copy_link_copies_the_page_address(built_site: Path, browser) -> None:
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto((built_site / PAGE_TYPES[2]).as_uri())
    button = page.locator(".read button.copy-link")
    assert button.count() == 1 and page.locator("a.copy-link").count() == 0
    page.evaluate(
        "() => { window.copied = null; navigator.clipboard.writeText = "
        "async (t) => { window.copied = t; }; }"
    )
    button.click()
    page.wait_for_function("() => window.copied !== null")
    assert page.evaluate("window.copied") == page.url
    assert page.locator(".read .copy-status").inner_text() == "Link copied"
    ctx.close()


def test_the_skip_link_is_first_and_moves_focus_to_the_content(built_site: Path, browser) -> None:
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto((built_site / "index.html").as_uri())
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    ctx.close()


def test_copy_address_copies_a_feeds_full_address(built_site: Path, browser) -> None:
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto((built_site / "feeds.html").as_uri())
    buttons = page.locator(".feed-list button.copy-link")
    assert buttons.count() == len(page.locator(".feed-list li").all())
    page.evaluate(
        "() => { window.copied = null; navigator.clipboard.writeText = "
        "async (t) => { window.copied = t; }; }"
    )
    item = page.locator(".feed-list li", has=page.locator('a[href="topics/math.html"]'))
    item.locator("button").click()
    page.wait_for_function("() => window.copied !== null")
    assert page.evaluate("window.copied") == (built_site / "topics" / "math.xml").as_uri()
    assert item.locator(".copy-status").inner_text() == "Address copied"
    assert item.locator("button").get_attribute("aria-label") == "Copy address of the feed of math"
    ctx.close()


def test_copy_bibtex_copies_the_entry(built_site: Path, browser) -> None:
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto((built_site / PAGE_TYPES[2]).as_uri())
    page.evaluate(
        "() => { window.copied = null; navigator.clipboard.writeText = "
        "async (t) => { window.copied = t; }; }"
    )
    cite = page.locator("#cite")
    cite.get_by_role("button", name="Copy BibTeX").click()
    page.wait_for_function("() => window.copied !== null")
    entry = bibtex_of(built_site / PAGE_TYPES[2])
    assert entry.startswith("@misc{") and entry.endswith("}\n")
    assert page.evaluate("window.copied") == entry
    assert cite.locator(".copy-status").inner_text() == "BibTeX copied"
    ctx.close()


def test_download_bib_saves_the_entry_as_the_papers_bib_file(built_site: Path, browser) -> None:
    ctx = browser.new_context(accept_downloads=True)
    page = ctx.new_page()
    errors: list = []
    page.on("pageerror", lambda error: errors.append(error))
    paper = built_site / PAGE_TYPES[2]
    page.goto(paper.as_uri())
    with page.expect_download() as caught:
        page.locator("#cite").get_by_role("button", name="Download .bib").click()
    download = caught.value
    assert download.suggested_filename == paper.stem + ".bib"
    assert Path(download.path()).read_text(encoding="utf-8") == bibtex_of(paper)
    assert errors == []
    ctx.close()


def test_votes_read_as_upvotes_and_the_dots_between_meta_parts_sit_outside_links(
    built_site: Path, browser
) -> None:
    ctx = browser.new_context()
    page = ctx.new_page()
    for name in ("index.html", "orgs/gensyn.html", PAGE_TYPES[2]):
        page.goto((built_site / name).as_uri())
        meta = page.locator(".meta:has(.votes)").first
        votes = meta.locator(".votes").inner_text()
        assert re.fullmatch(r"\d+", votes), votes  # the ▲ and "upvotes" are not text
        said = meta.aria_snapshot()
        assert f"{votes} upvotes" in said and "▲" not in said, said
        lines = page.evaluate(
            """() => [...document.querySelectorAll('.meta')].map((line) => [...line.children].map(
              (part) => [part.tagName, part.matches('.votes'),
                         getComputedStyle(part, '::before').content,
                         getComputedStyle(part, '::after').content]))"""
        )
        assert any(len(line) == 3 for line in lines), lines
        for line in lines:
            for i, (tag, is_votes, before, after) in enumerate(line):
                # One dot between each part and the one before it, never in a link (whose
                # box and click area would take it in).
                if i:
                    dots = ("·" in before) + ("·" in line[i - 1][3])
                    assert dots == 1, (name, line)
                else:
                    assert "·" not in before, (name, line)
                assert tag != "A" or "·" not in before + after, (name, line)
                assert not is_votes or "▲" in before, (name, line)
    ctx.close()
