"""The site's table of files: packed in one row of the build cache, and back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def test_a_few_changes_are_saved_as_a_patch_and_many_pack_the_table_again(
    tmp_path: Path,
) -> None:
    from builder import cache as cache_module
    from builder.tables import PACKED, PATCH

    def load() -> tuple[BuildCache, Any]:
        cache = BuildCache(tmp_path, code="v1")
        return cache, cache.packed_table("site", pack_site, unpack_site)

    files = {f"papers/{n}.html": SiteFile(f"k{n}", (n, n, n), f"d{n}", None) for n in range(100)}
    cache, table = load()
    for path, file in files.items():
        table.put(path, file)
    cache.save()
    packed = cache.fetch("site", PACKED)
    # A build that changes one file and removes another writes the patch alone...
    cache, table = load()
    table.keep(files)
    table.put("papers/1.html", SiteFile("new", None, None, "s"))
    table.drop("papers/2.html")
    cache.save()
    assert cache.fetch("site", PACKED) == packed
    assert cache.fetch("site", PATCH) == {
        "papers/1.html": SiteFile("new", None, None, "s"),
        "papers/2.html": None,
    }
    expected = {**files, "papers/1.html": SiteFile("new", None, None, "s")}
    del expected["papers/2.html"]
    cache, table = load()
    assert table.data == expected
    # ...and the next one adds its own to it, the earlier changes kept...
    table.keep(expected)
    table.put("papers/3.html", SiteFile("newer", None, None, None))
    cache.save()
    expected["papers/3.html"] = SiteFile("newer", None, None, None)
    cache, table = load()
    assert table.data == expected and len(cache.fetch("site", PATCH)) == 3
    # ...until it holds a tenth of the entries: then the table is packed again, alone.
    table.keep(expected)
    for n in range(10, 10 + int(cache_module.PATCH_SHARE * 100)):
        table.put(f"papers/{n}.html", SiteFile("again", None, None, None))
        expected[f"papers/{n}.html"] = SiteFile("again", None, None, None)
    cache.save()
    assert cache.fetch("site", PATCH) is None and cache._count("site") == 1
    assert load()[1].data == expected
