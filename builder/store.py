"""Store papers as `content/papers/<slug>.md`: what ingest writes of each merged paper.

Ingest writes a body only when it creates a file. Later runs change only the keys ingest owns
(the counts, `sources`, and keys still missing), so whatever a person edited stays. A file's
text, its slug and front matter are `paperfile`'s.
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from builder.errors import FrontMatterError, Problem, display_path
from builder.files import clear_temporary_files, write_atomic
from builder.frontmatter import parse_document, patch_document
from builder.killpoint import kill_point
from builder.load import StoredPaper
from builder.models import (
    ARTIFACT_KINDS,
    COUNT_KEYS,
    KEY_ORDER,
    Paper,
    Source,
    by_fields,
    capture_moment,
)
from builder.paperfile import (
    base_slug,
    captured_field,
    format_body,
    format_paper,
    in_slug_family,
    make_slug,
    paper_fields,
)
from builder.stats import sha
from builder.text import title_key

# Keys ingest fills when they are missing; the counts (`COUNT_KEYS`) and `sources` it also
# keeps current.
FILLED_KEYS = (
    "date",
    "listed",  # once set, never changed: a day's page changes only when its papers do
    "authors",
    "authors_count",
    "organization",
    "arxiv_id",
    "github",
    "project_page",
    "keywords",
    "ai_summary",
    "github_stars",
    "comments",
    "thumbnail",
    "submitted_by",
    *ARTIFACT_KINDS,
    "links",
)
_SUFFIX = re.compile(r"-\d+$")  # the -2, -3 a slug gets on collision

# ---------------------------------------------------------------------------------------------
# Front matter: the keys ingest changes in a stored paper


def _newest_capture(sources: Sequence[Source]) -> dt.datetime | None:
    return max((capture_moment(s.captured) for s in sources), default=None)


def update_fields(stored: Paper, keys: frozenset[str], paper: Paper) -> dict[str, Any]:
    """Return the front matter keys ingest changes in a stored paper, given what was merged.

    `keys` are the keys the paper's file has.
    """
    new = paper_fields(paper)
    changes: dict[str, Any] = {}
    sources = tuple(sorted(set(stored.sources) | set(paper.sources)))
    if sources != stored.sources:
        changes["sources"] = [{"file": s.file, "captured": captured_field(s)} for s in sources]
    # The newest capture wins: a count older than one the file already has does not replace it.
    newest_known = _newest_capture(stored.sources)
    counted = dict(paper.counted)
    for key in (*COUNT_KEYS, *ARTIFACT_KINDS):
        value = getattr(paper, key)
        if value is None or value == getattr(stored, key):
            continue
        captured = counted.get(key)
        if newest_known is None or (captured and capture_moment(captured) >= newest_known):
            changes[key] = value
    for key in FILLED_KEYS:
        if key not in keys and key in new:
            if key == "authors_count" and "authors" in keys:
                continue
            changes[key] = new[key]
    return changes


# ---------------------------------------------------------------------------------------------
# Matching merged papers with the files already there


def match_stored(
    papers: Sequence[Paper], stored: Sequence[StoredPaper]
) -> list[StoredPaper | None]:
    """Find each paper's existing file: by arXiv id, else title, else the slug it was made with.

    The last rule keeps a paper whose title a person edited: its file still carries the slug its
    listing title gave and lists a snapshot this sighting comes from.
    """
    by_id = {s.paper.arxiv_id.lower(): s for s in stored if s.paper.arxiv_id}
    by_title: dict[str, StoredPaper] = {}
    for s in stored:
        by_title.setdefault(title_key(s.paper.title), s)
    claimed: set[str] = set()
    found: list[StoredPaper | None] = [None] * len(papers)
    for i, p in enumerate(papers):
        s = (by_id.get(p.arxiv_id.lower()) if p.arxiv_id else None) or by_title.get(
            title_key(p.title)
        )
        if s is not None and s.path not in claimed:
            found[i] = s
            claimed.add(s.path)
    # A slug is filed under itself and under its base without a suffix ("gpt-4-2": both).
    by_slug_family: dict[str, list[StoredPaper]] = {}
    for s in stored:
        for key in dict.fromkeys((s.paper.slug, _SUFFIX.sub("", s.paper.slug))):
            by_slug_family.setdefault(key, []).append(s)
    for i, p in enumerate(papers):
        if found[i] is not None:
            continue
        base = base_slug(p.title)
        files = {src.file for src in p.sources}
        for s in by_slug_family.get(base, []):
            if (
                s.path not in claimed
                and in_slug_family(base, s.paper.slug)
                and files & {src.file for src in s.paper.sources}
            ):
                found[i] = s
                claimed.add(s.path)
                break
    return found


# ---------------------------------------------------------------------------------------------
# Writing


@dataclass
class StoreReport:
    """What storing did, paper by paper."""

    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # What this ingest found of each file: the next ingest of the same merged papers looks
    # again only at files that changed since (`Pairing`).
    pairing: Pairing | None = None
    # The files this ingest wrote (by file name), each with its paper's place among the merged.
    placed: dict[str, int] = field(default_factory=dict)
    # How many files it looked at as changed since the last pairing (None: it matched every
    # file again).
    looked: int | None = None


def _abstract_notes(stored: StoredPaper, paper: Paper) -> list[str]:
    """Say when a newly seen capture shows an abstract other than the file's body."""
    if not set(paper.sources) - set(stored.paper.sources) or not stored.paper.file_body.strip():
        return []
    if format_body(paper.listed_abstract) == stored.paper.file_body:
        return []
    return [
        f"{stored.path}: a newer capture shows a different abstract for {paper.title!r}; "
        "the file keeps its body"
    ]


