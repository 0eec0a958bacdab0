"""A paper file's text: its slug, its front matter and its body; pure, nothing here opens a file.

A paper file is `content/papers/<slug>.md`: YAML front matter (keys in `KEY_ORDER`'s order,
empty ones left out) + the abstract as Markdown, escaped so it renders back to exactly the text.
The slug is the file's name: ASCII words from the title, at most 80 characters, numbered on
collision. Deciding what ingest writes each time is `store`'s.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from slugify import slugify

from builder.frontmatter import format_document
from builder.models import ARTIFACT_KINDS, HubArtifacts, Paper, Source, capture_text
from builder.text import title_key

SLUG_MAX = 80
# Names Windows cannot create files under; a clone there must still check out every paper.
RESERVED_SLUGS = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
)

# ---------------------------------------------------------------------------------------------
# Markdown escaping: python-markdown (no extensions) renders the body back to exactly the text.

# Each character that could act as Markdown syntax in running text, and only where it would:
# a backslash before an escapable character, backticks, asterisks, brackets, underscores not
# inside a word (snake_case stays), '<', and '&' that starts an entity reference (a numeric one
# even without its ';': python-markdown completes it).
_INLINE_SYNTAX = re.compile(
    r"\\(?=[\\`*_{}\[\]()>#+\-.!])|[`*\[<]|(?<![^\W_])_|_(?![^\W_])"
    r"|&(?=(?:#[0-9]|#x[0-9a-f]|[0-9a-z]+;))",
    re.IGNORECASE,
)
_REPLACEMENTS = {"<": "&lt;", "&": "&amp;"}
_ORDERED_ITEM = re.compile(r"^\d+(?=\.)")


def _escape_one(match: re.Match[str]) -> str:
    ch = match.group(0)
    return _REPLACEMENTS.get(ch) or "\\" + ch


def escape_markdown(text: str) -> str:
    """Escape a one-line text so python-markdown renders exactly it, touching only syntax."""
    out = _INLINE_SYNTAX.sub(_escape_one, text)
    # At the start of the line: a heading, list item, rule, block quote or numbered item.
    if text[:1] in ("#", "+", "-"):
        return "\\" + out
    if text[:1] == ">":
        return "&gt;" + out[1:]
    if m := _ORDERED_ITEM.match(out):
        return out[: m.end()] + "\\" + out[m.end() :]
    return out


def format_body(abstract: str) -> str:
    """Return the Markdown body for an abstract."""
    return escape_markdown(abstract) + "\n" if abstract else ""


# ---------------------------------------------------------------------------------------------
# Slugs


def _cut(slug: str, limit: int) -> str:
    """Shorten a slug to `limit` characters at a word boundary (mid-word only for one long word)."""
    if len(slug) <= limit:
        return slug
    boundary = slug.rfind("-", 0, limit + 1)
    return slug[:boundary] if boundary > 0 else slug[:limit]


def base_slug(title: str) -> str:
    """Make the slug a title asks for: transliterated ASCII words, at most 80 characters."""
    slug = slugify(title, replacements=[["'", ""], ["\u2019", ""]])
    if not re.search("[a-z]", slug):
        digest = hashlib.sha1(title_key(title).encode("utf-8")).hexdigest()[:10]
        return f"paper-{digest}"
    return _cut(slug, SLUG_MAX)


def in_slug_family(base: str, slug: str) -> bool:
    """Tell whether `slug` is `base` or `base` with a collision suffix (-2, -3, ...)."""
    return slug == base or (slug.startswith(base + "-") and slug[len(base) + 1 :].isdigit())


def make_slug(title: str, taken: set[str]) -> str:
    """Return a slug for `title` not in `taken` (adding -2, -3, ... while keeping 80 chars)."""
    base = base_slug(title)
    candidate, n = base, 1
    while candidate in taken or candidate in RESERVED_SLUGS:
        n += 1
        suffix = f"-{n}"
        candidate = _cut(base, SLUG_MAX - len(suffix)) + suffix
    return candidate


# ---------------------------------------------------------------------------------------------
# Front matter


def paper_fields(paper: Paper) -> dict[str, Any]:
    """Return a paper's front matter as plain data, keys in order, empty values left out."""
    values: dict[str, Any] = {
        "title": paper.title,
        "slug": paper.slug,
        "date": paper.date,
        "listed": paper.listed,
        "authors": list(paper.authors),
        "authors_count": paper.authors_count,
        "organization": (
            {"id": paper.organization.id, "name": paper.organization.name}
            if paper.organization
            else None
        ),
        "upvotes": paper.upvotes,
        "arxiv_id": paper.arxiv_id,
        "github": paper.github,
        "project_page": paper.project_page,
        "keywords": list(paper.keywords),
        "ai_summary": paper.ai_summary,
        "github_stars": paper.github_stars,
        "comments": paper.comments,
        "thumbnail": paper.thumbnail,
        "submitted_by": paper.submitted_by,
        **{kind: artifacts_field(getattr(paper, kind)) for kind in ARTIFACT_KINDS},
        "links": list(paper.links),
        "sources": [{"file": s.file, "captured": captured_field(s)} for s in paper.sources],
        "tags": list(paper.tags),
    }
    return {k: v for k, v in values.items() if v not in (None, "", [])}


def format_paper(paper: Paper) -> str:
    """Write a new paper file's text."""
    return format_document(paper_fields(paper), format_body(paper.listed_abstract))


def captured_field(source: Source) -> Any:
    """A source's capture as front matter holds it: a day, or a UTC time to the second as the
    string '2026-11-20T06:00:00Z' (quoted: inside a flow mapping a plain scalar cannot hold
    ':'; the paper loader reads it back as a time)."""
    if isinstance(source.captured, dt.datetime):
        return capture_text(source.captured)
    return source.captured


def artifacts_field(found: HubArtifacts | None) -> dict[str, Any] | None:
    """A kind of artifacts as front matter holds it: {count: 12, top: [owner/name, ...]}."""
    if found is None:
        return None
    return {"count": found.count, "top": list(found.top)}
