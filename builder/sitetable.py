"""The build state's table of the last site's files: for each, its key, its stat and content
hash as written, and the signature of the inputs it was planned from; kept in a row of the
build cache, packed in a few columns (the site has tens of thousands of files, of which a
build changes a few)."""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Any

from builder.cache import BuildCache
from builder.models import by_fields
from builder.stats import Stat


@dataclass(frozen=True, slots=True)
class SiteFile:
    """What the build state keeps of a file of the site: its key, its stat and content hash
    as written, and the signature of the inputs it was planned from (`Renderer.unit`)."""

    __reduce__ = by_fields

    key: str
    stat: Stat | None
    digest: str | None
    inputs: str | None = None


def site_table(cache: BuildCache) -> Any:
    """The table of the last site's files: site path -> `SiteFile`, packed in a row (with
    a row of the files changed since: `PackedTable`)."""
    return cache.packed_table("site", pack_site, unpack_site)


# How the site's table is packed: paths, keys, content hashes and input signatures each
# joined by NUL (no path holds one; "" for none); sizes and times as int64, inodes as uint64
# (-1 for the size of a file with no stat).
def pack_site(files: dict[str, SiteFile]) -> tuple[str, str, bytes, bytes, bytes, str, str]:
    """Pack the site's table into seven columns."""
    stats = [file.stat or NO_STAT for file in files.values()]
    return (
        "\0".join(files),
        "\0".join([file.key for file in files.values()]),
        array("q", [stat[0] for stat in stats]).tobytes(),
        array("q", [stat[1] for stat in stats]).tobytes(),
        array("Q", [stat[2] for stat in stats]).tobytes(),
        "\0".join([file.digest or "" for file in files.values()]),
        "\0".join([file.inputs or "" for file in files.values()]),
    )


def unpack_site(packed: tuple[str, str, bytes, bytes, bytes, str, str]) -> dict[str, SiteFile]:
    """Unpack the site's table (`pack_site`)."""
    paths, keys, sizes, times, inodes, digests, inputs = packed
    if not paths:
        return {}
    columns = [array("q", sizes), array("q", times), array("Q", inodes)]
    return {
        path: SiteFile(key, stat if stat[0] >= 0 else None, digest or None, signature or None)
        for path, key, stat, digest, signature in zip(
            paths.split("\0"),
            keys.split("\0"),
            zip(*columns, strict=True),
            digests.split("\0"),
            inputs.split("\0"),
            strict=True,
        )
    }


NO_STAT = (-1, 0, 0)
