"""Load `content/papers/*.md` into papers; every problem names the file, line and key."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from slugify import slugify

from builder.errors import FrontMatterError, Problem, display_path
from builder.frontmatter import Document, parse_document
from builder.models import (
    ARTIFACT_KINDS,
    HubArtifacts,
    Organization,
    Paper,
    Source,
    by_fields,
    capture_moment,
)
from builder.stats import Hashes, Stat, folder_stats, is_settled, key_of, sha
from builder.text import clean_text
from builder.urls import https_url, hub_repo, hub_user, web_url
from builder.workers import fork_map

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class StoredPaper:
    """A paper file as found on disk."""

    __reduce__ = by_fields

    path: str  # as shown in messages
    fs_path: str
    paper: Paper
    keys: frozenset[str]  # the keys its front matter has
    slug_line: int  # where its slug is (1 when it has none)
    sha: str = ""  # content hash of the file

    def document(self) -> Document:
        """Read and parse the file again, for an edit that must keep its layout."""
        text = Path(self.fs_path).read_bytes().decode("utf-8").replace("\r\n", "\n")
        return parse_document(text, self.path)


def _show(value: Any) -> str:
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return repr(text if len(text) <= 60 else text[:59] + "…")


class _Fields:
    """Typed access to front matter keys; raises FrontMatterError naming the key's line."""

    def __init__(self, doc: Document, path: str) -> None:
        self.doc = doc
        self.path = path

    def fail(self, key: str, message: str) -> FrontMatterError:
        return FrontMatterError(self.path, self.doc.lines.get(key, 1), message)

    def get(self, key: str, check: Callable[[Any], Any], what: str) -> Any:
        if key not in self.doc.data or self.doc.data[key] is None:
            return None
        value = self.doc.data[key]
        result = check(value)
        if result is None:
            raise self.fail(key, f"front matter {key!r} must be {what}, got {_show(value)}")
        return result

    def text_list(self, key: str) -> tuple[str, ...]:
        def check(value: Any) -> tuple[str, ...] | None:
            if isinstance(value, str):
                value = [value]
            if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
                return tuple(str(v).strip() for v in value if str(v).strip())
            return None

        return self.get(key, check, "a list of strings") or ()


