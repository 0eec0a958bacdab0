"""The only writer of the output folder: refuses dangerous targets and swaps the site in whole."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
from collections.abc import Iterable, Mapping
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


def write_site(files: Mapping[str, str | bytes], out: Path) -> None:
    """Write `files` (site path -> content) into a sibling folder, then swap it in as `out`."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir()
        for relative, content in sorted(files.items()):
            path = safe_join(tmp, relative)
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                path.write_text(content, encoding="utf-8", newline="\n")
            else:
                path.write_bytes(content)
        (tmp / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
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
