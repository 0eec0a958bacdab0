"""`serve`: build, serve the site on localhost, rebuild on changes and reload open pages."""

from __future__ import annotations

import contextlib
import gc
import itertools
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, NoReturn

from builder.build import build
from builder.cache import BuildCache
from builder.config import SiteConfig
from builder.errors import BuilderError
from builder.workers import die_with_parent, sendable

log = logging.getLogger(__name__)

RELOAD_PATH = "/__reload"
PUBLISHED = "published"  # what the build process says once the new site is in place
# Added to HTML pages as they are served (never to the built files): reload on a new build.
RELOAD_SCRIPT = (
    b"<script>(function(){var seen=null,s=new EventSource('" + RELOAD_PATH.encode() + b"');"
    b"s.onmessage=function(e){if(seen!==null&&e.data!==seen){location.reload();}seen=e.data;};"
    b"})();</script>"
)


class Builds:
    """The number of the latest good build, which pages wait on to reload."""

    def __init__(self) -> None:
        self.version = 0
        self.changed = threading.Condition()
        self.stopping = False

    def bump(self) -> None:
        """Record a new build and wake every waiting page."""
        with self.changed:
            self.version += 1
            self.changed.notify_all()

    def stop(self) -> None:
        """Release every waiting page so the server can shut down."""
        with self.changed:
            self.stopping = True
            self.changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """Wait until the build number differs from `seen`, or `timeout` seconds pass."""
        with self.changed:
            self.changed.wait_for(lambda: self.version != seen or self.stopping, timeout)
            return self.version


class Handler(SimpleHTTPRequestHandler):
    """Serve the output folder; add the reload script to pages; serve 404.html for misses."""

    builds: Builds

    def log_message(self, format: str, *args: object) -> None:
        log.debug("serve: " + format, *args)

    def do_GET(self) -> None:
        """Answer the reload stream, an HTML page (with the script), or any other file."""
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if path == RELOAD_PATH:
            self._events()
            return
        local = Path(self.translate_path(path))
        if local.is_dir():
            local = local / "index.html"
        if not local.is_file():
            self._page(Path(self.directory) / "404.html", HTTPStatus.NOT_FOUND)
        elif local.suffix == ".html":
            self._page(local, HTTPStatus.OK)
        else:
            super().do_GET()

    def _page(self, local: Path, status: HTTPStatus) -> None:
        try:
            body = local.read_bytes()
        except OSError:
            self.send_error(status)
            return
        at = body.rfind(b"</body>")
        body = body[:at] + RELOAD_SCRIPT + body[at:] if at >= 0 else body + RELOAD_SCRIPT
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _events(self) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = -1
        try:
            while not self.builds.stopping:
                version = self.builds.wait(seen, timeout=15)
                # A comment line keeps the connection alive; data tells the page the build.
                message = f"data: {version}\n\n" if version != seen else ": still here\n\n"
                self.wfile.write(message.encode())
                self.wfile.flush()
                seen = version
        except (BrokenPipeError, ConnectionResetError):
            pass


def watched_paths(config: SiteConfig, config_file: Path | None) -> list[Path]:
    """List what a rebuild depends on: snapshots, papers, theme folders and site.yaml."""
    paths = [config.snapshots, config.papers, *config.themes]
    if config_file is not None:
        paths.append(config_file)
    return [p for p in paths if p.exists()]


class BuildProcess:
    """A process that builds on request, forked before `serve` starts any thread.

    The build forks workers, and a fork while another thread runs can deadlock the child (a
    lock that thread held is copied locked). So the HTTP and watcher threads live in `serve`'s
    process and the builds in this one, which has no other thread and keeps its imports warm.
    """

    def __init__(self, load: Callable[[], SiteConfig]) -> None:
        serve_pid = os.getpid()
        self.channel, theirs = multiprocessing.Pipe()
        self.pid = os.fork()
        if self.pid == 0:
            self.channel.close()
            _build_on_request(theirs, load, serve_pid)
        theirs.close()

    def build(self, published: Callable[[], None] | None = None) -> tuple[SiteConfig | None, str]:
        """Build once (site.yaml read anew): (the settings, the summary) or (None, the error);
        `published` is called as soon as the new site is in place (the build then records
        what it made), if it changed."""
        try:
            self.channel.send("build")
            kind, value, config = self.channel.recv()
            if kind == PUBLISHED:
                if published is not None:
                    published()
                kind, value, config = self.channel.recv()
        except (EOFError, BrokenPipeError, ConnectionResetError):  # its end closed: it died
            raise BuilderError(self._death()) from None
        if kind == "bug":
            raise value
        return config, value

    def _death(self) -> str:
        """Reap the dead process and say how it died, and what to do."""
        pid, status = os.waitpid(self.pid, 0)
        self.pid = 0
        code = os.waitstatus_to_exitcode(status)
        how = f"exited with status {code}"
        if code < 0:
            try:
                how = f"was killed by {signal.Signals(-code).name}"
            except ValueError:  # a signal without a name
                how = f"was killed by signal {-code}"
        return f"the build process (PID {pid}) {how}; serve cannot build without it: run it again"

    def stop(self) -> None:
        """Kill the process, building or not (a killed build leaves every file whole)."""
        if self.pid:
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            self.pid = 0
        self.channel.close()


