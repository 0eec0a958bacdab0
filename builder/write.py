"""The only writer of the output folder: refuses dangerous targets, renders the files that
changed into a staging folder (on every core when many) and leaves the others, and moves
changed files in one by one once every file is rendered, with a journal that completes a
killed build's moves."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from builder.errors import OutputError, display_path
from builder.files import clear_temporary_siblings, temporary_sibling
from builder.killpoint import kill_point
from builder.run import Progress
from builder.stats import Stat, sha

if TYPE_CHECKING:
    from builder.models import Output

MARKER = ".paper-digest-output"
MARKER_TEXT = "This folder is a site built by paper-digest; a build rewrites what it holds.\n"


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
    if (  # most paths: no part empty or starting with a dot, no backslash or NUL
        relative
        and relative[0] not in "/."
        and relative[-1] != "/"
        and "//" not in relative
        and "/." not in relative
        and "\\" not in relative
        and "\0" not in relative
    ):
        return relative
    if not relative or relative.startswith("/") or "\\" in relative or "\0" in relative:
        raise OutputError(f"refusing to write {relative!r}: not a plain path inside the site")
    for part in relative.split("/"):
        if part in ("", ".", ".."):
            raise OutputError(f"refusing to write {relative!r}: not a plain path inside the site")
    return relative


@dataclass(frozen=True)
class Moves:
    """What a build moves into the site once every file is rendered: the files staged in
    `staging` (paths relative to the site), and the site's files it no longer has. The build
    records it (its journal) before the first move, so a build killed midway is completed by
    the next one."""

    out: str
    staging: str
    moved: tuple[str, ...]
    removed: tuple[str, ...]


def apply_moves(moves: Moves) -> None:
    """Move each staged file into the site, one atomic rename each (a reader sees the old file
    or the new one, never half), then delete the removed files and the folders they leave
    empty, then the staging folder. Safe to run again: a file already moved is skipped."""
    made: set[str] = set()
    for n, relative in enumerate(moves.moved):
        source = os.path.join(moves.staging, relative)
        target = os.path.join(moves.out, relative)
        folder = os.path.dirname(target)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        try:
            os.replace(source, target)
        except FileNotFoundError:
            continue  # moved by the build that began this
        if n == 0:
            kill_point("moving")
    emptied: set[str] = set()
    for relative in moves.removed:
        with contextlib.suppress(FileNotFoundError, IsADirectoryError, NotADirectoryError):
            os.unlink(os.path.join(moves.out, relative))
            emptied.add(os.path.dirname(relative))
    for folder in sorted(emptied, key=lambda f: -f.count("/")):
        while folder:
            try:
                os.rmdir(os.path.join(moves.out, folder))
            except OSError:
                break  # not empty (or gone): its parents are not either
            folder = os.path.dirname(folder)
    shutil.rmtree(moves.staging, ignore_errors=True)


class Journal(Protocol):
    """Where the build records the moves it is about to make (the build state)."""

    def begin(self, moves: Moves) -> None:
        """Record the moves, durably, before the first."""

    def end(self) -> None:
        """Forget them, once all are made."""


class Staging:
    """The files a build changes, written into a sibling folder of the site, then moved into
    it one by one once all are rendered; the files it no longer has are then deleted. A file
    whose bytes equal the site's is left in place, and `keep` leaves one without reading it.
    Forked workers may `put` files too: each call touches only its own path. `stats` records
    the stat and content hash of every file of the new site this process placed or left, for
    the next build.
    """

    def __init__(self, out: Path) -> None:
        self.out = out.resolve()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        clear_temporary_siblings(self.out)
        self.previous = str(self.out) if (self.out / MARKER).is_file() else None
        self.tmp = temporary_sibling(self.out, "tmp")
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp.mkdir()
        self.root = str(self.tmp)
        self._folders: set[str] = {""}
        self.stats: dict[str, tuple[tuple[int, int, int], str]] = {}

    def _target(self, relative: str) -> str:
        folder = relative.rpartition("/")[0]
        if folder not in self._folders:
            os.makedirs(os.path.join(self.root, folder), exist_ok=True)
            self._folders.add(folder)
        return os.path.join(self.root, relative)

    def put(self, relative: str, content: str | bytes) -> bool:
        """Stage one file; return True when the site already has exactly these bytes (the file
        is left as it is)."""
        plain_path(relative)
        data = content.encode("utf-8") if isinstance(content, str) else content
        digest = sha(data)
        if self.previous is not None:
            old = os.path.join(self.previous, relative)
            if _same_bytes(Path(old), data):
                try:
                    st = os.stat(old)
                except OSError:
                    pass
                else:
                    self.stats[relative] = ((st.st_size, st.st_mtime_ns, st.st_ino), digest)
                    return True
        with open(self._target(relative), "wb") as f:
            f.write(data)
            f.flush()  # the size and time to record are those after the write
            st = os.fstat(f.fileno())
        self.stats[relative] = ((st.st_size, st.st_mtime_ns, st.st_ino), digest)
        return False

    def keep(self, relative: str, known: tuple[int, int, int], digest: str) -> bool:
        """Leave the site's file as it is (its stat `known`, its content hash `digest`); False
        when there is no site."""
        if self.previous is None:
            return False
        plain_path(relative)
        self.stats[relative] = (known, digest)
        return True

    def holds(self, relative: str, digest: str) -> bool:
        """Tell whether the site's file has the content hash `digest` (read to know)."""
        if self.previous is None:
            return False
        try:
            with open(os.path.join(self.previous, plain_path(relative)), "rb") as f:
                return sha(f.read()) == digest
        except OSError:
            return False

    def commit(self, planned: Iterable[str], site: Iterable[str], journal: Journal) -> None:
        """Move the staged files into the site and delete those of `site` (its files before)
        that are not `planned` (the new site's); a first site is renamed into place whole."""
        if self.previous is None:
            self.put(MARKER, MARKER_TEXT)
            kill_point("rendered")
            if self.out.is_dir():
                self.out.rmdir()  # an empty folder (check_output refuses any other)
            os.rename(self.tmp, self.out)
            self.tmp = temporary_sibling(self.out, "tmp")  # nothing left to remove
            return
        if not _same_bytes(self.out / MARKER, MARKER_TEXT.encode()):
            self.put(MARKER, MARKER_TEXT)  # a site an older builder made
        kept = {*planned, MARKER}
        moved = []
        for dirpath, _dirs, files in os.walk(self.root):
            folder = os.path.relpath(dirpath, self.root)
            for name in files:
                moved.append(name if folder == "." else f"{folder}/{name}")
        moves = Moves(
            str(self.out),
            self.root,
            tuple(sorted(moved)),
            tuple(sorted(f for f in site if f not in kept)),
        )
        kill_point("rendered")
        if moves.moved or moves.removed:
            journal.begin(moves)
            apply_moves(moves)
            journal.end()

    def close(self) -> None:
        """Remove the staging folder, if a commit left it (or none was made)."""
        shutil.rmtree(self.tmp, ignore_errors=True)


