"""Rendering, checked in a real Chromium: every seed abstract shows exactly, from file://."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from builder.build import build
from builder.config import load_config
from builder.load import load_papers
from builder.merge import merge_entries
from builder.render import render_markdown
from builder.text import title_key
from tests.conftest import REPO, SEEDS, seed_entries


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds built once into a site folder."""
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(REPO / "content" / "papers", root / "papers")
    config, _ = load_config(
        None, {"snapshots": SEEDS, "papers": root / "papers", "output": root / "output"}
    )
    build(config)
    return root / "output"


def test_markdown_bodies_render_as_html_paragraphs() -> None:
    html = render_markdown("a \\*b\\* &lt;script>alert(1)&lt;/script>\n")
    assert html == "<p>a *b* &lt;script&gt;alert(1)&lt;/script&gt;</p>"


@pytest.mark.browser
def test_every_abstract_reads_exactly_in_chromium(built_site: Path, browser) -> None:
    merged, _ = merge_entries(seed_entries())
    abstracts = {title_key(p.title): p.abstract for p in merged}
    stored, _ = load_papers(REPO / "content" / "papers")
    page = browser.new_page()
    errors: list[str] = []
    foreign: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda r: None if r.url.startswith("file://") else foreign.append(r.url))
    checked = 0
    read = (
        "() => [document.title, document.querySelector('h1').textContent, "
        "document.querySelector('.abstract p').textContent]"
    )
    for s in stored:
        page.goto(
            (built_site / "papers" / f"{s.paper.slug}.html").as_uri(), wait_until="domcontentloaded"
        )
        title, heading, shown = page.evaluate(read)
        assert title.startswith(s.paper.title) and heading == s.paper.title
        assert shown == abstracts[title_key(s.paper.title)], s.paper.slug
        checked += 1
    page.goto((built_site / "index.html").as_uri())
    links = page.eval_on_selector_all(".papers a", "as => as.map(a => a.href)")
    assert len(links) == checked == 134
    page.goto(links[0])
    assert page.url.startswith("file://") and page.text_content("h1")
    assert errors == [] and foreign == []
    page.close()
