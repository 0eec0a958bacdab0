"""fetch: the API's answers saved as snapshots, through huggingface_hub, against a local server.

Nothing here reaches the internet: every request goes to a server on 127.0.0.1 started by the
tests, answering like the real API (or failing as it may: 429, 500, a hang, broken JSON).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from builder import fetch
from builder.__main__ import main
from builder.config import load_config
from builder.errors import BuilderError
from builder.frontmatter import parse_document
from builder.ingest import ingest
from tests.conftest import bibtex_of


def item(n: int, day: str = "2026-11-20") -> dict[str, Any]:
    """One item shaped like the API's `/api/daily_papers` answer."""
    arxiv = f"2611.{n:05d}"
    return {
        "paper": {
            "id": arxiv,
            "title": f"Paper number {n}: a study",
            "summary": f"We study thing {n}.\nIt works.",
            "authors": [{"name": "Ada Lovelace"}, {"name": f"Author {n}"}],
            "publishedAt": f"{day}T12:00:00.000Z",
            "upvotes": n * 3,
            "githubRepo": f"https://github.com/example/repo-{n}",
            "projectPage": f"https://example.org/p{n}",
            "ai_keywords": ["grokking", "scaling"],
        },
        "publishedAt": f"{day}T13:00:00.000Z",
        "title": f"Paper number {n}: a study",
        "organization": {"name": "example-lab", "fullname": "Example Lab"},
    }


