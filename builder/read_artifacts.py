"""Read an artifacts snapshot (`fetch --artifacts`): for each paper asked, how many models,
datasets and Spaces on the Hub cite it, and the ids of the first few.

    {"request": {"endpoint": ..., "artifacts": ["models", "datasets", "spaces"]},
     "captured": "2026-12-05T06:00:00Z",
     "items": [{"arxiv_id": "2606.01356", "asked": "2026-12-05T06:00:03Z",
                "models": {"count": 12, "top": ["owner/name", ...]}, "datasets": ..., ...}]}
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from builder.errors import Problem
from builder.listing import ListingFile, quote
from builder.models import ARTIFACT_KINDS, TOP_ARTIFACTS, ArtifactsAnswer, HubArtifacts
from builder.urls import hub_repo


def is_artifacts(data: Any) -> bool:
    """Tell whether a JSON snapshot is an artifacts snapshot (by its request)."""
    request = data.get("request") if isinstance(data, dict) else None
    return isinstance(request, dict) and "artifacts" in request


def _utc(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def parse_kind(value: Any, where: str, problem: Any) -> HubArtifacts | None:
    """One kind's answer, `{count, top}`: a count of 0 or more and valid repository ids (an
    id that is not one is left out, with a problem)."""
    if value is None:
        return None
    count = value.get("count") if isinstance(value, dict) else None
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        problem(f"expected '{where}' to be {{count: a whole number, top: [ids]}}; left out")
        return None
    raw = value.get("top") or []
    if not isinstance(raw, list):
        problem(f"expected '{where}.top' to be a list of ids; left out")
        raw = []
    top = []
    for repo in raw:
        found = hub_repo(repo)
        if found is None:
            problem(f"expected a Hub repository id in '{where}.top', found {quote(str(repo))}")
        elif found not in top:
            top.append(found)
    return HubArtifacts(count=max(count, len(top)), top=tuple(top[:TOP_ARTIFACTS]))


def parse_artifacts(data: dict, name: str, lines: list[int], captured: dt.datetime) -> ListingFile:
    """Read an artifacts snapshot's items (each at its line, for messages)."""
    result = ListingFile()
    items = data.get("items")
    if not isinstance(items, list):
        result.problems.append(Problem(name, 1, "expected 'items' to be a list"))
        return result
    for n, (item, line) in enumerate(zip(items, lines, strict=True), 1):

        def problem(message: str, skipped: bool = False, line: int = line, n: int = n) -> None:
            reason = "malformed entry" if skipped else "field problem"
            result.problems.append(Problem(name, line, f"item {n}: {message}", reason, skipped))

        arxiv = item.get("arxiv_id") if isinstance(item, dict) else None
        if not isinstance(arxiv, str) or not arxiv.strip():
            problem("expected an 'arxiv_id'; skipped", skipped=True)
            continue
        kinds = {kind: parse_kind(item.get(kind), kind, problem) for kind in ARTIFACT_KINDS}
        asked = _utc(item.get("asked")) or captured
        result.artifacts.append(ArtifactsAnswer(arxiv.strip(), asked, **kinds))
    return result
