"""Atom feeds with full abstracts (feedgen): the newest papers, and those of each organization and
topic; and the OPML list of them all."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from builder import __version__, urls
from builder.config import SiteConfig
from builder.models import Paper


def _moment(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def entry_id(paper: Paper, config: SiteConfig) -> str:
    """Return a paper's stable Atom id: its page URL, else its arXiv URL, else a URN."""
    if config.base_url:
        return urls.published(config.base_url, urls.paper_url(paper.slug))
    if paper.arxiv_id:
        return urls.arxiv_abs(paper.arxiv_id)
    return f"urn:paper-digest:{paper.slug}"


def atom_feed(
    pages: Sequence[Any],
    config: SiteConfig,
    path: str = urls.PAGES["feed"],
    html_page: str = urls.HOME,
    title: str | None = None,
) -> bytes:
    """Render the Atom feed at site path `path` of the papers' `pages` (newest first): the
    feed of the digest, or of an organization's or topic's page `html_page` named `title`;
    without base_url, links are relative to the feed's folder."""
    from feedgen.feed import FeedGenerator  # imported here: only a changed feed needs it

    base = config.base_url
    fg = FeedGenerator()
    if path == urls.PAGES["feed"]:
        fg.id(base or "urn:paper-digest:feed")
    else:
        fg.id(urls.published(base, path) if base else f"urn:paper-digest:{path}")
    fg.title(f"{title} · {config.title}" if title else config.title)
    fg.subtitle(f"Papers of {title}" if title else config.description or config.title)
    fg.author({"name": config.title})
    # The feed links to itself by its published URL, else by its own file name.
    self_href = urls.published(base, path) if base else path.rsplit("/", 1)[-1]
    fg.link(href=self_href, rel="self", type="application/atom+xml")
    fg.link(href=urls.feed_link(base, path, html_page), rel="alternate", type="text/html")
    fg.language(config.language)
    fg.generator("paper-digest", version=__version__)
    days = [page.day for page in pages if page.day]
    # Never "now": the feed changes only when its papers do.
    fg.updated(_moment(max(days)) if days else _moment(dt.date(1970, 1, 1)))
    for page in pages:
        paper = page.paper
        entry = fg.add_entry(order="append")
        entry.id(entry_id(paper, config))
        entry.title(paper.title)
        entry.link(href=urls.feed_link(base, path, page.url), rel="alternate", type="text/html")
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
    return fg.atom_str(pretty=False)


@dataclass(frozen=True)
class Feed:
    """One feed of the site: where it is, what it is of, and the page it follows."""

    path: str
    title: str
    page: str
    kind: str  # "site", "org" or "topic"


def opml(feeds: Sequence[Feed], config: SiteConfig) -> bytes:
    """An OPML 2.0 list of every feed, to subscribe to all of them in one import.

    Feed readers need absolute addresses: without base_url the addresses are relative to the
    site root, which is the best a site that does not know where it lives can give.
    """
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = f"{config.title}: every feed"
    body = ET.SubElement(root, "body")
    groups = {"site": body}
    base = config.base_url
    for feed in sorted(feeds, key=lambda f: f.kind != "site"):
        if feed.kind not in groups:
            label = {"org": "Organizations", "topic": "Topics"}[feed.kind]
            groups[feed.kind] = ET.SubElement(body, "outline", text=label, title=label)
        ET.SubElement(
            groups[feed.kind],
            "outline",
            type="rss",
            text=feed.title,
            title=feed.title,
            xmlUrl=urls.published(base, feed.path),
            htmlUrl=urls.published(base, feed.page),
        )
    ET.indent(root)
    declaration = '<?xml version="1.0" encoding="utf-8"?>\n'
    return (declaration + ET.tostring(root, encoding="unicode") + "\n").encode("utf-8")
