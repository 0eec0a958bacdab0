"""The plan's record: for every output, the family of outputs that plans it and the papers
whose content its key took; for every paper, what places it in the site's lists.

With it, a build whose paper files changed plans again only the outputs that took a changed
paper (`Reuse.dirty`), the outputs that show a related list or a cite key that changed, the
archives a paper left or entered, and in full only the few outputs that sum up every paper
(`SHAPES`; for new papers, `ARRIVALS`); every other output keeps the key the last build
recorded, and is not planned at all. A build that removes papers, or moves one to another day
or first capture, plans everything (the order of every list may shift). Pure: the record is
kept in the build cache by build.py.
"""

from __future__ import annotations

import hashlib
from array import array
from ast import literal_eval
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from builder.cite import key_base
from builder.models import capture_order, listed_on, month_key
from builder.urls import PAGES, feed_url, index_url, org_key, url_for

if TYPE_CHECKING:
    from builder.prepare import PaperPage
    from builder.related import Lists

# The families of outputs plan_site plans one after the other (the static files and the
# site-wide files, such as the sitemap, are planned every time: they are few and cheap).
FAMILIES = (
    "digest",
    "papers",
    "month",
    "org",
    "topic",
    "feeds",
    "trends",
    "top",
    "data",
    "library",
)
FAMILY_BYTE = {family: n for n, family in enumerate(FAMILIES)}  # how the record names them

# What places a paper in the site's lists (`placement`), part by part. A change of its day
# or of its first capture plans everything (the order of every list may shift); of the base
# of its cite key, the cite keys again; of its organization or topics, the archives it left
# and entered (with their feeds, the index of their kind, feeds.html and feeds.opml) and the
# families SHAPES names; of its upvotes, its month's newest page (the month's top papers).
PARTS = ("listed", "order", "cite", "org", "topics", "upvotes")
SHAPES: dict[str, frozenset[str]] = {
    "org": frozenset({"trends"}),
    "topics": frozenset({"trends"}),
    "upvotes": frozenset({"trends", "top"}),  # the top papers of the site, weeks and months
}
EVERYTHING = frozenset({"listed", "order"})
# The families whose outputs hold the related papers of a paper (a related list that changed
# plans the outputs of these that took the paper, not every output that lists it).
RELATED = frozenset({"papers", "library"})


def placement(page: PaperPage) -> tuple:
    """What places a paper in the site's lists, in the order of PARTS."""
    paper = page.paper
    org = paper.organization
    return (
        listed_on(paper),
        capture_order(paper),
        key_base(paper, page.day),
        (org.id, org.name) if org is not None else None,
        tuple(t.slug for t in page.topics),
        paper.upvotes,
    )


def place_line(page: PaperPage) -> str:
    """A paper's placement as one line: the repr of each part (no repr holds a line break or
    the unit separator), the cite key's base as it is (letters and digits: `key_base`),
    apart by the unit separator."""
    parts = [repr(part) for part in placement(page)]
    parts[CITE] = parts[CITE][1:-1]  # the repr of a base is the base in quotes
    return "\x1f".join(parts)


CITE = PARTS.index("cite")


def cite_bases(lines: Sequence[str]) -> list[str]:
    """The cite key bases of placement lines (`place_line`)."""
    return [line.split("\x1f", CITE + 1)[CITE] for line in lines]


@lru_cache(maxsize=1 << 17)  # `serve`'s builds ask again for the same lists
def related_print(related: tuple[tuple[str, float], ...]) -> bytes:
    """A short hash of a paper's related list (which papers, with which scores)."""
    names = "\n".join([slug for slug, _ in related]).encode()
    scores = array("d", [score for _, score in related]).tobytes()
    return hashlib.blake2b(names + b"\n" + scores, digest_size=PRINT).digest()


PRINT = 8  # bytes of a related print


