"""Fetch: save the listing's API answers as snapshots, through huggingface_hub.

One snapshot per request, named by it (`daily-2026-11-20.json`, `week-2026-W47.json`,
`month-2026-11.json`, `search-<words>.json`), holding the API's raw items (they keep what the
library's `PaperInfo` drops: GitHub repository, project page, keywords):

    {"request": {"path": ..., "params": {...}}, "captured": "2026-11-20T06:00:00Z", "items": [...]}

The requests are the ones `HfApi.list_daily_papers` and `HfApi.list_papers` make, sent through
the library's session with its retries (`http_backoff`: timeouts, network errors, 429 with
`Retry-After`, 5xx), its error type (`hf_raise_for_status`) and its endpoint; never with a
token. A file is replaced only by a complete answer, through a temporary file: a failed fetch
leaves the snapshot it would have replaced as it was. This is the one command that writes into
the snapshots folder.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder import __version__
from builder.config import SiteConfig
from builder.errors import BuilderError, display_path
from builder.files import clear_temporary_files, write_atomic
from builder.models import capture_text
from builder.urls import web_url

log = logging.getLogger("builder")

PAGE_LIMIT = 100  # items asked per page of daily papers (a shorter page is the last)
MAX_PAGES = 200  # a server that never sends a short page is an error, not a loop
SEARCH_LIMIT = 100  # results asked of a search
TIMEOUT = 30.0  # seconds one request may take
RETRIES = 4  # attempts after the first, for each request
WAIT = 1.0  # seconds before the first retry; doubled each time up to MAX_WAIT
MAX_WAIT = 8.0
DELAY = 1.0  # seconds between the days of a backfill (a polite client)
DAILY_PATH = "/api/daily_papers"
SEARCH_PATH = "/api/papers/search"
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class FetchError(BuilderError):
    """A request that failed after its retries, named with what was asked."""


@dataclass(frozen=True)
class Request:
    """One question to the API: daily papers of a day, week or month, or a search."""

    kind: str  # "date", "week", "month" or "search"
    value: str  # 2026-11-20, 2026-W47, 2026-11 or the words searched

    @property
    def name(self) -> str:
        """The snapshot file this request is saved as."""
        if self.kind == "search":
            words = re.findall(r"\w+", self.value.lower())
            return f"search-{'-'.join(words)[:80].strip('-') or 'query'}.json"
        prefix = "daily" if self.kind == "date" else self.kind
        return f"{prefix}-{self.value}.json"

    @property
    def path(self) -> str:
        """The API path asked."""
        return SEARCH_PATH if self.kind == "search" else DAILY_PATH

    @property
    def params(self) -> dict[str, str]:
        """The query parameters that select what is asked (paging comes on top)."""
        return {"q": self.value} if self.kind == "search" else {self.kind: self.value}

    def describe(self) -> str:
        """Say what was asked, for messages."""
        if self.kind == "search":
            return f"the search for {self.value!r}"
        return f"the daily papers of {self.value}"


def parse_day(text: str) -> dt.date:
    """Read YYYY-MM-DD, a real day."""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BuilderError(f"expected a day such as 2026-11-20, got {text!r}") from None


def parse_week(text: str) -> str:
    """Read YYYY-Www, an ISO week that exists."""
    found = WEEK.match(text)
    try:
        if not found:
            raise ValueError
        dt.date.fromisocalendar(int(found[1]), int(found[2]), 1)
    except ValueError:
        raise BuilderError(f"expected an ISO week such as 2026-W47, got {text!r}") from None
    return text


def parse_month(text: str) -> str:
    """Read YYYY-MM, a month that exists."""
    found = MONTH.match(text)
    if not found or not 1 <= int(found[2]) <= 12:
        raise BuilderError(f"expected a month such as 2026-11, got {text!r}")
    return text


def select_requests(
    *,
    date: str | None = None,
    week: str | None = None,
    month: str | None = None,
    search: str | None = None,
    first: str | None = None,
    last: str | None = None,
    resolve: bool = False,
    today: dt.date,
) -> list[Request]:
    """Turn what `fetch` was asked for into requests: a backfill from `first` to `last`, a
    week, a month, a search or a day; none for `resolve` alone; else the papers of `today`."""
    if first or last:
        if not (first and last):
            raise BuilderError("--from and --to go together: give both days")
        if any(v is not None for v in (date, week, month, search)):
            raise BuilderError("--from/--to backfill daily papers: give no other selector")
        start, end = parse_day(first), parse_day(last)
        if start > end:
            raise BuilderError(f"--from {first} is after --to {last}")
        return [Request("date", d.isoformat()) for d in days(start, end)]
    if week is not None:
        return [Request("week", parse_week(week))]
    if month is not None:
        return [Request("month", parse_month(month))]
    if search is not None:
        if not search.strip():
            raise BuilderError("--search: expected words to search for")
        return [Request("search", search.strip())]
    if date is not None:
        return [Request("date", parse_day(date).isoformat())]
    if resolve:
        return []  # --resolve alone
    return [Request("date", today.isoformat())]


def endpoint_of(option: str | None, configured: str | None) -> str:
    """Choose the API's address: --endpoint, else HF_ENDPOINT, else site.yaml, else the
    library's default; the library's `HfApi` normalizes it."""
    from huggingface_hub import HfApi

    chosen = option or os.environ.get("HF_ENDPOINT") or configured or None
    if chosen is not None and web_url(chosen) is None:
        raise BuilderError(f"expected the API endpoint to be an http(s) URL, got {chosen!r}")
    return HfApi(endpoint=chosen, token=False).endpoint.rstrip("/")


def utc_now() -> dt.datetime:
    """The time now, in UTC, to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def get_json(url: str, params: dict[str, Any], what: str, timeout: float) -> Any:
    """GET a URL with the library's session and retries; return its JSON (retried too when
    the body is not JSON); raise FetchError naming `what` when it keeps failing."""
    import httpx2  # huggingface_hub's HTTP client: its errors are the ones to catch
    from huggingface_hub.errors import OfflineModeIsEnabled
    from huggingface_hub.utils import build_hf_headers, hf_raise_for_status, http_backoff

    headers = build_hf_headers(
        token=False, library_name="paper-digest", library_version=__version__
    )
    shown = f"{what} (GET {url}?{'&'.join(f'{k}={v}' for k, v in params.items())})"
    wait = WAIT
    for attempt in range(RETRIES + 1):
        try:
            response = http_backoff(
                "GET",
                url,
                params=params,
                headers=headers,
                timeout=timeout,
                max_retries=RETRIES,
                base_wait_time=WAIT,
                max_wait_time=MAX_WAIT,
            )
            hf_raise_for_status(response)
        except OfflineModeIsEnabled as error:
            raise FetchError(f"{shown}: HF_HUB_OFFLINE is set, so nothing may be asked") from error
        except httpx2.HTTPError as error:
            reason = _reason(error)
            raise FetchError(f"{shown}: {reason}, after {RETRIES + 1} attempts") from error
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError) as error:
            if attempt == RETRIES:
                body = "an empty body" if not response.content.strip() else "malformed JSON"
                raise FetchError(
                    f"{shown}: expected JSON, got {body}, after {RETRIES + 1} attempts"
                ) from error
            log.warning("%s: expected JSON, got none; retrying in %.0f s", shown, wait)
            time.sleep(wait)
            wait = min(MAX_WAIT, wait * 2)
    raise AssertionError("unreachable")


