"""Shared fixtures and helpers: the sample snapshots and sites built from them, a synthetic and a
hostile corpus, paper records, file hashes, the CLI in-process, a real Chromium."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import hashlib
import io
import os
import shutil
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import markdown
import pytest
from bs4 import BeautifulSoup
from hypothesis import settings

# Every build of the tests, in this process or another, plans each unit (`Renderer.unit`) and
# checks that equal inputs gave its page's context one key (in the build state, across builds).
os.environ["PAPER_DIGEST_CHECK_UNITS"] = "1"

from builder.__main__ import main
from builder.config import SiteConfig
from builder.models import ListingEntry, Paper, Source
from builder.read import read_snapshot, snapshot_files
from tests.chromium import CHROMIUM, CHROMIUM_ARGS

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "content" / "snapshots"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
LISTINGS = FIXTURES / "listings"
MTIME = dt.date(2026, 11, 23)

# Property tests: "default" fits `make test` in its time budget and tries the same examples every
# run (a pass or a failure of `make test` is reproducible, never a flake); "thorough" tries 25
# times as many, new ones each run, to find what the default does not: run it by hand with
# pytest --hypothesis-profile=thorough (or HYPOTHESIS_PROFILE=thorough). No deadline: a busy
# machine makes any example slow.
settings.register_profile("default", max_examples=200, deadline=None, derandomize=True)
settings.register_profile("thorough", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def examples(times: int) -> settings:
    """Settings for a property test that is worth `times` the profile's examples: the proof of
    an escaper or a parser the paper files rely on."""
    return settings(max_examples=times * settings().max_examples)


def rendered_text(body: str) -> str:
    """Render a Markdown body with python-markdown and return its text, as a reader sees it."""
    html = markdown.markdown(body)
    soup = BeautifulSoup(html, "html.parser")
    paragraphs = soup.find_all("p")
    return "\n\n".join(p.get_text() for p in paragraphs) if paragraphs else soup.get_text()


def seed_entries() -> list[ListingEntry]:
    """Read every seed snapshot's entries."""
    return [e for path in snapshot_files(SEEDS) for e in read_snapshot(path, None).entries]


