"""Screenshot each page type of a built site: phone and desktop, light and dark.

Usage: .venv/bin/python tools/screenshots.py [SITE] [OUT]   (defaults: output/ screenshots/)
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.chromium import CHROMIUM, CHROMIUM_ARGS

SIZES = {"phone": {"width": 360, "height": 780}, "desktop": {"width": 1280, "height": 900}}


def pick(site: Path, folder: str, preferred: str) -> Path:
    """Return `folder/preferred.html` when the site has it, else the folder's first page."""
    wanted = site / folder / f"{preferred}.html"
    if wanted.exists():
        return wanted
    return min(p for p in (site / folder).glob("*.html") if p.name != "index.html")


def page_types(site: Path) -> dict[str, Path]:
    """Pick one page of each type from a built site."""
    return {
        "digest": site / "index.html",
        "paper": pick(
            site, "papers", "dei-diversity-in-evolutionary-inference-for-quality-diversity-search"
        ),
        "month": pick(site, "months", "2026-05"),
        "months": site / "months" / "index.html",
        "org": pick(site, "orgs", "gensyn"),
        "orgs": site / "orgs" / "index.html",
        "topic": pick(site, "topics", "reasoning"),
        "topics": site / "topics" / "index.html",
        "search": site / "search.html",
        "top": site / "top.html",
        "trends": site / "trends.html",
        "feeds": site / "feeds.html",
        "404": site / "404.html",
    }


# Search states: (page, query typed into the header box or given as ?q=).
SEARCHES = {"results": ("search.html", "?q=grokking"), "panel": ("index.html", "grokking")}


def main() -> None:
    """Write one PNG per page type, size and colour scheme."""
    site = Path(sys.argv[1] if len(sys.argv) > 1 else "output").resolve()
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for size, viewport in SIZES.items():
            for scheme in ("light", "dark"):
                context = browser.new_context(viewport=viewport, color_scheme=scheme)
                page = context.new_page()
                for name, path in page_types(site).items():
                    page.goto(path.as_uri())
                    page.screenshot(path=out / f"{name}-{size}-{scheme}.png")
                for name, (file, query) in SEARCHES.items():
                    if query.startswith("?"):
                        page.goto((site / file).as_uri() + query)
                        page.wait_for_selector("#search-results .result-link")
                    else:
                        page.goto((site / file).as_uri())
                        page.fill("#site-search", query)
                        page.wait_for_selector("#search-pop .result-link")
                    page.screenshot(path=out / f"{name}-{size}-{scheme}.png")
                context.close()
        browser.close()
    print(f"screenshots in {out}/")


if __name__ == "__main__":
    main()
