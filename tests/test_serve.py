"""`serve`: builds, serves on localhost, rebuilds on a change and reloads the open page.

Each `serve` is the command line's, run in a process of its own (pytest's process has threads
of its own, so a fork in it would prove nothing) with `os.fork` wrapped to record how many
threads were alive at every fork, in serve and in the processes it forks.
"""

from __future__ import annotations

import contextlib
import os
import pty
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from builder.workers import cores
from tests.conftest import REPO, SEEDS

DEI = "dei-diversity-in-evolutionary-inference-for-quality-diversity-search"
SITE_YAML = "title: Served Digest\nsnapshots: snapshots\npapers: papers\noutput: site\n"
# The tree under test, whichever checkout the virtual environment was installed from.
ENV = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
# `python -m builder ...` with os.fork wrapped: each fork appends to $FORK_LOG the process that
# forked, its child, and how many threads it had then (Python's, then the system's). Ctrl-C
# reaches it as it reaches a terminal's foreground job, even when the tests run as a background
# job (whose shell has it, and every process it starts, ignore SIGINT).
RECORDING_FORKS = """
import os, signal, sys, threading
from builder.__main__ import main

signal.signal(signal.SIGINT, signal.default_int_handler)

fork = os.fork

def recorded_fork():
    threads = threading.active_count(), len(os.listdir("/proc/self/task"))
    child = fork()
    if child:
        with open(os.environ["FORK_LOG"], "a") as log:
            log.write("%d %d %d %d\\n" % (os.getpid(), child, *threads))
    return child

os.fork = recorded_fork

# Each build of serve's build process appends to $BUILD_LOG whether it was a rehearsal, how many
# files the site has (none: a rehearsal that found something changed), and how many it wrote.
import builder.serve

build = builder.serve.build

def recorded_build(*args, **kwargs):
    report = build(*args, **kwargs)
    with open(os.environ["BUILD_LOG"], "a") as log:
        kind = kwargs.get("rehearse", False)
        log.write("%s %d %d\\n" % (kind, report.files, report.files - report.unchanged))
    return report

builder.serve.build = recorded_build

# $RENDER_FORK_FROM: render workers fork from that many files to render (the sample site's
# whole set is under the build's own threshold).
if os.environ.get("RENDER_FORK_FROM"):
    import builder.write

    builder.write.PARALLEL_RENDER = int(os.environ["RENDER_FORK_FROM"])
sys.exit(main(sys.argv[1:]))
"""
# What the build says of a site.yaml with `page_size: many`.
PROBLEM = (
    "site.yaml has 1 problem(s):\n"
    "  site.yaml: 'page_size' must be a whole number above 0, got 'many'\n"
)
WAIT = 90  # seconds for any awaited event: generous, for a busy machine


