"""Read the JSON of the listing's API: items shaped like the listing's `dailyPapers[]` (saved
HTML pages hold the same items in their data)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from builder.errors import Problem
from builder.listing import ListingFile, quote
from builder.models import ListingEntry, Organization, Source, capture_day
from builder.read_artifacts import is_artifacts, parse_artifacts
from builder.text import clean_text
from builder.urls import https_url, hub_user, web_url

ARXIV_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(v\d+)?$", re.IGNORECASE)


def _iso_date(value: Any) -> dt.date | None:
    """Read the date part of an ISO timestamp such as 2025-05-26T13:22:33.000Z."""
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _cleaned(values: Iterable[Any]) -> tuple[str, ...]:
    """The strings among `values`, cleaned (`clean_text`), those left empty dropped."""
    return tuple([c for v in values if isinstance(v, str) and (c := clean_text(v))])


class _Item:
    """The fields of one API item (its `paper` and the item around it), each read with a
    problem reported, naming the file and line, when it is missing or mistyped."""

    def __init__(self, item: dict, paper: dict, report: Callable[..., None]) -> None:
        self.item, self.paper, self.problem = item, paper, report

    def text(self, *keys: str) -> str:
        """The first non-empty text under one of `keys`, in the paper, then in the item."""
        for container in (self.paper, self.item):
            for key in keys:
                value = container.get(key)
                if isinstance(value, str) and (cleaned := clean_text(value)):
                    return cleaned
        return ""

    def arxiv_id(self) -> str | None:
        """`paper.id`, when it is an arXiv id."""
        found = self.paper.get("id")
        if found is not None and not (isinstance(found, str) and ARXIV_ID.match(found)):
            self.problem(f"expected an arXiv id in 'paper.id', found {quote(str(found))}")
            return None
        return found.strip() if found else None

    def upvotes(self) -> int | None:
        """The upvote count: a whole number of 0 or more (digits in a string are read too)."""
        upvotes = self.paper.get("upvotes", self.item.get("upvotes"))
        if isinstance(upvotes, bool) or not isinstance(upvotes, int | None):
            if isinstance(upvotes, str) and upvotes.strip().isdigit():
                self.problem(
                    f"expected 'paper.upvotes' to be a number, found {quote(upvotes)}; read as one"
                )
                upvotes = int(upvotes)
            else:
                self.problem(
                    f"expected 'paper.upvotes' to be a number, found {quote(str(upvotes))}"
                )
                upvotes = None
        if isinstance(upvotes, int) and upvotes < 0:
            self.problem(f"expected 'paper.upvotes' to be 0 or more, found {upvotes}")
            upvotes = None
        return upvotes

    def authors(self) -> tuple[str, ...]:
        """The authors' names, from `paper.authors[].name` (or plain strings)."""
        raw = self.paper.get("authors") or []
        if not isinstance(raw, list):
            self.problem("expected 'paper.authors' to be a list")
            raw = []
        names = (a.get("name") if isinstance(a, dict) else a for a in raw)
        return _cleaned(names)

    def organization(self) -> Organization | None:
        """The organization: its `name` is the id, its `fullname` (else the id) the name."""
        raw = self.item.get("organization") or self.paper.get("organization")
        if isinstance(raw, dict) and isinstance(raw.get("name"), str):
            org_id = clean_text(raw["name"])
            full = raw.get("fullname")
            name = (clean_text(full) if isinstance(full, str) else "") or org_id
            return Organization(id=org_id, name=name) if org_id else None
        if raw:
            self.problem("expected 'organization' to be an object with a 'name'")
        return None

    def keywords(self) -> tuple[str, ...]:
        """`paper.ai_keywords`."""
        keywords = self.paper.get("ai_keywords") or []
        if not isinstance(keywords, list):
            self.problem("expected 'paper.ai_keywords' to be a list")
            keywords = []
        return _cleaned(keywords)

    def count(self, container: str, key: str) -> int | None:
        """A count under `key` of the paper or the item: a whole number of 0 or more, else
        None (and a problem, when there is a value)."""
        value = (self.paper if container == "paper" else self.item).get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            shown = json.dumps(value)[:60] if not isinstance(value, str) else value
            self.problem(
                f"expected '{container}.{key}' to be a whole number of 0 or more, "
                f"found {quote(str(shown))}; left out"
            )
            return None
        return value

    def thumbnail(self) -> str | None:
        """The item's `thumbnail`, the listing's social image: an https URL, else None."""
        value = self.item.get("thumbnail", self.paper.get("thumbnail"))
        if value in (None, ""):
            return None
        found = https_url(value)
        if found is None:
            self.problem(
                f"expected an https URL in 'thumbnail', found {quote(str(value))}; left out"
            )
        return found

    def submitted_by(self) -> str | None:
        """Who put the paper on the listing: `submittedBy.name` of the item, else
        `paper.submittedOnDailyBy.user` (since 2025)."""
        for container, key, field in (
            (self.item, "submittedBy", "name"),
            (self.item, "submittedBy", "user"),
            (self.paper, "submittedOnDailyBy", "user"),
            (self.paper, "submittedOnDailyBy", "name"),
        ):
            user = container.get(key)
            if not isinstance(user, dict) or user.get(field) in (None, ""):
                continue
            found = hub_user(user[field])
            if found is None:
                self.problem(
                    f"expected a Hugging Face user name in '{key}.{field}', "
                    f"found {quote(str(user[field]))}; left out"
                )
            return found
        return None

    def url(self, key: str, title: str) -> str | None:
        """An http(s) URL of the paper (its code, its project page), else None."""
        value = self.paper.get(key)
        if value in (None, ""):
            return None
        found = web_url(value)
        if found is None:
            self.problem(
                f"expected an http(s) URL in {key!r} of paper {quote(title)}, "
                f"found {quote(str(value))}; left out"
            )
        return found

    def date(self) -> dt.date | None:
        """The paper's date: the day of its `publishedAt` (the paper's, else the item's)."""
        return _iso_date(self.paper.get("publishedAt")) or _iso_date(self.item.get("publishedAt"))

    def listed(self) -> dt.date | None:
        """The listing day the API says showed the paper: `paper.submittedOnDailyAt` (since
        2025; the item-level `publishedAt` is not it: that is the evening before the date)."""
        return _iso_date(self.paper.get("submittedOnDailyAt"))


