"""What the reading list (saved.html) needs, as scripts loaded only on that page; pure.

A saved paper is known by its slug. `assets/library/<n>.js` holds, for the papers whose slug
hashes to n, their title, BibTeX entry and related papers with their cosines: saved.html loads
the chunks of the saved papers (and of the papers it recommends) and nothing else. A related
paper is named by its slug's hash (`fnv1a`, which also says its chunk; saved.js finds the slug
there), about a seventh of its slug's bytes; by its slug where another slug has the same hash.
Scripts, as for search, since browsers refuse `fetch()` under `file://`. The number of chunks
is a power of two that grows with the collection, so it changes (and every chunk with it) only
when the collection doubles.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

FOLDER = "assets/library/"
PER_CHUNK = 256  # papers per chunk, about (a chunk is 100-300 KB)
FORMAT = 2  # bumped when the chunks change shape; saved.js checks it


def script_values() -> dict[str, Any]:
    """What saved.js takes from here (its `library` mark): the chunks' folder and FORMAT."""
    return {"folder": FOLDER, "format": FORMAT}


def chunk_path(number: int) -> str:
    """The site path of a chunk."""
    return f"{FOLDER}{number}.js"


def chunk_count(papers: int) -> int:
    """How many chunks a collection of `papers` has."""
    return 1 << max(0, math.ceil(math.log2(max(1, papers) / PER_CHUNK)))


@lru_cache(maxsize=1 << 17)
def fnv1a(text: str) -> int:
    """32-bit FNV-1a of a slug's UTF-8 bytes (saved.js computes the same; remembered: every
    build asks it of every slug)."""
    value = 0x811C9DC5
    for byte in text.encode("utf-8"):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def chunk_of(slug: str, chunks: int) -> int:
    """The chunk a paper is in."""
    return fnv1a(slug) % chunks


def fnv1a_all(texts: Sequence[str]) -> list[int]:
    """`fnv1a` of many texts at once, a byte position at a time across all of them."""
    import numpy as np

    data = [text.encode("utf-8") for text in texts]
    width = max(map(len, data), default=0)
    lengths = np.fromiter(map(len, data), dtype=np.int64, count=len(data))
    raw = np.frombuffer(b"".join(d.ljust(width, b"\0") for d in data), dtype=np.uint8)
    columns = raw.reshape(len(data), width).astype(np.uint64)
    values = np.full(len(data), 0x811C9DC5, dtype=np.uint64)
    prime, mask = np.uint64(0x01000193), np.uint64(0xFFFFFFFF)
    for j in range(width):
        live = lengths > j
        values[live] = ((values[live] ^ columns[live, j]) * prime) & mask
    return values.tolist()


def chunks_of(slugs: Iterable[str]) -> dict[int, list[str]]:
    """Group the papers' slugs by chunk, each chunk's in order."""
    slugs = sorted(slugs)
    chunks = chunk_count(len(slugs))
    grouped: dict[int, list[str]] = {n: [] for n in range(chunks)}
    hashes = _HASHES
    missing = [slug for slug in slugs if slug not in hashes]
    if len(hashes) + len(missing) > HASHES_KEPT:
        hashes.clear()
        missing = slugs
    hashes.update(zip(missing, fnv1a_all(missing), strict=True))
    for slug in slugs:
        grouped[hashes[slug] % chunks].append(slug)
    return grouped


# The slugs' hashes, kept for the next build in this process (`serve` plans every build).
_HASHES: dict[str, int] = {}
HASHES_KEPT = 1 << 18


def hash_of(slug: str) -> int:
    """A slug's `fnv1a`, as `chunks_of` kept it when it has."""
    return _HASHES[slug] if slug in _HASHES else fnv1a(slug)


def shared_hashes(slugs: Iterable[str]) -> frozenset[int]:
    """The hashes that more than one of the slugs have."""
    seen: set[int] = set()
    shared: set[int] = set()
    for slug in slugs:
        value = hash_of(slug)
        (shared if value in seen else seen).add(value)
    return frozenset(shared)


def entry(
    title: str,
    bibtex: str,
    related: Sequence[tuple[str, float]],
    shared: frozenset[int] = frozenset(),
) -> list:
    """What a chunk holds of one paper: [title, BibTeX, [[related paper, cosine], ...]], each
    related paper its slug's hash, or its slug where that hash is `shared`."""
    named = []
    for slug, score in related:
        value = hash_of(slug)
        named.append([slug if value in shared else value, round(score, 3)])
    return [title, bibtex, named]


def script(number: int, chunks: int, papers: Mapping[str, list]) -> bytes:
    """One chunk as a script that hands its data to the page."""
    body = json.dumps(papers, ensure_ascii=False, separators=(",", ":"))
    head = json.dumps({"format": FORMAT, "chunk": number, "chunks": chunks})
    return f"PaperDigestLibrary.receive({head},{body});\n".encode()