def _build_on_request(
    channel: Connection, load: Callable[[], SiteConfig], serve_pid: int
) -> NoReturn:
    """Build each time `serve` asks, until it is gone; never return into its code."""
    code = 1
    try:
        die_with_parent()
        if os.getppid() == serve_pid:  # else serve died before it could ask to take us along
            warm: dict[str, BuildCache] = {}
            with contextlib.suppress(EOFError):  # serve closed its end: it is gone
                while True:
                    channel.recv()
                    channel.send(_build_once(load, warm, channel.send))
                    if needs_rehearsal(warm.get("cache")):
                        _rehearse(load, warm)
                    # Once serve has the result: free what the build left in cycles, then keep
                    # the collector off what lives on (the warm cache) in the builds to come.
                    gc.collect()
                    gc.freeze()
            code = 0
    finally:
        os._exit(code)


def _build_once(
    load: Callable[[], SiteConfig],
    warm: dict[str, BuildCache],
    send: Callable[[tuple[str, Any, Any]], None],
) -> tuple[str, Any, SiteConfig | None]:
    """Build; return ("built", summary, settings), ("failed", error, None) or ("bug", ...),
    having sent (PUBLISHED, None, None) through `send` once the new site was in place.

    `warm` keeps the build's cache, its tables loaded, for the next build of this process.
    """
    try:
        config = load()
        cache = warm.get("cache")
        if cache is None or cache.folder != config.cache_dir:
            cache = warm["cache"] = BuildCache(config.cache_dir)
        published = partial(send, (PUBLISHED, None, None))
        return "built", build(config, warm=cache, published=published).summary(), config
    except BuilderError as exc:
        return "failed", str(exc), None
    except Exception as exc:  # a bug: serve stops and reports it, as any command does
        log.debug("the build process met a bug", exc_info=True)  # its traceback, with --debug
        return "bug", sendable(exc), None


def needs_rehearsal(cache: BuildCache | None) -> bool:
    """Tell whether a build left its warm cache without the tables an edit's build reads: it
    had nothing to do (the first of `serve`, as a rule), and no build before it loaded them."""
    return cache is not None and cache.frozen and "plan" not in cache.tables


def _rehearse(load: Callable[[], SiteConfig], warm: dict[str, BuildCache]) -> None:
    """Go through a whole build, quietly, after one that had nothing to do: it writes no file
    of the site (when an input changed, before or during it, it stops: the build the watcher
    asks for shows the change), and leaves the warm cache holding what the next build reads,
    so that the first edit after `serve` starts is shown as soon as the ones after it (at
    10,000 papers, 1.4 s in place of 2.3 s; an edit saved during the rehearsal, 1.5 s at
    10,000, waits for its end)."""
    from builder.run import quiet

    try:
        with quiet():
            build(load(), warm=warm["cache"], rehearse=True)
    except Exception:  # the next build meets the same problem, and says it
        log.debug("the rehearsal build failed", exc_info=True)


def rebuild(builder: BuildProcess, builds: Builds) -> SiteConfig | None:
    """Build once; wake the open pages as soon as the new site is in place (while the build
    records what it made), or once it ends; on error keep serving the last good site."""
    woken: list[bool] = []

    def wake() -> None:
        builds.bump()
        woken.append(True)

    config, message = builder.build(published=wake)
    if config is None:
        log.error("build failed, still serving the last good site: %s", message)
        return None
    if not woken:  # nothing changed
        builds.bump()  # before the summary: once it is logged, a page opened now sees the build
    log.info("%s", message)
    return config


def serve(
    load: Callable[[], SiteConfig],
    config_file: Path | None,
    port: int,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Build, then serve the output on 127.0.0.1:`port` and rebuild on every change."""
    builder = BuildProcess(load)  # first, while this process has no other thread
    try:
        _serve(builder, config_file, port, ready)
    finally:
        builder.stop()


def _serve(
    builder: BuildProcess,
    config_file: Path | None,
    port: int,
    ready: Callable[[str], None] | None,
) -> None:
    """Build first, then serve and rebuild on changes (the builds run in `builder`)."""
    builds = Builds()
    config = rebuild(builder, builds)
    if config is None:
        raise BuilderError("the first build failed; fix the error above and run serve again")
    handler = type("BoundHandler", (Handler,), {"builds": builds})
    server = ThreadingHTTPServer(
        ("127.0.0.1", port), partial(handler, directory=str(config.output))
    )
    server.daemon_threads = True
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    from watchfiles import watch  # imported here: only serve watches files

    stop = threading.Event()
    # The watcher answers every 0.1 s, with changes or without: its first answer says that it
    # is watching, and only then does serve say it serves (an edit from then on is seen).
    batches = watch(
        *watched_paths(config, config_file),
        stop_event=stop,
        debounce=300,
        rust_timeout=100,
        yield_on_timeout=True,
    )
    try:
        first = next(batches)
        log.info(
            "serving %s (rebuilds when content, templates or site.yaml change; Ctrl-C stops)", url
        )
        if ready is not None:
            ready(url)
        # Changes made while a build runs are gathered by the watcher: one more build follows.
        for batch in itertools.chain([first], batches):
            if batch:
                names = sorted({Path(path).name for _change, path in batch})
                log.info("changed: %s; rebuilding", ", ".join(names[:5]))
                rebuild(builder, builds)
    finally:
        stop.set()
        batches.close()
        builds.stop()
        server.shutdown()
        server.server_close()
