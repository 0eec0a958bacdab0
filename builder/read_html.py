"""Read a saved HTML page of the listing: the items in its page data, else its visible cards."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import TYPE_CHECKING

from builder.errors import Problem
from builder.listing import ListingFile
from builder.models import ListingEntry, Source, capture_day
from builder.read_json import props_result
from builder.text import clean_text

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

PAPER_LINK = re.compile(
    r"^(?:https?://huggingface\.co)?/papers/(\d{4}\.\d{4,5})(?:v\d+)?/?(?:[?#].*)?$"
)


def _visible_cards(soup: BeautifulSoup, name: str, mtime: dt.date) -> ListingFile:
    """Read titles and arXiv ids from the page's visible paper cards (`h3 > a` to /papers/ID)."""
    result = ListingFile()
    seen: set[str] = set()
    source = Source(captured=mtime, file=name)
    for heading in soup.find_all(["h3", "h2"]):
        link = heading.find("a", href=PAPER_LINK)
        title = clean_text(link.get_text(" ")) if link else ""
        if not title:
            continue
        arxiv_id = PAPER_LINK.match(link["href"]).group(1)
        if arxiv_id in seen:
            continue
        seen.add(arxiv_id)
        line = link.sourceline or 1
        result.entries.append(
            ListingEntry(
                title=title,
                abstract="",
                source=source,
                line=line,
                arxiv_id=arxiv_id,
                listed=capture_day(mtime),  # a daily page's cards, captured the day it showed
            )
        )
    if result.entries:
        result.problems.append(
            Problem(
                name,
                result.entries[0].line,
                "expected the page data (data-props of the DailyPapers element), found only the "
                f"visible cards: read {len(result.entries)} titles and arXiv ids, without "
                "abstracts; save the page's text or the API's JSON for those",
                reason="page without data",
                skipped=False,
            )
        )
    return result


def parse_html_listing(text: str, name: str, mtime: dt.date) -> ListingFile:
    """Parse a saved listing page: the JSON in `data-props` of the DailyPapers element.

    Without it, fall back to the visible paper cards (titles and arXiv ids only).
    """
    from bs4 import BeautifulSoup  # imported here: most builds read no HTML

    soup = BeautifulSoup(text, "html.parser")
    div = soup.find(attrs={"data-target": "DailyPapers"})
    if div is None or not div.get("data-props"):
        cards = _visible_cards(soup, name, mtime)
        if cards.entries:
            return cards
        return ListingFile(
            problems=[
                Problem(
                    name,
                    None,
                    'expected an element with data-target="DailyPapers" and its data-props, '
                    "found none; save the page as 'Webpage, complete' or 'HTML only' from the "
                    "listing, or save the API's JSON instead",
                    reason="no listing data",
                )
            ]
        )
    line = div.sourceline or 1
    try:
        data = json.loads(div["data-props"])
    except json.JSONDecodeError as exc:
        return ListingFile(
            problems=[
                Problem(
                    name,
                    line,
                    f"expected JSON in data-props, found malformed JSON ({exc.msg})",
                    reason="no listing data",
                )
            ]
        )
    return props_result(data, name, mtime, line)
