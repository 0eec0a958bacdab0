"""The output writer: dangerous targets refused, the site swapped in whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.errors import OutputError
from builder.write import MARKER, check_output, safe_join, write_site


def guard(out: Path, root: Path) -> None:
    check_output(out, protected=[root], contents=[root / "content" / "papers"])


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


def test_the_site_is_replaced_whole(tmp_path: Path) -> None:
    out = tmp_path / "output"
    write_site({"index.html": "v1", "papers/a.html": "A", "gone.html": "x"}, out)
    write_site({"index.html": "v2", "papers/b.html": b"B"}, out)
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == [MARKER, "index.html", "papers/b.html"]
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


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a/../../b", ""])
def test_safe_join_refuses_paths_outside(tmp_path: Path, bad: str) -> None:
    with pytest.raises(OutputError):
        safe_join(tmp_path, bad)


def test_unchanged_files_are_hard_linked_from_the_last_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = write_site({"a.html": "same", "b.html": "old"}, out)
    inode = (out / "a.html").stat().st_ino
    second = write_site({"a.html": "same", "b.html": "new"}, out)
    assert (first.written, second.written, second.linked) == (3, 1, 2)
    assert (out / "a.html").stat().st_ino == inode
    assert (out / "a.html").stat().st_nlink == 1  # the old tree is gone
    assert (out / "b.html").read_text() == "new"


def test_leftovers_of_dead_builds_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    import os
    import subprocess

    dead = subprocess.Popen(["true"])
    dead.wait()
    out = tmp_path / "site"
    stale = [tmp_path / f"site.tmp-{dead.pid}", tmp_path / f"site.old-{dead.pid}"]
    live = tmp_path / f"site.tmp-{os.getppid()}"
    other = tmp_path / "site.tmp-notes"
    for folder in [*stale, live, other]:
        folder.mkdir()
    write_site({"index.html": "x"}, out)
    assert not any(f.exists() for f in stale)
    assert live.exists() and other.exists()
