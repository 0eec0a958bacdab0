"""The output writer: dangerous targets refused, changed files moved in, removed ones deleted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from builder.errors import OutputError
from builder.write import MARKER, Moves, Staging, apply_moves, check_output


def guard(out: Path, root: Path) -> None:
    check_output(out, protected=[root], contents=[root / "content" / "papers"])


class Journal:
    """A journal kept in memory, as the build keeps it in its cache."""

    def __init__(self) -> None:
        self.moves: Moves | None = None

    def begin(self, moves: Moves) -> None:
        self.moves = moves

    def end(self) -> None:
        self.moves = None


def write_site(files: dict[str, str | bytes], out: Path) -> tuple[int, int]:
    """Stage `files` and move them in as the build does; return (written, left as they were)."""
    written = linked = 0
    before = [p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()]
    staging = Staging(out)
    try:
        for relative, content in sorted(files.items()):
            if staging.put(relative, content):
                linked += 1
            else:
                written += 1
        staging.commit(files, before, Journal())
    finally:
        staging.close()
    return written, linked


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (lambda root: Path("/"), "is the filesystem root"),
        (lambda root: Path.home(), "is your home folder"),
        (lambda root: root, "would replace"),
        (lambda root: root.parent, "would replace"),
        (lambda root: root / "content" / "papers", "overlaps"),
        (lambda root: root / "content", "overlaps"),
        (lambda root: root / "content" / "papers" / "site", "overlaps"),
        (lambda root: root / "notes", "not an earlier build"),
        (lambda root: root / "file.txt", "is a file"),
    ],
)
def test_dangerous_outputs_are_refused(tmp_path: Path, target, message: str) -> None:
    root = tmp_path / "project"
    (root / "content" / "papers").mkdir(parents=True)
    (root / "notes").mkdir()
    (root / "notes" / "a.txt").write_text("mine")
    (root / "file.txt").write_text("mine")
    with pytest.raises(OutputError, match=message):
        guard(target(root), root)


def test_new_empty_and_earlier_outputs_are_accepted(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    guard(root / "output", root)
    (root / "empty").mkdir()
    guard(root / "empty", root)
    write_site({"index.html": "v1"}, root / "output")
    guard(root / "output", root)


def test_the_new_site_has_exactly_the_new_files(tmp_path: Path) -> None:
    out = tmp_path / "output"
    write_site({"index.html": "v1", "papers/a.html": "A", "gone.html": "x", "x/y/z.html": "z"}, out)
    write_site({"index.html": "v2", "papers/b.html": b"B"}, out)
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == [MARKER, "index.html", "papers/b.html"]
    assert not (out / "x").exists()  # the folders removed files leave empty go too
    assert (out / "index.html").read_text() == "v2"
    assert [p.name for p in tmp_path.iterdir()] == ["output"]  # no temporary folder left


def test_a_failed_write_leaves_the_last_site(tmp_path: Path) -> None:
    out = tmp_path / "output"
    write_site({"index.html": "v1"}, out)
    with pytest.raises(OutputError):
        write_site({"index.html": "v2", "../escape.html": "x"}, out)
    assert (out / "index.html").read_text() == "v1"
    assert not (tmp_path / "escape.html").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["output"]


@pytest.mark.parametrize(
    "bad",
    ["../x", "/etc/passwd", "a/../../b", "", "a//b", "a\\b", "./a", "a/", "a/..", "a/./b", "a\0b"],
)
def test_paths_that_would_leave_the_site_are_refused(tmp_path: Path, bad: str) -> None:
    out = tmp_path / "output"
    write_site({"index.html": "v1"}, out)
    staging = Staging(out)
    try:
        with pytest.raises(OutputError, match="not a plain path inside the site"):
            staging.put(bad, "x")
        with pytest.raises(OutputError, match="not a plain path inside the site"):
            staging.keep(bad, (1, 1, 1), "0")
    finally:
        staging.close()
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted([MARKER, "index.html", "output"])


def test_unchanged_files_are_left_in_place_and_changed_ones_replaced_by_a_rename(
    tmp_path: Path,
) -> None:
    out = tmp_path / "site"
    first = write_site({"a.html": "same", "b.html": "old"}, out)
    kept, replaced = (out / "a.html").stat().st_ino, (out / "b.html").stat().st_ino
    old_b = tmp_path / "b-before.html"
    os.link(out / "b.html", old_b)  # a reader holding the old file keeps it whole
    second = write_site({"a.html": "same", "b.html": "new"}, out)
    assert (first, second) == ((2, 0), (1, 1))
    assert (out / "a.html").stat().st_ino == kept
    assert (out / "b.html").stat().st_ino != replaced and old_b.read_text() == "old"
    assert (out / "b.html").read_text() == "new"


def test_moves_run_again_complete_what_a_killed_build_began(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site({"a.html": "1", "b.html": "1", "c.html": "1"}, out)
    staging = tmp_path / "site.tmp-1"
    staging.mkdir()
    (staging / "b.html").write_text("2")
    (out / "a.html").write_text("2")  # the first move was made before the kill
    moves = Moves(str(out), str(staging), ("a.html", "b.html"), ("c.html",))
    apply_moves(moves)
    apply_moves(moves)  # and once more: nothing left to do, nothing breaks
    assert {p.name: p.read_text() for p in out.iterdir() if p.name != MARKER} == {
        "a.html": "2",
        "b.html": "2",
    }
    assert not staging.exists()


def test_a_new_staging_clears_what_dead_builds_left(tmp_path: Path) -> None:
    from tests.test_files import dead_pid

    stale = [tmp_path / f"site.tmp-{dead_pid()}", tmp_path / f"site.old-{dead_pid()}"]
    for folder in stale:
        folder.mkdir()
    write_site({"index.html": "x"}, tmp_path / "site")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
