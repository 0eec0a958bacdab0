"""What a build reads as stats and hashes: file and folder stats, content hashes and keys, the
builder's code version, the inputs of a build and the files of the site it left.

File stats (size, modification time, inode) stand in for a file's hash only while they are the
ones seen when it was hashed, and only once the file is a second older than the look (git's
"racy clean" rule); the no-op test compares the stats of every input and of the site's folders
with those the last build recorded.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from builder.config import SiteConfig
from builder.listing import SNAPSHOT_SUFFIXES

if TYPE_CHECKING:
    from builder.tables import Table

CODE_DIR = Path(__file__).resolve().parent
REPO_DIR = CODE_DIR.parent
# Libraries whose output ends up in the site: a new version of one is a new builder.
LIBRARIES = ("jinja2", "markupsafe", "markdown", "bs4", "yaml", "lunr", "numpy", "slugify")
LIBRARIES += ("feedgen", "lxml")
LUNR_JS = REPO_DIR / "node_modules" / "lunr" / "lunr.min.js"

Stat = tuple[int, int, int]  # size, mtime in ns, inode
# A file's content hash by its path and stat, with its bytes when they were read to hash it
# (`cache.BuildCache.file_hash`, which a stage is handed).
Hashes = Callable[["str | Path", Stat], tuple[str, "bytes | None"]]
RACY_NS = 1_000_000_000  # a stat is trusted once its file is this much older than the look


def stat_of(st: os.stat_result) -> Stat:
    """Return the parts of a stat that change whenever a file's content may have."""
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def sha(data: bytes) -> str:
    """Return the content hash used throughout the cache."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def key_of(*parts: object) -> str:
    """Hash a few plain values (strings, numbers, tuples of them) into a cache key."""
    return sha(repr(parts).encode("utf-8", "surrogatepass"))


def _library_files() -> list[Path]:
    """Find each library's package file without importing it (a find_spec reads no module)."""
    files = []
    for name in LIBRARIES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.origin:
            files.append(Path(spec.origin))
    return files


def code_version() -> str:
    """Hash the builder's code, Python's version and the libraries' install stamps."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(sys.version.encode())
    for path in sorted(CODE_DIR.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for path in _library_files():
        try:
            digest.update(f"{path}:{stat_of(path.stat())}".encode())
        except OSError:
            digest.update(str(path).encode())
    return digest.hexdigest()


def walk(folder: Path, suffixes: tuple[str, ...] | None = None) -> Iterator[tuple[str, Stat]]:
    """Yield (path relative to `folder`, stat) for every file below it, sorted; no symlink dirs."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                for name, st in walk(Path(entry.path), suffixes):
                    yield f"{entry.name}/{name}", st
            elif suffixes is None or entry.name.lower().endswith(suffixes):
                yield entry.name, stat_of(entry.stat())
        except OSError:
            yield entry.name, (-1, -1, -1)


def folder_stats(
    folder: Path, suffixes: tuple[str, ...], fold_case: bool = False
) -> dict[str, Stat]:
    """Return {name: stat} of the visible files in `folder` (one level) ending in `suffixes`."""
    stats: dict[str, Stat] = {}
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return stats
    for entry in entries:
        name = entry.name.lower() if fold_case else entry.name
        if entry.name.startswith(".") or not name.endswith(suffixes):
            continue
        try:
            if entry.is_file():
                stats[entry.name] = stat_of(entry.stat())
        except OSError:
            stats[entry.name] = (-1, -1, -1)
    return stats


def project_path(path: Path, root: Path) -> str:
    """Name a path as the project sees it: relative to site.yaml's folder when inside it, so a
    project moved or copied elsewhere keeps its keys; else as it is (it stays where it is)."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def config_key(config: SiteConfig) -> str:
    """Hash every setting (site.yaml and the flags that override it), paths as the project
    sees them (`project_path`)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Path):
            return project_path(value, config.root)
        if isinstance(value, tuple):
            return tuple(plain(v) for v in value)
        if isinstance(value, Mapping):  # in order: the topics' order is their papers' order
            return [(k, plain(v)) for k, v in value.items()]
        return value

    settings = [f.name for f in fields(config) if f.name != "root"]
    return key_of(*[(name, plain(getattr(config, name))) for name in settings])


