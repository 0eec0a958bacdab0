"""Read saved listing pages (text dumps, saved HTML, API JSON) into listing entries."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from builder.cache import BuildCache, stat_of
from builder.errors import Problem, display_path
from builder.models import ListingEntry, Organization, Source
from builder.text import clean_text

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

SNAPSHOT_SUFFIXES = (".txt", ".html", ".htm", ".json")

MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_MONTH = "(" + "|".join(MONTHS) + ")"
# "May 25", "Oct 14, 2025", each optionally followed by the upvote count: "May 25 2".
DATE_LINE = re.compile(rf"^{_MONTH} (\d{{1,2}})(?:, (\d{{4}}))?(?: (\d+))?$")
CAPTURE_LINE = re.compile(rf"^{_MONTH} (\d{{1,2}})(?:, (\d{{4}}))?$")
AUTHORS_LINE = re.compile(r"^•\s*(\d+) authors?$")
DOT_LINE = "·"
HEADER_LINES = frozenset(
    {
        "new",
        "Get trending papers in your email inbox!",
        "Subscribe",
        "Daily Papers",
        "byAK and the research community",
    }
)
HTTP_URL = re.compile(r"^https?://[^\s<>\"]+$", re.IGNORECASE)
ARXIV_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(v\d+)?$", re.IGNORECASE)


def _quote(text: str, limit: int = 60) -> str:
    """Quote a found value for a message, shortened to `limit` characters."""
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


@dataclass
class ListingFile:
    """What one snapshot file yielded."""

    entries: list[ListingEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # info for the log (e.g. the inferred year)


# ---------------------------------------------------------------------------------------------
# Text dumps


@dataclass(frozen=True)
class _Para:
    line: int  # 1-based number of the paragraph's first line
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.lines)


def _paragraphs(lines: list[str]) -> list[_Para]:
    """Group non-blank lines into paragraphs, remembering where each starts."""
    paras: list[_Para] = []
    current: list[str] = []
    start = 0
    for number, raw in enumerate(lines, 1):
        line = clean_text(raw)  # a line of only spaces or control characters is blank
        if line:
            if not current:
                start = number
            current.append(line)
        elif current:
            paras.append(_Para(start, tuple(current)))
            current = []
    if current:
        paras.append(_Para(start, tuple(current)))
    return paras


def _is_meta(p: _Para) -> bool:
    """Tell whether a paragraph is (or tries to be) the authors/org, '·', date block."""
    return (
        DOT_LINE in p.lines
        or bool(AUTHORS_LINE.match(p.lines[0]))
        or (len(p.lines) in (2, 3) and bool(DATE_LINE.match(p.lines[-1])))
    )


@dataclass(frozen=True)
class _RawDate:
    month: int
    day: int
    year: int | None
    line: int
    text: str


@dataclass(frozen=True)
class _Meta:
    date: _RawDate
    upvotes: int
    organization: Organization | None
    authors_count: int | None


def _parse_meta(p: _Para) -> _Meta | Problem:
    """Parse a meta block, or return a problem saying which line was not what was expected."""
    who = p.lines[0]
    if len(p.lines) < 2 or p.lines[1] != DOT_LINE:
        found = _quote(p.lines[1]) if len(p.lines) > 1 else "the end of the block"
        return Problem(
            "", p.line + 1, f"expected '·' on the line after {_quote(who)}, found {found}"
        )
    if len(p.lines) < 3:
        return Problem("", p.line + 2, "expected a date line after '·', found the end of the block")
    if len(p.lines) > 3:
        return Problem(
            "", p.line + 3, f"expected a blank line after the date, found {_quote(p.lines[3])}"
        )
    org = None
    count = None
    if m := AUTHORS_LINE.match(who):
        count = int(m.group(1))
    elif who.startswith("•"):
        return Problem("", p.line, f"expected '• N authors', found {_quote(who)}")
    else:
        org_id, _, name = who.partition(" ")
        org = Organization(id=org_id, name=clean_text(name) or org_id)
    when = p.lines[2]
    m = DATE_LINE.match(when)
    if not m:
        return Problem(
            "",
            p.line + 2,
            "expected a date line like 'May 25', 'May 25 2' or 'Oct 14, 2025 2', "
            f"found {_quote(when)}",
        )
    month, day, year, votes = m.groups()
    date = _RawDate(MONTHS[month], int(day), int(year) if year else None, p.line + 2, when)
    return _Meta(date, int(votes or 0), org, count)


def _resolve(raw: _RawDate, year: int) -> dt.date | None:
    """Return the calendar date, or None when it does not exist (Feb 30)."""
    try:
        return dt.date(raw.year or year, raw.month, raw.day)
    except ValueError:
        return None


@dataclass(frozen=True)
class _TextEntry:
    title: str
    abstract: str
    line: int
    meta: _Meta | None


def _split_header(paras: list[_Para], name: str) -> tuple[int, _RawDate | None, list[Problem]]:
    """Skip the listing header; return where entries start, the capture date and problems."""
    i = 0
    while i < len(paras) and all(line in HEADER_LINES for line in paras[i].lines):
        i += 1
    header_seen = i > 0
    if i < len(paras) and len(paras[i].lines) == 1 and (m := CAPTURE_LINE.match(paras[i].text)):
        month, day, year = m.groups()
        raw = _RawDate(MONTHS[month], int(day), int(year) if year else None, paras[i].line, "")
        return i + 1, raw, []
    found = _quote(paras[i].text) if i < len(paras) else "the end of the file"
    line = paras[i].line if i < len(paras) else (paras[-1].line if paras else 1)
    if header_seen:
        expected = "the capture date after the header (e.g. 'Jun 16')"
    else:
        expected = "the listing header ('new', 'Daily Papers', …, then the capture date)"
    message = f"expected {expected}, found {found}; the file's modification date is used instead"
    return i, None, [Problem(name, line, message, reason="missing header", skipped=False)]


def _text_entries(paras: list[_Para], name: str) -> tuple[list[_TextEntry], list[Problem]]:
    """Walk title, abstract, optional meta block paragraphs; report and skip what is malformed."""
    entries: list[_TextEntry] = []
    problems: list[Problem] = []
    i = 0
    while i < len(paras):
        title = paras[i]
        if _is_meta(title):
            problems.append(
                Problem(name, title.line, f"expected a paper title, found {_quote(title.text)}")
            )
            i += 1
            continue
        if i + 1 >= len(paras) or _is_meta(paras[i + 1]):
            found = "the end of the file" if i + 1 >= len(paras) else _quote(paras[i + 1].text)
            problems.append(
                Problem(
                    name,
                    title.line,
                    f"expected the abstract of {_quote(title.text)} after its title, found {found}",
                )
            )
            i += 2
            continue
        abstract = paras[i + 1]
        meta: _Meta | None = None
        step = 2
        if i + 2 < len(paras) and _is_meta(paras[i + 2]):
            step = 3
            parsed = _parse_meta(paras[i + 2])
            if isinstance(parsed, Problem):
                problems.append(replace(parsed, path=name))
                i += step
                continue
            meta = parsed
        entries.append(
            _TextEntry(clean_text(title.text), clean_text(abstract.text), title.line, meta)
        )
        i += step
    return entries, problems


def parse_text_listing(
    text: str, name: str, mtime: dt.date, year: int | None = None
) -> ListingFile:
    """Parse a text dump; `year` sets the capture year, the file date `mtime` is the fallback."""
    result = ListingFile()
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    paras = _paragraphs(text.split("\n"))
    start, capture, problems = _split_header(paras, name)
    entries, entry_problems = _text_entries(paras[start:], name)
    if capture is None and not any(e.meta for e in entries):
        # Neither the header nor a single '·' date block: a note or README, not a listing.
        found = _quote(paras[0].text) if paras else "nothing"
        message = (
            "expected a saved listing (its header, then papers with '·' date blocks), found "
            f"neither (it starts with {found}); skipped"
        )
        return ListingFile(problems=[Problem(name, 1, message, reason="not a listing")])
    result.problems += problems + entry_problems

    # The listing writes a year only for dates before the current one, so the capture year is
    # later than every explicit year in the file.
    if capture and capture.year:
        capture_year = capture.year
    elif year is not None:
        capture_year = year
    else:
        explicit = [e.meta.date.year for e in entries if e.meta and e.meta.date.year]
        if explicit:
            capture_year = max(explicit) + 1
            result.notes.append(
                f"{name}: capture year {capture_year} inferred: the latest explicit year in the "
                f"file is {max(explicit)}, and the listing omits the year only for the current "
                "year (set --year or 'year' in site.yaml to override)"
            )
        else:
            capture_year = mtime.year
            result.notes.append(
                f"{name}: capture year {capture_year} taken from the file's modification date: "
                "no date in the file shows a year (set --year or 'year' in site.yaml to override)"
            )

    captured = _resolve(capture, capture_year) if capture else None
    if capture and captured is None:
        result.problems.append(
            Problem(
                name,
                capture.line,
                f"expected a real capture date, found {capture.month}/{capture.day} in "
                f"{capture_year}; the file's modification date is used instead",
                reason="bad capture date",
                skipped=False,
            )
        )
    source = Source(captured=captured or mtime, file=name)

    for e in entries:
        date = None
        if e.meta:
            date = _resolve(e.meta.date, capture_year)
            if date is None:
                when = e.meta.date.text
                result.problems.append(
                    Problem(
                        name,
                        e.meta.date.line,
                        f"expected a real calendar date, found {_quote(when)} "
                        f"(no such day in {e.meta.date.year or capture_year}); entry skipped",
                    )
                )
                continue
        result.entries.append(
            ListingEntry(
                title=e.title,
                abstract=e.abstract,
                source=source,
                line=e.line,
                date=date,
                upvotes=e.meta.upvotes if e.meta else None,
                organization=e.meta.organization if e.meta else None,
                authors_count=e.meta.authors_count if e.meta else None,
            )
        )
    result.problems.sort(key=lambda p: p.line or 0)
    return result


# ---------------------------------------------------------------------------------------------
# Saved HTML pages and API JSON: both hold items shaped like the listing's `dailyPapers[]`.


def _iso_date(value: Any) -> dt.date | None:
    """Read the date part of an ISO timestamp such as 2025-05-26T13:22:33.000Z."""
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def parse_item(
    item: Any, source: Source, line: int, label: str
) -> tuple[ListingEntry | None, list[Problem]]:
    """Turn one `dailyPapers[]`-shaped item into an entry, reporting missing or mistyped fields."""
    name = source.file
    problems: list[Problem] = []

    def problem(message: str, skipped: bool = False) -> None:
        reason = "malformed entry" if skipped else "field problem"
        problems.append(Problem(name, line, f"{label}: {message}", reason, skipped))

    if not isinstance(item, dict):
        problem(f"expected an object, found {_quote(json.dumps(item)[:60])}; skipped", skipped=True)
        return None, problems
    paper = item.get("paper", item)
    if not isinstance(paper, dict):
        problem("expected 'paper' to be an object; skipped", skipped=True)
        return None, problems

    def text_field(*keys: str) -> str:
        for container in (paper, item):
            for key in keys:
                value = container.get(key)
                if isinstance(value, str) and clean_text(value):
                    return clean_text(value)
        return ""

    title = text_field("title")
    if not title:
        problem("expected a non-empty 'paper.title', found none; skipped", skipped=True)
        return None, problems
    abstract = text_field("summary")
    if not abstract:
        problem(f"expected a non-empty 'paper.summary' for {_quote(title)}, found none")

    arxiv_id = paper.get("id")
    if arxiv_id is not None and not (isinstance(arxiv_id, str) and ARXIV_ID.match(arxiv_id)):
        problem(f"expected an arXiv id in 'paper.id', found {_quote(str(arxiv_id))}")
        arxiv_id = None

    upvotes = paper.get("upvotes", item.get("upvotes"))
    if isinstance(upvotes, bool) or not isinstance(upvotes, int | None):
        if isinstance(upvotes, str) and upvotes.strip().isdigit():
            problem(
                f"expected 'paper.upvotes' to be a number, found {_quote(upvotes)}; read as one"
            )
            upvotes = int(upvotes)
        else:
            problem(f"expected 'paper.upvotes' to be a number, found {_quote(str(upvotes))}")
            upvotes = None
    if isinstance(upvotes, int) and upvotes < 0:
        problem(f"expected 'paper.upvotes' to be 0 or more, found {upvotes}")
        upvotes = None

    authors: list[str] = []
    raw_authors = paper.get("authors") or []
    if not isinstance(raw_authors, list):
        problem("expected 'paper.authors' to be a list")
        raw_authors = []
    for a in raw_authors:
        who = a.get("name") if isinstance(a, dict) else a
        if isinstance(who, str) and clean_text(who):
            authors.append(clean_text(who))

    org = None
    raw_org = item.get("organization") or paper.get("organization")
    if isinstance(raw_org, dict) and isinstance(raw_org.get("name"), str):
        org_id = clean_text(raw_org["name"])
        full = raw_org.get("fullname")
        org_name = clean_text(full) if isinstance(full, str) and clean_text(full) else org_id
        if org_id:
            org = Organization(id=org_id, name=org_name)
    elif raw_org:
        problem("expected 'organization' to be an object with a 'name'")

    keywords = paper.get("ai_keywords") or []
    if not isinstance(keywords, list):
        problem("expected 'paper.ai_keywords' to be a list")
        keywords = []

    def url(key: str) -> str | None:
        value = paper.get(key)
        if value in (None, ""):
            return None
        if isinstance(value, str) and HTTP_URL.match(value.strip()):
            return value.strip()
        problem(
            f"expected an http(s) URL in {key!r} of paper {_quote(title)}, "
            f"found {_quote(str(value))}; left out"
        )
        return None

    date = _iso_date(paper.get("publishedAt")) or _iso_date(item.get("publishedAt"))
    entry = ListingEntry(
        title=title,
        abstract=abstract,
        source=source,
        line=line,
        date=date,
        upvotes=upvotes,
        organization=org,
        authors=tuple(authors),
        authors_count=None,
        arxiv_id=arxiv_id.strip() if arxiv_id else None,
        github=url("githubRepo"),
        project_page=url("projectPage"),
        keywords=tuple(clean_text(k) for k in keywords if isinstance(k, str) and clean_text(k)),
    )
    return entry, problems


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _json_array_items(text: str, start: int) -> Iterator[tuple[Any, int] | json.JSONDecodeError]:
    """Decode the items of the JSON array opening at `start` one by one, with their offsets."""
    decoder = json.JSONDecoder()
    ws = re.compile(r"[\s,]*")
    pos = ws.match(text, start + 1).end()
    while pos < len(text) and text[pos] != "]":
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield exc
            return
        yield value, pos
        pos = ws.match(text, end).end()


def _items_result(items: Iterable[tuple[Any, int]], source: Source) -> ListingFile:
    result = ListingFile()
    for n, (item, line) in enumerate(items, 1):
        entry, problems = parse_item(item, source, line, f"item {n}")
        result.problems += problems
        if entry:
            result.entries.append(entry)
    return result


def parse_json_listing(text: str, name: str, mtime: dt.date) -> ListingFile:
    """Parse the JSON of the listing's API: a list of `dailyPapers[]`-shaped items."""
    text = text.removeprefix("\ufeff")
    start = re.match(r"\s*", text).end()
    if text[start : start + 1] == "[":
        source = Source(captured=mtime, file=name)
        items: list[tuple[Any, int]] = []
        result = ListingFile()
        for got in _json_array_items(text, start):
            if isinstance(got, json.JSONDecodeError):
                result.problems.append(
                    Problem(
                        name,
                        got.lineno,
                        f"expected a JSON value, found malformed JSON ({got.msg}); "
                        "the rest of the file is skipped",
                    )
                )
                break
            items.append((got[0], _line_at(text, got[1])))
        parsed = _items_result(items, source)
        parsed.problems[:0] = result.problems
        return parsed
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return ListingFile(
            problems=[Problem(name, exc.lineno, f"expected JSON, found malformed JSON ({exc.msg})")]
        )
    return _props_result(data, name, mtime, line=1)


