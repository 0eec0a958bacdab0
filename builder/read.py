"""Read saved listing pages (text dumps, saved HTML, API JSON) into listing entries.

Each format has its module: `read_text`, `read_json` (the API's items) and `read_html`; this
one decodes a file's bytes and hands them to the right one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from builder.cache import BuildCache
from builder.errors import Problem, display_path
from builder.listing import SNAPSHOT_SUFFIXES, ListingFile
from builder.read_html import parse_html_listing
from builder.read_json import parse_item, parse_json_listing
from builder.read_text import parse_text_listing
from builder.stats import stat_of

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


def read_snapshot(path: Path, year: int | None, cache: BuildCache | None = None) -> ListingFile:
    """Read and parse one snapshot file, naming it in every problem.

    With a cache, a file whose content was parsed before (same name, date and year) is not
    parsed again.
    """
    name = display_path(path)
    try:
        st = path.stat()
        mtime = dt.date.fromtimestamp(st.st_mtime)
        if cache is None:
            result = parse_snapshot(path.read_bytes(), path.name, mtime, year)
        else:
            digest, data = cache.file_hash(path, stat_of(st))
            key = (digest, path.name, mtime, year)
            parsed = cache.table("listings")
            result = parsed.get(key)
            if result is None:
                result = parse_snapshot(data or path.read_bytes(), path.name, mtime, year)
                parsed.put(key, result)
    except OSError as exc:
        return ListingFile(
            problems=[
                Problem(name, None, f"cannot read: {exc.strerror}; skipped", "unreadable file")
            ]
        )
    # Entries record the bare file name (it goes into `sources`); messages show the path.
    problems = [replace(p, path=name) for p in result.problems]
    return ListingFile(result.entries, problems, result.notes)