class Serve:
    """A `serve --port 0` running in `root`, its stderr lines and its forks recorded."""

    def __init__(self, root: Path, terminal: bool = False, env: dict | None = None) -> None:
        self.root = root
        self.fork_log = root / "forks.log"
        self.build_log = root / "builds.log"
        # On a terminal (a pseudo-terminal), as when a person runs it, the build shows bars.
        ours, theirs = pty.openpty() if terminal else os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-c", RECORDING_FORKS, "serve", "--port", "0"],
            cwd=root,
            env={
                **ENV,
                "FORK_LOG": str(self.fork_log),
                "BUILD_LOG": str(self.build_log),
                **(env or {}),
            },
            stderr=theirs,
            start_new_session=True,  # its own process group, as a terminal's foreground job
        )
        os.close(theirs)
        self.lines: list[str] = []
        self.changed = threading.Condition()
        threading.Thread(target=self._read, args=(ours,), daemon=True).start()
        self.url = ""

    def _read(self, fd: int) -> None:
        # Lines end at "\n", "\r\n" (a terminal's) or "\r" (a progress bar redrawn).
        stderr = open(fd, encoding="utf-8", errors="replace")  # noqa: SIM115
        with stderr, contextlib.suppress(OSError):  # OSError: a terminal whose users all left
            for line in stderr:
                with self.changed:
                    self.lines.append(line)
                    self.changed.notify_all()
        with self.changed:
            self.lines.append("")  # the end
            self.changed.notify_all()

    def start(self) -> Serve:
        """Wait until the first build is done and the site is served."""
        _, line = self.wait_for(r"^serving http://")
        self.url = re.search(r"serving (http://\S+/)", line).group(1)
        return self

    def wait_for(self, pattern: str, after: int = 0) -> tuple[int, str]:
        """Wait for the first stderr line from the `after`th on that matches `pattern`."""
        found: list[tuple[int, str]] = []

        def seen() -> bool:
            lines = enumerate(self.lines[after:], after)
            found[:] = [(i, line) for i, line in lines if re.search(pattern, line)]
            return bool(found) or "" in self.lines

        with self.changed:
            self.changed.wait_for(seen, WAIT)
        assert found, f"no line matches {pattern!r} in the log of serve:\n{self.log()}"
        return found[0]

    def rebuilt(self, after: int) -> tuple[int, str]:
        """Wait for the rebuild started after the `after`th line to end; return what it said."""
        start, _ = self.wait_for(r"; rebuilding$", after)
        return self.wait_for(r"^(build:|error: build failed)", start + 1)

    def end(self) -> int:
        """Wait until serve has exited and all it wrote is read; return its exit status."""
        code = self.process.wait(timeout=WAIT)
        with self.changed:
            assert self.changed.wait_for(lambda: "" in self.lines, WAIT)
        return code

    def log(self) -> str:
        """Return what serve wrote to stderr so far."""
        return "".join(self.lines)

    def forks(self) -> list[tuple[int, int, int, int]]:
        """Return every fork so far: (parent, child, Python threads, system threads)."""
        if not self.fork_log.exists():
            return []
        return [tuple(map(int, line.split())) for line in self.fork_log.read_text().splitlines()]

    def builds(self) -> list[tuple[bool, int, int]]:
        """Return every build of serve's build process so far: (a rehearsal, files of the
        site, files written)."""
        if not self.build_log.exists():
            return []
        rows = [line.split() for line in self.build_log.read_text().splitlines()]
        return [(kind == "True", int(files), int(written)) for kind, files, written in rows]

    def builder(self) -> int:
        """Return the PID of serve's build process (the one process serve itself forked)."""
        (pid,) = [child for parent, child, *_ in self.forks() if parent == self.process.pid]
        return pid

    def stop(self) -> None:
        """End serve if it still runs."""
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=WAIT)


def gone(pid: int) -> bool:
    """Wait until process `pid` has ended (a zombie counts as ended); tell whether it did."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def version(url: str) -> str:
    """Return the build number the reload stream gives a page that opens it now."""
    with urllib.request.urlopen(f"{url}__reload", timeout=WAIT) as stream:
        for line in stream:
            if line.startswith(b"data: "):
                return line[len(b"data: ") :].strip().decode()
    raise AssertionError("the reload stream ended without a build number")


def page(url: str) -> str:
    """Return a served page."""
    with urllib.request.urlopen(url, timeout=WAIT) as answer:
        return answer.read().decode()


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first `old` in a file with `new` (in place, as an editor saves)."""
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def make_project(root: Path, papers: bool = True) -> Path:
    """Write a project: its own site.yaml, the seed snapshots and the sample papers (or no
    snapshot and no paper: a site that builds in a moment)."""
    root.mkdir()
    (root / "site.yaml").write_text(SITE_YAML)
    if papers:
        shutil.copytree(SEEDS, root / "snapshots")
        shutil.copytree(REPO / "content" / "papers", root / "papers")
    else:
        (root / "snapshots").mkdir()
    return root


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    """One serve for the tests that only read: its project is never edited."""
    server = Serve(make_project(tmp_path_factory.mktemp("served") / "project"))
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def project(tmp_path: Path, served: Serve) -> Path:
    """A real copy of the served project, built already (site and .cache), for a test to edit."""
    root = tmp_path / "project"
    shutil.copytree(served.root, root, ignore=shutil.ignore_patterns("forks.log", "builds.log"))
    return root


