"""Run a stage's work on every core: forked workers that die with the build.

The work is handed over by fork, not by pickling: the parent keeps the job in `_JOB` just
before the workers start, so they inherit it and receive only index ranges; their results
come back pickled.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import multiprocessing
import os
import pickle
import signal
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

_JOB: tuple[Callable[..., Any], Sequence[Any], tuple[Any, ...]] | None = None
PR_SET_PDEATHSIG = 1


def cores() -> int:
    """Return how many cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when the build dies (even by SIGKILL)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    with contextlib.suppress(OSError, AttributeError, TypeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _run(span: tuple[int, int]) -> Any:
    assert _JOB is not None
    fn, items, args = _JOB
    return fn(items[span[0] : span[1]], *args)


def fork_slices(
    fn: Callable[..., T], items: Sequence[Any], *args: Any, workers: int = 0
) -> list[T]:
    """Return [fn(slice, *args) for each slice of `items`], run by up to `workers` processes.

    workers=0 uses every core; with one worker, one core or one item, it runs here, on one
    slice. The slices are contiguous and in order.
    """
    global _JOB
    workers = min(workers or cores(), cores(), len(items))
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [fn(items, *args)]
    step = -(-len(items) // (workers * 4))  # a few slices each, so a slow slice waits less
    spans = [(i, min(i + step, len(items))) for i in range(0, len(items), step)]
    _JOB = (fn, items, args)
    try:
        with multiprocessing.get_context("fork").Pool(workers, _die_with_parent) as pool:
            return pool.map(_run, spans, chunksize=1)
    finally:
        _JOB = None


def fork_map(
    fn: Callable[..., list[T]], items: Sequence[Any], *args: Any, workers: int = 0
) -> list[T]:
    """Return fn(items, *args) computed in slices (see `fork_slices`); fn returns a list."""
    return [result for part in fork_slices(fn, items, *args, workers=workers) for result in part]


def background(fn: Callable[..., T], *args: Any) -> Callable[[], T]:
    """Start fn(*args) in a forked process; return a function that waits for its result.

    The parent goes on meanwhile; the result (or the exception) comes back pickled. Without
    fork, fn runs at once, here.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        result = fn(*args)
        return lambda: result
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, leave without running the parent's cleanups
        code = 0
        try:
            os.close(read)
            _die_with_parent()
            try:
                message = pickle.dumps(("ok", fn(*args)), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException as error:
                try:
                    message = pickle.dumps(("error", error))
                except Exception:
                    message = pickle.dumps(("error", RuntimeError(repr(error))))
            with os.fdopen(write, "wb") as pipe:
                pipe.write(message)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write)

    def wait() -> T:
        with os.fdopen(read, "rb") as pipe:
            message = pipe.read()
        os.waitpid(pid, 0)
        if not message:
            raise RuntimeError("a background worker died before it answered")
        kind, value = pickle.loads(message)
        if kind == "error":
            raise value
        return value

    return wait