def _props_result(data: Any, name: str, mtime: dt.date, line: int) -> ListingFile:
    """Read a page's props object: `dailyPapers[]`, `searchResults[]` and its `date`."""
    if not isinstance(data, dict):
        return ListingFile(
            problems=[
                Problem(name, line, "expected an object with 'dailyPapers' or a list of items")
            ]
        )
    captured = _iso_date(data.get("date")) or mtime
    source = Source(captured=captured, file=name)
    items = []
    for key in ("dailyPapers", "searchResults"):
        value = data.get(key)
        if isinstance(value, list):
            items += [(item, line) for item in value]
        elif value is not None:
            return ListingFile(problems=[Problem(name, line, f"expected '{key}' to be a list")])
    if "dailyPapers" not in data and "searchResults" not in data:
        return ListingFile(
            problems=[
                Problem(name, line, "expected 'dailyPapers' or 'searchResults' in the page data")
            ]
        )
    return _items_result(items, source)


PAPER_LINK = re.compile(
    r"^(?:https?://huggingface\.co)?/papers/(\d{4}\.\d{4,5})(?:v\d+)?/?(?:[?#].*)?$"
)


def _visible_cards(soup: BeautifulSoup, name: str, mtime: dt.date) -> ListingFile:
    """Read titles and arXiv ids from the page's visible paper cards (`h3 > a` to /papers/ID)."""
    result = ListingFile()
    seen: set[str] = set()
    source = Source(captured=mtime, file=name)
    for heading in soup.find_all(["h3", "h2"]):
        link = heading.find("a", href=PAPER_LINK)
        title = clean_text(link.get_text(" ")) if link else ""
        if not title:
            continue
        arxiv_id = PAPER_LINK.match(link["href"]).group(1)
        if arxiv_id in seen:
            continue
        seen.add(arxiv_id)
        line = link.sourceline or 1
        result.entries.append(
            ListingEntry(title=title, abstract="", source=source, line=line, arxiv_id=arxiv_id)
        )
    if result.entries:
        result.problems.append(
            Problem(
                name,
                result.entries[0].line,
                "expected the page data (data-props of the DailyPapers element), found only the "
                f"visible cards: read {len(result.entries)} titles and arXiv ids, without "
                "abstracts; save the page's text or the API's JSON for those",
                reason="page without data",
                skipped=False,
            )
        )
    return result