def _reason(error: Exception) -> str:
    """Say in a few words why a request failed."""
    response = getattr(error, "response", None)
    if response is not None and getattr(response, "status_code", None):
        return f"HTTP {response.status_code}"
    name = type(error).__name__
    return "timed out" if "Timeout" in name else f"{name}: {error}".rstrip(": ")


def fetch_items(request: Request, endpoint: str, timeout: float | None = None) -> list[Any]:
    """Ask the API; return its raw items (every page of a daily request)."""
    timeout = TIMEOUT if timeout is None else timeout
    url = endpoint + request.path
    what = request.describe()
    shown = f"{what} (GET {url})"
    if request.kind == "search":
        found = get_json(url, {**request.params, "limit": SEARCH_LIMIT}, what, timeout)
        return _items(found, shown)
    items: list[Any] = []
    for page in range(MAX_PAGES):
        params = {**request.params, "p": page, "limit": PAGE_LIMIT}
        found = _items(get_json(url, params, what, timeout), shown)
        items += found
        if len(found) < PAGE_LIMIT:
            return items
    raise FetchError(f"{shown}: more than {MAX_PAGES} pages of {PAGE_LIMIT}; stopped")


def _items(found: Any, what: str) -> list[Any]:
    if not isinstance(found, list):
        raise FetchError(f"{what}: expected a list of papers, got a JSON {type(found).__name__}")
    return found


def snapshot_text(request: Request, endpoint: str, items: list[Any], captured: dt.datetime) -> str:
    """Write a snapshot: the request, when it was answered (UTC, to the second), the items."""
    data = {
        "request": {"endpoint": endpoint, "path": request.path, "params": request.params},
        "captured": capture_text(captured),
        "items": items,
    }
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def save(path: Path, text: str) -> None:
    """Replace a snapshot all at once (a reader sees the old file or the new one), clearing
    away what killed fetches left beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    clear_temporary_files(path.parent)
    write_atomic(path, text)


@dataclass
class FetchReport:
    """What a fetch saved."""

    saved: list[tuple[str, int]]  # (snapshot name, items)
    skipped: list[str]  # days of a backfill that already had a snapshot

    def summary(self) -> str:
        """One line for the log."""
        papers = sum(n for _, n in self.saved)
        kept = f", {len(self.skipped)} already saved (use --refresh)" if self.skipped else ""
        return f"fetch: {len(self.saved)} snapshot(s) saved, {papers} items{kept}"


def days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    """Every day from `first` to `last`, both included."""
    for n in range((last - first).days + 1):
        yield first + dt.timedelta(days=n)


def fetch(
    requests: list[Request],
    folder: Path,
    endpoint: str,
    *,
    backfill: bool = False,
    refresh: bool = False,
    progress: Callable[[int], Any] | None = None,
) -> FetchReport:
    """Ask each request and save its snapshot in `folder`. In a backfill, a request whose
    snapshot exists is skipped unless `refresh`, and requests are spaced by DELAY."""
    report = FetchReport([], [])
    asked = 0
    for request in requests:
        path = folder / request.name
        if backfill and not refresh and path.exists():
            report.skipped.append(request.name)
        else:
            if backfill and asked:
                time.sleep(DELAY)
            asked += 1
            items = fetch_items(request, endpoint)
            existed = path.exists()
            save(path, snapshot_text(request, endpoint, items, utc_now()))
            report.saved.append((request.name, len(items)))
            log.info(
                "%s: %d items%s",
                display_path(path),
                len(items),
                " (the earlier capture replaced)" if existed else "",
            )
        if progress is not None:
            progress(1)
    return report


MISS_DAYS = 7  # a title the API did not know is not asked again for this long
MISSES = "resolve-misses"  # cache table: title key -> when it was last asked in vain (UTC)


def _paper_of(item: Any) -> dict:
    """A raw API item's paper: its `paper` object, or the item itself ({} for no object)."""
    if not isinstance(item, dict):
        return {}
    return item["paper"] if isinstance(item.get("paper"), dict) else item