@dataclass(frozen=True)
class PaperUpdate:
    """What ingest does to one paper: create its file, or change some keys and maybe the body."""

    paper: Paper
    found: StoredPaper | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    body: str | None = None  # a body for a file whose body is empty (e.g. seen on a card only)


def identity(stored: StoredPaper) -> tuple:
    """What matching merged papers with files (`match_stored`) reads of a file."""
    paper = stored.paper
    return (
        paper.arxiv_id.lower() if paper.arxiv_id else None,
        title_key(paper.title),
        paper.slug,
        frozenset(source.file for source in paper.sources),
    )


@dataclass(slots=True)
class Seen:
    """What an ingest found of one file: its content hash and identity, the merged paper it
    holds (its place among them and its fingerprint, `merge_print`; None for none) and whether
    the file held it already."""

    __reduce__ = by_fields

    sha: str
    identity: tuple
    paper: int | None
    settled: bool
    merged: str | None = None


@dataclass(frozen=True)
class Pairing:
    """What an ingest found of every file (by path), and whether every merged paper had one."""

    files: dict[str, Seen]
    complete: bool

    def settled(self, found: StoredPaper, merged: str) -> bool:
        """Tell whether a file matched with a merged paper (by its fingerprint) held that same
        paper already then, and has not changed since (so it holds it now): true across a
        new merge too, for the papers it left as they were."""
        seen = self.files.get(found.path)
        return (
            seen is not None
            and seen.settled
            and seen.sha == found.sha
            and seen.merged is not None
            and seen.merged == merged
        )

    def changed(self, stored: Sequence[StoredPaper]) -> list[tuple[StoredPaper, int | None]]:
        """The files changed since, each with the merged paper it held, when every change
        leaves the matching as it was (no file added or removed, none with another identity,
        every merged paper matched); else raise LookupError."""
        if not self.complete or len(stored) != len(self.files):
            raise LookupError("the files are not the ones paired")
        changed = []
        for found in stored:
            seen = self.files.get(found.path)
            if seen is None:
                raise LookupError(found.path)
            if seen.sha != found.sha or not seen.settled:
                if seen.identity != identity(found):
                    raise LookupError(found.path)
                changed.append((found, seen.paper))
        # In the order of the merged papers, as a full look goes.
        return sorted(changed, key=lambda pair: (pair[1] is None, pair[1] or 0))

    def after_writing(
        self, stored: Sequence[StoredPaper], placed: dict[str, int], prints: Sequence[str]
    ) -> Pairing:
        """The pairing once the files an ingest wrote are read again (`placed`: file name ->
        merged paper; `prints` the merged papers' fingerprints): each holds its paper now, as
        the next ingest would find."""
        files = dict(self.files)
        for found in stored:
            i = placed.get(os.path.basename(found.fs_path))
            if i is not None:
                files[found.path] = Seen(found.sha, identity(found), i, True, prints[i])
        return Pairing(files, self.complete)