def parse_html_listing(text: str, name: str, mtime: dt.date) -> ListingFile:
    """Parse a saved listing page: the JSON in `data-props` of the DailyPapers element.

    Without it, fall back to the visible paper cards (titles and arXiv ids only).
    """
    from bs4 import BeautifulSoup  # imported here: most builds read no HTML

    soup = BeautifulSoup(text, "html.parser")
    div = soup.find(attrs={"data-target": "DailyPapers"})
    if div is None or not div.get("data-props"):
        cards = _visible_cards(soup, name, mtime)
        if cards.entries:
            return cards
        return ListingFile(
            problems=[
                Problem(
                    name,
                    None,
                    'expected an element with data-target="DailyPapers" and its data-props, '
                    "found none; save the page as 'Webpage, complete' or 'HTML only' from the "
                    "listing, or save the API's JSON instead",
                    reason="no listing data",
                )
            ]
        )
    line = div.sourceline or 1
    try:
        data = json.loads(div["data-props"])
    except json.JSONDecodeError as exc:
        return ListingFile(
            problems=[
                Problem(
                    name,
                    line,
                    f"expected JSON in data-props, found malformed JSON ({exc.msg})",
                    reason="no listing data",
                )
            ]
        )
    return _props_result(data, name, mtime, line)


# ---------------------------------------------------------------------------------------------
# Files