@dataclass
class PlanRecord:
    """What the last plan was made from and what each of its outputs took, in few objects
    (it is read and written whole by every build: lists of strings are joined by line).

    `slugs` are the papers newest first; `ids`, `places`, `cites` (content ids, `place_line`s,
    cite keys) and `prints` (related prints) follow that order. `dests` are the outputs in
    plan order, with their `families` (a byte each: the index in FAMILIES) and `keys`; the
    papers the i-th output took are `took[starts[i]:starts[i + 1]]` (indexes into the slugs).
    It holds the keys itself: were the site's table of keys left behind by a failed save, a
    kept key would not match it, and the file would be planned again, not left stale.
    """

    base: str
    slugs: str
    ids: str
    places: str
    cites: str
    prints: bytes
    dests: str
    families: bytes
    keys: str
    starts: bytes  # int32
    took: bytes  # int32


RECORD_FIELDS = tuple(f.name for f in fields(PlanRecord))


@dataclass
class Reuse:
    """What a plan keeps of the last: the families to plan in full (`shaped`), the outputs to
    plan again (`dirty`), the papers whose content changed or that are new (`changed`, their
    indexes in this build's order, newest first), and the last plan's outputs of each family,
    in order, with the papers each took (`took`, as indexes in this build's order)."""

    record: PlanRecord
    slugs: list[str]  # this build's papers, newest first
    shaped: set[str]
    dirty: set[str]
    changed: list[int]
    cites: dict[str, str]
    keys: list[str]
    index: dict[str, int]
    by_family: dict[str, list[str]]
    starts: Any  # the record's outputs' starts in `took`
    owner: Any  # the output each entry of `took` belongs to
    took: Any
    _pages: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def pages_of(self, kind: str) -> dict[str, list[str]]:
        """The last plan's numbered pages of each archive of a kind, by archive key."""
        if kind not in self._pages:
            pages: dict[str, list[str]] = {}
            for dest in self.by_family[kind]:
                _section, key, *rest = dest.split("/")
                if rest:  # `orgs/<key>/<n>.html` (`urls.archive_pages`), not `orgs/<key>.html`
                    pages.setdefault(key, []).append(dest)
            self._pages[kind] = pages
        return self._pages[kind]

    def plan_again(self, papers: Iterable[int], families: frozenset[str] | None = None) -> None:
        """Plan again the outputs (of `families`, or of any) that took these papers."""
        import numpy as np

        hit = np.isin(self.took, np.fromiter(papers, dtype=np.int32))
        if families is not None:
            wanted = np.isin(
                np.frombuffer(self.record.families, dtype=np.uint8),
                [FAMILY_BYTE[f] for f in families],
            )
            hit &= wanted[self.owner]
        dests = self.record.dests.split("\n")
        self.dirty |= {dests[i] for i in set(self.owner[hit].tolist())}

    def recite(self, cites: dict[str, str]) -> None:
        """Take this build's cite keys: the outputs of RELATED families (the pages
        and reading-list chunks that show cite keys) that took a paper whose key changed are
        planned again."""
        moved = [i for i, slug in enumerate(self.slugs) if self.cites.get(slug) != cites[slug]]
        self.cites = cites
        self.plan_again(moved, RELATED)

    def keeps(self, family: str) -> bool:
        """Tell whether a family plans nothing again (its outputs are the last plan's)."""
        if family in self.shaped:
            return False
        return not any(dest in self.dirty for dest in self.by_family.get(family, ()))

    def clean(self, family: str, dest: str) -> int | None:
        """The index of an output in the record when it keeps the last plan's key, else None."""
        i = self.index.get(dest)
        if i is None or family in self.shaped or dest in self.dirty:
            return None
        return i if self.record.families[i] == FAMILY_BYTE.get(family) else None


