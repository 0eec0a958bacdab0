"""What a build reads as stats: the folders of a site, and the digest of many files' stats."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from builder.stats import folder_tree, same_folders, stats_digest


def test_the_folders_of_a_site_are_taken_as_last_found_only_while_none_changed(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site"
    for folder in ("papers", "assets/search/t", "assets/library"):
        (site / folder).mkdir(parents=True)
        (site / folder / "a.html").write_text("a")
    for path in [site, *site.rglob("*")]:  # back-dated: any change gives a new stat
        os.utime(path, ns=(10**18, 10**18))
    last = folder_tree(site)
    assert len(last) == 6 and same_folders(site, last) == last
    assert same_folders(site, None) is None and same_folders(site, []) is None
    changes = [
        lambda: (site / "assets/search/t/b.html").write_text("b"),  # a file added, deep down
        lambda: (site / "papers/a.html").unlink(),  # a file removed
        lambda: (site / "assets/new").mkdir(),  # a folder added: its parent changes
        lambda: shutil.rmtree(site / "assets/library"),  # a folder removed
        lambda: (site / "papers").rename(site / "paper"),  # a folder renamed
    ]
    for change in changes:
        change()
        assert same_folders(site, last) is None
        last = folder_tree(site)
        assert same_folders(site, last) == last
        for path in [site, *site.rglob("*")]:
            os.utime(path, ns=(10**18, 10**18))
        last = folder_tree(site)
    # A file edited in place changes no folder's stat: the folders are as they were.
    (site / "assets/search/t/a.html").write_text("edited")
    assert same_folders(site, last) == last


def test_the_digest_of_many_stats_is_in_name_order_and_changes_with_any_number() -> None:
    stats = {"b.md": (10, 1_700_000_000_000_000_000, 5), "a.md": (3, 7, (1 << 64) - 1)}
    digest = stats_digest(stats)
    assert digest == stats_digest(dict(reversed(stats.items())))  # any order of the folder
    assert stats_digest({**stats, "c.md": (-1, -1, -1)}) != digest  # a failed stat too
    for name, stat in stats.items():
        for i in range(3):
            changed = list(stat)
            changed[i] += 1
            assert stats_digest({**stats, name: tuple(changed)}) != digest
    assert stats_digest({"a.md\0b": (1, 2, 3)}) != stats_digest({"a.md": (1, 2, 3)})
    assert stats_digest({"ab": (1, 2, 3), "c": (4, 5, 6)}) != stats_digest(
        {"a": (1, 2, 3), "bc": (4, 5, 6)}
    )