def decode_snapshot(data: bytes, name: str) -> tuple[str | None, list[Problem]]:
    """Decode a snapshot's bytes as UTF-8 (BOM allowed), else Windows-1252; None when binary."""
    if not data.strip():
        return None, [
            Problem(
                name,
                None,
                "expected a saved listing, found an empty file; skipped",
                reason="empty file",
            )
        ]
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        return None, [
            Problem(
                name, line, "expected text, found a NUL byte: binary file; skipped", "binary file"
            )
        ]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 1].hex()
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            return None, [
                Problem(
                    name,
                    line,
                    f"expected UTF-8 text, found byte 0x{bad}, not Windows-1252 either; skipped",
                    reason="undecodable file",
                )
            ]
        return text, [
            Problem(
                name,
                line,
                f"expected UTF-8 text, found byte 0x{bad}; read as Windows-1252 (save it as UTF-8)",
                reason="not UTF-8",
                skipped=False,
            )
        ]


def parse_snapshot(data: bytes, name: str, mtime: dt.date, year: int | None) -> ListingFile:
    """Parse one snapshot's bytes by its file type."""
    text, problems = decode_snapshot(data, name)
    if text is None:
        return ListingFile(problems=problems)
    suffix = Path(name).suffix.lower()
    if suffix == ".txt":
        result = parse_text_listing(text, name, year=year, mtime=mtime)
    elif suffix == ".json":
        result = parse_json_listing(text, name, mtime)
    else:
        result = parse_html_listing(text, name, mtime)
    result.problems[:0] = problems
    return result