def compare(
    record: PlanRecord | None,
    base: str,
    prepared: Sequence[PaperPage],
    related: Lists,
    cite_keys: Callable[[Sequence[str]], dict[str, str]],
) -> tuple[Reuse | None, list[str], bytes]:
    """Compare this build's papers with the record; return what the plan may keep (None:
    plan everything), and this build's placement lines and related prints (newest first).
    `cite_keys` gives every paper's cite key from their bases (in the order of `prepared`),
    asked when a cite key's base changed or papers came."""
    prints = b"".join([related.print_of(p.paper.slug) for p in prepared])
    if record is None or record.base != base or not prepared or not record.slugs:
        return None, [place_line(p) for p in prepared], prints
    last = record.slugs.split("\n")
    position = {slug: i for i, slug in enumerate(last)}
    ids = record.ids.split("\n")
    places = record.places.split("\n")
    lines: list[str] = []  # this build's placement lines
    now = [-1] * len(last)  # each recorded paper's index in this build
    changed: list[int] = []  # papers whose content changed, or new ones
    added: list[int] = []
    reshaped: list[tuple[str, str, str, PaperPage]] = []  # (part, old, new, page)
    for i, page in enumerate(prepared):
        j = position.get(page.paper.slug)
        if j is None:
            added.append(i)
            changed.append(i)
            lines.append(place_line(page))
            continue
        now[j] = i
        line = places[j]
        if page.id != ids[j]:
            changed.append(i)
            new = place_line(page)
            if new != line:
                parts = zip(PARTS, line.split("\x1f"), new.split("\x1f"), strict=True)
                reshaped += [(part, old, new, page) for part, old, new in parts if old != new]
                line = new
        lines.append(line)
    if len(prepared) - len(added) != len(last) or any(p in EVERYTHING for p, *_ in reshaped):
        return None, lines, prints  # papers removed, or moved to another day
    reuse = _reuse(record, [p.paper.slug for p in prepared], now, changed, prints)
    for part, old, new, page in reshaped:
        if part != "cite":
            reuse.shaped |= SHAPES[part]
            reuse.dirty |= _regrouped(reuse, part, old, new, page)
    if added:
        _arrived(reuse, [prepared[i] for i in added], added)
    if added or any(part == "cite" for part, *_ in reshaped):
        # New papers come after, but may take a freed base. (Each paper's base is in its
        # line: one made for this build, or the record's, its paper unchanged since.)
        reuse.recite(cite_keys(cite_bases(lines)))
    return reuse, lines, prints


def _arrived(reuse: Reuse, pages: list[PaperPage], added: list[int]) -> None:
    """Plan again what new papers change: the digest, the months, the data files, top.html and
    trends.html in full; the organizations and topics they enter; their neighbours' pages;
    the reading-list chunks they join (all, when the chunk count grows, or when a new slug's
    hash is another's: the chunks name a paper by its hash only where no other has it). (And
    the cite keys: `compare` takes them anew.)"""
    from builder import library

    reuse.shaped |= ARRIVALS
    for page in pages:
        _day, _order, _cite, org, topics, _votes = place_line(page).split("\x1f")
        reuse.dirty |= _regrouped(reuse, "org", "None", org, page)
        reuse.dirty |= _regrouped(reuse, "topics", "()", topics, page)
    count = len(reuse.slugs)
    shared = library.shared_hashes(reuse.slugs)
    if library.chunk_count(count) != library.chunk_count(count - len(added)) or any(
        library.hash_of(page.paper.slug) in shared for page in pages
    ):
        reuse.shaped.add("library")
    else:
        chunks = library.chunk_count(count)
        reuse.dirty |= {library.chunk_path(library.chunk_of(p.paper.slug, chunks)) for p in pages}
    neighbours = {n for i in added for n in (i - 1, i + 1) if 0 <= n < count}
    reuse.plan_again(neighbours - set(added), frozenset({"papers"}))


# The families new papers plan in full: each is a few files that count or list every paper
# of a month or of the site (the days, the months, the data files by month, the overviews).
ARRIVALS = frozenset({"digest", "month", "data", "top", "trends"})


def _regrouped(reuse: Reuse, part: str, old: str, new: str, page: PaperPage) -> set[str]:
    """The outputs a paper changes by leaving or entering groups (`part` went from the repr
    `old` to `new`): every page and feed of those archives, and the lists of archives."""
    if part == "upvotes":
        day = listed_on(page.paper)
        return {url_for("month", month_key(day))} if day is not None else set()
    kind = "org" if part == "org" else "topic"
    if kind == "org":
        orgs = [literal_eval(old), literal_eval(new)]
        keys = {org_key(org[0]) for org in orgs if org is not None}
    else:
        keys = set(literal_eval(old)) ^ set(literal_eval(new))
    if not keys:
        return set()
    dests = {index_url(kind), PAGES["feeds"], PAGES["opml"]}
    for key in keys:
        first = url_for(kind, key)
        dests |= {first, feed_url(first), *reuse.pages_of(kind).get(key, ())}
    return dests


