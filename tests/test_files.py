"""Files written whole or not at all, and the temporaries of killed runs cleared."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from builder.files import (
    atomic_file,
    clear_temporary_files,
    clear_temporary_siblings,
    temporary_file,
    write_atomic,
)


def dead_pid() -> int:
    """The PID of a process that has ended."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "paper.md"
    path.write_text("old")
    with pytest.raises(RuntimeError), atomic_file(path) as f:
        f.write(b"half of the ne")
        raise RuntimeError("killed")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["paper.md"]


def test_a_write_replaces_the_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "paper.md"
    path.write_text("old")
    write_atomic(path, "new, with ü and\r\nits own line ends")
    assert path.read_bytes() == "new, with ü and\r\nits own line ends".encode()
    assert not temporary_file(path).exists()


def test_create_never_replaces_a_file_that_appeared(tmp_path: Path) -> None:
    path = tmp_path / "paper.md"
    write_atomic(path, "first", create=True)
    with pytest.raises(FileExistsError):
        write_atomic(path, "second", create=True)
    assert path.read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["paper.md"]


def test_temporary_files_of_dead_runs_are_cleared_and_live_ones_kept(tmp_path: Path) -> None:
    dead = tmp_path / f".paper.md.{dead_pid()}.tmp"
    live = tmp_path / f".paper.md.{os.getpid()}.tmp"
    mine = tmp_path / ".notes.tmp"  # no PID: not one of ours
    for path in (dead, live, mine):
        path.write_text("x")
    assert clear_temporary_files(tmp_path) == [dead]
    assert live.exists() and mine.exists()


def test_sibling_folders_of_dead_builds_are_cleared_and_live_ones_kept(tmp_path: Path) -> None:
    pid = dead_pid()
    out = tmp_path / "site"
    stale = [tmp_path / f"site.tmp-{pid}", tmp_path / f"site.old-{pid}"]
    live = tmp_path / f"site.tmp-{os.getppid()}"
    other = tmp_path / "site.tmp-notes"
    for folder in [*stale, live, other]:
        folder.mkdir()
    assert sorted(clear_temporary_siblings(out)) == sorted(stale)
    assert live.exists() and other.exists()
