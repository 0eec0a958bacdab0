"""Files written whole or not at all, and the temporaries that make it so.

Every temporary the builder writes is named by the PID of the process writing it: a paper
file or a snapshot goes through `.<name>.<PID>.tmp` beside it, renamed over it when complete;
a site's changed files are staged in the sibling folder `<output>.tmp-<PID>` (older builders
also left `<output>.old-<PID>`). A temporary whose process is gone was left by a run that was
killed, and the next run clears it; one whose process is alive belongs to a run at work.
"""

from __future__ import annotations

import glob
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from builder.killpoint import kill_point


def pid_alive(pid: int) -> bool:
    """Tell whether a process with this PID exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def temporary_file(path: Path) -> Path:
    """Return the temporary this process writes `path` through: `.<name>.<PID>.tmp`."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def temporary_sibling(folder: Path, kind: str, pid: int | None = None) -> Path:
    """Return a folder's sibling of this process (or of `pid`): `<folder>.tmp-<PID>` or
    `<folder>.old-<PID>`."""
    return folder.with_name(f"{folder.name}.{kind}-{pid or os.getpid()}")


def _left_by_the_dead(pid: str) -> bool:
    return pid.isdigit() and not pid_alive(int(pid))


def clear_temporary_files(folder: Path) -> list[Path]:
    """Remove the temporary files (`.<name>.<PID>.tmp`) that killed runs left in `folder`."""
    removed = []
    for tmp in folder.glob(".*.tmp"):
        if _left_by_the_dead(tmp.name.rsplit(".", 2)[-2]):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def dead_siblings(folder: Path, kind: str) -> list[tuple[Path, int]]:
    """List the sibling folders of `kind` ("tmp", "old") that runs now dead left: (path, PID)."""
    found = []
    for sibling in sorted(folder.parent.glob(f"{glob.escape(folder.name)}.{kind}-*")):
        pid = sibling.name[len(folder.name) + len(kind) + 2 :]
        if _left_by_the_dead(pid):
            found.append((sibling, int(pid)))
    return found


def clear_temporary_siblings(folder: Path) -> list[Path]:
    """Remove the sibling folders (`<folder>.tmp-PID`, `<folder>.old-PID`) of runs that died."""
    removed = [path for kind in ("tmp", "old") for path, _pid in dead_siblings(folder, kind)]
    for sibling in removed:
        shutil.rmtree(sibling, ignore_errors=True)
    return removed


@contextmanager
def atomic_file(path: Path, *, create: bool = False, durable: bool = True) -> Iterator[IO[Any]]:
    """Open a temporary file to write `path` through; put it in place only once it is complete.

    A reader sees the old file or the new one, never half of one. With `create`, a file that
    appeared at `path` in the meantime is never replaced (FileExistsError). With `durable`, the
    data reaches the disk before the rename (paper files and snapshots; a cache can do without).
    """
    tmp = temporary_file(path)
    try:
        with open(tmp, "wb") as f:
            yield f
            f.flush()
            if durable:
                os.fsync(f.fileno())
        kill_point("temp-written")
        if create:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise
            except OSError:  # a filesystem without hard links
                if path.exists():
                    raise FileExistsError(path) from None
                os.replace(tmp, path)
        else:
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: Path, text: str, *, create: bool = False, durable: bool = True) -> None:
    """Write `text` (UTF-8, as it is) to `path` whole or not at all (see `atomic_file`)."""
    with atomic_file(path, create=create, durable=durable) as f:
        f.write(text.encode("utf-8"))
