"""Read a text dump of the listing (the page as copied from a browser) into entries."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from builder.errors import Problem
from builder.listing import ListingFile, quote
from builder.models import ListingEntry, Organization, Source, capture_day
from builder.text import clean_text

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
        found = quote(p.lines[1]) if len(p.lines) > 1 else "the end of the block"
        return Problem(
            "", p.line + 1, f"expected '·' on the line after {quote(who)}, found {found}"
        )
    if len(p.lines) < 3:
        return Problem("", p.line + 2, "expected a date line after '·', found the end of the block")
    if len(p.lines) > 3:
        return Problem(
            "", p.line + 3, f"expected a blank line after the date, found {quote(p.lines[3])}"
        )
    org = None
    count = None
    if m := AUTHORS_LINE.match(who):
        count = int(m.group(1))
    elif who.startswith("•"):
        return Problem("", p.line, f"expected '• N authors', found {quote(who)}")
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
            f"found {quote(when)}",
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
    found = quote(paras[i].text) if i < len(paras) else "the end of the file"
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
                Problem(name, title.line, f"expected a paper title, found {quote(title.text)}")
            )
            i += 1
            continue
        if i + 1 >= len(paras) or _is_meta(paras[i + 1]):
            found = "the end of the file" if i + 1 >= len(paras) else quote(paras[i + 1].text)
            problems.append(
                Problem(
                    name,
                    title.line,
                    f"expected the abstract of {quote(title.text)} after its title, found {found}",
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


def _capture_year(
    capture: _RawDate | None, entries: list[_TextEntry], name: str, mtime: dt.date, year: int | None
) -> tuple[int, list[str]]:
    """Decide the year of yearless dates: the header's, else --year, else inferred from the
    explicit years (the listing writes one only for dates before the current year, so the
    capture year is later than all of them), else the file's; return it and a note on how."""
    if capture and capture.year:
        return capture.year, []
    if year is not None:
        return year, []
    explicit = [e.meta.date.year for e in entries if e.meta and e.meta.date.year]
    if explicit:
        inferred = max(explicit) + 1
        return inferred, [
            f"{name}: capture year {inferred} inferred: the latest explicit year in the "
            f"file is {max(explicit)}, and the listing omits the year only for the current "
            "year (set --year or 'year' in site.yaml to override)"
        ]
    return mtime.year, [
        f"{name}: capture year {mtime.year} taken from the file's modification date: "
        "no date in the file shows a year (set --year or 'year' in site.yaml to override)"
    ]


def _entry(e: _TextEntry, source: Source, year: int, problems: list[Problem]) -> ListingEntry:
    """Make one entry, its date in `year` unless it shows its own; a date that cannot be is
    reported and left out."""
    date = None
    if e.meta:
        date = _resolve(e.meta.date, year)
        if date is None:
            problems.append(
                Problem(
                    source.file,
                    e.meta.date.line,
                    f"expected a real calendar date, found {quote(e.meta.date.text)} "
                    f"(no such day in {e.meta.date.year or year}); "
                    "the paper is kept without a date",
                    reason="bad date",
                    skipped=False,
                )
            )
    return ListingEntry(
        title=e.title,
        abstract=e.abstract,
        source=source,
        line=e.line,
        date=date,
        upvotes=e.meta.upvotes if e.meta else None,
        organization=e.meta.organization if e.meta else None,
        authors_count=e.meta.authors_count if e.meta else None,
        listed=capture_day(source.captured),  # the day in the dump's header
    )


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
        found = quote(paras[0].text) if paras else "nothing"
        message = (
            "expected a saved listing (its header, then papers with '·' date blocks), found "
            f"neither (it starts with {found}); skipped"
        )
        return ListingFile(problems=[Problem(name, 1, message, reason="not a listing")])
    result.problems += problems + entry_problems
    capture_year, result.notes = _capture_year(capture, entries, name, mtime, year)
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
    result.entries = [_entry(e, source, capture_year, result.problems) for e in entries]
    result.problems.sort(key=lambda p: p.line or 0)
    return result
