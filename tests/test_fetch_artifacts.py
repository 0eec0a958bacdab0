"""fetch --artifacts: the models, datasets and Spaces citing each paper, asked of a local server
shaped like the Hub (never the internet), saved as the day's artifacts snapshot and ingested."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from builder import fetch_artifacts
from builder.config import load_config
from builder.frontmatter import parse_document
from builder.ingest import ingest
from tests import test_fetch
from tests.test_fetch import Api, daily, item, run, site

api = test_fetch.api  # the fixture: a loopback server answering like the Hub

PATHS = {"/api/models": "models", "/api/datasets": "datasets", "/api/spaces": "spaces"}


def hub(repos: dict[str, dict[str, list[Any]]], fail: dict[str, Any] | None = None) -> Any:
    """Answer the daily papers of 2026-11-20 (papers 1-4) and the Hub's lists from
    {arXiv id: {kind: [ids]}}; `fail` maps an arXiv id to how its models request fails."""
    days = daily({"2026-11-20": [item(n) for n in range(1, 5)]})

    def route(path: str, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if path not in PATHS:
            return days(path, params)
        arxiv = params["filter"].removeprefix("arxiv:")
        kind = PATHS[path]
        how = (fail or {}).get(arxiv)
        if how is not None and kind == "models":
            return how() if callable(how) else how
        found = [{"id": r, "downloads": 10} for r in repos.get(arxiv, {}).get(kind, [])]
        found = found[: int(params["limit"])]  # one page
        return 200, {"Content-Type": "application/json"}, json.dumps(found).encode()

    return route


def paper_meta(tmp_path: Path, n: int) -> dict:
    text = (tmp_path / "papers" / f"paper-number-{n}-a-study.md").read_text()
    return parse_document(text, "paper").data


def todays(tmp_path: Path) -> dict:
    (path,) = (tmp_path / "snapshots").glob("artifacts-*.json")
    return json.loads(path.read_text())


def test_each_recent_paper_is_asked_saved_and_ingested_then_left_alone_a_while(
    api: tuple[Api, str], tmp_path: Path
) -> None:
    state, url = api
    many = [f"org/model-{i}" for i in range(120)]
    state.route = hub(
        {
            "2611.00001": {"models": ["a/b", "gpt2", "javascript:alert(1)"], "spaces": ["s/demo"]},
            "2611.00002": {"models": many, "datasets": ["d/set"]},
        }
    )
    config = site(tmp_path)
    assert run(config, "--endpoint", url, "--date", "2026-11-20") == 0
    ingest(load_config(config)[0])
    state.asked.clear()
    assert run(config, "--endpoint", url, "--artifacts") == 0
    # Three lists a paper, filtered by its arXiv id, one page of 100, by downloads or likes.
    asked = [(p, q["filter"], q["sort"], q["limit"]) for p, q, _ in state.asked]
    assert len(asked) == 12 and asked[:3] == [
        ("/api/models", "arxiv:2611.00001", "downloads", "100"),
        ("/api/datasets", "arxiv:2611.00001", "downloads", "100"),
        ("/api/spaces", "arxiv:2611.00001", "likes", "100"),
    ]
    assert not any("authorization" in {k.lower() for k in h} for _, _, h in state.asked)
    saved = todays(tmp_path)
    assert saved["request"]["artifacts"] == ["models", "datasets", "spaces"]
    first, second, unknown = saved["items"][0], saved["items"][1], saved["items"][3]
    assert first["models"] == {"count": 3, "top": ["a/b", "gpt2"]}  # the script id left out
    assert second["models"] == {"count": 100, "top": many[:5]}  # one page: 100 or more
    assert unknown["models"] == unknown["spaces"] == {"count": 0, "top": []}

    ingest(load_config(config)[0])
    assert paper_meta(tmp_path, 1)["models"] == {"count": 3, "top": ["a/b", "gpt2"]}
    assert paper_meta(tmp_path, 1)["spaces"] == {"count": 1, "top": ["s/demo"]}
    assert paper_meta(tmp_path, 2)["datasets"] == {"count": 1, "top": ["d/set"]}
    # Asked today: a second run asks nothing, unless --refresh.
    state.asked.clear()
    assert run(config, "--endpoint", url, "--artifacts") == 0
    assert state.asked == []
    assert run(config, "--endpoint", url, "--artifacts", "--refresh") == 0
    assert len(state.asked) == 12 and len(todays(tmp_path)["items"]) == 4


@pytest.mark.parametrize(
    ("failure", "said"),
    [
        ((500, {}, b'{"error": "boom"}'), "HTTP 500, after 3 attempts"),
        ((0, {}, b"[]"), "timed out, after 3 attempts"),
        ((200, {}, b"[{broken"), "expected JSON, got malformed JSON, after 3 attempts"),
        ((200, {}, b'{"error": "x"}'), "expected a list, got a JSON dict"),
    ],
)
def test_a_request_that_keeps_failing_ends_the_run_keeping_what_came_before(
    api: tuple[Api, str], tmp_path: Path, capsys: pytest.CaptureFixture, failure, said: str
) -> None:
    state, url = api
    state.route = hub({"2611.00001": {"models": ["a/b"]}}, fail={"2611.00003": failure})
    config = site(tmp_path)
    assert run(config, "--endpoint", url, "--date", "2026-11-20") == 0
    ingest(load_config(config)[0])
    capsys.readouterr()
    assert run(config, "--endpoint", url, "--artifacts") == 1
    (line,) = [x for x in capsys.readouterr().err.splitlines() if x.startswith("Error:")]
    assert "the models citing arXiv 2611.00003" in line and said in line
    # The two papers asked before it are saved; the rest are asked by the next run.
    assert [i["arxiv_id"] for i in todays(tmp_path)["items"]] == ["2611.00001", "2611.00002"]
    state.route = hub({})
    state.asked.clear()
    assert run(config, "--endpoint", url, "--artifacts") == 0
    assert sorted({q["filter"] for _, q, _ in state.asked}) == [
        "arxiv:2611.00003",
        "arxiv:2611.00004",
    ]


def test_a_429_is_waited_out_and_all_resumes_where_it_stopped(
    api: tuple[Api, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    state, url = api
    tries = {"n": 0}

    def busy_once() -> tuple[int, dict[str, str], bytes]:
        tries["n"] += 1
        if tries["n"] == 1:
            return 429, {"Retry-After": "0"}, b'{"error": "slow down"}'
        return 200, {}, b'[{"id": "a/b"}]'

    state.route = hub({}, fail={"2611.00001": busy_once, "2611.00003": (500, {}, b"{}")})
    config = site(tmp_path)
    assert run(config, "--endpoint", url, "--date", "2026-11-20") == 0
    ingest(load_config(config)[0])
    # A month later the papers are old: only --all asks them.
    later = fetch_artifacts.utc_now() + dt.timedelta(days=30)
    monkeypatch.setattr(fetch_artifacts, "utc_now", lambda: later)
    assert run(config, "--endpoint", url, "--artifacts") == 0
    assert not any(p in PATHS for p, _, _ in state.asked)
    monkeypatch.setattr(fetch_artifacts, "SAVE_EVERY", 1)
    assert run(config, "--endpoint", url, "--artifacts", "--all") == 1
    items = todays(tmp_path)["items"]
    assert [i["arxiv_id"] for i in items] == ["2611.00001", "2611.00002"]
    assert items[0]["models"] == {"count": 1, "top": ["a/b"]} and tries["n"] == 2
    state.route = hub({})
    state.asked.clear()
    assert run(config, "--endpoint", url, "--artifacts", "--all") == 0
    assert sorted({q["filter"] for _, q, _ in state.asked}) == [
        "arxiv:2611.00003",
        "arxiv:2611.00004",
    ]
    assert len(todays(tmp_path)["items"]) == 4


def test_all_and_artifacts_go_together_alone(api: tuple[Api, str], tmp_path: Path, capsys) -> None:
    _, url = api
    config = site(tmp_path)
    assert run(config, "--endpoint", url, "--all") == 1
    assert run(config, "--endpoint", url, "--artifacts", "--date", "2026-11-20") == 1
    err = capsys.readouterr().err
    assert "--all goes with --artifacts" in err and "no other selector" in err