def keep_unchanged(
    plan: Sequence[Output], staging: Staging, site: Any, old_site: dict[str, Stat]
) -> tuple[int, list[Output]]:
    """Leave the files whose key is the last site's and whose stat is too (or, when the stat
    changed, as when a CI cache restores the site, whose bytes still hash the same); return
    (kept, the rest)."""
    todo: list[Output] = []
    kept = 0
    with Progress(len(plan), "keeping", "files"):
        for output in plan:
            stat = old_site.get(output.dest)
            last = site.get(output.dest)
            if stat is not None and output.key and last is not None and last.key == output.key:
                same = last.stat == stat or staging.holds(output.dest, last.digest)
                if same and staging.keep(output.dest, stat, last.digest):
                    kept += 1
                    continue
            todo.append(output)
    return kept, todo


def _render_slice(outputs: Sequence[Output], staging: Staging, renderer: Any) -> tuple:
    """Make and write some outputs (in a worker or here); return counts, stats, the new cards
    and the BibTeX entries made."""
    written = linked = 0
    staging.stats = {}
    entries = renderer.entries
    before = set(entries.dirty) if entries is not None else set()
    for output in outputs:
        if staging.put(output.dest, output.make()):
            linked += 1
        else:
            written += 1
    new_cards, renderer.new_cards = renderer.new_cards, {}
    # The BibTeX entries made here (as a unit is made), for the build to keep.
    made = {k: entries.data[k] for k in entries.dirty - before} if entries is not None else {}
    return written, linked, staging.stats, new_cards, made


def render_outputs(
    todo: Sequence[Output], staging: Staging, renderer: Any, cards: Any
) -> tuple[int, int, dict[str, Any]]:
    """Render the outputs that changed, on every core when there are many."""
    from builder.workers import fork_slices

    workers = 0 if len(todo) >= PARALLEL_RENDER else 1
    kept_stats = staging.stats
    with Progress(len(todo), "rendering", "files"):
        parts = fork_slices(_render_slice, todo, staging, renderer, workers=workers)
    written = linked = 0
    stats: dict[str, Stat] = {}
    entries = renderer.entries
    for part_written, part_linked, part_stats, new_cards, made in parts:
        written += part_written
        linked += part_linked
        stats.update(part_stats)
        for key, html in new_cards.items():
            cards.put(key, html)
        if entries is not None:
            for key, entry in made.items():
                entries.put(key, entry)
    staging.stats = kept_stats
    return written, linked, stats


# Below this many files to render, forking workers costs more than it saves.
PARALLEL_RENDER = 300
