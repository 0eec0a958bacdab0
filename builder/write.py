"""The only writer of the output folder: refuses dangerous targets and swaps the site in whole."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import stat
from collections.abc import Iterable
from pathlib import Path

from builder.errors import OutputError, display_path
from builder.files import clear_temporary_siblings, dead_siblings, temporary_sibling
from builder.killpoint import kill_point

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


def _same_bytes(old: Path, data: bytes) -> bool:
    """Tell whether the file at `old` holds exactly `data`."""
    try:
        st = os.lstat(old)
        if not stat.S_ISREG(st.st_mode) or st.st_size != len(data):
            return False
        return old.read_bytes() == data
    except OSError:
        return False


def plain_path(relative: str) -> str:
    """Return a site path that is plain (no root, '..', '.' or empty part); else refuse it."""
    if not relative or relative.startswith("/") or "\\" in relative or "\0" in relative:
        raise OutputError(f"refusing to write {relative!r}: not a plain path inside the site")
    for part in relative.split("/"):
        if part in ("", ".", ".."):
            raise OutputError(f"refusing to write {relative!r}: not a plain path inside the site")
    return relative


def finish_swap(out: Path) -> None:
    """Complete the swap of a build killed midway through it, where folders cannot be exchanged
    in one step: its old site was renamed away (`<out>.old-PID`) and its new one, whole, not
    yet renamed into place (`<out>.tmp-PID`), so no site is at `out`."""
    if out.exists():
        return
    for old, pid in dead_siblings(out, "old"):
        new = temporary_sibling(out, "tmp", pid)
        # The marker goes in before the swap begins: with it, the new site is whole. Without it
        # (no such build of ours), the old site goes back: with no site at `out`, the swap had
        # not ended, so nothing had begun to remove the old one.
        os.rename(new if (new / MARKER).is_file() else old, out)
        return


class Staging:
    """A new site written into a sibling folder of the output, then swapped in whole.

    Files whose bytes equal the current site's are hard-linked from it, not written again, and
    `keep` carries a file over unchanged without reading it. Forked workers may `put` files
    too: each call touches only its own path. `stats` records the stat of every file placed
    (by this process), for the next build's no-op test.
    """

    def __init__(self, out: Path) -> None:
        self.out = out.resolve()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        finish_swap(self.out)  # (the build did already; a Staging of its own must too)
        clear_temporary_siblings(self.out)
        self.previous = str(self.out) if (self.out / MARKER).is_file() else None
        self.tmp = temporary_sibling(self.out, "tmp")
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp.mkdir()
        self.root = str(self.tmp)
        self._folders: set[str] = {""}
        self.stats: dict[str, tuple[int, int, int]] = {}

    def _target(self, relative: str) -> str:
        folder = relative.rpartition("/")[0]
        if folder not in self._folders:
            os.makedirs(os.path.join(self.root, folder), exist_ok=True)
            self._folders.add(folder)
        return os.path.join(self.root, relative)

    def put(self, relative: str, content: str | bytes) -> bool:
        """Write one file; return True when it was linked from the current site instead."""
        plain_path(relative)
        data = content.encode("utf-8") if isinstance(content, str) else content
        path = self._target(relative)
        if self.previous is not None:
            old = Path(self.previous, relative)
            if _same_bytes(old, data):
                try:
                    os.link(old, path, follow_symlinks=False)
                    st = os.stat(path)
                    self.stats[relative] = (st.st_size, st.st_mtime_ns, st.st_ino)
                    return True
                except OSError:
                    pass
        with open(path, "wb") as f:
            f.write(data)
            f.flush()  # the size and time to record are those after the write
            st = os.fstat(f.fileno())
        self.stats[relative] = (st.st_size, st.st_mtime_ns, st.st_ino)
        return False

    def keep(self, relative: str, known: tuple[int, int, int]) -> bool:
        """Carry the current site's file over as it is (its stat `known`); False when it cannot."""
        if self.previous is None:
            return False
        plain_path(relative)
        try:
            os.link(
                os.path.join(self.previous, relative), self._target(relative), follow_symlinks=False
            )
        except OSError:
            return False
        self.stats[relative] = known
        return True

    def commit(self) -> None:
        """Swap the new site in for the old one in one step where the system can."""
        if not (self.tmp / MARKER).exists():
            self.put(MARKER, MARKER_TEXT)
        kill_point("rendered")
        if self.out.exists():
            if _exchange(self.tmp, self.out):
                kill_point("swap")
            else:
                old = temporary_sibling(self.out, "old")
                os.rename(self.out, old)
                kill_point("swap")
                os.rename(self.tmp, self.out)
                self.tmp = old
        else:
            os.rename(self.tmp, self.out)

    def close(self) -> None:
        """Remove the temporary folder (after a commit: the old site)."""
        shutil.rmtree(self.tmp, ignore_errors=True)