def merge_print(paper: Paper) -> str:
    """A merged paper's fingerprint: equal for a paper a new merge left as it was (a paper
    pickled otherwise only costs a look at its file)."""
    return sha(pickle.dumps(paper, pickle.HIGHEST_PROTOCOL))


def decide_updates(
    papers: Sequence[Paper],
    stored: Sequence[StoredPaper],
    taken: Iterable[str],
    last: Pairing | None = None,
    prints: Sequence[str] | None = None,
) -> tuple[list[PaperUpdate], list[str]]:
    """Decide per paper: create it (with a new slug), update keys of its file, or leave it.

    `last` is what the last ingest found (`StoreReport.pairing`), `prints` the merged papers'
    fingerprints (`merge_print`): a file it found holding the same merged paper already,
    unchanged since, is left without a look.
    """
    slugs = set(taken)
    updates: list[PaperUpdate] = []
    notes: list[str] = []
    for i, (paper, found) in enumerate(zip(papers, match_stored(papers, stored), strict=True)):
        if (
            found is not None
            and last is not None
            and prints is not None
            and last.settled(found, prints[i])
        ):
            updates.append(PaperUpdate(found.paper, found))
            continue
        if found is None:
            slug = make_slug(paper.title, slugs)
            slugs.add(slug)
            updates.append(PaperUpdate(replace(paper, slug=slug)))
            continue
        update, said = _update_of(paper, found)
        updates.append(update)
        notes += said
    return updates, notes


def _update_of(paper: Paper, found: StoredPaper) -> tuple[PaperUpdate, list[str]]:
    """What ingest does to a file found holding a merged paper, and what it says of it."""
    empty = not found.paper.file_body.strip() and paper.listed_abstract
    update = PaperUpdate(
        replace(paper, slug=found.paper.slug),
        found,
        update_fields(found.paper, found.keys, paper),
        format_body(paper.listed_abstract) if empty else None,
    )
    return update, _abstract_notes(found, paper)


def _blocked_by(paper: Paper, broken: Sequence[str]) -> str | None:
    """Return the unreadable file this paper may belong to, if any."""
    base = base_slug(paper.title)
    return next((stem for stem in broken if in_slug_family(base, stem)), None)


def stem(path: str) -> str:
    """`Path(path).stem`, without making a Path (ingest asks it of every file)."""
    name = os.path.basename(path)
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def write_papers(
    papers: Sequence[Paper],
    folder: Path,
    stored: Sequence[StoredPaper],
    problems: Sequence[Problem],
    progress: Any = None,
    last: Pairing | None = None,
    prints: Sequence[str] | None = None,
    same_merge: bool = False,
) -> StoreReport:
    """Create or update the paper files in `folder` for the merged papers.

    `stored` and `problems` are what loading the folder gave (`load.load_papers`); `last`
    what the last ingest found (`StoreReport.pairing`) and `prints` the merged papers'
    fingerprints (`merge_print`). When the merged papers are the ones it found
    (`same_merge`) and the files changed since keep their identities, only they are looked
    at; else every file is matched again, and those that hold a merged paper as it was
    then, unchanged since, are not looked at.
    """
    report = StoreReport()
    folder.mkdir(parents=True, exist_ok=True)
    clear_temporary_files(folder)
    report.problems += problems
    try:
        ready = last is not None and same_merge and not problems
        changed = last.changed(stored) if last is not None and ready else None
    except LookupError:
        changed = None
    if changed is not None and last is not None:
        _write_changed(papers, changed, last, report, progress, prints)
        return report
    broken = sorted(stem(p.path) for p in problems)
    taken = {stem(s.path) for s in stored} | {s.paper.slug for s in stored} | set(broken)
    with os.scandir(folder) as entries:
        taken |= {stem(e.name) for e in entries if e.name.endswith(".md")}
    updates, notes = decide_updates(papers, stored, taken, last, prints)
    report.notes += notes
    texts = _formatted([update.paper for update in updates if update.found is None])
    files: dict[str, Seen] = {}
    for i, update in enumerate(updates):
        if progress is not None:
            progress.update(1)
        found = update.found
        if found is None:
            if _create_file(update.paper, next(texts), folder, broken, report):
                report.placed[f"{update.paper.slug}.md"] = i
            continue
        settled = _write_update(update, report, i)
        merged = prints[i] if prints is not None else None
        files[found.path] = Seen(found.sha, identity(found), i, settled, merged)
    for found in stored:
        if found.path not in files:  # a file no merged paper matched: written by hand
            files[found.path] = Seen(found.sha, identity(found), None, True)
    # The files written are not in it until read again (`Pairing.after_writing`).
    report.pairing = Pairing(files, complete=not report.blocked)
    if report.new:
        # New files reach the disk together, once, not one flush each (thousands on a first
        # ingest); a file that existed is flushed before it is replaced (`_update_file`).
        os.sync()
    return report