def parse_item(
    item: Any, source: Source, line: int, label: str, listed: dt.date | None = None
) -> tuple[ListingEntry | None, list[Problem]]:
    """Turn one `dailyPapers[]`-shaped item into an entry, reporting missing or mistyped fields;
    `listed` is the listing day of the snapshot, when it is one (an item may say its own)."""
    problems: list[Problem] = []

    def problem(message: str, skipped: bool = False) -> None:
        reason = "malformed entry" if skipped else "field problem"
        problems.append(Problem(source.file, line, f"{label}: {message}", reason, skipped))

    if not isinstance(item, dict):
        problem(f"expected an object, found {quote(json.dumps(item)[:60])}; skipped", skipped=True)
        return None, problems
    paper = item.get("paper", item)
    if not isinstance(paper, dict):
        problem("expected 'paper' to be an object; skipped", skipped=True)
        return None, problems
    fields = _Item(item, paper, problem)
    title = fields.text("title")
    if not title:
        problem("expected a non-empty 'paper.title', found none; skipped", skipped=True)
        return None, problems
    abstract = fields.text("summary")
    if not abstract:
        problem(f"expected a non-empty 'paper.summary' for {quote(title)}, found none")
    entry = ListingEntry(
        title=title,
        abstract=abstract,
        source=source,
        line=line,
        arxiv_id=fields.arxiv_id(),
        upvotes=fields.upvotes(),
        authors=fields.authors(),
        organization=fields.organization(),
        keywords=fields.keywords(),
        ai_summary=fields.text("ai_summary") or None,
        github_stars=fields.count("paper", "githubStars"),
        comments=fields.count("item", "numComments"),
        thumbnail=fields.thumbnail(),
        submitted_by=fields.submitted_by(),
        github=fields.url("githubRepo", title),
        project_page=fields.url("projectPage", title),
        date=fields.date(),
        listed=fields.listed() or listed,
    )
    return entry, problems


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _json_array_items(text: str, start: int) -> Iterator[tuple[Any, int] | json.JSONDecodeError]:
    """Decode the items of the JSON array opening at `start` one by one, with their offsets."""
    decoder = json.JSONDecoder()
    ws = re.compile(r"[\s,]*")
    pos = ws.match(text, start + 1).end()
    while pos < len(text) and text[pos] != "]":
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield exc
            return
        yield value, pos
        pos = ws.match(text, end).end()


def _items_result(
    items: Iterable[tuple[Any, int]], source: Source, listed: dt.date | None, first: int = 1
) -> ListingFile:
    result = ListingFile()
    for n, (item, line) in enumerate(items, first):
        entry, problems = parse_item(item, source, line, f"item {n}", listed)
        result.problems += problems
        if entry:
            result.entries.append(entry)
    return result