@dataclass
class Inputs:
    """What a build reads, as stats: the state the no-op test compares."""

    code: str
    config: str
    snapshots: dict[str, Stat]
    papers: dict[str, Stat]
    theme: list[tuple[str, list[tuple[str, Stat]]]]
    # The `stats_digest` of each folder's stats, by the dict it was made of (a build asks for
    # it several times; a folder read again is a new dict).
    _digests: dict[str, tuple[dict[str, Stat], str]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def digest(self) -> str:
        """Hash the whole state."""
        files = self.files_digest("snapshots"), self.files_digest("papers")
        return key_of(self.code, self.config, files, self.theme)

    def files_digest(self, folder: str) -> str:
        """`stats_digest` of the stats of `snapshots` or `papers`, made once for each dict."""
        stats = getattr(self, folder)
        known = self._digests.get(folder)
        if known is None or known[0] is not stats:
            known = self._digests[folder] = (stats, stats_digest(stats))
        return known[1]


WORD = (1 << 64) - 1  # a stat's numbers, as `stats_digest` packs them


def stats_digest(stats: Mapping[str, Stat]) -> str:
    """Hash {name: stat} of many files, in name order (their names, then their stats as
    64-bit numbers, two's complement: a tenth of the time a repr takes at 10,000 files)."""
    names = sorted(stats)
    numbers = array("Q", [n & WORD for name in names for n in stats[name]])
    text = "\0".join(names).encode("utf-8", "surrogateescape")
    return sha(text + b"\0\0" + numbers.tobytes())


def read_inputs(config: SiteConfig, theme: Iterable[Path], code: str) -> Inputs:
    """Stat every input of a build: snapshots, paper files, theme folders, lunr.js."""
    folders = [(str(d), list(walk(d))) for d in theme]
    try:
        folders.append((str(LUNR_JS), [("", stat_of(LUNR_JS.stat()))]))
    except OSError:
        folders.append((str(LUNR_JS), []))
    return Inputs(
        code=code,
        config=config_key(config),
        snapshots=folder_stats(config.snapshots, SNAPSHOT_SUFFIXES, fold_case=True),
        papers=folder_stats(config.papers, (".md",)),
        theme=folders,
    )


def output_stats(out: Path) -> dict[str, Stat]:
    """Return {site path: stat} of every file of a built site."""
    return dict(walk(out))


def site_stats(
    out: Path,
    folders: list[tuple[str, Stat]],
    last: list[tuple[str, Stat]] | None,
    site: Table,
) -> dict[str, Stat]:
    """Return {site path: stat} of every file of the site: as the last build wrote them for
    the files of a folder whose stat is still what that build left (a file added, removed or
    renamed changes its folder's stat: the no-op test trusts the same), read for the rest."""
    if last is None:
        return output_stats(out)
    same = {folder for folder, st in set(folders) & set(last)}  # "" the site, "/a/b" below
    stats: dict[str, Stat] = {}
    for folder, _ in folders:
        if folder not in same:
            stats.update(_files_in(out, folder[1:]))
    for dest, entry in site.data.items():
        head = dest.rpartition("/")[0]
        if entry.stat is not None and (f"/{head}" if head else "") in same:
            stats[dest] = entry.stat
    return stats


def _files_in(out: Path, folder: str) -> dict[str, Stat]:
    """{site path: stat} of the files directly in one folder of the site ("" for its top)."""
    found: dict[str, Stat] = {}
    prefix = f"{folder}/" if folder else ""
    try:
        entries = list(os.scandir(out / folder))
    except OSError:
        return found
    for entry in entries:
        try:
            if not entry.is_dir(follow_symlinks=False):
                found[prefix + entry.name] = stat_of(entry.stat())
        except OSError:
            found[prefix + entry.name] = (-1, -1, -1)
    return found


def same_folders(out: Path, last: list[tuple[str, Stat]] | None) -> list[tuple[str, Stat]] | None:
    """The folders of a site as `folder_tree` found them last (`last`), when each one's stat
    is still that one: none was added, removed or renamed (that changes its parent's stat),
    so a walk would find them again; else None."""
    if not last:
        return None
    root = str(out)
    for relative, st in last:
        try:
            now = stat_of(os.stat(root + relative))
        except OSError:
            now = (-1, -1, -1)
        if now != st:
            return None
    return last


def folder_tree(out: Path) -> list[tuple[str, Stat]]:
    """Return (path, stat) of a site folder and of every folder in it, sorted.

    A folder's stat changes when a file is added to it, removed or renamed (not when one is
    edited in place): enough for a build to tell that the site it left is still there.
    """
    found: list[tuple[str, Stat]] = []
    stack = [("", str(out))]
    while stack:
        relative, path = stack.pop()
        try:
            found.append((relative, stat_of(os.stat(path))))
            with os.scandir(path) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append((f"{relative}/{entry.name}", entry.path))
        except OSError:
            found.append((relative, (-1, -1, -1)))
    return sorted(found)


def settled(stats: Iterable[Stat], now_ns: int) -> bool:
    """Tell whether every file of `stats` was last changed over a second before `now_ns`."""
    return all(is_settled(st, now_ns) for st in stats)


def is_settled(st: Stat, now_ns: int) -> bool:
    """Tell whether a file was last changed over a second before `now_ns` (a stat that
    failed, all -1, never is: the file may be anything by the next look)."""
    return 0 <= st[1] < now_ns - RACY_NS
