"""Fetch the models, datasets and Spaces on the Hub that cite each paper (`fetch --artifacts`).

For each paper it asks the Hub's lists of models, datasets and Spaces tagged `arxiv:<id>` (the
requests `HfApi.list_models`, `list_datasets` and `list_spaces` make with that filter, sent as
`fetch` sends its own: the library's session and retries, no token): one page of 100, models
and datasets by downloads, Spaces by likes. It keeps how many there are (100: that many or
more) and the first five ids. Answers go into the day's artifacts snapshot
(`artifacts-YYYY-MM-DD.json`, read by `read_artifacts`), saved through a temporary file every
few dozen papers and when a request fails, so a run that stops keeps what it got and a second
run skips the papers asked within the last days.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder import fetch as api
from builder.fetch import FetchError, save, utc_now
from builder.models import (
    ARTIFACT_KINDS,
    PAGE_ARTIFACTS,
    TOP_ARTIFACTS,
    Paper,
    capture_text,
    first_capture,
)
from builder.urls import hub_repo

log = logging.getLogger("builder")

RECENT_DAYS = 14  # by default, the papers first captured this many days back
ASKED_DAYS = 7  # a paper asked this recently is not asked again (unless --refresh)
SAVE_EVERY = 25  # papers between two saves of the day's snapshot
SORTS = {"models": "downloads", "datasets": "downloads", "spaces": "likes"}
PREFIX = "artifacts-"


def snapshot_path(folder: Path, day: dt.date) -> Path:
    """The artifacts snapshot of a day."""
    return folder / f"{PREFIX}{day.isoformat()}.json"


def _moment(value: Any) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment.astimezone(dt.UTC) if moment.tzinfo else None


def _items_of(path: Path) -> list[dict]:
    """The items of an artifacts snapshot ([] for a file that cannot be read as one)."""
    try:
        items = json.loads(path.read_text(encoding="utf-8")).get("items")
    except (OSError, ValueError, AttributeError):
        return []
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def last_asked(folder: Path) -> dict[str, dt.datetime]:
    """When each arXiv id (lowercase) was last asked, by the artifacts snapshots in `folder`."""
    asked: dict[str, dt.datetime] = {}
    for path in sorted(folder.glob(f"{PREFIX}*.json")):
        for item in _items_of(path):
            arxiv, moment = item.get("arxiv_id"), _moment(item.get("asked"))
            if isinstance(arxiv, str) and moment is not None:
                key = arxiv.lower()
                asked[key] = max(moment, asked.get(key, moment))
    return asked


def papers_to_ask(
    papers: Iterable[Paper],
    asked: dict[str, dt.datetime],
    now: dt.datetime,
    *,
    every: bool = False,
    refresh: bool = False,
) -> list[str]:
    """The arXiv ids to ask, oldest capture first: the papers first captured in the last
    RECENT_DAYS (every paper with an id for `every`), less those asked within ASKED_DAYS."""
    since = now.date() - dt.timedelta(days=RECENT_DAYS)
    ids: dict[str, str] = {}
    for paper in papers:
        if not paper.arxiv_id:
            continue
        first = first_capture(paper) or paper.listed or paper.date
        if not every and (first is None or first < since):
            continue
        last = asked.get(paper.arxiv_id.lower())
        if not refresh and last is not None and now - last < dt.timedelta(days=ASKED_DAYS):
            continue
        ids.setdefault(paper.arxiv_id.lower(), paper.arxiv_id)
    return list(ids.values())


def ask_paper(arxiv_id: str, endpoint: str, timeout: float | None = None) -> dict[str, Any]:
    """Ask the Hub for the models, datasets and Spaces that cite one paper."""
    timeout = api.TIMEOUT if timeout is None else timeout
    answer: dict[str, Any] = {"arxiv_id": arxiv_id, "asked": capture_text(utc_now())}
    for kind in ARTIFACT_KINDS:
        url = f"{endpoint}/api/{kind}"
        what = f"the {kind} citing arXiv {arxiv_id}"
        params = {"filter": f"arxiv:{arxiv_id}", "sort": SORTS[kind], "limit": PAGE_ARTIFACTS}
        found = api.get_json(url, params, what, timeout)
        if not isinstance(found, list):
            got = type(found).__name__
            raise FetchError(f"{what} (GET {url}): expected a list, got a JSON {got}")
        ids = [r.get("id") for r in found if isinstance(r, dict)]
        kept = [repo for repo in ids if hub_repo(repo)]
        for bad in (repo for repo in ids if not hub_repo(repo)):
            log.warning("%s: %r is no Hub repository id; left out", what, str(bad)[:80])
        answer[kind] = {"count": min(len(found), PAGE_ARTIFACTS), "top": kept[:TOP_ARTIFACTS]}
    return answer


@dataclass
class ArtifactsReport:
    """What a fetch of artifacts asked and saved."""

    path: Path | None = None
    asked: list[str] = field(default_factory=list)
    skipped: int = 0  # papers asked too recently

    def summary(self) -> str:
        """One line for the log."""
        saved = f", saved in {self.path.name}" if self.path else ""
        return (
            f"fetch --artifacts: {len(self.asked)} paper(s) asked{saved}, {self.skipped} asked in "
            f"the last {ASKED_DAYS} days (use --refresh)"
        )


def save_answers(path: Path, endpoint: str, answers: list[dict], now: dt.datetime) -> None:
    """Write the day's artifacts snapshot: the answers saved earlier that day, with these (a
    newer answer for a paper replaces its own)."""
    kept = {str(i.get("arxiv_id")).lower(): i for i in _items_of(path) if i.get("arxiv_id")}
    kept.update({a["arxiv_id"].lower(): a for a in answers})
    data = {
        "request": {"endpoint": endpoint, "artifacts": list(ARTIFACT_KINDS)},
        "captured": capture_text(now),
        "items": list(kept.values()),
    }
    save(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")


def fetch_artifacts(
    ids: list[str],
    folder: Path,
    endpoint: str,
    now: dt.datetime,
    progress: Callable[[int], Any] | None = None,
) -> ArtifactsReport:
    """Ask the Hub about each paper and save the answers in the day's snapshot, every
    SAVE_EVERY papers and whenever a request fails (which then ends the run)."""
    report = ArtifactsReport()
    path = snapshot_path(folder, now.date())
    pending: list[dict] = []
    try:
        for n, arxiv_id in enumerate(ids):
            if n:
                time.sleep(api.DELAY)
            pending.append(ask_paper(arxiv_id, endpoint))
            report.asked.append(arxiv_id)
            if len(pending) >= SAVE_EVERY:
                save_answers(path, endpoint, pending, now)
                report.path, pending = path, []
            if progress is not None:
                progress(1)
    finally:
        if pending:
            save_answers(path, endpoint, pending, now)
            report.path = path
    return report


def fetch_for(config: Any, endpoint: str, *, every: bool, refresh: bool) -> ArtifactsReport:
    """`fetch --artifacts`: ask about the recent papers (`every`: all of them) of the paper
    files, less those asked lately (unless `refresh`)."""
    from builder.load import load_papers
    from builder.run import Progress

    stored, _ = load_papers(config.papers)
    now = utc_now()
    asked = last_asked(config.snapshots) if config.snapshots.is_dir() else {}
    papers = [s.paper for s in stored]
    ids = papers_to_ask(papers, asked, now, every=every, refresh=refresh)
    skipped = len(papers_to_ask(papers, {}, now, every=every)) - len(ids)
    with Progress(len(ids), "asking the Hub", "papers") as bar:
        report = fetch_artifacts(ids, config.snapshots, endpoint, now, bar.update)
    report.skipped = skipped
    return report
