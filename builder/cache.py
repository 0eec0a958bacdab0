"""The build cache in `.cache/`: what each input hashed to, and what was made from it.

This module is the only one that reads or writes `.cache/` (besides the build lock). Entries
are found by the content hashes of what they were made from and by the builder's own code, so
a stale entry is never used and deleting `.cache/` gives the same site, only slower. What a
build reads as stats and hashes is in stats.py; its tables, as they are held in memory, in
tables.py.
"""

from __future__ import annotations

import logging
import os
import pickle
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.errors import display_path
from builder.files import clear_temporary_files
from builder.killpoint import kill_point
from builder.models import by_fields
from builder.stats import Stat, code_version, is_settled, sha
from builder.tables import (
    BUNDLE,
    BUNDLE_ENTRIES,
    PACKED,
    PATCH,
    PATCH_SHARE,
    LazyTable,
    PackedTable,
    Table,
    is_bundle,
    row_key,
)
from builder.workers import Background

log = logging.getLogger(__name__)


# Tables of what was learnt from outside, not made by the builder's code: they outlive a change
# of that code (what the API did not know when `fetch --resolve` asked).
# The journal of a build's moves into the site outlives it too: the next build completes them.
LASTING = frozenset({"resolve-misses", "journal"})
# A save prunes a table's unused entries once they are this share of it.
GARBAGE = 0.3
# A table whose entries in rows of their own are this share of its bundles' is saved whole
# again, in bundles.
REBUNDLE = 0.25
# Tables released with at least this many rows to write are saved by a forked process while
# the build goes on (`release`): a build from nothing writes ~100 MB of rows at 10,000 papers.
ASIDE_FROM = 2_000
DATABASE = "build.sqlite"
BUSY_SECONDS = 5.0  # how long a read or write waits for another process's lock
# How long a forked process's reads and writes wait (the search worker's, a `release` writer's):
# behind a `release` writer saving many rows (SQLite has one writer at a time), which ends on
# its own.
WORKER_BUSY_SECONDS = 120.0
# The database and the files SQLite may keep beside it: its rollback journal (the mode this
# cache uses), or a write-ahead log and its shared memory (should a sqlite3 shell switch it).
SUFFIXES = ("", "-wal", "-shm", "-journal")
SCHEMA = """
CREATE TABLE IF NOT EXISTS tables (name TEXT PRIMARY KEY, code TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    tbl TEXT NOT NULL,
    key TEXT NOT NULL,  -- repr() of the entry's key: the same for equal keys
    item BLOB NOT NULL,  -- pickle of (key, value)
    PRIMARY KEY (tbl, key)
);
"""


@dataclass(frozen=True, slots=True)
class FileHash:
    """A file's content hash, and the stat it was hashed at (None when it had changed within
    a second of it: hashed again next time)."""

    __reduce__ = by_fields

    stat: Stat | None
    digest: str