def _write_update(update: PaperUpdate, report: StoreReport, i: int) -> bool:
    """Update a file found holding the `i`-th merged paper, or count it unchanged; tell
    whether it was."""
    assert update.found is not None
    if update.changes or update.body is not None:
        if _update_file(update, report):
            report.placed[os.path.basename(update.found.fs_path)] = i
        return False
    report.unchanged.append(update.found.paper.slug)
    return True


def _write_changed(
    papers: Sequence[Paper],
    changed: list[tuple[StoredPaper, int | None]],
    last: Pairing,
    report: StoreReport,
    progress: Any,
    prints: Sequence[str] | None,
) -> None:
    """Look only at the files changed since the `last` ingest of the same merged papers (the
    matching is as it was): update those that need it; the rest hold their papers already."""
    files = dict(last.files)
    for found, i in changed:
        settled = True
        if i is not None:
            update, said = _update_of(papers[i], found)
            report.notes += said
            settled = _write_update(update, report, i)
        merged = prints[i] if prints is not None and i is not None else None
        files[found.path] = Seen(found.sha, identity(found), i, settled, merged)
    looked_at = {found.path for found, _ in changed}
    for path, seen in last.files.items():
        if seen.paper is not None and path not in looked_at:
            report.unchanged.append(seen.identity[2])  # its slug
    if progress is not None:
        progress.update(len(papers))
    report.pairing = Pairing(files, complete=True)
    report.looked = len(changed)


def _formatted(papers: Sequence[Paper]) -> Iterator[str]:
    """The texts of new paper files, in order: on every core when many (a first ingest)."""
    from builder.workers import fork_map

    workers = 0 if len(papers) >= PARALLEL_FROM else 1
    return iter(fork_map(_format_all, papers, workers=workers))


def _format_all(papers: Sequence[Paper]) -> list[str]:
    """Format new paper files (what each worker runs)."""
    return [format_paper(paper) for paper in papers]


PARALLEL_FROM = 500  # new files below which forking workers costs more than it saves


def _create_file(
    paper: Paper, text: str, folder: Path, broken: Sequence[str], report: StoreReport
) -> bool:
    """Write a new paper file (its `text`), unless an unreadable file may hold the same
    paper; tell whether it was written."""
    stem = _blocked_by(paper, broken)
    if stem is not None:
        report.blocked.append(paper.title)
        report.problems.append(
            Problem(
                display_path(folder / f"{stem}.md"),
                None,
                f"cannot be read, so ingest did not add {paper.title!r} beside it "
                "(it may be the same paper); fix the file and run ingest again",
                reason="paper file to fix first",
            )
        )
        return False
    path = folder / f"{paper.slug}.md"
    try:
        write_atomic(path, text, create=True, durable=False)
    except FileExistsError:
        report.blocked.append(paper.title)
        report.problems.append(
            Problem(display_path(path), None, "appeared while ingest ran; left alone")
        )
        return False
    report.new.append(paper.slug)
    kill_point("paper-written")
    return True


def _update_file(update: PaperUpdate, report: StoreReport) -> bool:
    """Patch the changed keys into a stored paper, checking the result reads back as intended;
    tell whether it was written."""
    found = update.found
    assert found is not None
    try:
        document = found.document()
        text = patch_document(document, update.changes, KEY_ORDER, update.body)
        ok = parse_document(text, found.path).data == {**document.data, **update.changes}
    except (OSError, UnicodeDecodeError, FrontMatterError):
        ok = False
    if not ok:
        report.blocked.append(found.paper.title)
        report.problems.append(
            Problem(
                found.path,
                None,
                "its front matter is laid out in a way ingest cannot update safely "
                f"({', '.join(update.changes)}); left alone: put each key at the start of a line",
                reason="paper file to fix first",
            )
        )
        return False
    write_atomic(Path(found.fs_path), text)
    report.updated.append(found.paper.slug)
    kill_point("paper-written")
    return True
