"""Run a stage's work on every core: forked workers that die with the build.

The work is handed over by fork, not by pickling: a worker inherits everything the build has
made so far, and only its results come back, pickled.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import pickle
import select
import signal
import struct
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

PR_SET_PDEATHSIG = 1


def cores() -> int:
    """Return how many cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def die_with_parent() -> None:
    """Ask Linux to kill this forked process when its parent dies (even by SIGKILL)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    with contextlib.suppress(OSError, AttributeError, TypeError):
        libc = ctypes.CDLL(None, use_errno=True)  # this process's symbols, libc's among them
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _run_slices(
    fn: Callable[..., T],
    items: Sequence[Any],
    spans: list[tuple[int, int]],
    args: tuple,
    queue: int,
) -> list[tuple[int, Any]]:
    """Take slice numbers from `queue` (a pipe every worker reads) until none is left, and
    return (number, fn(slice, *args)) for each slice taken; a slice that raises ends the
    taking, its error returned as a `Failed`."""
    done: list[tuple[int, Any]] = []
    while True:
        try:
            taken = os.read(queue, _NUMBER.size)
        except BlockingIOError:  # empty: every slice is taken
            return done
        (n,) = _NUMBER.unpack(taken)
        a, b = spans[n]
        try:
            done.append((n, fn(items[a:b], *args)))
        except Exception as error:
            done.append((n, Failed(sendable(error))))
            return done


@dataclass(frozen=True)
class Failed:
    """The error a slice raised (the first slice's to fail is raised, whoever ran it)."""

    error: BaseException


_NUMBER = struct.Struct("=I")  # a slice number in the queue (reads of it are whole: 4 bytes)
SLICES_PER_WORKER = 16  # a worker that finds its slices slow takes fewer of them
# At most as many slices as a pipe takes in one write that no reader sees half of: 1,024.
MOST_SLICES = select.PIPE_BUF // _NUMBER.size


@contextlib.contextmanager
def collecting() -> Iterator[None]:
    """Run the cyclic garbage collector inside the block: a build turns it off in its own
    process (`run.fewer_collections`), and the work of workers, such as rendering pages with
    Jinja2, leaves garbage in cycles."""
    enabled = gc.isenabled()
    if not enabled:
        gc.freeze()  # what the build made meanwhile is left alone (it would be scanned at once)
        gc.enable()
    try:
        yield
    finally:
        if not enabled:
            gc.disable()
            gc.unfreeze()


def fork_slices(
    fn: Callable[..., T], items: Sequence[Any], *args: Any, workers: int = 0
) -> list[T]:
    """Return [fn(slice, *args) for each slice of `items`], run by up to `workers` processes.

    This process is one of them; the others are forked (so they inherit the work instead of
    receiving it pickled) and send their results back. Each process takes the next slice
    when it is done with one, so none is left working alone while others wait (the slices'
    costs differ: pages of different kinds, a forked worker's first writes to what it
    shares). When slices raise, the error of the first of them is raised. workers=0 uses
    every core; with one worker, one core or one item, it all runs here, as one slice.
    """
    workers = min(workers or cores(), cores(), len(items))
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        with collecting():
            return [fn(items, *args)]
    step = -(-len(items) // min(workers * SLICES_PER_WORKER, MOST_SLICES))
    spans = [(i, min(i + step, len(items))) for i in range(0, len(items), step)]
    read, write = os.pipe()
    try:
        # Every slice number is in the pipe before a worker reads it (PIPE_BUF bytes at most:
        # a pipe holds at least that many).
        numbers = b"".join(_NUMBER.pack(n) for n in range(len(spans)))
        if os.write(write, numbers) != len(numbers):
            raise RuntimeError("the pipe of slice numbers took only some of them")
        os.set_blocking(read, False)
        others = [Background(_run_slices, fn, items, spans, args, read) for _ in range(workers - 1)]
        try:
            # As in a forked worker (`Background`), the collector leaves alone what was made
            # before: the slices make many objects, and each collection would visit them all.
            gc.freeze()
            try:
                with collecting():
                    done = _run_slices(fn, items, spans, args, read)
            finally:
                gc.unfreeze()
            for other in others:
                done += other.wait()
        finally:
            for other in others:
                other.stop()
    finally:
        os.close(read)
        os.close(write)
    failed = sorted((n, result.error) for n, result in done if isinstance(result, Failed))
    if failed:
        raise failed[0][1]
    results: list[T] = [None] * len(spans)  # type: ignore[list-item]
    for n, result in done:
        results[n] = result
    return results


def fork_map(
    fn: Callable[..., list[T]], items: Sequence[Any], *args: Any, workers: int = 0
) -> list[T]:
    """Return fn(items, *args) computed in slices (see `fork_slices`); fn returns a list."""
    return [result for part in fork_slices(fn, items, *args, workers=workers) for result in part]


def sendable(error: BaseException) -> BaseException:
    """Return an error as another process can receive it: itself when it comes back whole
    from pickling, else a RuntimeError that names it."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(repr(error))
    return error


class Background:
    """fn(*args) run in a forked process while this one goes on; `wait` gives its result.

    The result (or the exception) comes back pickled. Without fork, fn runs at once, here.
    """

    def __init__(self, fn: Callable[..., T], *args: Any) -> None:
        self.pid = 0
        self.result: Any = None
        if "fork" not in multiprocessing.get_all_start_methods():
            self.result = ("ok", fn(*args))
            return
        read, write = os.pipe()
        # What the child inherits stays shared only while nothing writes to it: keep the
        # collector (which writes to every object it visits) off the objects of now.
        gc.freeze()
        pid = os.fork()
        if pid == 0:
            self._child(read, write, fn, args)
        gc.unfreeze()
        os.close(write)
        self.pid = pid
        self.pipe = os.fdopen(read, "rb")

    @staticmethod
    def _child(read: int, write: int, fn: Callable[..., Any], args: tuple) -> None:
        """Compute, send, and leave without running any of the parent's cleanups."""
        code = 0
        try:
            os.close(read)
            die_with_parent()
            gc.enable()  # the work a worker is given may make garbage in cycles (`collecting`)
            try:
                message = pickle.dumps(("ok", fn(*args)), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException as error:
                message = pickle.dumps(("error", sendable(error)))
            with os.fdopen(write, "wb") as pipe:
                pipe.write(message)
        except BaseException:
            code = 1
        finally:
            os._exit(code)

    def wait(self) -> Any:
        """Wait for the result; raise what the child raised."""
        if self.result is None:
            message = self.pipe.read()
            self.stop()
            if not message:
                raise RuntimeError("a worker process died before it answered")
            self.result = pickle.loads(message)
        kind, value = self.result
        if kind == "error":
            raise value
        return value

    def stop(self) -> None:
        """Make sure the child is gone (killed if still at work) and reaped."""
        if self.pid:
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                if os.waitpid(self.pid, os.WNOHANG) == (0, 0):
                    os.kill(self.pid, signal.SIGKILL)
                    os.waitpid(self.pid, 0)
            self.pid = 0
            self.pipe.close()