class BuildCache:
    """The `.cache/` folder: tables in one SQLite database (`build.sqlite`), loaded on first use
    and saved at the end, each save one transaction: a save killed midway leaves the tables as
    the last whole save left them. Inspect it with `sqlite3 .cache/build.sqlite`."""

    def __init__(self, folder: Path | None, code: str | None = None, fresh: bool = False) -> None:
        self.folder = folder
        self.code = code or code_version()
        self.fresh = fresh  # every table but the lasting ones starts empty (`build --full`)
        self.tables: dict[str, Table] = {}
        self.frozen = False  # a build with nothing to do saves nothing
        self.pruning = True  # a save prunes the entries the build did not use (`GARBAGE`)
        self.warm = False  # kept for the next build (`serve`): tables stay loaded
        # What a warm cache remembers in memory alone for the next build (never saved).
        self.memory: dict[str, Any] = {}
        self._db: sqlite3.Connection | None = None
        self._pid = os.getpid()  # the process that opened `_db`
        self._owner = os.getpid()  # the process that made this cache
        self._inherited: list[sqlite3.Connection] = []  # a forked worker's parent's connection
        self._version: int | None = None  # the database's data_version when last looked at
        self._aside: dict[str, Background] = {}  # tables `release` saves in a forked process

    def _connect(self) -> sqlite3.Connection | None:
        """Open the database (once); a broken one is set aside and started afresh."""
        if self._db is not None and self._pid != os.getpid():
            # A forked worker reading an entry: a connection of its own (one shared across a
            # fork is not safe). The parent's is left untouched, not even closed.
            self._inherited.append(self._db)
            self._db = None
        if self._db is not None or self.folder is None:
            return self._db
        self._pid = os.getpid()
        path = self.folder / DATABASE
        for attempt in (1, 2):
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                owner = os.getpid() == self._owner
                wait = BUSY_SECONDS if owner else WORKER_BUSY_SECONDS
                db = sqlite3.connect(path, isolation_level=None, timeout=wait)
                db.execute("PRAGMA synchronous=NORMAL")  # a lost save only costs time
                db.executescript(SCHEMA)
                db.execute("SELECT count(*) FROM tables").fetchone()
                self._db = db
                return db
            except sqlite3.DatabaseError as error:  # not a database, or a damaged one
                log.debug("cache %s unreadable (%s); starting it afresh", path, error)
                if attempt == 2 or not self._may_reset(error):
                    return None
                for suffix in SUFFIXES:
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
            except OSError as error:
                log.info("cache not kept in %s: %s", display_path(self.folder), error)
                return None
        return None

    def again(self, fresh: bool = False) -> BuildCache:
        """This cache, warm, for one more build (`serve` keeps one): its tables stay as the
        last build left them, unless the builder's code changed, another process wrote the
        database since, or `fresh` (then they are read anew)."""
        self._saved()
        self.warm = True
        self.frozen = False
        self.pruning = True
        self.fresh = fresh
        code = code_version()
        version = self._data_version()
        if fresh or code != self.code or version is None or version != self._version:
            self.close()
            self.tables = {}
            self.memory = {}
            self.code = code
            version = self._data_version()
        self._version = version
        for table in self.tables.values():  # a table is read whole for one build's reads
            if isinstance(table, LazyTable):
                table.fetched = 0
        return self

    def settle(self) -> None:
        """Take the database as it is now as this cache's own (at the end of a build, under
        its lock: what its forked workers saved is part of it)."""
        self._saved()
        self._version = self._data_version()

    def remembered(self, name: str) -> dict[Any, Any] | None:
        """What a warm cache keeps in memory alone under `name` for the next build (`serve`);
        None in a build whose process ends with it."""
        return self.memory.setdefault(name, {}) if self.warm else None

    def forget(self, name: str) -> None:
        """Let go of a loaded table without saving it (another process saved it)."""
        self.tables.pop(name, None)

    def _data_version(self) -> int | None:
        """SQLite's count of commits by other connections (None when there is no database)."""
        db = self._connect()
        try:
            return db.execute("PRAGMA data_version").fetchone()[0] if db else None
        except sqlite3.Error:
            return None

    def table(self, name: str) -> Table:
        """Return a table, loading it on first use (empty when missing, broken or stale)."""
        if name not in self.tables:
            self.tables[name] = self._load(name)
        return self.tables[name]

    def lazy_table(self, name: str) -> LazyTable:
        """Return a table whose entries are read when asked for (`LazyTable`)."""
        if name not in self.tables:
            current = self._current(name)
            self.tables[name] = LazyTable(name, whole=not current, cache=self)
        table = self.tables[name]
        assert isinstance(table, LazyTable)
        return table

    def packed_table(
        self,
        name: str,
        pack: Callable[[dict[Any, Any]], Any],
        unpack: Callable[[Any], dict[Any, Any]],
    ) -> PackedTable:
        """Return a table stored packed in a row, with a row of changes (`PackedTable`), loading it
        on first use."""
        if name not in self.tables:
            table = PackedTable(name, whole=True, pack=pack, unpack=unpack)
            rows = self.fetch_all(name) if self._current(name) else None
            if rows is not None and PACKED in rows:
                try:
                    table.load(rows)
                except Exception as error:  # a broken cache only costs time
                    log.debug("cache %s unreadable (%s)", name, error)
                    table.data, table.patched, table.whole = {}, set(), True
            self.tables[name] = table
        table = self.tables[name]
        assert isinstance(table, PackedTable)
        return table

    def _current(self, name: str) -> bool:
        """Tell whether a table is stored, written by this code (and not ignored by `fresh`)."""
        row = self._first(name, "SELECT code FROM tables WHERE name = ?", (name,))
        if row is None:
            return False
        return not ((row[0] != self.code or self.fresh) and name not in LASTING)

    def _read(self, name: str, sql: str, args: tuple) -> sqlite3.Cursor | None:
        """The rows of a query of table `name`, read as they are iterated (None when it cannot
        be read). A `release` writer saving another table may hold the database longer than a
        read waits: then it is read once the writers are done (not taken for missing, and
        made again); a query that began holds its lock to its end."""
        self._saved(name)
        for attempt in (1, 2):
            db = self._connect()
            if db is None:
                return None
            try:
                return db.execute(sql, args)  # (the query's first step is taken)
            except sqlite3.OperationalError as error:  # locked for longer than the timeout
                if attempt == 1 and self._aside and os.getpid() == self._owner:
                    log.debug("cache %s locked (%s): waiting for its writers", name, error)
                    self._saved()
                    continue
                self._unreadable(name, error)
            except Exception as error:  # a broken cache only costs time
                self._unreadable(name, error)
            return None
        return None

    def _first(self, name: str, sql: str, args: tuple) -> tuple | None:
        """The first row of a query of table `name` (None when none, or it cannot be read)."""
        rows = self._read(name, sql, args)
        try:
            return rows.fetchone() if rows is not None else None
        except Exception as error:  # a broken cache only costs time
            self._unreadable(name, error)
            return None

    def _unreadable(self, name: str, error: Exception) -> None:
        log.debug("cache %s unreadable (%s)", name, error)
        if isinstance(error, sqlite3.DatabaseError) and self._may_reset(error):
            self._reset()

    def _may_reset(self, error: sqlite3.DatabaseError) -> bool:
        """Tell whether an error says the database is damaged (not merely busy: locked by
        another process for longer than the timeout), and this is the process that owns the
        cache (not a forked worker, which must not delete what the others use)."""
        return not isinstance(error, sqlite3.OperationalError) and os.getpid() == self._owner

    def _load(self, name: str) -> Table:
        if not self._current(name):
            return Table(name, whole=True)
        found = self._fetch_rows(name)
        if found is None:
            return Table(name, whole=True)
        data, bundled, singles = found
        return Table(name, data, bundled=bundled, singles=singles)

    def fetch_all(self, name: str) -> dict[Any, Any] | None:
        """Read every entry of a table (None when it cannot be read)."""
        found = self._fetch_rows(name)
        return found[0] if found is not None else None

    def _fetch_rows(self, name: str) -> tuple[dict[Any, Any], set[Any], int] | None:
        """Read every entry of a table: (entries, the keys of its bundle, the count of those in
        rows of their own, which override the bundle's); None when it cannot be read."""
        rows = self._read(name, "SELECT item FROM entries WHERE tbl = ?", (name,))
        if rows is None:
            return None
        try:
            singles = dict(pickle.loads(item) for (item,) in rows)
        except Exception as error:  # a broken cache only costs time
            self._unreadable(name, error)
            return None
        bundles = [key for key in singles if is_bundle(key)]
        if not bundles:
            return singles, set(), len(singles)
        data: dict[Any, Any] = {}
        for key in sorted(bundles):
            data.update(singles.pop(key))
        bundled = set(data)
        data.update(singles)
        return data, bundled, len(singles)

    def fetch(self, name: str, key: Any) -> Any:
        """Read one entry of a table (None when there is none, or it cannot be read)."""
        sql = "SELECT item FROM entries WHERE tbl = ? AND key = ?"
        row = self._first(name, sql, (name, row_key(key)))
        try:
            return pickle.loads(row[0])[1] if row is not None else None
        except Exception as error:
            self._unreadable(name, error)
            return None

    def stored_keys(self, name: str) -> set[str]:
        """The row keys of a table's stored entries."""
        rows = self._read(name, "SELECT key FROM entries WHERE tbl = ?", (name,))
        try:
            return {key for (key,) in rows or ()}
        except Exception as error:
            self._unreadable(name, error)
            return set()

    def _count(self, name: str) -> int:
        """Count the entries a table has stored."""
        row = self._first(name, "SELECT count(*) FROM entries WHERE tbl = ?", (name,))
        return row[0] if row is not None else 0

    def _reset(self) -> None:
        """Set a damaged database aside: the next use starts a new one, into which every table
        loaded so far is written whole."""
        self.close()
        if self.folder is not None:
            for suffix in SUFFIXES:
                Path(f"{self.folder / DATABASE}{suffix}").unlink(missing_ok=True)
        for table in self.tables.values():
            table.whole = True

    def save(self) -> None:
        """Write every table that changed or lost entries; never fail the build for it."""
        self._saved()
        if self.folder is None or self.frozen:
            return
        for table in self.tables.values():
            self._save(table)
        if self.warm:  # the next build's use is counted from nothing
            for table in self.tables.values():
                table.used = set()

    def release(self, *names: str) -> None:
        """Save tables now and let go of them (a build that is done with them saves memory;
        a warm cache keeps them for the next build). Many rows to write are written by a
        forked process while this one goes on; the next write, save or read of the table
        waits for it (`_saved`)."""
        tables = [self.tables.get(n) if self.warm else self.tables.pop(n, None) for n in names]
        tables = [table for table in tables if table is not None]
        if not tables or self.folder is None or self.frozen:
            return
        rows = sum(len(t.data) if t.whole else len(t.dirty) for t in tables)
        if self.warm or rows < ASIDE_FROM or os.getpid() != self._owner:
            for table in tables:
                self._save(table)
            return
        self._saved()  # one writer at a time: SQLite takes one
        writer = Background(self._save_all, tables)
        self._aside.update((table.name, writer) for table in tables)

    def _save_all(self, tables: list[Table]) -> None:
        """Save each of `tables` (what a `release` writer runs)."""
        for table in tables:
            self._save(table)

    def _saved(self, name: str | None = None) -> None:
        """Wait for the writers of `release` (the one saving table `name`, or every one)."""
        if os.getpid() != self._owner:  # a forked worker's copy: they are not its children
            return
        writers = {w for n, w in self._aside.items() if name is None or n == name}
        for writer in writers:
            try:
                writer.wait()
            except Exception as error:  # it only costs time: the next build makes them again
                log.info("cache not saved in %s: %s", display_path(self.folder), error)
        self._aside = {n: w for n, w in self._aside.items() if w not in writers}

    def _save(self, table: Table) -> None:
        """Write what changed in a table, in one transaction, or leave it."""
        self._saved()
        try:
            self._write(table)
        except sqlite3.DatabaseError as error:  # damaged: start a new database, once
            log.debug("cache %s unwritable (%s)", table.name, error)
            if not self._may_reset(error):
                return
            self._reset()
            try:
                self._write(table)
            except sqlite3.Error as again:
                log.info("cache %s not saved: %s", table.name, again)

    def _write(self, table: Table) -> None:
        # A lazy table holds only what was asked for: it is pruned by `retain`, not by use.
        pruned = self.pruning and not isinstance(table, LazyTable)
        unused = table.data.keys() - table.used if pruned else set()
        prune = len(unused) > GARBAGE * max(1, len(table.data))
        dropped = self._dropped(table) + [row_key(k) for k in table.dropped]
        if not (table.whole or table.dirty or prune or dropped):
            return
        # A table loaded whole is saved whole, in bundles, when it is new or replaced, when
        # entries of its bundles go (no row of theirs to delete), and once its entries in rows
        # of their own are many. (The lasting tables keep a row an entry: a builder of another
        # version reads them.)
        bundle = (
            type(table) is Table
            and table.name not in LASTING
            and (
                table.whole
                or (prune and not unused.isdisjoint(table.bundled))
                or not table.dropped.isdisjoint(table.bundled)
                or table.singles + len(table.dirty) > REBUNDLE * max(1, len(table.bundled))
            )
        )
        db = self._connect()
        if db is None:
            return
        name = table.name
        packed = None
        patch: set[Any] | None = None  # a packed table's keys changed since it was packed
        try:
            if isinstance(table, PackedTable) and table.pack is not None:
                patch = table.patched | table.dirty | table.dropped
                if table.whole or prune or len(patch) > PATCH_SHARE * max(1, len(table.data)):
                    patch = None
                    data = table.data
                    kept = {k: v for k, v in data.items() if k not in unused} if prune else data
                    packed = {PACKED: table.pack(kept)}
                else:  # the patch alone is written: a few entries, not the whole table
                    packed = {PATCH: {k: table.data.get(k) for k in patch}}
        except (ValueError, OverflowError, TypeError) as error:  # it only costs time
            log.info("cache %s not saved: %s", name, error)
            return
        try:
            db.execute("BEGIN IMMEDIATE")
            if packed is not None:
                if patch is None:
                    db.execute("DELETE FROM entries WHERE tbl = ?", (name,))
                keys: Iterable[Any] = tuple(packed)
            elif bundle:
                db.execute("DELETE FROM entries WHERE tbl = ?", (name,))
                # A new or replaced table keeps what it was given or used; another keeps
                # every entry but those pruned.
                kept = table.used if table.whole or prune else table.data.keys()
                order = [k for k in kept if k in table.data]
                packed = {
                    (BUNDLE, n): {k: table.data[k] for k in order[at : at + BUNDLE_ENTRIES]}
                    for n, at in enumerate(range(0, len(order), BUNDLE_ENTRIES))
                }
                keys = list(packed)
            elif table.whole:
                db.execute("DELETE FROM entries WHERE tbl = ?", (name,))
                keys = table.used & table.data.keys()
            else:
                keys = table.dirty & table.data.keys()
                if prune:
                    db.executemany(
                        "DELETE FROM entries WHERE tbl = ? AND key = ?",
                        [(name, row_key(k)) for k in unused],
                    )
                db.executemany(
                    "DELETE FROM entries WHERE tbl = ? AND key = ?",
                    [(name, row) for row in dropped],
                )
            db.executemany(  # each row pickled as it is written: not all held at once
                "INSERT OR REPLACE INTO entries VALUES (?, ?, ?)",
                (
                    (name, row_key(k), pickle.dumps((k, v), pickle.HIGHEST_PROTOCOL))
                    for k in keys
                    for v in [packed[k] if packed is not None else table.data[k]]
                ),
            )
            db.execute("INSERT OR REPLACE INTO tables VALUES (?, ?)", (name, self.code))
            kill_point("cache-saving")
            db.execute("COMMIT")
        except (sqlite3.Error, OSError, OverflowError) as error:
            if db.in_transaction:
                db.execute("ROLLBACK")
            # Damage is raised (the database is set aside); being busy, or a row too big for
            # SQLite (DataError, OverflowError), only costs the next build time.
            if isinstance(error, sqlite3.DatabaseError) and not isinstance(
                error, sqlite3.OperationalError | sqlite3.DataError
            ):
                raise
            log.info("cache %s not saved in %s: %s", name, display_path(self.folder), error)
            return
        if bundle:
            table.bundled, table.singles = set(order), 0
        elif type(table) is Table:
            table.singles += len(keys)  # (an entry written twice is counted twice: no harm)
        if isinstance(table, PackedTable):
            table.patched = patch or set()
        table.dirty.clear()
        table.dropped.clear()
        table.whole = False
        if isinstance(table, LazyTable):
            table.stored = None  # rows written or deleted: ask again
        if prune:
            for key in unused:
                del table.data[key]

    def _dropped(self, table: Table) -> list[str]:
        """The stored rows of a lazy table that `retain` did not name, once they are many."""
        if not isinstance(table, LazyTable) or table.retained is None or table.whole:
            return []
        # The rows a build retains and did not write now are stored already (its callers
        # retain what the last build stored or what this one makes), so at most
        # `count - len(retained - dirty)` stored rows are not retained: their keys are read only
        # when those may be many. (Were the premise wrong, pruning would be put off, never
        # done wrongly.)
        count = self._count(table.name)
        if count - len(table.retained - table.dirty) <= GARBAGE * max(1, count):
            return []
        stored = self.stored_keys(table.name)
        kept = {row_key(k) for k in table.retained | table.dirty}
        dropped = stored - kept
        return sorted(dropped) if len(dropped) > GARBAGE * max(1, len(stored)) else []

    def close(self) -> None:
        """Close the database (once the writers of `release` are done)."""
        self._saved()
        if self._db is not None:
            self._db.close()
            self._db = None

    def clean(self) -> None:
        """Remove the temporary files of cache writes that were killed midway."""
        if self.folder is not None:
            clear_temporary_files(self.folder)

    def file_hash(
        self, path: Path | str, st: Stat, data: bytes | None = None
    ) -> tuple[str, bytes | None]:
        """Return a file's content hash, reading it only when its stat is not the one hashed.

        Returns the bytes too when they were read (or given), so the caller need not read again.
        A file hashed within a second of its last change is hashed again next time: an edit in
        the same clock tick would leave its stat as it was (git's "racy clean" rule).
        """
        table = self.table("files")
        known: FileHash | None = table.get(str(path))
        if known is not None and known.stat == st:
            return known.digest, data
        if data is None:
            with open(path, "rb") as f:
                data = f.read()
        digest = sha(data)
        table.put(str(path), FileHash(st if is_settled(st, time.time_ns()) else None, digest))
        return digest, data