def _text(value: Any) -> str | None:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return clean_text(str(value)) or None
    return None


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _count(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _organization(value: Any) -> Organization | None:
    if isinstance(value, str) and value.strip():
        return Organization(id=value.strip(), name=value.strip())
    if isinstance(value, dict) and _text(value.get("id")):
        org_id = _text(value["id"]) or ""
        return Organization(id=org_id, name=_text(value.get("name")) or org_id)
    return None


def _artifacts(value: Any) -> HubArtifacts | None:
    if not isinstance(value, dict) or _count(value.get("count")) is None:
        return None
    top = value.get("top") or []
    if not isinstance(top, list) or any(hub_repo(repo) is None for repo in top):
        return None
    return HubArtifacts(count=value["count"], top=tuple(top))


def _capture(value: Any) -> dt.date | None:
    """A source's capture: a day, or a time (kept to the second, in UTC)."""
    if isinstance(value, dt.datetime):
        return capture_moment(value).replace(microsecond=0)
    if isinstance(value, str) and "T" in value:
        try:
            return capture_moment(dt.datetime.fromisoformat(value.strip())).replace(microsecond=0)
        except ValueError:
            return None
    return _date(value)


def _sources(value: Any) -> tuple[Source, ...] | None:
    if not isinstance(value, list):
        return None
    sources = []
    for item in value:
        if not isinstance(item, dict):
            return None
        file, captured = _text(item.get("file")), _capture(item.get("captured"))
        if not file or not captured:
            return None
        sources.append(Source(captured=captured, file=file))
    return tuple(sorted(set(sources)))


def parse_paper(text: str, path: str, stem: str) -> tuple[Paper, Document]:
    """Parse a paper file's text into a paper; `stem` (the file name) gives a missing slug."""
    doc = parse_document(text, path)
    f = _Fields(doc, path)
    title = f.get("title", _text, "a non-empty string")
    if not title:
        raise FrontMatterError(path, 2, "front matter has no 'title'; add 'title: ...'")
    slug = f.get(
        "slug",
        lambda v: v if isinstance(v, str) and SLUG.match(v) else None,
        "lowercase ASCII words joined by '-' (like 'my-paper-title')",
    )
    if slug is None:
        slug = slugify(stem) or None
        if slug is None:
            raise FrontMatterError(path, 1, "file name gives no slug; add 'slug: ...'")
    # The source text, not the loaded value: unquoted 2401.10000 loads as the float 2401.1.
    arxiv = doc.raw.get("arxiv_id", "").strip() if doc.data.get("arxiv_id") is not None else ""
    if doc.data.get("arxiv_id") is not None and not arxiv:
        raise f.fail("arxiv_id", "front matter 'arxiv_id' must be a string like '2401.12345'")
    paper = Paper(
        title=title,
        file_body=doc.body,
        slug=slug,
        date=f.get("date", _date, "YYYY-MM-DD"),
        listed=f.get("listed", _date, "YYYY-MM-DD"),
        authors=f.text_list("authors"),
        authors_count=f.get("authors_count", _count, "a whole number"),
        organization=f.get("organization", _organization, "{id: ..., name: ...}"),
        upvotes=f.get("upvotes", _count, "a whole number"),
        arxiv_id=arxiv or None,
        github=f.get("github", web_url, "an http(s) URL"),
        project_page=f.get("project_page", web_url, "an http(s) URL"),
        keywords=f.text_list("keywords"),
        ai_summary=f.get("ai_summary", _text, "a string"),
        github_stars=f.get("github_stars", _count, "a whole number"),
        comments=f.get("comments", _count, "a whole number"),
        thumbnail=f.get("thumbnail", https_url, "an https URL"),
        submitted_by=f.get("submitted_by", hub_user, "a Hugging Face user name"),
        **{
            kind: f.get(kind, _artifacts, "{count: a whole number, top: [owner/name, ...]}")
            for kind in ARTIFACT_KINDS
        },
        links=f.text_list("links"),
        sources=f.get(
            "sources", _sources, "a list of {file: ..., captured: YYYY-MM-DD or a UTC time}"
        )
        or (),
        tags=f.text_list("tags"),
    )
    return paper, doc


def _parse_file(file: Path, shown: str, data: bytes) -> tuple[Paper, frozenset[str], int]:
    """Parse one paper file's bytes; raise FrontMatterError or UnicodeDecodeError."""
    paper, doc = parse_paper(data.decode("utf-8").replace("\r\n", "\n"), shown, file.stem)
    return paper, frozenset(doc.data), doc.lines.get("slug", 1)


def _parse_files(todo: Sequence[tuple[Path, str, bytes]]) -> list[Any]:
    """Parse many files (what each worker runs); a file that fails gives its Problem."""
    results: list[Any] = []
    for file, shown, data in todo:
        try:
            results.append(_parse_file(file, shown, data))
        except UnicodeDecodeError:
            results.append(
                Problem(shown, None, "cannot read: not UTF-8 text", "unreadable paper file")
            )
        except FrontMatterError as exc:
            results.append(exc.problem)
    return results


# Below this many files to parse, forking workers costs more than it saves.
PARALLEL_FROM = 500


def load_papers(
    folder: Path,
    stats: dict[str, Stat] | None = None,
    memo: dict[Any, Any] | None = None,
    parsed: Parsed | None = None,
) -> tuple[list[StoredPaper], list[Problem]]:
    """Load every `*.md` paper in `folder` (sorted by name); report and skip the bad ones.

    `stats` are the folder's file stats when the caller has them (`stats.folder_stats`).
    `memo` keeps what a load found of each file for the next load with it (in this run, or
    a warm process's next build): a file whose stat is the one then settled is not looked at
    again. `parsed`: the folder's files as `parse_files` found them, when the caller has
    parsed them (with what was parsed before).
    """
    if not folder.is_dir():
        return [], []
    stats = stats if stats is not None else folder_stats(folder, (".md",))
    if parsed is None:
        parsed = parse_files(folder, sorted(stats), stats, memo=memo)
    stored, problems = _one_file_per_slug(folder, parsed.found, memo)
    return [_with_appeared(s, stats) for s in stored], problems


def _with_appeared(stored: StoredPaper, stats: dict[str, Stat]) -> StoredPaper:
    """Give a paper with no listing day, capture or date the day its file appeared (its
    modification day, UTC), and count that day in its content id."""
    paper = stored.paper
    if paper.listed or paper.sources or paper.date:
        return stored
    mtime_ns = stats[os.path.basename(stored.fs_path)][1]
    day = dt.datetime.fromtimestamp(mtime_ns / 1e9, dt.UTC).date()
    return replace(
        stored, paper=replace(paper, appeared=day), sha=key_of(stored.sha, day.isoformat())
    )


@dataclass
class Parsed:
    """What `parse_files` found: name -> ((paper, keys, slug line), content hash), or the
    file's Problem; what it parsed, by (content hash, name without `.md`), for the build to
    keep; the names it found again in its memo (their hashes and records were not asked)."""

    found: dict[str, Any]
    made: dict[tuple[str, str], Any] = field(default_factory=dict)
    again: list[str] = field(default_factory=list)


def parse_files(
    folder: Path,
    names: list[str],
    stats: dict[str, Stat],
    known: Callable[[tuple[str, str]], Any] | None = None,
    hashes: Hashes | None = None,
    memo: dict[Any, Any] | None = None,
) -> Parsed:
    """Parse the named files, each at most once per content (on every core when there are
    many). `known` gives a file's record as parsed before, by (content hash, name without
    `.md`); `hashes` a file's content hash by its path and stat (both together, or neither).
    `memo` holds what the last load found of each file, by stat (`load_papers`)."""
    read_from = time.time_ns()  # what is read from here on was settled if older than this
    shown_folder = display_path(folder)
    result = Parsed({})
    found = result.found
    todo: list[tuple[Path, str, bytes]] = []
    digests: dict[str, str] = {}
    root = str(folder)
    # os.path.join(root, name) for the plain names of a folder, joined at a tenth of its cost.
    under, shown_under = os.path.join(root, ""), os.path.join(shown_folder, "")
    # What the last load with `memo` found of each file whose stat had settled then (a file
    # changed within a second of a load may change again with its stat left as it was).
    last: dict[str, tuple[Stat, Any]] = memo.get(("found", root), {}) if memo is not None else {}
    for name in names:
        remembered = last.get(name)
        if remembered is not None and remembered[0] == stats[name]:
            found[name] = remembered[1]
            result.again.append(name)
            continue
        try:
            if known is not None and hashes is not None:
                digest, data = hashes(under + name, stats[name])
                record = known((digest, name[:-3]))
                if record is not None:  # most files, most builds: nothing more to do
                    found[name] = (record, digest)
                    continue
                data = data if data is not None else (folder / name).read_bytes()
            else:
                data = (folder / name).read_bytes()
                digest = sha(data)
        except OSError as exc:
            found[name] = Problem(
                shown_under + name,
                None,
                f"cannot read: {exc.strerror}",
                "unreadable paper file",
            )
            continue
        digests[name] = digest
        todo.append((folder / name, shown_under + name, data))
    workers = 0 if len(todo) >= PARALLEL_FROM else 1
    for (file, _shown, _data), record in zip(
        todo, fork_map(_parse_files, todo, workers=workers), strict=True
    ):
        if isinstance(record, Problem):
            found[file.name] = record
            continue
        found[file.name] = (record, digests[file.name])
        result.made[(digests[file.name], file.stem)] = record
    if memo is not None:
        memo[("found", root)] = {
            name: (stats[name], record)
            for name, record in found.items()
            if not isinstance(record, Problem) and is_settled(stats[name], read_from)
        }
    return result


def _one_file_per_slug(
    folder: Path, found: dict[str, Any], memo: dict[Any, Any] | None = None
) -> tuple[list[StoredPaper], list[Problem]]:
    """Keep the parsed files in name order, refusing a second file with a slug already used
    (`memo`: what the last load with it made of each file, whose paper as parsed is this
    one's, is kept: `load_papers`)."""
    shown_folder = display_path(folder)
    under, shown_under = os.path.join(folder, ""), os.path.join(shown_folder, "")  # as above
    stored: list[StoredPaper] = []
    problems: list[Problem] = []
    by_slug: dict[str, str] = {}
    for name in sorted(found):
        result = found[name]
        if isinstance(result, Problem):
            problems.append(result)
            continue
        (paper, keys, slug_line), digest = result
        last = memo.get((folder, shown_folder, name)) if memo is not None else None
        if last is not None and last.paper is paper and last.sha == digest:
            shown = last.path
        else:
            shown = shown_under + name
            last = StoredPaper(shown, under + name, paper, keys, slug_line, digest)
            if memo is not None:
                memo[(folder, shown_folder, name)] = last
        if paper.slug in by_slug:
            problems.append(
                Problem(
                    shown,
                    slug_line,
                    f"slug {paper.slug!r} is already used by {by_slug[paper.slug]}; "
                    "give one of them another slug",
                    reason="duplicate slug",
                )
            )
            continue
        by_slug[paper.slug] = shown
        stored.append(last)
    return stored, problems
