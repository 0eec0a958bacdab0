"""Load `content/papers/*.md` into papers; every problem names the file, line and key."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slugify import slugify

from builder.errors import FrontMatterError, Problem, display_path
from builder.frontmatter import Document, parse_document
from builder.models import Organization, Paper, Source
from builder.text import clean_text

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
URL = re.compile(r"^https?://[^\s<>\"]+$", re.IGNORECASE)


@dataclass(frozen=True)
class StoredPaper:
    """A paper file as found on disk."""

    path: str  # as shown in messages
    fs_path: str
    paper: Paper
    document: Document


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


def _url(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and URL.match(value.strip()) else None


def _organization(value: Any) -> Organization | None:
    if isinstance(value, str) and value.strip():
        return Organization(id=value.strip(), name=value.strip())
    if isinstance(value, dict) and _text(value.get("id")):
        org_id = _text(value["id"]) or ""
        return Organization(id=org_id, name=_text(value.get("name")) or org_id)
    return None


def _sources(value: Any) -> tuple[Source, ...] | None:
    if not isinstance(value, list):
        return None
    sources = []
    for item in value:
        if not isinstance(item, dict):
            return None
        file, captured = _text(item.get("file")), _date(item.get("captured"))
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
        abstract="",
        body=doc.body,
        slug=slug,
        date=f.get("date", _date, "YYYY-MM-DD"),
        authors=f.text_list("authors"),
        authors_count=f.get("authors_count", _count, "a whole number"),
        organization=f.get("organization", _organization, "{id: ..., name: ...}"),
        upvotes=f.get("upvotes", _count, "a whole number"),
        arxiv_id=arxiv or None,
        github=f.get("github", _url, "an http(s) URL"),
        project_page=f.get("project_page", _url, "an http(s) URL"),
        keywords=f.text_list("keywords"),
        links=f.text_list("links"),
        sources=f.get("sources", _sources, "a list of {file: ..., captured: YYYY-MM-DD}") or (),
        tags=f.text_list("tags"),
    )
    return paper, doc


def load_papers(folder: Path) -> tuple[list[StoredPaper], list[Problem]]:
    """Load every `*.md` paper in `folder` (sorted by name); report and skip the bad ones."""
    stored: list[StoredPaper] = []
    problems: list[Problem] = []
    by_slug: dict[str, str] = {}
    if not folder.is_dir():
        return stored, problems
    shown_folder = Path(display_path(folder))
    for file in sorted(folder.glob("*.md")):
        shown = str(shown_folder / file.name)
        try:
            text = file.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            problems.append(Problem(shown, None, f"cannot read: {reason}", "unreadable paper file"))
            continue
        try:
            paper, doc = parse_paper(text.replace("\r\n", "\n"), shown, file.stem)
        except FrontMatterError as exc:
            problems.append(exc.problem)
            continue
        if paper.slug in by_slug:
            problems.append(
                Problem(
                    shown,
                    doc.lines.get("slug", 1),
                    f"slug {paper.slug!r} is already used by {by_slug[paper.slug]}; "
                    "give one of them another slug",
                    reason="duplicate slug",
                )
            )
            continue
        by_slug[paper.slug] = shown
        stored.append(StoredPaper(shown, str(file), paper, doc))
    return stored, problems
