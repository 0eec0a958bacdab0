"""Render loaded papers into site files with Jinja2 (autoescaped) templates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import markdown
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from builder.config import SiteConfig
from builder.models import Paper

DEFAULT_THEME = Path(__file__).resolve().parent.parent / "templates"


def theme_dirs(config: SiteConfig) -> list[Path]:
    """List the folders searched for templates and static files, the user's first."""
    return [*config.theme_dirs, DEFAULT_THEME]


def make_environment(config: SiteConfig) -> Environment:
    """Create the Jinja2 environment: autoescape everywhere, undefined names are errors."""
    return Environment(
        loader=FileSystemLoader([str(d) for d in theme_dirs(config)]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render_markdown(body: str) -> Markup:
    """Render a paper body (python-markdown, no extensions) to HTML."""
    return Markup(markdown.markdown(body))


def listed_on(paper: Paper) -> dt.date | None:
    """Return the day a paper sits under: its date, else its first capture."""
    return paper.date or (paper.sources[0].captured if paper.sources else None)


def newest_first(papers: Sequence[Paper]) -> list[Paper]:
    """Sort papers newest first, ties by slug, undated and uncaptured last."""
    return sorted(papers, key=lambda p: (-(listed_on(p) or dt.date.min).toordinal(), p.slug))


def static_files(config: SiteConfig) -> dict[str, bytes]:
    """Collect `static/` files from the theme folders (the user's win) as `assets/...`."""
    files: dict[str, bytes] = {}
    for folder in reversed(theme_dirs(config)):
        static = folder / "static"
        if static.is_dir():
            for path in sorted(static.rglob("*")):
                if path.is_file():
                    files["assets/" + path.relative_to(static).as_posix()] = path.read_bytes()
    return files


def render_site(papers: Sequence[Paper], config: SiteConfig) -> dict[str, str | bytes]:
    """Render the digest page and one page per paper; return site path -> content."""
    env = make_environment(config)
    ordered = newest_first(papers)
    site: dict[str, str | bytes] = dict(static_files(config))
    site["index.html"] = env.get_template("index.html").render(
        site=config, papers=ordered, listed_on=listed_on, root=""
    )
    paper_template = env.get_template("paper.html")
    for paper in ordered:
        site[f"papers/{paper.slug}.html"] = paper_template.render(
            site=config, paper=paper, abstract=render_markdown(paper.body), root="../"
        )
    return site