def parse_json_listing(text: str, name: str, mtime: dt.date) -> ListingFile:
    """Parse the JSON of the listing's API: a list of `dailyPapers[]`-shaped items."""
    text = text.removeprefix("\ufeff")
    start = re.match(r"\s*", text).end()
    if text[start : start + 1] == "[":
        source = Source(captured=mtime, file=name)
        items: list[tuple[Any, int]] = []
        result = ListingFile()
        for got in _json_array_items(text, start):
            if isinstance(got, json.JSONDecodeError):
                result.problems.append(
                    Problem(
                        name,
                        got.lineno,
                        f"expected a JSON value, found malformed JSON ({got.msg}); "
                        "the rest of the file is skipped",
                    )
                )
                break
            items.append((got[0], _line_at(text, got[1])))
        parsed = _items_result(items, source, capture_day(mtime))  # a saved daily list
        parsed.problems[:0] = result.problems
        return parsed
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return ListingFile(
            problems=[Problem(name, exc.lineno, f"expected JSON, found malformed JSON ({exc.msg})")]
        )
    if isinstance(data, dict) and "items" in data:
        return fetched_result(data, text, name, mtime)
    return props_result(data, name, mtime, line=1)


def _utc_time(value: Any) -> dt.datetime | None:
    """Read a UTC time such as 2026-11-20T06:00:00Z, to the second."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(dt.UTC).replace(microsecond=0)


ITEMS_AT = re.compile(r'"items"\s*:\s*\[')


def fetched_result(data: dict, text: str, name: str, mtime: dt.date) -> ListingFile:
    """Read a snapshot `fetch` saved: `{"request", "captured", "items": [...]}`."""
    problems = []
    captured = data.get("captured")
    moment = _utc_time(captured)
    if moment is None:
        problems.append(
            Problem(
                name,
                1,
                f"expected 'captured' to be a UTC time such as 2026-11-20T06:00:00Z, found "
                f"{quote(str(captured))}; the file's date is used",
                reason="field problem",
                skipped=False,
            )
        )
    items = data["items"]
    if not isinstance(items, list):
        return ListingFile(problems=[Problem(name, 1, "expected 'items' to be a list")])
    # Each item's line, for messages: where it starts in the file.
    found = ITEMS_AT.search(text)
    lines = [1] * len(items)
    if found:
        offsets = [
            got[1] for got in _json_array_items(text, found.end() - 1) if isinstance(got, tuple)
        ]
        if len(offsets) == len(items):
            lines = [_line_at(text, offset) for offset in offsets]
    if is_artifacts(data):
        when = moment or dt.datetime(mtime.year, mtime.month, mtime.day, tzinfo=dt.UTC)
        result = parse_artifacts(data, name, lines, when)
        result.problems[:0] = problems
        return result
    source = Source(captured=moment or mtime, file=name)
    pairs = list(zip(items, lines, strict=True))
    result = _items_result(pairs, source, _asked_day(data.get("request"), source))
    result.problems[:0] = problems
    return result


def _asked_day(request: Any, source: Source) -> dt.date | None:
    """The listing day a fetched snapshot holds: the day a daily request asked for; the
    capture's day for a week or a month (their items say their own day since 2025); none for
    a search."""
    request = request if isinstance(request, dict) else {}
    params = request.get("params") if isinstance(request.get("params"), dict) else {}
    if "q" in params or str(request.get("path", "")).endswith("/search"):
        return None
    return _iso_date(params.get("date")) or capture_day(source.captured)


def props_result(data: Any, name: str, mtime: dt.date, line: int) -> ListingFile:
    """Read a page's props object: `dailyPapers[]`, `searchResults[]` and its `date`."""
    if not isinstance(data, dict):
        return ListingFile(
            problems=[
                Problem(name, line, "expected an object with 'dailyPapers' or a list of items")
            ]
        )
    captured = _iso_date(data.get("date")) or mtime
    source = Source(captured=captured, file=name)
    daily, found = [], []
    for key in ("dailyPapers", "searchResults"):
        value = data.get(key)
        if isinstance(value, list):
            (daily if key == "dailyPapers" else found).extend((item, line) for item in value)
        elif value is not None:
            return ListingFile(problems=[Problem(name, line, f"expected '{key}' to be a list")])
    if "dailyPapers" not in data and "searchResults" not in data:
        return ListingFile(
            problems=[
                Problem(name, line, "expected 'dailyPapers' or 'searchResults' in the page data")
            ]
        )
    # The day's papers were listed on the page's day; search results on none of their own.
    result = _items_result(daily, source, capture_day(captured))
    results = _items_result(found, source, None, first=len(daily) + 1)
    result.entries += results.entries
    result.problems += results.problems
    return result
