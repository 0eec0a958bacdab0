"""What every command that writes runs inside: the build lock, fewer garbage collections,
progress bars, and the report of problems found."""

from __future__ import annotations

import fcntl
import gc
import logging
import os
import resource
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from builder.config import SiteConfig
from builder.errors import BuilderError, Problem, display_path

log = logging.getLogger(__name__)

# Phases with at least this many items say how long they took, when no bar is shown.
REPORT_FROM = 2000


_quiet: list[bool] = []  # within `quiet`: no bar, no line


@contextmanager
def quiet() -> Iterator[None]:
    """Say nothing of the work done within (no progress bar, no log line but errors)."""
    builder = logging.getLogger("builder")
    saved = builder.level
    builder.setLevel(logging.ERROR)
    _quiet.append(True)
    try:
        yield
    finally:
        _quiet.pop()
        builder.setLevel(saved)


class Progress:
    """A progress bar on a terminal; elsewhere, one plain line at the end of a long phase."""

    def __init__(self, total: int, desc: str, unit: str) -> None:
        self.total, self.desc, self.unit = total, desc, unit
        self.started = time.perf_counter()
        self.bar: Any = None
        if sys.stderr.isatty() and not _quiet:
            from tqdm import tqdm

            # No monitor thread: the build forks workers, and a fork must find no other thread.
            tqdm.monitor_interval = 0
            self.bar = tqdm(total=total, desc=desc, unit=f" {unit}", leave=False, delay=0.5)

    def update(self, n: int = 1) -> None:
        """Count `n` items done."""
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        """End the phase."""
        seconds = time.perf_counter() - self.started
        if self.bar is not None:
            self.bar.close()
        elif self.total >= REPORT_FROM:
            log.info("%s: %s %s in %.1f s", self.desc, f"{self.total:,}", self.unit, seconds)
            return
        log.debug(
            "%s: %s %s in %.2f s (peak memory so far %d MB)",
            self.desc,
            f"{self.total:,}",
            self.unit,
            seconds,
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        )

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def report_problems(problems: Iterable[Problem]) -> None:
    """Log each problem as a warning, in the order found."""
    for problem in problems:
        log.warning("%s", problem)


def skipped_summary(problems: Sequence[Problem]) -> str:
    """Describe what was skipped and why: '3 skipped (2 malformed entry, 1 binary file)'."""
    reasons = Counter(p.reason for p in problems if p.skipped)
    if not reasons:
        return "nothing skipped"
    detail = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
    return f"{sum(reasons.values())} skipped ({detail})"


class Lock:
    """The held build lock; `announce` writes this build's PID into it for waiting builds."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.announced = False

    def announce(self) -> None:
        """Write this process's PID into the lock file (once)."""
        if not self.announced:
            self.handle.seek(0)
            self.handle.truncate()
            self.handle.write(f"{os.getpid()}\n")
            self.handle.flush()
            self.announced = True


# Objects made between two runs of the cyclic garbage collector where it runs (Python's default
# is 700). A build makes millions of small objects that live until it ends, in no cycle: in
# the build's own process the collector only scanned them again and again (1.4 s of a tag's
# build at 50,000 papers, 0.14 s at 10,000), so it is off there. The garbage it finds is
# Jinja2's (a page that calls macros leaves ~55 objects in cycles): it runs where pages are
# rendered (`workers.collecting`), and its count of objects between runs bounds what waits.
COLLECT_EVERY = 500_000


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Turn the cyclic garbage collector off inside the block (rendering turns it on again,
    `workers.collecting`), with a threshold of COLLECT_EVERY for where it runs."""
    old, enabled = gc.get_threshold(), gc.isenabled()
    gc.set_threshold(COLLECT_EVERY, *old[1:])
    gc.disable()
    try:
        yield
    finally:
        gc.set_threshold(*old)
        if enabled:
            gc.enable()


@contextmanager
def build_lock(config: SiteConfig, announce: bool = True) -> Iterator[Lock]:
    """Hold `.cache/build.lock` while writing: a second ingest or build waits for the first.

    The lock is an flock on an open file, so the system releases it when its holder dies,
    even by SIGKILL: a stale lock cannot stop the next build. Without `announce`, the PID is
    written only when the holder calls `Lock.announce` (a build with nothing to do writes none).
    """
    try:
        config.cache_dir.mkdir(parents=True, exist_ok=True)
        handle = open(config.cache_dir / "build.lock", "a+", encoding="ascii")  # noqa: SIM115
    except OSError as exc:
        raise BuilderError(
            f"cannot create the build lock in {display_path(config.cache_dir)} "
            f"({exc.strerror}); make that folder writable"
        ) from exc
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            log.info(
                "another build (PID %s) is writing %s; waiting for it to finish",
                holder,
                display_path(config.root),
            )
            fcntl.flock(handle, fcntl.LOCK_EX)
        lock = Lock(handle)
        if announce:
            lock.announce()
        try:
            yield lock
        finally:
            if lock.announced:
                handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)