def file_hashes(folder: Path) -> dict[str, str]:
    """Map every file below `folder` (its path relative to it) to the hash of its bytes."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def make_paper(slug: str = "paper", date: dt.date | None = None, **fields: Any) -> Paper:
    """Make a paper record titled as its slug; `captured=day` adds a source; any field goes."""
    captured = fields.pop("captured", None)
    if captured is not None:
        fields["sources"] = (*fields.get("sources", ()), Source(captured, "s.txt"))
    fields.setdefault("title", slug)
    return Paper(slug=slug, date=date, **fields)


def run_cli(args: Sequence[str], cwd: Path | None = None) -> tuple[int, str, str]:
    """Run the CLI in-process (from `cwd`, then back); return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    here = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse usage errors and --help
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        os.chdir(here)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Callable:
    """Run the CLI in-process from a given folder; return (exit code, stdout, stderr)."""

    def run(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        return run_cli(args)

    return run


@pytest.fixture
def snapshots(tmp_path: Path) -> Path:
    """A private copy of the four seed snapshots."""
    folder = tmp_path / "snapshots"
    shutil.copytree(SEEDS, folder)
    return folder


@pytest.fixture(scope="session")
def ingested_seeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds ingested once into a papers folder (read-only for tests)."""
    from builder.config import load_config
    from builder.ingest import ingest

    papers = tmp_path_factory.mktemp("seed-papers")
    config, _ = load_config(None, {"snapshots": SEEDS, "papers": papers})
    config = replace(config, root=papers.parent)  # its cache and lock there, not in the repo
    ingest(config)
    return papers


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """A real headless Chromium driven by Playwright; fails (never skips) when it is missing."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: the browser tests need Debian's chromium "
            "(`make test` installs it with apt-get)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


BASE_URL = "https://reader.example.org/digest/"


def site_config(root: Path, **overrides: object) -> SiteConfig:
    """Load the shipped site.yaml with `overrides` from a copy in `root` (cache and lock there)."""
    from builder.config import load_config

    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    config, _ = load_config(root / "site.yaml", overrides)
    return config


def build_seed_site(root: Path, **overrides: object) -> Path:
    """Build the shipped sample papers (with the seed snapshots) into `root/output`."""
    from builder.build import build

    shutil.copytree(REPO / "content" / "papers", root / "papers")
    build(
        site_config(
            root, snapshots=SEEDS, papers=root / "papers", output=root / "output", **overrides
        )
    )
    return root / "output"


def made_once(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable) -> Path:
    """Return the folder `name`, made by `make(folder)` once in a test run: when the run is
    spread over workers (make test), the first to ask makes it and the others wait for it."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, which holds each worker's own
    folder = base / name
    with open(base / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not (base / f"{name}.made").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            (base / f"{name}.made").touch()
    return folder


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds built once with the shipped site.yaml (no base_url): read-only for tests."""
    return made_once(tmp_path_factory, "site", build_seed_site) / "output"


def build_listing_site(root: Path) -> Path:
    """Build the API, saved-page and artifacts fixtures (what the listing and the Hub say beyond
    the text dumps: AI summaries, stars, comments, thumbnails, models, datasets and Spaces)
    into `root/output`."""
    from builder.build import build

    (root / "snapshots").mkdir()
    for name in ("api.json", "page.html", "artifacts.json"):
        shutil.copy(LISTINGS / name, root / "snapshots" / name)
        # A saved API list is dated by its file: the day after the page's, every run.
        moment = dt.datetime(2025, 6, 14, 12, tzinfo=dt.UTC).timestamp()
        os.utime(root / "snapshots" / name, (moment, moment))
    config = site_config(
        root, snapshots=root / "snapshots", papers=root / "papers", output=root / "output"
    )
    build(config)
    return root / "output"


@pytest.fixture(scope="session")
def listing_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The API and saved-page fixtures built once (no base_url): read-only for tests."""
    return made_once(tmp_path_factory, "listing", build_listing_site) / "output"


@pytest.fixture(scope="session")
def published_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds built once with base_url set, as GitHub Pages builds them: read-only."""
    make = functools.partial(build_seed_site, base_url=BASE_URL)
    return made_once(tmp_path_factory, "published", make) / "output"


@pytest.fixture(scope="session")
def synthetic_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,500 synthetic paper files written once: their folder (read-only)."""
    from benchmarks.corpus import write_corpus

    return made_once(tmp_path_factory, "synthetic", lambda d: write_corpus(d, 1500, seed=3))


@pytest.fixture(scope="session")
def hostile_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The hostile corpus built once into `site/`: its root and what the build printed."""
    from tests import hostile

    def make(folder: Path) -> None:
        root = folder / "project"
        root.mkdir()
        hostile.write_corpus(root)
        (root / "site.yaml").write_text("feed_size: 500  # every paper in the feed\n")
        code, _, err = run_cli(hostile.command("build"), cwd=root)
        assert code == 0, err
        (folder / "build.log").write_text(err, encoding="utf-8")

    folder = made_once(tmp_path_factory, "hostile", make)
    return folder / "project", (folder / "build.log").read_text(encoding="utf-8")


def html_pages(site: Path) -> list[Path]:
    """List every HTML page of a built site."""
    return sorted(site.rglob("*.html"))


class QuietHandler(SimpleHTTPRequestHandler):
    """A static file handler that keeps the test output clean."""

    def log_message(self, format: str, *args: object) -> None:
        """Log nothing."""


@pytest.fixture(scope="session")
def served_site(built_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The built seeds served over HTTP under /digest/, as GitHub Pages serves a project."""
    www = tmp_path_factory.mktemp("www")
    (www / "digest").symlink_to(built_site, target_is_directory=True)
    handler = functools.partial(QuietHandler, directory=str(www))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/digest/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def sample_pages() -> list:
    """The sample papers as the build sees them (their rendered pages' data)."""
    from builder.config import load_config
    from builder.load import load_papers
    from builder.prepare import prepare_papers

    config, _ = load_config(REPO / "site.yaml", {})
    stored, _ = load_papers(REPO / "content" / "papers")
    return prepare_papers([s.paper for s in stored], config).pages


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> str:
    """The root URL of the built seed site, opened from disk (file://)."""
    return built_site.as_uri() + "/"


@pytest.fixture(scope="module", params=["file", "http"])
def each_site_url(request, built_site: Path) -> str:
    """The seed site's root URL from disk, then from an HTTP server under a sub-path."""
    # For the tests of what loads and from where; behaviour is tested once, from disk.
    if request.param == "file":
        return built_site.as_uri() + "/"
    return request.getfixturevalue("served_site")


# The longest test files, longest first: `make test` hands whole files to its workers in this
# order, so that no worker starts a long one when the others are nearly done.
LONGEST_FIRST = (
    "test_browser.py",
    "test_search.py",
    "test_search_browser.py",
    "test_cache.py",
    "test_build.py",
    "test_hostile.py",
    "test_site.py",
    "test_incremental.py",
    "test_serve.py",
    "test_saved_browser.py",
    "test_fetch.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Refuse a test that drives Chromium without the `browser` marker; run the longest files
    first (each file's tests keep their order)."""
    rank = {name: n for n, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
    unmarked = [
        item.nodeid
        for item in items
        if "browser" in getattr(item, "fixturenames", ())
        and item.get_closest_marker("browser") is None
    ]
    if unmarked:
        raise pytest.UsageError(
            "these tests use Chromium but lack @pytest.mark.browser: " + ", ".join(unmarked)
        )


def bibtex_of(page: Path) -> str:
    """The BibTeX entry a built paper page shows in its cite block (`#bibtex`), as text."""
    from bs4 import BeautifulSoup

    code = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").find(id="bibtex")
    assert code is not None, f"{page}: no #bibtex"
    return code.get_text()
