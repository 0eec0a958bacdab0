"""The only writer of the output folder: refuses dangerous targets and swaps the site in whole."""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from builder.errors import OutputError, display_path

MARKER = ".paper-digest-output"
MARKER_TEXT = "This folder is a site built by paper-digest; a build replaces it whole.\n"


def check_output(out: Path, protected: Iterable[Path], contents: Iterable[Path]) -> None:
    """Refuse an output folder whose replacement would destroy something else.

    `protected` folders may not be the output or lie inside it (the project root, home);
    `contents` folders (papers, snapshots, templates) may not hold the output either.
    """
    out = out.resolve()
    shown = display_path(out)
    if out == Path(out.anchor):
        raise OutputError(f"--out {shown}: is the filesystem root; choose a folder of its own")
    if out == Path.home().resolve():
        raise OutputError(f"--out {shown}: is your home folder; choose a folder of its own")
    for folder in protected:
        folder = folder.resolve()
        if out == folder or out in folder.parents:
            raise OutputError(
                f"--out {shown}: would replace {display_path(folder)}, which the build needs; "
                "choose a folder of its own, such as output/"
            )
    for folder in contents:
        folder = folder.resolve()
        if out == folder or folder in out.parents or out in folder.parents:
            raise OutputError(
                f"--out {shown}: overlaps {display_path(folder)}; choose a folder of its own"
            )
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {shown}: is a file, not a folder")
    if out.is_dir() and not (out / MARKER).exists() and any(out.iterdir()):
        raise OutputError(
            f"--out {shown}: is a folder with other files in it, not an earlier build; "
            "a build replaces the folder whole, so choose an empty or new folder"
        )


def safe_join(root: Path, relative: str) -> Path:
    """Join a site-relative path onto `root`, refusing anything that would leave it."""
    parts = PurePosixPath(relative).parts
    if (
        not parts
        or PurePosixPath(relative).is_absolute()
        or any(p in ("..", ".", "") for p in parts)
    ):
        raise OutputError(f"refusing to write {relative!r}: not a plain path inside the site")
    return root.joinpath(*parts)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux renameat2); False where the system cannot."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return result == 0


@dataclass
class WriteReport:
    """What one swap wrote: files written anew and files carried over unchanged."""

    written: int = 0
    linked: int = 0


def pid_alive(pid: int) -> bool:
    """Tell whether a process with this PID exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(out: Path) -> list[Path]:
    """Remove the temporary siblings (`<out>.tmp-PID`, `<out>.old-PID`) of builds that died."""
    removed = []
    for sibling in out.parent.glob(f"{glob.escape(out.name)}.*-*"):
        kind, _, pid = sibling.name[len(out.name) + 1 :].partition("-")
        if kind in ("tmp", "old") and pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(sibling, ignore_errors=True)
            removed.append(sibling)
    return removed


def _carry_over(previous: Path | None, relative: str, data: bytes, path: Path) -> bool:
    """Hard-link the previous build's copy of a file into place when its bytes are the same."""
    if previous is None:
        return False
    old = safe_join(previous, relative)
    try:
        if not old.is_file() or old.is_symlink() or old.stat().st_size != len(data):
            return False
        if old.read_bytes() != data:
            return False
        os.link(old, path)
    except OSError:
        return False
    return True


def write_site(files: Mapping[str, str | bytes], out: Path) -> WriteReport:
    """Write `files` (site path -> content) into a sibling folder, then swap it in as `out`.

    Files whose bytes equal the current site's are hard-linked, not written again.
    """
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(out)
    previous = out if (out / MARKER).is_file() else None
    tmp = out.with_name(f"{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    report = WriteReport()
    try:
        tmp.mkdir()
        contents = {**files, MARKER: MARKER_TEXT}
        for relative, content in sorted(contents.items()):
            data = content.encode("utf-8") if isinstance(content, str) else content
            path = safe_join(tmp, relative)
            path.parent.mkdir(parents=True, exist_ok=True)
            if _carry_over(previous, relative, data, path):
                report.linked += 1
            else:
                path.write_bytes(data)
                report.written += 1
        if out.exists():
            if not _exchange(tmp, out):
                old = out.with_name(f"{out.name}.old-{os.getpid()}")
                os.rename(out, old)
                os.rename(tmp, out)
                tmp = old
        else:
            os.rename(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return report