@pytest.fixture
def server(project: Path) -> Iterator[Serve]:
    """A serve of a copy of the served project: its first build has little to do."""
    server = Serve(project)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def bare(tmp_path: Path) -> Iterator[Serve]:
    """A serve of a project without papers, for the tests of how serve and its build end."""
    server = Serve(make_project(tmp_path / "project", papers=False))
    try:
        yield server.start()
    finally:
        server.stop()


def test_serve_serves_pages_with_the_reload_script_and_404s(served: Serve) -> None:
    url = served.url
    text = page(f"{url}papers/{DEI}.html")
    assert "EventSource" in text and '<h1 itemprop="name">DEI:' in text
    assert urllib.request.urlopen(f"{url}assets/style.css").read().startswith(b"/*")
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{url}papers/nope.html")
    assert missing.value.code == 404 and b"Page not found" in missing.value.read()
    # Nothing outside the site is served, however the path is spelled.
    host = url.split("/")[2]
    for path in ["/../site.yaml", "/%2e%2e/papers/" + DEI + ".md", "/..%2f..%2fetc/passwd"]:
        with socket.create_connection(tuple(host.rsplit(":", 1))) as conn:
            conn.sendall(f"GET {path} HTTP/1.0\r\n\r\n".encode())
            answer = b"".join(iter(lambda: conn.recv(65536), b""))
        assert answer.startswith(b"HTTP/1.0 404"), (path, answer[:80])


