"""The theme: the Jinja2 environment (its filters and globals, templates compiled once and kept),
the theme's key, its static files and the values the build writes into its scripts."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateSyntaxError,
    select_autoescape,
)

from builder import __version__, urls
from builder.archives import group_days
from builder.config import SiteConfig
from builder.errors import Problem, display_path
from builder.models import capture_moment, capture_text
from builder.prepare import byline
from builder.stats import key_of, sha, walk
from builder.tables import Table


def long_date(day: dt.date) -> str:
    """Format a date as `Jun 5, 2026`."""
    return f"{day:%b} {day.day}, {day.year}"


def day_heading(day: dt.date) -> str:
    """Format a date as `Tuesday, June 16, 2026`."""
    return f"{day:%A}, {day:%B} {day.day}, {day.year}"


def capture_when(captured: dt.date) -> str:
    """Say when a capture was made: `Nov 20, 2026`, or `Nov 20, 2026, 06:00 UTC`."""
    if isinstance(captured, dt.datetime):
        moment = capture_moment(captured)
        return f"{long_date(moment.date())}, {moment:%H:%M} UTC"
    return long_date(captured)


def excerpt(text: str, limit: int = 260) -> str:
    """Cut plain text to about `limit` characters at a word boundary, marking the cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:.-\u2013\u2014 ")
    return cut + "…"


class CompiledTemplates(BytecodeCache):
    """Jinja2's compiled templates, kept in a cache table by template and source hash (a
    build then compiles only the templates that changed: 0.1 s of every build at 10,000),
    and in this process for the builds after it whose cache does not have them yet (each
    test's new project: ~20 ms a template)."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def load_bytecode(self, bucket: Any) -> None:
        """Fill the bucket with the kept code of its template, if the source is the same."""
        at = (bucket.key, bucket.checksum)
        code = self.table.get(at)
        if code is None and at in _COMPILED:
            code = _COMPILED[at]
            self.table.put(at, code)  # as if compiled here
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Any) -> None:
        """Keep a template's code, just compiled."""
        at = (bucket.key, bucket.checksum)
        self.table.put(at, code := bucket.bytecode_to_string())
        if len(_COMPILED) >= COMPILED_KEPT:
            _COMPILED.clear()
        _COMPILED[at] = code


# The code of the templates this process compiled, by template and source hash (the options
# of `make_environment`, which the code depends on, are the same for every build).
_COMPILED: dict[tuple[str, str], bytes] = {}
COMPILED_KEPT = 512


def make_environment(config: SiteConfig, compiled: Table | None = None) -> Environment:
    """Create the Jinja2 environment: autoescape everywhere, undefined names are errors;
    templates compiled before are taken from `compiled`."""
    env = Environment(
        bytecode_cache=CompiledTemplates(compiled) if compiled is not None else None,
        loader=FileSystemLoader([str(d) for d in config.themes]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # one build reads each template once
    )
    env.filters.update(
        long_date=long_date,
        day_heading=day_heading,
        excerpt=excerpt,
        capture_text=capture_text,
        capture_when=capture_when,
    )
    env.globals.update(
        url_for=urls.url_for,
        org_key=urls.org_key,
        index_url=urls.index_url,
        arxiv_pdf=urls.arxiv_pdf,
        hub_profile=urls.hub_profile,
        page_url=urls.page_url,
        relative=urls.relative,
        published=partial(urls.published, config.base_url),
        byline_text=byline,
        group_days=group_days,
        version=__version__,
    )
    return env


def check_templates(config: SiteConfig) -> tuple[int, list[Problem]]:
    """Compile every template the theme folders hold; return their count and syntax errors."""
    env = make_environment(config)
    problems = []
    names = env.list_templates(filter_func=lambda n: not n.startswith("static/"))
    for name in names:
        try:
            env.get_template(name)
        except TemplateSyntaxError as exc:
            where = display_path(Path(exc.filename)) if exc.filename else name
            problems.append(Problem(where, exc.lineno, exc.message or "syntax error", "template"))
    return len(names), problems


def theme_key(config: SiteConfig) -> str:
    """Hash every file of the theme folders (templates and static files), in search order.

    A folder counts by its place in that order, not its path: a moved project keeps its key.
    """
    parts = []
    for place, folder in enumerate(config.themes):
        for name, _stat in walk(folder):
            try:
                parts.append((place, name, sha((folder / name).read_bytes())))
            except OSError:
                parts.append((place, name, ""))
    return key_of(*parts)


# Where a theme's script takes a value only the build knows (a URL pattern, the shape of data
# files, the term rule): the build writes the value, as JSON, in place of the mark.
SCRIPT_MARK = re.compile(rb"/\* paper-digest: ([a-z-]+) \*/ null")


def fill_script(source: bytes, values: Mapping[str, Any]) -> bytes:
    """Write the values a script's marks name into it; a mark of no known value stays."""

    def value(mark: re.Match[bytes]) -> bytes:
        name = mark.group(1).decode("ascii")
        if name not in values:
            return mark.group(0)
        return json.dumps(values[name], separators=(",", ":")).encode("ascii")

    return SCRIPT_MARK.sub(value, source)


def static_files(config: SiteConfig) -> dict[str, bytes]:
    """Collect `static/` files from the theme folders (the user's win) as `assets/...`."""
    files: dict[str, bytes] = {}
    for folder in reversed(config.themes):
        static = folder / "static"
        if static.is_dir():
            for path in sorted(static.rglob("*")):
                if path.is_file():
                    files["assets/" + path.relative_to(static).as_posix()] = path.read_bytes()
    return files