def _reuse(
    record: PlanRecord, slugs: list[str], now: list[int], changed: list[int], prints: bytes
) -> Reuse:
    """What a plan keeps of the record: `slugs` are this build's papers, `now[j]` the index
    in them of the record's j-th paper, `changed` those whose content changed or that are new."""
    import numpy as np

    dests = record.dests.split("\n") if record.dests else []
    by_family: dict[str, list[str]] = {family: [] for family in FAMILIES}
    for dest, n in zip(dests, record.families, strict=True):
        by_family[FAMILIES[n]].append(dest)
    starts = np.frombuffer(record.starts, dtype=np.int32)
    position = np.asarray(now, dtype=np.int32)
    took = position[np.frombuffer(record.took, dtype=np.int32)]  # in this build's order
    owner = np.repeat(np.arange(len(dests), dtype=np.int32), np.diff(starts))
    cites = dict(zip(record.slugs.split("\n"), record.cites.split("\n"), strict=True))
    keys = record.keys.split("\n") if record.keys else []
    index = {dest: i for i, dest in enumerate(dests)}
    reuse = Reuse(
        record, slugs, set(), set(), changed, cites, keys, index, by_family, starts, owner, took
    )
    reuse.plan_again(changed)
    # The papers whose related list changed: the outputs of RELATED families that took them
    # are planned again (a related list is shown on its paper's page and in its chunk only).
    old = np.frombuffer(record.prints, dtype=np.uint64)
    new = np.frombuffer(prints, dtype=np.uint64)
    moved = np.flatnonzero(old != new[position]) if len(old) else np.arange(0)
    reuse.plan_again(position[moved].tolist(), RELATED)
    return reuse


def read_record(get: Callable[[str], Any]) -> PlanRecord | None:
    """The last plan's record from its rows, a row a field (None when one is missing)."""
    values = {}
    for name in RECORD_FIELDS:
        value = get(name)
        if value is None:
            return None
        values[name] = value
    return PlanRecord(**values)


def record_rows(record: PlanRecord, last: PlanRecord | None) -> dict[str, Any]:
    """The rows of a record that differ from the last's, by field (an edit changes a few of
    them: the content ids, the keys, the related prints; the whole record took 33 MB at
    50,000 papers)."""
    return {
        name: getattr(record, name)
        for name in RECORD_FIELDS
        if last is None or getattr(last, name) != getattr(record, name)
    }


def make_record(
    base: str,
    prepared: Sequence[PaperPage],
    places: list[str],
    prints: bytes,
    cites: dict[str, str],
    outputs: Iterable[tuple[str, str, set[str] | int, str]],
    reuse: Reuse | None = None,
) -> PlanRecord:
    """The record of a plan: `outputs` are (dest, family, the slugs it took, key), or for an
    output kept from the last record, its index there in place of the slugs (what it took is
    then `reuse`'s)."""
    slugs = [p.paper.slug for p in prepared]
    position = {slug: i for i, slug in enumerate(slugs)}
    dests, families, keys = [], bytearray(), []
    starts, took = array("i", [0]), array("i")
    last_starts, last_took = array("i"), array("i")
    if reuse is not None:
        last_starts.frombytes(reuse.starts.astype("int32").tobytes())
        last_took.frombytes(reuse.took.astype("int32").tobytes())
    for dest, family, used, key in outputs:
        dests.append(dest)
        families.append(FAMILY_BYTE[family])
        keys.append(key)
        if isinstance(used, int):
            took += last_took[last_starts[used] : last_starts[used + 1]]
        else:
            took.extend(sorted([position[s] for s in used]))
        starts.append(len(took))
    return PlanRecord(
        base=base,
        slugs="\n".join(slugs),
        ids="\n".join([p.id for p in prepared]),
        places="\n".join(places),
        cites="\n".join([cites[slug] for slug in slugs]),
        prints=prints,
        dests="\n".join(dests),
        families=bytes(families),
        keys="\n".join(keys),
        starts=starts.tobytes(),
        took=took.tobytes(),
    )
