"""The output writer: dangerous targets refused, the site swapped in whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.errors import OutputError
from builder.write import MARKER, Staging, check_output


def guard(out: Path, root: Path) -> None:
    check_output(out, protected=[root], contents=[root / "content" / "papers"])


def write_site(files: dict[str, str | bytes], out: Path) -> tuple[int, int]:
    """Stage `files` and swap them in as the build does; return (written, linked)."""
    written = linked = 0
    staging = Staging(out)
    try:
        for relative, content in sorted(files.items()):
            if staging.put(relative, content):
                linked += 1
            else:
                written += 1
        staging.commit()
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


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a/../../b", "", "a//b", "a\\b", "./a"])
def test_paths_that_would_leave_the_site_are_refused(tmp_path: Path, bad: str) -> None:
    out = tmp_path / "output"
    write_site({"index.html": "v1"}, out)
    staging = Staging(out)
    try:
        with pytest.raises(OutputError, match="not a plain path inside the site"):
            staging.put(bad, "x")
        with pytest.raises(OutputError, match="not a plain path inside the site"):
            staging.keep(bad, (1, 1, 1))
    finally:
        staging.close()
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted([MARKER, "index.html", "output"])


def test_unchanged_files_are_hard_linked_from_the_last_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = write_site({"a.html": "same", "b.html": "old"}, out)
    inode = (out / "a.html").stat().st_ino
    second = write_site({"a.html": "same", "b.html": "new"}, out)
    assert (first, second) == ((2, 0), (1, 1))
    assert (out / "a.html").stat().st_ino == inode
    assert (out / "a.html").stat().st_nlink == 1  # the old tree is gone
    assert (out / "b.html").read_text() == "new"


def test_a_new_staging_clears_what_dead_builds_left(tmp_path: Path) -> None:
    from tests.test_files import dead_pid

    stale = [tmp_path / f"site.tmp-{dead_pid()}", tmp_path / f"site.old-{dead_pid()}"]
    for folder in stale:
        folder.mkdir()
    write_site({"index.html": "x"}, tmp_path / "site")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