class Api:
    """What the fixture server answers: `route(path, params)` -> (status, headers, body)."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self.route: Callable[[str, dict[str, str]], tuple[int, dict[str, str], bytes]] = (
            lambda path, params: (404, {}, b"{}")
        )


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Api, str]]:
    """A loopback server answering like the API, and its URL; retries made quick."""
    state = Api()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            params = {k: v[-1] for k, v in parse_qs(url.query).items()}
            state.asked.append((url.path, params, dict(self.headers)))
            status, headers, body = state.route(url.path, params)
            if status == 0:  # hang past the client's timeout
                time.sleep(1.0)
                status = 200
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # a client that gave up on a hang: its broken pipe is expected, not news

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    for name, value in (("WAIT", 0.01), ("MAX_WAIT", 0.02), ("DELAY", 0), ("RETRIES", 2)):
        monkeypatch.setattr(fetch, name, value)
    monkeypatch.setattr(fetch, "TIMEOUT", 0.3)
    monkeypatch.setenv("HF_TOKEN", "hf_secret_that_must_not_be_sent")
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def daily(pages: dict[str, list[Any]]) -> Callable[[str, dict[str, str]], tuple]:
    """Answer daily requests from {day: items}, a page at a time as the API does."""

    def route(path: str, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if path != fetch.DAILY_PATH:
            return 404, {}, b'{"error": "not found"}'
        found = pages.get(params.get("date") or params.get("week") or params.get("month"), [])
        page, limit = int(params.get("p", 0)), int(params.get("limit", 50))
        return (
            200,
            {"Content-Type": "application/json"},
            json.dumps(found[page * limit : (page + 1) * limit]).encode(),
        )

    return route


def site(tmp_path: Path) -> Path:
    """A site folder with its site.yaml."""
    (tmp_path / "site.yaml").write_text("title: Fetched\nsnapshots: snapshots\npapers: papers\n")
    return tmp_path / "site.yaml"


def run(config: Path, *args: str) -> int:
    return main(["fetch", "--config", str(config), *args])


def test_a_day_is_fetched_page_by_page_saved_whole_and_ingested(
    api: tuple[Api, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state, url = api
    monkeypatch.setattr(fetch, "PAGE_LIMIT", 2)
    state.route = daily({"2026-11-20": [item(n) for n in range(1, 6)]})
    config = site(tmp_path)
    assert run(config, "--endpoint", url, "--date", "2026-11-20") == 0
    # Pages 0, 1, 2 of 2 items: the third is short, so it is the last.
    assert [(p, q.get("p"), q.get("limit")) for p, q, _ in state.asked] == [
        (fetch.DAILY_PATH, "0", "2"),
        (fetch.DAILY_PATH, "1", "2"),
        (fetch.DAILY_PATH, "2", "2"),
    ]
    assert all(q["date"] == "2026-11-20" for _, q, _ in state.asked)
    # No token goes out, though one is in the environment.
    assert not any("authorization" in {k.lower() for k in h} for _, _, h in state.asked)
    saved = json.loads((tmp_path / "snapshots" / "daily-2026-11-20.json").read_text())
    assert saved["request"]["params"] == {"date": "2026-11-20"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", saved["captured"])
    assert saved["items"] == [item(n) for n in range(1, 6)]
    assert [p.name for p in (tmp_path / "snapshots").iterdir()] == ["daily-2026-11-20.json"]

    report = ingest(load_config(config)[0])
    assert report.papers == 5 and not report.problems
    text = (tmp_path / "papers" / "paper-number-3-a-study.md").read_text()
    document = parse_document(text, "paper")
    meta, body = document.data, document.body
    assert meta["arxiv_id"] == "2611.00003"
    assert meta["authors"] == ["Ada Lovelace", "Author 3"]
    assert meta["organization"] == {"id": "example-lab", "name": "Example Lab"}
    assert meta["upvotes"] == 9
    assert meta["github"] == "https://github.com/example/repo-3"
    assert meta["project_page"] == "https://example.org/p3"
    assert meta["keywords"] == ["grokking", "scaling"]
    assert str(meta["date"]) == "2026-11-20"
    assert "We study thing 3." in body


def test_weeks_months_and_searches_are_named_by_their_request(
    api: tuple[Api, str], tmp_path: Path
) -> None:
    state, url = api
    pages = {"2026-W47": [item(1)], "2026-11": [item(2)]}

    def route(path: str, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if path == fetch.SEARCH_PATH:
            return 200, {}, json.dumps([item(3)]).encode()
        return daily(pages)(path, params)

    state.route = route
    config = site(tmp_path)
    assert run(config, "--endpoint", url, "--week", "2026-W47") == 0
    assert run(config, "--endpoint", url, "--month", "2026-11") == 0
    assert run(config, "--endpoint", url, "--search", "Grokking: modular arithmetic?") == 0
    names = sorted(p.name for p in (tmp_path / "snapshots").iterdir())
    assert names == [
        "month-2026-11.json",
        "search-grokking-modular-arithmetic.json",
        "week-2026-W47.json",
    ]
    assert [q.get("week") or q.get("month") or q.get("q") for _, q, _ in state.asked] == [
        "2026-W47",
        "2026-11",
        "Grokking: modular arithmetic?",
    ]
    assert ingest(load_config(config)[0]).papers == 3


def test_fetching_again_replaces_the_snapshot_with_the_newer_capture(
    api: tuple[Api, str], tmp_path: Path
) -> None:
    state, url = api
    answers = {"2026-11-20": [item(1)]}
    state.route = daily(answers)
    config = site(tmp_path)
    assert run(config, "--endpoint", url, "--date", "2026-11-20") == 0
    path = tmp_path / "snapshots" / "daily-2026-11-20.json"
    first = path.read_bytes()
    assert run(config, "--endpoint", url, "--date", "2026-11-20") == 0
    again = json.loads(path.read_text())
    assert again["items"] == json.loads(first)["items"]  # same answer, same items
    answers["2026-11-20"] = [item(1), item(2)]
    stale = path.parent / f".{path.name}.999999999.tmp"  # what a killed fetch left
    stale.write_text('{"items": [')
    assert run(config, "--endpoint", url, "--date", "2026-11-20") == 0
    assert len(json.loads(path.read_text())["items"]) == 2
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # one file, no leftovers


def test_429_with_retry_after_then_an_answer_is_saved(api: tuple[Api, str], tmp_path: Path) -> None:
    state, url = api
    calls = []

    def route(path: str, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        calls.append(time.monotonic())
        if len(calls) == 1:
            return 429, {"Retry-After": "0"}, b'{"error": "slow down"}'
        return 200, {}, json.dumps([item(1)]).encode()

    state.route = route
    config = site(tmp_path)
    assert run(config, "--endpoint", url, "--date", "2026-11-20") == 0
    assert len(calls) == 2
    assert json.loads((tmp_path / "snapshots" / "daily-2026-11-20.json").read_text())["items"]


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ((500, {}, b'{"error": "boom"}'), "HTTP 500"),
        ((0, {}, b"[]"), "timed out"),
        ((200, {}, b'[{"paper": '), "malformed JSON"),
        ((200, {}, b""), "an empty body"),
        ((200, {}, b'{"error": "not a list"}'), "expected a list of papers"),
    ],
)
def test_failures_end_in_one_clear_line_and_leave_the_old_snapshot(
    api: tuple[Api, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    answer: tuple,
    said: str,
) -> None:
    state, url = api
    state.route = lambda path, params: answer
    config = site(tmp_path)
    old = tmp_path / "snapshots" / "daily-2026-11-20.json"
    old.parent.mkdir()
    old.write_text('{"request": {}, "captured": "2026-11-20T06:00:00Z", "items": []}\n')
    before = old.read_bytes()
    assert run(config, "--endpoint", url, "--date", "2026-11-20") == 1
    error = [line for line in capsys.readouterr().err.splitlines() if line.startswith("Error:")]
    assert len(error) == 1, error
    assert "the daily papers of 2026-11-20" in error[0] and said in error[0], error[0]
    assert f"{url}{fetch.DAILY_PATH}" in error[0]
    assert old.read_bytes() == before  # not replaced, not truncated
    assert [p.name for p in old.parent.iterdir()] == [old.name]  # no temporary file left
    # Bounded: the first try and RETRIES more (the library's retries, or ours for bad JSON).
    assert len(state.asked) <= (fetch.RETRIES + 1) ** 2


def test_a_backfill_skips_days_already_saved_unless_refreshed(
    api: tuple[Api, str], tmp_path: Path
) -> None:
    state, url = api
    state.route = daily({d: [item(n, d)] for n, d in enumerate(["2026-11-18", "2026-11-19"], 1)})
    config = site(tmp_path)
    (tmp_path / "snapshots").mkdir()
    kept = tmp_path / "snapshots" / "daily-2026-11-19.json"
    kept.write_text('{"request": {}, "captured": "2026-11-19T06:00:00Z", "items": []}\n')
    assert run(config, "--endpoint", url, "--from", "2026-11-18", "--to", "2026-11-20") == 0
    assert [q["date"] for _, q, _ in state.asked] == ["2026-11-18", "2026-11-20"]
    assert json.loads(kept.read_text())["items"] == []
    # A day without papers is saved too, so the next run does not ask again.
    assert json.loads((kept.parent / "daily-2026-11-20.json").read_text())["items"] == []
    state.asked.clear()
    assert run(config, "--endpoint", url, "--from", "2026-11-18", "--to", "2026-11-20") == 0
    assert state.asked == []
    assert (
        run(config, "--endpoint", url, "--from", "2026-11-19", "--to", "2026-11-19", "--refresh")
        == 0
    )
    assert len(json.loads(kept.read_text())["items"]) == 1


@pytest.mark.parametrize(
    "args",
    [
        ["--date", "2026-02-30"],
        ["--week", "2026-W54"],
        ["--month", "2026-13"],
        ["--from", "2026-11-20"],
        ["--from", "2026-11-21", "--to", "2026-11-20"],
        ["--from", "2026-11-20", "--to", "2026-11-21", "--week", "2026-W47"],
        ["--endpoint", "ftp://example.org"],
        ["--search", "  "],
    ],
)
def test_bad_requests_are_refused_before_anything_is_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    assert run(site(tmp_path), *args) == 1
    assert capsys.readouterr().err.splitlines()[-1].startswith("Error: ")
    assert not (tmp_path / "snapshots").exists()


def test_the_endpoint_is_the_option_then_hf_endpoint_then_site_yaml_then_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    assert fetch.endpoint_of(None, None) == "https://huggingface.co"
    assert fetch.endpoint_of(None, "http://yaml.test") == "http://yaml.test"
    monkeypatch.setenv("HF_ENDPOINT", "http://env.test/")
    assert fetch.endpoint_of(None, "http://yaml.test") == "http://env.test"
    assert fetch.endpoint_of("http://option.test", "http://yaml.test") == "http://option.test"


def test_resolve_completes_a_text_dump_paper_in_place_and_adds_no_other(
    api: tuple[Api, str], tmp_path: Path
) -> None:
    state, url = api
    config = site(tmp_path)
    (tmp_path / "snapshots").mkdir()
    listing = (
        "Daily Papers\n\nNov 20, 2026\n\n"
        "Paper number 7: a study\n\nWe study thing 7.\n\n  • 2 authors\n·\nNov 19 4\n\n"
        "A Title Nobody Knows\n\nIts abstract.\n\n  • 1 author\n·\nNov 19 1\n"
    )
    (tmp_path / "snapshots" / "daily-2026-11-20.txt").write_text(listing)
    assert ingest(load_config(config)[0]).papers == 2
    papers = tmp_path / "papers"
    target = papers / "paper-number-7-a-study.md"
    assert "arxiv_id" not in parse_document(target.read_text(), "x").data
    # A hand edit: a tag of the reader's own.
    target.write_text(target.read_text().replace("title:", "tags:\n- my-own-tag\ntitle:", 1))
    near = item(8)
    near["paper"]["title"] = near["title"] = "Paper number 7: a study, revisited"

    def route(path: str, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if path != fetch.SEARCH_PATH:
            return 404, {}, b"{}"
        found = [near, item(7)] if "number 7" in params["q"] else [item(9)]
        return 200, {}, json.dumps(found).encode()

    state.route = route
    assert run(config, "--endpoint", url, "--resolve") == 0
    assert sorted(q["q"] for _, q, _ in state.asked) == [
        "A Title Nobody Knows",
        "Paper number 7: a study",
    ]
    saved = [p for p in (tmp_path / "snapshots").iterdir() if p.name.startswith("resolve-")]
    assert len(saved) == 1
    assert [i["paper"]["id"] for i in json.loads(saved[0].read_text())["items"]] == ["2611.00007"]

    assert ingest(load_config(config)[0]).papers == 2  # no unrelated paper came in
    assert sorted(p.name for p in papers.iterdir()) == [
        "a-title-nobody-knows.md",
        "paper-number-7-a-study.md",
    ]
    meta = parse_document(target.read_text(), "x").data
    assert meta["arxiv_id"] == "2611.00007"
    assert meta["github"] == "https://github.com/example/repo-7"
    assert meta["tags"] == ["my-own-tag"]  # the hand edit stays
    # Asked again: the resolved paper has its id, the unknown title waits a week.
    state.asked.clear()
    assert run(config, "--endpoint", url, "--resolve") == 0
    assert state.asked == []


def test_captures_are_ordered_to_the_second_and_a_day_counts_as_its_start(
    tmp_path: Path,
) -> None:
    config = site(tmp_path)
    snapshots = tmp_path / "snapshots"
    snapshots.mkdir()
    listing = (
        "Daily Papers\n\nNov 20, 2026\n\n"
        "Paper number 7: a study\n\nWe study thing 7.\n\n  • 2 authors\n·\nNov 19 4\n"
    )
    (snapshots / "daily-2026-11-20.txt").write_text(listing)

    def fetched(name: str, captured: str, upvotes: int) -> None:
        got = item(7)
        got["paper"]["upvotes"] = upvotes
        data = {"request": {}, "captured": captured, "items": [got]}
        (snapshots / name).write_text(json.dumps(data, indent=1))

    # Captured the evening before the text dump's day: older than that day's start.
    fetched("daily-2026-11-19.json", "2026-11-19T23:00:00Z", 99)
    # Captured on the text dump's day, at 06:00: newer than the day, so its count wins.
    fetched("daily-2026-11-20.json", "2026-11-20T06:00:00Z", 21)
    assert ingest(load_config(config)[0]).papers == 1
    path = tmp_path / "papers" / "paper-number-7-a-study.md"
    text = path.read_text()
    assert "captured: '2026-11-20T06:00:00Z'" in text and "captured: 2026-11-20}" in text
    meta = parse_document(text, "x").data
    assert meta["upvotes"] == 21
    assert [s["file"] for s in meta["sources"]] == [
        "daily-2026-11-19.json",
        "daily-2026-11-20.txt",
        "daily-2026-11-20.json",
    ]
    # Built, the page says when each capture was made.
    from builder.build import build

    build(load_config(config)[0])
    page = (tmp_path / "output" / "papers" / "paper-number-7-a-study.html").read_text()
    assert '<time datetime="2026-11-20T06:00:00Z">Nov 20, 2026, 06:00 UTC</time>' in page
    assert '<time datetime="2026-11-20">Nov 20, 2026</time>' in page


def test_fetched_papers_build_into_pages_with_their_arxiv_links_and_citations(
    api: tuple[Api, str], tmp_path: Path
) -> None:
    state, url = api
    state.route = daily({"2026-11-20": [item(1), item(2)]})
    config = site(tmp_path)
    assert main(["build", "--config", str(config), "--fetch", "--endpoint", url]) == 0
    assert [q["date"] for _, q, _ in state.asked] == [fetch.utc_now().date().isoformat()]
    # Today's answer is empty here (the fixture knows one day); ask for that day, then build.
    assert run(config, "--endpoint", url, "--date", "2026-11-20") == 0
    assert main(["build", "--config", str(config)]) == 0
    out = tmp_path / "output" / "papers"
    page = (out / "paper-number-2-a-study.html").read_text()
    assert 'href="https://arxiv.org/abs/2611.00002"' in page
    assert '<meta name="citation_arxiv_id" content="2611.00002">' in page
    bib = bibtex_of(out / "paper-number-2-a-study.html")
    assert "eprint = {2611.00002}" in bib and "archivePrefix = {arXiv}" in bib


def test_offline_mode_is_said_plainly(
    api: tuple[Api, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from huggingface_hub import constants

    state, url = api
    monkeypatch.setattr(constants, "is_offline_mode", lambda: True)
    assert run(site(tmp_path), "--endpoint", url, "--date", "2026-11-20") == 1
    assert "HF_HUB_OFFLINE is set" in capsys.readouterr().err
    assert state.asked == []


def test_a_broken_fetched_snapshot_is_reported_by_file_and_line() -> None:
    import datetime as dt

    from builder.read import parse_snapshot

    good = item(1)
    bad = {"paper": {"title": ""}}
    text = json.dumps({"request": {}, "captured": "yesterday", "items": [good, bad]}, indent=1)
    result = parse_snapshot(text.encode(), "daily-2026-11-20.json", dt.date(2026, 11, 21), None)
    assert [e.title for e in result.entries] == ["Paper number 1: a study"]
    assert result.entries[0].source.captured == dt.date(2026, 11, 21)  # the file's date
    messages = [str(p) for p in result.problems]
    assert messages[0].startswith("daily-2026-11-20.json:1: expected 'captured' to be a UTC time")
    line = [n for n, got in enumerate(text.splitlines(), 1) if got == "  {"][1]  # item 2
    assert any(
        m.startswith(f"daily-2026-11-20.json:{line}: item 2: expected a non-empty")
        for m in messages
    ), messages
    not_a_list = json.dumps({"captured": "2026-11-20T06:00:00Z", "items": {"a": 1}}).encode()
    problems = parse_snapshot(not_a_list, "x.json", dt.date(2026, 11, 21), None).problems
    assert [str(p) for p in problems] == ["x.json:1: expected 'items' to be a list"]


def test_what_fetch_is_asked_for_becomes_its_requests() -> None:
    from builder.fetch import Request, select_requests

    today = dt.date(2026, 11, 20)
    assert select_requests(today=today) == [Request("date", "2026-11-20")]
    assert select_requests(resolve=True, today=today) == []
    assert select_requests(week="2026-W47", today=today) == [Request("week", "2026-W47")]
    assert select_requests(search=" grokking ", today=today) == [Request("search", "grokking")]
    backfill = select_requests(first="2026-11-19", last="2026-11-21", today=today)
    assert [r.value for r in backfill] == ["2026-11-19", "2026-11-20", "2026-11-21"]
    for asked, message in [
        ({"first": "2026-11-19"}, "go together"),
        ({"first": "2026-11-19", "last": "2026-11-20", "week": "2026-W47"}, "no other selector"),
        ({"first": "2026-11-21", "last": "2026-11-20"}, "is after"),
        ({"search": "  "}, "expected words"),
        ({"date": "2026-02-30"}, "expected a day"),
    ]:
        with pytest.raises(BuilderError, match=message):
            select_requests(**asked, today=today)