def snapshot_files(folder: Path) -> list[Path]:
    """List the snapshot files in `folder`, sorted by name."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in SNAPSHOT_SUFFIXES and not p.name.startswith(".") and p.is_file()
    )


def read_snapshot(path: Path, year: int | None, cache: BuildCache | None = None) -> ListingFile:
    """Read and parse one snapshot file, naming it in every problem.

    With a cache, a file whose content was parsed before (same name, date and year) is not
    parsed again.
    """
    name = display_path(path)
    try:
        st = path.stat()
        mtime = dt.date.fromtimestamp(st.st_mtime)
        if cache is None:
            result = parse_snapshot(path.read_bytes(), path.name, mtime, year)
        else:
            digest, data = cache.file_hash(path, stat_of(st))
            key = (digest, path.name, mtime, year)
            parsed = cache.table("listings")
            result = parsed.get(key)
            if result is None:
                result = parse_snapshot(data or path.read_bytes(), path.name, mtime, year)
                parsed.put(key, result)
    except OSError as exc:
        return ListingFile(
            problems=[
                Problem(name, None, f"cannot read: {exc.strerror}; skipped", "unreadable file")
            ]
        )
    # Entries record the bare file name (it goes into `sources`); messages show the path.
    problems = [replace(p, path=name) for p in result.problems]
    return ListingFile(result.entries, problems, result.notes)