def item_title(item: Any) -> str:
    """The title of a raw API item (inside its `paper`, or at its top)."""
    title = _paper_of(item).get("title") or (item.get("title") if isinstance(item, dict) else None)
    return title if isinstance(title, str) else ""


def item_id(item: Any) -> str:
    """The arXiv id of a raw API item, or ''."""
    found = _paper_of(item).get("id")
    return found if isinstance(found, str) else ""


@dataclass(frozen=True)
class Resolved:
    """What a resolve found: the items kept, the titles not known, those asked too recently."""

    items: list[Any]
    unknown: list[str]
    waiting: list[str]
    ambiguous: list[str]


def resolve_titles(
    titles: list[str],
    endpoint: str,
    misses: Any,
    now: dt.datetime,
    progress: Callable[[int], Any] | None = None,
) -> Resolved:
    """Search the API for each title; keep a result only when its normalized title is the
    title's (any other hit would become a paper of its own). `misses` (a cache table)
    remembers the titles the API did not know, which are not asked again for MISS_DAYS."""
    from builder.text import title_key

    found = Resolved([], [], [], [])
    asked = 0
    for title in titles:
        key = title_key(title)
        last = misses.get(key)
        if last is not None and now - dt.datetime.fromisoformat(last) < dt.timedelta(MISS_DAYS):
            found.waiting.append(title)
        else:
            if asked:
                time.sleep(DELAY)
            asked += 1
            hits = fetch_items(Request("search", title), endpoint)
            same = [i for i in hits if title_key(item_title(i)) == key and item_id(i)]
            ids = {item_id(i).lower() for i in same}
            if len(ids) == 1:
                found.items.append(same[0])
            elif ids:
                found.ambiguous.append(title)
            else:
                found.unknown.append(title)
                misses.put(key, now.isoformat())
        if progress is not None:
            progress(1)
    return found


def save_resolved(folder: Path, endpoint: str, items: list[Any], now: dt.datetime) -> Path:
    """Save the items a resolve kept as the day's resolve snapshot (adding to one saved
    earlier that day: its items stay, a newer answer for the same paper replaces its own)."""
    path = folder / f"resolve-{now.date().isoformat()}.json"
    kept: dict[str, Any] = {}
    if path.exists():
        try:
            earlier = json.loads(path.read_text(encoding="utf-8")).get("items", [])
        except (OSError, ValueError, AttributeError):
            earlier = []
        kept = {item_id(i).lower(): i for i in earlier if item_id(i)}
    kept.update({item_id(i).lower(): i for i in items})
    data = {
        "request": {
            "endpoint": endpoint,
            "path": SEARCH_PATH,
            "resolve": "titles of papers without an arXiv id",
        },
        "captured": capture_text(now),
        "items": list(kept.values()),
    }
    save(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    return path


def resolve(config: SiteConfig, endpoint: str) -> tuple[Path | None, Resolved]:
    """Search the API for every paper file without an arXiv id and save the exact matches as
    a resolve snapshot; ingest then completes those files in place (matched by title)."""
    from builder.cache import BuildCache
    from builder.load import load_papers
    from builder.run import Progress, build_lock

    with build_lock(config, announce=False):
        stored, _ = load_papers(config.papers)
        titles = [s.paper.title for s in stored if not s.paper.arxiv_id]
        cache = BuildCache(config.cache_dir)
        now = utc_now()
        try:
            with Progress(len(titles), "resolving", "titles") as bar:
                found = resolve_titles(titles, endpoint, cache.table(MISSES), now, bar.update)
        finally:
            cache.save()  # what was learnt of unknown titles, even when a request failed
        path = save_resolved(config.snapshots, endpoint, found.items, now) if found.items else None
    for title in found.ambiguous:
        log.warning("resolve: %r matches more than one paper on the API; left as it is", title)
    return path, found
