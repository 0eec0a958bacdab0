"""Read saved listing pages (text dumps, saved HTML, API JSON) into listing entries.

Each format has its module: `read_text`, `read_json` (the API's items) and `read_html`; this
one decodes a file's bytes and hands them to the right one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from builder.errors import Problem, display_path
from builder.listing import SNAPSHOT_SUFFIXES, ListingFile
from builder.read_html import parse_html_listing
from builder.read_json import parse_item, parse_json_listing
from builder.read_text import parse_text_listing
from builder.stats import Hashes, stat_of

__all__ = [
    "SNAPSHOT_SUFFIXES",
    "ListingFile",
    "decode_snapshot",
    "parse_html_listing",
    "parse_item",
    "parse_json_listing",
    "parse_snapshot",
    "parse_text_listing",
    "read_snapshot",
    "read_snapshots",
    "snapshot_files",
]


def decode_snapshot(data: bytes, name: str) -> tuple[str | None, list[Problem]]:
    """Decode a snapshot's bytes as UTF-8 (BOM allowed), else Windows-1252; None when binary."""
    if not data.strip():
        return None, [
            Problem(
                name,
                None,
                "expected a saved listing, found an empty file; skipped",
                reason="empty file",
            )
        ]
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        return None, [
            Problem(
                name, line, "expected text, found a NUL byte: binary file; skipped", "binary file"
            )
        ]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 1].hex()
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            return None, [
                Problem(
                    name,
                    line,
                    f"expected UTF-8 text, found byte 0x{bad}, not Windows-1252 either; skipped",
                    reason="undecodable file",
                )
            ]
        return text, [
            Problem(
                name,
                line,
                f"expected UTF-8 text, found byte 0x{bad}; read as Windows-1252 (save it as UTF-8)",
                reason="not UTF-8",
                skipped=False,
            )
        ]


def parse_snapshot(data: bytes, name: str, mtime: dt.date, year: int | None) -> ListingFile:
    """Parse one snapshot's bytes by its file type."""
    text, problems = decode_snapshot(data, name)
    if text is None:
        return ListingFile(problems=problems)
    suffix = Path(name).suffix.lower()
    if suffix == ".txt":
        result = parse_text_listing(text, name, year=year, mtime=mtime)
    elif suffix == ".json":
        result = parse_json_listing(text, name, mtime)
    else:
        result = parse_html_listing(text, name, mtime)
    result.problems[:0] = problems
    return result


def snapshot_files(folder: Path) -> list[Path]:
    """List the snapshot files in `folder`, sorted by name."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in SNAPSHOT_SUFFIXES and not p.name.startswith(".") and p.is_file()
    )


def read_snapshot(path: Path, year: int | None) -> ListingFile:
    """Read and parse one snapshot file, naming it in every problem (`read_snapshots`)."""
    return read_snapshots([path], year)[0]


def read_snapshots(paths: Sequence[Path], year: int | None) -> list[ListingFile]:
    """Read and parse snapshot files, naming each in its problems (`parse_listings`)."""
    return parse_listings(paths, year).listings


@dataclass
class Listings:
    """What `parse_listings` found: each file's listing, and what it parsed, by (content
    hash, name, date, year), for the build to keep."""

    listings: list[ListingFile]
    made: dict[tuple, ListingFile] = field(default_factory=dict)


def parse_listings(
    paths: Sequence[Path],
    year: int | None,
    known: Callable[[tuple], ListingFile | None] | None = None,
    hashes: Hashes | None = None,
) -> Listings:
    """Read and parse snapshot files, naming each in its problems; many bytes to parse are
    parsed on every core (a first ingest reads hundreds of files).

    `known` gives a file's listing as parsed before, by (content hash, name, date, year);
    `hashes` a file's content hash by its path and stat (both together, or neither): a file
    whose content was parsed before is not parsed again.
    """
    from builder.workers import fork_map

    found: list[ListingFile | None] = [None] * len(paths)
    todo: list[tuple[int, bytes, str, dt.date, tuple | None]] = []
    for i, path in enumerate(paths):
        try:
            st = path.stat()
            mtime = dt.date.fromtimestamp(st.st_mtime)
            if known is None or hashes is None:
                todo.append((i, path.read_bytes(), path.name, mtime, None))
                continue
            digest, data = hashes(path, stat_of(st))
            key = (digest, path.name, mtime, year)
            found[i] = known(key)
            if found[i] is None:
                todo.append((i, data or path.read_bytes(), path.name, mtime, key))
        except OSError as exc:
            problem = Problem(
                display_path(path), None, f"cannot read: {exc.strerror}; skipped", "unreadable file"
            )
            found[i] = ListingFile(problems=[problem])
    many = len(todo) > 1 and sum(len(data) for _, data, *_ in todo) >= PARALLEL_BYTES
    made = fork_map(_parse_all, [t[1:4] for t in todo], year, workers=0 if many else 1)
    result = Listings([])
    for (i, _data, _name, _mtime, key), listing in zip(todo, made, strict=True):
        if key is not None:
            result.made[key] = listing
        found[i] = listing
    result.listings = [_named(listing, path) for listing, path in zip(found, paths, strict=True)]
    return result


def _parse_all(files: Sequence[tuple[bytes, str, dt.date]], year: int | None) -> list[ListingFile]:
    """Parse snapshot files' bytes (what each worker runs)."""
    return [parse_snapshot(data, name, mtime, year) for data, name, mtime in files]


def _named(result: ListingFile | None, path: Path) -> ListingFile:
    """A file's listing, its problems naming the file by its path (entries record the bare
    file name: it goes into `sources`)."""
    assert result is not None
    name = display_path(path)
    problems = [replace(p, path=name) for p in result.problems]
    return replace(result, problems=problems)


PARALLEL_BYTES = 2_000_000  # snapshot bytes to parse below which forking costs more
