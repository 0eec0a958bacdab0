"""The Atom feed of the newest papers, with full abstracts (feedgen)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from feedgen.feed import FeedGenerator

from builder import __version__
from builder.config import SiteConfig
from builder.models import Paper


def _moment(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def entry_id(paper: Paper, config: SiteConfig) -> str:
    """Return a paper's stable Atom id: its page URL, else its arXiv URL, else a URN."""
    if config.base_url:
        return f"{config.base_url}papers/{paper.slug}.html"
    if paper.arxiv_id:
        return f"https://arxiv.org/abs/{paper.arxiv_id}"
    return f"urn:paper-digest:{paper.slug}"


def atom_feed(papers: Sequence[Paper], config: SiteConfig, pages: Mapping[str, Any]) -> bytes:
    """Render the Atom feed of `papers` (newest first); links are relative without base_url."""
    base = config.base_url
    fg = FeedGenerator()
    fg.id(base or "urn:paper-digest:feed")
    fg.title(config.title)
    fg.subtitle(config.description or config.title)
    fg.author({"name": config.title})
    fg.link(href=f"{base}feed.xml", rel="self", type="application/atom+xml")
    fg.link(href=base or "index.html", rel="alternate", type="text/html")
    fg.language(config.language)
    fg.generator("paper-digest", version=__version__)
    days = [pages[p.slug].day for p in papers if pages[p.slug].day]
    # Never "now": the feed changes only when its papers do.
    fg.updated(_moment(max(days)) if days else _moment(dt.date(1970, 1, 1)))
    for paper in papers:
        page = pages[paper.slug]
        entry = fg.add_entry(order="append")
        entry.id(entry_id(paper, config))
        entry.title(paper.title)
        entry.link(href=f"{base}{page.url}", rel="alternate", type="text/html")
        updated = _moment(page.day) if page.day else _moment(dt.date(1970, 1, 1))
        entry.updated(updated)
        if paper.date:
            entry.published(_moment(paper.date))
        for name in paper.authors:
            entry.author({"name": name})
        if not paper.authors and paper.organization:
            entry.author({"name": paper.organization.name})
        for topic in page.topics:
            entry.category(term=topic.slug, label=topic.name)
        entry.content(page.text, type="text")
    return fg.atom_str(pretty=True)