def test_an_edit_rebuilds_without_forking_beside_a_thread_and_ctrl_c_ends_all(
    project: Path,
) -> None:
    # On a terminal, as a person runs it: the build shows progress bars (tqdm's, whose monitor
    # thread once ran beside the render workers' fork).
    server = Serve(project, terminal=True, env={"RENDER_FORK_FROM": "100"})
    try:
        server.start()
        assert version(server.url) == "1"
        before = len(server.forks())
        mark = len(server.lines)
        # A new site title: every page renders again, on every core (forked render workers).
        edit(project / "site.yaml", "title: Served Digest", "title: Edited Digest")
        assert server.rebuilt(mark)[1].startswith("build: 134 papers")
        assert version(server.url) == "2"
        assert "<title>DEI:" in (text := page(f"{server.url}papers/{DEI}.html"))
        assert "Edited Digest" in text
        forks = server.forks()
        assert all(python == 1 for _parent, _child, python, _system in forks), forks
        # serve forked its build process (the first build forks no worker: the copied site's
        # files have new stats but the same bytes, which their hashes tell).
        assert before >= 1
        if cores() >= 2:  # on one core, render workers are this process alone: no fork
            assert len(forks) > before  # the rebuild forked (its render workers)
        # serve forked once, its build process, before any thread (the watcher's are no Python
        # threads: count the system's)
        assert [system for parent, _c, _p, system in forks if parent == server.process.pid] == [1]

        builder = server.builder()
        os.killpg(server.process.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the group
        assert server.end() == 130
        log = server.log()
        assert log.endswith("Interrupted; nothing half-written was left behind.\n"), log
        assert "Traceback" not in log
        assert gone(builder)
    finally:
        server.stop()


def test_a_failed_build_keeps_the_last_good_site_and_site_yaml_is_read_anew(
    server: Serve,
) -> None:
    site_yaml = server.root / "site.yaml"
    mark = len(server.lines)
    edit(site_yaml, "title: Served Digest", "title: Served Digest\npage_size: many")
    failed, _ = server.rebuilt(mark)
    server.wait_for("page_size", failed + 1)  # the error's second line
    said = "".join(server.lines[failed : failed + 2])
    assert said == "error: build failed, still serving the last good site: " + PROBLEM
    assert version(server.url) == "1"  # open pages are not reloaded
    assert "<title>Served Digest</title>" in page(server.url)
    mark = len(server.lines)
    site_yaml.write_text(SITE_YAML.replace("Served Digest", "Renamed Digest"))
    assert server.rebuilt(mark)[1].startswith("build: 134 papers")
    assert version(server.url) == "2"
    assert "<title>Renamed Digest</title>" in page(server.url)
    assert all(python == 1 for _parent, _child, python, _system in server.forks())


def test_a_first_build_with_nothing_to_do_is_followed_by_a_quiet_rehearsal(
    project: Path,
) -> None:
    # The copied site's files have new stats: a build looks at them; serve's then has nothing
    # to do, and its build process rehearses (serve.py).
    built = subprocess.run(
        [sys.executable, "-m", "builder", "build"],
        cwd=project,
        env=ENV,
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    server = Serve(project)
    try:
        server.start()
        deadline = time.monotonic() + WAIT
        while len(server.builds()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.builds() == [(False, 546, 0), (True, 546, 0)]  # a whole build, no file
        mark = len(server.lines)
        edit(project / "papers" / f"{DEI}.md", "title: 'DEI:", "title: 'Edited DEI:")
        _, said = server.rebuilt(mark)
        serving, _ = server.wait_for(r"^serving http://")
        assert server.wait_for(r"; rebuilding$")[0] == serving + 1  # the rehearsal said nothing
        assert said.startswith("build: 134 papers") and "(0 written" not in said
        assert version(server.url) == "2"
        assert '<h1 itemprop="name">Edited DEI:' in page(f"{server.url}papers/{DEI}.html")
        assert [rehearsal for rehearsal, *_ in server.builds()] == [False, True, False]
    finally:
        server.stop()


def test_serve_stops_with_a_clear_error_when_its_build_process_dies(bare: Serve) -> None:
    builder = bare.builder()
    os.kill(builder, signal.SIGKILL)
    edit(bare.root / "site.yaml", "Served Digest", "Renamed Digest")
    assert bare.end() == 1
    assert bare.log().endswith(
        f"Error: the build process (PID {builder}) was killed by SIGKILL; serve cannot build "
        "without it: run it again\n"
    )


def test_the_build_process_dies_with_serve_even_by_sigkill(bare: Serve) -> None:
    builder = bare.builder()
    bare.process.kill()
    bare.process.wait(timeout=WAIT)
    assert gone(builder)


def test_a_failed_first_build_ends_serve(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project", papers=False)
    (root / "site.yaml").write_text(SITE_YAML + "page_size: many\n")
    server = Serve(root)
    assert server.end() == 1
    assert server.log().endswith(
        "error: build failed, still serving the last good site: "
        + PROBLEM
        + "Error: the first build failed; fix the error above and run serve again\n"
    )
    assert gone(server.builder())


@pytest.mark.browser
def test_an_edit_rebuilds_and_reloads_the_open_page(server: Serve, browser) -> None:
    tab = browser.new_page()
    # Edit only once the page's reload stream is open: it is told the build it shows first.
    with tab.expect_response(lambda response: response.url.endswith("/__reload")):
        tab.goto(f"{server.url}papers/{DEI}.html")
    assert tab.text_content("h1").startswith("DEI:")
    edit(server.root / "papers" / f"{DEI}.md", "title: 'DEI:", "title: 'Edited DEI:")
    tab.wait_for_function(
        # (null while the reloaded page is still arriving)
        "() => document.querySelector('h1')?.textContent.startsWith('Edited')",
        timeout=30000,
    )
    assert any("rebuilding" in line for line in server.lines)
    tab.close()
