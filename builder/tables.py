"""The build cache's tables in memory: a dict each, loaded whole (`Table`), an entry at a time
(`LazyTable`) or packed into a row (`PackedTable`); cache.py reads and writes their rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from builder.cache import BuildCache


@dataclass
class Table:
    """One table of the cache: a dict, loaded whole on first use and pruned to what the last
    run used. Its rows live in the cache's SQLite database: a whole save writes its entries in
    bundles of a few thousand (`BUNDLE`), a save after it only the entries that changed, in
    rows of their own (so a build that adds 50 papers writes 50 rows, not 10,000)."""

    name: str
    data: dict[Any, Any] = field(default_factory=dict)
    used: set[Any] = field(default_factory=set)
    dirty: set[Any] = field(default_factory=set)  # put since the load
    dropped: set[Any] = field(default_factory=set)  # removed since the load
    whole: bool = False  # replaced, or never saved: the next save writes it whole
    # Stored in bundles (`BUNDLE`): the entries of its last whole save, a few rows for all,
    # and how many entries are stored in rows of their own since (written after the bundles).
    bundled: set[Any] = field(default_factory=set)
    singles: int = 0

    def get(self, key: Any) -> Any:
        """Return the entry for `key` (None when there is none), and keep it."""
        value = self.data.get(key)
        if value is not None:
            self.used.add(key)
        return value

    def peek(self, key: Any) -> Any:
        """Return the entry for `key` (None when there is none) without marking it kept."""
        return self.data.get(key)

    def keep(self, keys: Iterable[Any]) -> None:
        """Mark the entries of `keys` kept, as `get` does (those there are)."""
        self.used.update(key for key in keys if key in self.data)

    def has(self, key: Any) -> bool:
        """Tell whether there is an entry for `key`."""
        return key in self.data

    def put(self, key: Any, value: Any) -> None:
        """Store an entry."""
        self.data[key] = value
        self.used.add(key)
        self.dirty.add(key)

    def put_all(self, entries: dict[Any, Any]) -> None:
        """Store entries (what a stage made anew, by key)."""
        for key, value in entries.items():
            self.put(key, value)

    def replace(self, data: dict[Any, Any]) -> None:
        """Replace every entry."""
        self.data = data
        self.used = set(data)
        self.whole = True

    def drop(self, key: Any) -> None:
        """Remove an entry (from the database too, at the next save)."""
        if self.data.pop(key, None) is not None:
            self.dropped.add(key)
        self.used.discard(key)
        self.dirty.discard(key)


@dataclass
class LazyTable(Table):
    """A table whose entries are read one at a time, when asked for (a big table of which a
    build asks a few entries). A save prunes it to what `retain` names, not to what was used."""

    cache: BuildCache | None = None
    stored: set[str] | None = None  # the stored entries' row keys, once asked
    retained: set[Any] | None = None  # what `retain` named
    complete: bool = False  # every stored entry read
    fetched: int = 0  # entries read one by one

    def get(self, key: Any) -> Any:
        """Return the entry for `key` (None when there is none), reading it if need be (and
        every entry at once, once many were read one by one: one read is cheaper then)."""
        if key not in self.data and not (self.whole or self.complete) and self.cache is not None:
            self.fetched += 1
            if self.fetched > READ_WHOLE_AFTER:
                self.everything()
                return super().get(key)
            value = self.cache.fetch(self.name, key)
            if value is None:
                return None
            self.data[key] = value
        return super().get(key)

    def peek(self, key: Any) -> Any:
        """Return the entry for `key`, reading it if need be (as `get`: `retain` prunes)."""
        return self.get(key)

    def has(self, key: Any) -> bool:
        """Tell whether there is an entry for `key`, reading none."""
        if key in self.data:
            return True
        if self.whole or self.cache is None:
            return False
        if self.stored is None:
            self.stored = self.cache.stored_keys(self.name)
        return row_key(key) in self.stored

    def everything(self) -> dict[Any, Any]:
        """Read every entry at once (once)."""
        if not self.whole and not self.complete and self.cache is not None:
            for key, value in (self.cache.fetch_all(self.name) or {}).items():
                self.data.setdefault(key, value)
            self.complete = True
        self.used |= self.data.keys()
        return self.data

    def drop(self, key: Any) -> None:
        """Remove an entry, read or not (from the database too, at the next save)."""
        self.data.pop(key, None)
        self.dropped.add(key)
        self.used.discard(key)
        self.dirty.discard(key)

    def retain(self, keys: set[Any] | None) -> None:
        """Keep only these entries at the next save (once the others are many); None: prune
        nothing (a build that did not ask for every entry it uses)."""
        self.retained = keys


@dataclass
class PackedTable(Table):
    """A table stored whole in a row, its entries packed into a few columns by `pack` (and
    back by `unpack`): read and written in a few objects, not a pickle per entry (the site's
    tens of thousands of files, of which a build changes a few). The entries changed or
    removed since it was packed are kept in a second row (`PATCH`), until they are many."""

    pack: Callable[[dict[Any, Any]], Any] | None = None
    unpack: Callable[[Any], dict[Any, Any]] | None = None
    patched: set[Any] = field(default_factory=set)  # the keys of the stored patch

    def load(self, rows: dict[Any, Any]) -> None:
        """Take the entries of the stored rows: the packed ones, with the patch's over them
        (a removed entry is None in it)."""
        assert self.unpack is not None
        data = self.unpack(rows[PACKED])
        patch = rows.get(PATCH) or {}
        for key, value in patch.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        self.data, self.patched, self.whole = data, set(patch), False


PACKED = ("packed",)  # the row of a packed table's entries as it was last packed
PATCH = ("patch",)  # its entries changed or removed since: key -> entry, or None
# A packed table is packed again once its patch holds this share of its entries.
PATCH_SHARE = 0.1
# The rows of a table's entries as its last whole save wrote them, a few thousand entries in
# each pickle (`BUNDLE_ENTRIES`): 10,000 entries read in a third to two thirds of the time
# their own rows take (each row is a query step and a pickle, and objects the entries of a
# bundle share, such as topics, are made once). A later save writes the entries it changes in
# rows of their own, which override the bundle's. A bundle row's key is (BUNDLE, its number).
BUNDLE = "\x00bundle"
BUNDLE_ENTRIES = 2_000  # a pickle's memo of a few thousand entries' objects stays small


def is_bundle(key: Any) -> bool:
    """Tell whether a stored key is a bundle's."""
    return type(key) is tuple and len(key) == 2 and key[0] == BUNDLE


# A lazy table read one entry at a time this many times is read whole (a SELECT an entry costs
# more than reading each entry in one).
READ_WHOLE_AFTER = 500


def row_key(key: Any) -> str:
    """The text a key is stored under (keys are strings, numbers and tuples of them)."""
    return repr(key)
