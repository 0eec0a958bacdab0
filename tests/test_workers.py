"""Work spread over forked processes: results in order, errors back whole."""

from __future__ import annotations

import os
import time

import pytest

from builder.errors import FrontMatterError
from builder.workers import Background, fork_map, fork_slices


def squares(items: list[int]) -> list[int]:
    return [i * i for i in items]


def test_slices_come_back_in_order_from_every_worker() -> None:
    items = list(range(101))
    assert fork_map(squares, items, workers=2) == [i * i for i in items]
    assert fork_slices(len, items, workers=2) == [4] * 25 + [1]  # 16 a worker


def slow_first(items: list[int]) -> tuple[int, list[int]]:
    if items[0] == 0:
        time.sleep(0.5)
    return os.getpid(), items


def test_a_worker_with_a_slow_slice_leaves_the_others_to_the_rest() -> None:
    parts = fork_slices(slow_first, list(range(64)), workers=2)
    assert [i for _, items in parts for i in items] == list(range(64))
    slow = parts[0][0]
    assert len({pid for pid, _ in parts}) == 2  # both took slices
    assert sum(pid == slow for pid, _ in parts) <= 2  # the slow one, and one more at most


def fail(error: BaseException) -> None:
    raise error


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
