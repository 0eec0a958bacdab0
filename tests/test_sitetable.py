"""The site's table of files: packed in one row of the build cache, and back."""

from __future__ import annotations

from pathlib import Path

from builder.cache import BuildCache
from builder.sitetable import SiteFile, pack_site, unpack_site


def test_a_packed_table_is_one_row_read_and_written_whole(tmp_path: Path) -> None:
    files = {
        "index.html": SiteFile("k1", (10, 1_700_000_000_123_456_789, 42), "d1", "s1"),
        "a b/ü.html": SiteFile("k2", None, None, None),
        "feed.xml": SiteFile("k3", (0, 0, 0), "d3"),
        "old.html": SiteFile("k4", (5, -1_000_000_000, 2**64 - 1), "d4", "s4"),  # any inode
    }
    assert unpack_site(pack_site(files)) == files
    assert unpack_site(pack_site({})) == {}

    cache = BuildCache(tmp_path, code="v1")
    table = cache.packed_table("site", pack_site, unpack_site)
    table.put("index.html", files["index.html"])
    table.put("feed.xml", files["feed.xml"])
    cache.save()
    assert cache._count("site") == 1  # one row, whatever the entries
    again = BuildCache(tmp_path, code="v1")
    table = again.packed_table("site", pack_site, unpack_site)
    assert table.data == {"index.html": files["index.html"], "feed.xml": files["feed.xml"]}
    # Entries a build no longer uses are pruned, as from any table.
    table.get("index.html")
    again.save()
    third = BuildCache(tmp_path, code="v1").packed_table("site", pack_site, unpack_site)
    assert third.data == {"index.html": files["index.html"]}
    # Another version of the code starts it empty.
    assert BuildCache(tmp_path, code="v2").packed_table("site", pack_site, unpack_site).data == {}
