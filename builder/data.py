"""The collection as data: `data/papers-<month>.json.gz` and `.csv`, their schema and an
index; pure.

A paper goes under the month of its listing day (`models.listed_on`), so a new day of papers
changes one month's files. The JSON, gzip-compressed, is the exact record: every field, the
abstract included (`gzip.open` and `json.load` read it back; pandas and DuckDB read `.json.gz`
as they read `.json`). The CSV is the spreadsheet view: every field but the abstract and the
AI summary (long texts, in the site once and in the JSON), plus the paper's page and its
arXiv page; a cell that a spreadsheet would run as a formula (one that starts with `=`, `+`,
`-`, `@`, a tab or a carriage return) gets a leading `'`, as OWASP advises.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from builder.models import (
    ARTIFACT_KINDS,
    KEY_ORDER,
    PAGE_ARTIFACTS,
    TOP_ARTIFACTS,
    Paper,
    capture_text,
    listed_on,
    month_key,
)
from builder.paperfile import artifacts_field
from builder.urls import PAGES, arxiv_abs

SCHEMA_PATH = PAGES["schema"]
INDEX_PATH = PAGES["data"]
CSV_COLUMNS = (
    "slug",
    "title",
    "date",
    "listed",
    "authors",
    "authors_count",
    "organization_id",
    "organization_name",
    "upvotes",
    "arxiv_id",
    "github",
    "project_page",
    "keywords",
    "github_stars",
    "comments",
    "thumbnail",
    "submitted_by",
    "models",  # how many: the ids are in the JSON
    "datasets",
    "spaces",
    "links",
    "tags",
    "sources",
    "url",
    "arxiv_url",
)
# The keys of a JSON record: the paper file's, its page and its abstract.
FIELDS = (*KEY_ORDER, "url", "abstract")
LIST_SEPARATOR = "; "  # between the items of a list in one CSV cell
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def month_of(paper: Paper) -> str | None:
    """The month a paper is filed under (`2026-11`): its listing day's."""
    day = listed_on(paper)
    return month_key(day) if day else None


def record(paper: Paper, url: str) -> dict[str, Any]:
    """Every front-matter field of a paper, its abstract (the file's body) and its page."""
    org = paper.organization
    return {
        "slug": paper.slug,
        "title": paper.title,
        "date": paper.date.isoformat() if paper.date else None,
        "listed": paper.listed.isoformat() if paper.listed else None,
        "authors": list(paper.authors),
        "authors_count": paper.authors_count,
        "organization": {"id": org.id, "name": org.name} if org else None,
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
        "sources": [{"file": s.file, "captured": capture_text(s.captured)} for s in paper.sources],
        "tags": list(paper.tags),
        "url": url,
        "abstract": paper.file_body,
    }


def by_month(papers: Sequence[Paper]) -> dict[str | None, list[Paper]]:
    """Group papers by the month they are filed under, each group in slug order."""
    groups: dict[str | None, list[Paper]] = defaultdict(list)
    for paper in sorted(papers, key=lambda p: p.slug):
        groups[month_of(paper)].append(paper)
    return dict(groups)


# A month with more papers than this is cut into parts (`papers-2025-06-part1.json.gz`, ...), so
# that no data file passes ~20 MB (GitHub warns from 50 MB, and editors choke well before).
PART_SIZE = 10_000


def file_stem(month: str | None, part: int = 0) -> str:
    """`papers-2026-11` (`papers-2026-11-part2` for a part), or `papers-undated` for papers
    with no day at all."""
    stem = f"papers-{month}" if month is not None else "papers-undated"
    return f"{stem}-part{part}" if part else stem


def parts(papers: Sequence[Paper]) -> list[tuple[int, Sequence[Paper]]]:
    """Cut a month's papers (in slug order) into files: (0, all) when they fit in one."""
    if len(papers) <= PART_SIZE:
        return [(0, papers)]
    return [
        (n, papers[start : start + PART_SIZE])
        for n, start in enumerate(range(0, len(papers), PART_SIZE), start=1)
    ]


def to_json(records: Sequence[dict[str, Any]]) -> bytes:
    """A month's records as a JSON array, one paper per line."""
    lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in records]
    return ("[\n" + ",\n".join(lines) + "\n]\n").encode("utf-8")


