"""Work spread over forked processes: results in order, errors back whole."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from builder.errors import FrontMatterError
from builder.workers import Background, cores, fork_map, fork_slices


def squares(items: list[int]) -> list[int]:
    return [i * i for i in items]


two_cores = pytest.mark.skipif(cores() < 2, reason="forks no worker on one core")


@two_cores
def test_slices_come_back_in_order_from_every_worker() -> None:
    items = list(range(101))
    assert fork_map(squares, items, workers=2) == [i * i for i in items]
    assert fork_slices(len, items, workers=2) == [4] * 25 + [1]  # 16 a worker


@two_cores
def test_a_worker_with_a_slow_slice_leaves_the_others_to_the_rest(tmp_path: Path) -> None:
    last_done = tmp_path / "last"

    def slow_first(items: list[int]) -> tuple[int, list[int]]:
        if items[0] == 0:  # slow: done only once the last slice is (or after 30 s)
            waited = time.monotonic()
            while not last_done.exists() and time.monotonic() - waited < 30:
                time.sleep(0.01)
        if items[-1] == 63:
            last_done.touch()
        return os.getpid(), items

    parts = fork_slices(slow_first, list(range(64)), workers=2)
    assert [i for _, items in parts for i in items] == list(range(64))
    slow = parts[0][0]
    # The slow slice's process took no other: the other one took each as it finished one
    # (dealt in turns, the slow one would have had half of them).
    assert [pid == slow for pid, _ in parts].count(True) == 1


def fail(error: BaseException) -> None:
    raise error


def fail_on(items: list[int]) -> list[int]:
    if items[0] == 0:  # the process that takes the first slice leaves the next to the other
        time.sleep(0.2)
    if 10 in items or 90 in items:
        raise ValueError(f"slice with {items[0]}")
    return items


@two_cores
def test_of_slices_that_raise_the_first_one_s_error_is_raised() -> None:
    for _ in range(3):  # whichever process ran it
        with pytest.raises(ValueError, match=r"slice with 8$"):
            fork_map(fail_on, list(range(101)), workers=2)


class Odd(Exception):
    """An error that pickles but cannot be rebuilt from its arguments."""

    def __init__(self, a: str, b: str) -> None:
        super().__init__(f"{a}/{b}")


def test_an_error_in_a_worker_reaches_the_build_whole() -> None:
    with pytest.raises(FrontMatterError) as caught:
        Background(fail, FrontMatterError("papers/a.md", 3, "front matter 'date' ...")).wait()
    assert caught.value.problem.line == 3 and str(caught.value).startswith("papers/a.md:3: ")
    with pytest.raises(RuntimeError, match=r"Odd\('x/y'\)"):
        Background(fail, Odd("x", "y")).wait()