def to_json_gz(records: Sequence[dict[str, Any]]) -> bytes:
    """A month's records as gzip-compressed JSON (`to_json`), the same bytes for the same
    records (no time or name in the gzip header)."""
    return gzip.compress(to_json(records), compresslevel=9, mtime=0)


def _cell(value: Any) -> str:
    """One CSV cell: lists joined, None empty, formula starts defused."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = LIST_SEPARATOR.join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def to_csv(records: Sequence[dict[str, Any]]) -> bytes:
    """A month's records as CSV (RFC 4180, UTF-8 with a BOM so spreadsheets read it as UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in records:
        org = r["organization"] or {}
        sources = [f"{s['file']} ({s['captured']})" for s in r["sources"]]
        row = {
            **r,
            "organization_id": org.get("id"),
            "organization_name": org.get("name"),
            "sources": sources,
            "arxiv_url": arxiv_abs(r["arxiv_id"]) if r["arxiv_id"] else None,
            **{kind: (r[kind] or {}).get("count") for kind in ARTIFACT_KINDS},
        }
        writer.writerow([_cell(row[c]) for c in CSV_COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def index(files: Sequence[tuple[str | None, int, int]], total: int) -> bytes:
    """`data/index.json`: every data file, its month (and part) and how many papers it holds."""
    listed = [
        {
            "month": month,
            **({"part": part} if part else {}),
            "papers": count,
            "json": f"{file_stem(month, part)}.json.gz",
            "csv": f"{file_stem(month, part)}.csv",
        }
        for month, part, count in files
    ]
    body = {"schema": "papers.schema.json", "papers": total, "files": listed}
    return (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _strings() -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}}


def schema() -> bytes:
    """The JSON Schema (2020-12) of a `papers-<month>.json.gz` file, once decompressed."""
    nullable = {"type": ["string", "null"]}
    count = {"type": ["integer", "null"], "minimum": 0}
    paper = {
        "type": "object",
        "additionalProperties": False,
        "required": list(FIELDS),
        "properties": {
            "slug": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
            "title": {"type": "string", "minLength": 1},
            "date": {"type": ["string", "null"], "format": "date"},
            "listed": {
                "type": ["string", "null"],
                "format": "date",
                "description": "the day the listing first showed the paper",
            },
            "authors": _strings(),
            "authors_count": count,
            "organization": {
                "type": ["object", "null"],
                "additionalProperties": False,
                "required": ["id", "name"],
                "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
            },
            "upvotes": count,
            "arxiv_id": nullable,
            "github": nullable,
            "project_page": nullable,
            "keywords": _strings(),
            "ai_summary": {
                "type": ["string", "null"],
                "description": "the listing's AI-generated summary of the paper",
            },
            "github_stars": count,
            "comments": {**count, "description": "comments in the listing's discussion"},
            "thumbnail": {
                "type": ["string", "null"],
                "format": "uri",
                "pattern": "^https://",
                "description": "the listing's social image of the paper",
            },
            "submitted_by": {
                "type": ["string", "null"],
                "description": "the Hugging Face user who put the paper on the listing",
            },
            **{
                kind: {
                    "type": ["object", "null"],
                    "additionalProperties": False,
                    "required": ["count", "top"],
                    "description": f"the {kind} on the Hub that cite the paper: how many (one "
                    f"page of {PAGE_ARTIFACTS}: {PAGE_ARTIFACTS} means that many or more) and "
                    f"the ids of the first {TOP_ARTIFACTS}",
                    "properties": {
                        "count": {"type": "integer", "minimum": 0},
                        "top": _strings(),
                    },
                }
                for kind in ARTIFACT_KINDS
            },
            "links": _strings(),
            "sources": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["file", "captured"],
                    "properties": {
                        "file": {"type": "string"},
                        "captured": {
                            "type": "string",
                            "anyOf": [{"format": "date"}, {"format": "date-time"}],
                        },
                    },
                },
            },
            "tags": _strings(),
            "url": {"type": "string", "description": "the paper's page, from the site root"},
            "abstract": {"type": "string", "description": "the paper file's Markdown body"},
        },
    }
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "papers.schema.json",
        "title": "Papers of one month",
        "description": (
            "Every paper filed under one month: its listing day's (else its first capture's, "
            "else its date's). The file is gzip-compressed JSON."
        ),
        "type": "array",
        "items": paper,
    }
    return (json.dumps(document, indent=2) + "\n").encode("utf-8")
