"""Trends: papers per month, the most active organizations, topics over time and the upvote
distribution, each with its data, and drawn at build time as inline SVG with leather.

leather rather than pygal: pygal gives every chart a random id and a date comment (no two
builds would be the same) and 15 KB of styles, and links JavaScript unless told not to;
leather writes small, plain SVG whose colours are presentation attributes, which the site's
stylesheet overrides (so the charts follow the light and dark themes). The SVG gets a viewBox
(it scales down to a phone's width), `role="img"` and a title; the page gives each chart a
caption, a sentence saying what it shows, and its data as a table.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from builder.models import Paper, listed_on, month_key, month_start
from builder.urls import org_key

SVG = "http://www.w3.org/2000/svg"
ORGS = 12  # organizations in their chart
TOPICS = 6  # topics followed over time
# Upvote ranges of the distribution: (lowest, highest); None: no top.
BINS = ((0, 0), (1, 4), (5, 9), (10, 19), (20, 49), (50, 99), (100, None))
WIDTH, HEIGHT = 480, 240  # drawn at this size, scaled to the column (and a phone)


@dataclass(frozen=True)
class Trend:
    """One chart's content: its title, a sentence on what it shows, and its data as rows."""

    id: str
    title: str
    summary: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _months_between(first: str, last: str) -> list[str]:
    """List the month keys from `first` to `last`, both included."""
    day, months = month_start(first), []
    while (key := month_key(day)) <= last:
        months.append(key)
        day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return months


def per_month(papers: Sequence[Paper]) -> Trend:
    """Papers listed per month, every month from the first to the last (empty ones as 0)."""
    counts = Counter(month_key(d) for p in papers if (d := listed_on(p)))
    months = _months_between(min(counts), max(counts)) if counts else []
    rows = tuple((m, str(counts.get(m, 0))) for m in months)
    busiest = max(rows, key=lambda r: (int(r[1]), r[0])) if rows else None
    summary = (
        f"{sum(counts.values()):,} papers over {len(months)} months, from {months[0]} to "
        f"{months[-1]}; the busiest month was {busiest[0]} with {int(busiest[1]):,} papers."
        if busiest
        else "No paper has a date yet."
    )
    return Trend("per-month", "Papers per month", summary, ("Month", "Papers"), rows)


def top_orgs(papers: Sequence[Paper]) -> Trend:
    """The organizations with the most papers."""
    counts: Counter[str] = Counter()
    names: dict[str, str] = {}
    for paper in papers:
        if paper.organization:
            key = org_key(paper.organization.id)
            counts[key] += 1
            names.setdefault(key, paper.organization.name or paper.organization.id)
    ranked = sorted(counts, key=lambda k: (-counts[k], k))[:ORGS]
    rows = tuple((names[k], str(counts[k])) for k in ranked)
    total = sum(counts.values())
    summary = (
        f"The {len(rows)} organizations with the most papers; {rows[0][0]} leads with "
        f"{int(rows[0][1]):,} of the {total:,} papers that name an organization."
        if rows
        else "No paper names an organization yet."
    )
    return Trend("orgs", "Most active organizations", summary, ("Organization", "Papers"), rows)


def topics_over_time(papers: Sequence[Paper], topics: Mapping[str, Sequence[object]]) -> Trend:
    """Papers per month of the biggest topics (`topics`: slug -> its topics, with `.name`)."""
    pairs: Counter[tuple[str, str]] = Counter()  # (topic, month) -> papers
    months_seen = set()
    for paper in papers:
        day = listed_on(paper)
        if day is None:
            continue
        month = month_key(day)
        months_seen.add(month)
        # (no str(topic) made for each: a repr)
        pairs.update([(_name(topic), month) for topic in topics.get(paper.slug, ())])
    by_topic: dict[str, Counter[str]] = {}
    totals: Counter[str] = Counter()
    for (name, month), count in pairs.items():
        by_topic.setdefault(name, Counter())[month] = count
        totals[name] += count
    chosen = sorted(totals, key=lambda t: (-totals[t], t))[:TOPICS]
    months = _months_between(min(months_seen), max(months_seen)) if months_seen else []
    rows = tuple((m, *(str(by_topic[t].get(m, 0)) for t in chosen)) for m in months if chosen)
    summary = (
        f"Papers per month in the {len(chosen)} biggest topics: "
        + ", ".join(f"{t} ({totals[t]:,} papers)" for t in chosen)
        + "."
        if chosen
        else "No paper has a topic yet."
    )
    return Trend("topics", "Topics over time", summary, ("Month", *chosen), rows)


def _name(topic: object) -> str:
    """A topic's name (its `.name`, else its text)."""
    name = getattr(topic, "name", None)
    return str(topic) if name is None else name


def upvotes(papers: Sequence[Paper]) -> Trend:
    """How many papers have how many upvotes."""
    counted = [p.upvotes for p in papers if p.upvotes is not None]
    rows = []
    for low, high in BINS:
        label = str(low) if low == high else f"{low}+" if high is None else f"{low}\u2013{high}"
        n = sum(1 for v in counted if v >= low and (high is None or v <= high))
        rows.append((label, str(n)))
    ordered = sorted(counted)
    median = ordered[len(ordered) // 2] if ordered else 0
    summary = (
        f"{len(counted):,} papers with an upvote count; the median is {median}, the most "
        f"{ordered[-1]:,}."
        if counted
        else "No paper has an upvote count yet."
    )
    shown = tuple(rows) if counted else ()
    return Trend("upvotes", "Upvote distribution", summary, ("Upvotes", "Papers"), shown)


def _finish(svg: str, trend: Trend) -> str:
    """Make leather's SVG scale to its container and name it for assistive technology."""
    ET.register_namespace("", SVG)
    root = ET.fromstring(svg)
    width, height = float(root.attrib.pop("width")), float(root.attrib.pop("height"))
    # leather draws lattice titles above y=0 and end ticks past the width: leave them room.
    root.set("viewBox", f"-8 -22 {width + 24:g} {height + 22:g}")
    root.set("class", "chart-svg")
    root.set("role", "img")
    root.set("aria-labelledby", f"{trend.id}-title {trend.id}-summary")
    root.set("preserveAspectRatio", "xMidYMid meet")
    title = ET.Element(f"{{{SVG}}}title")
    title.text = trend.title
    root.insert(0, title)
    return ET.tostring(root, encoding="unicode")


def draw(trend: Trend) -> str:
    """Draw one trend as SVG (empty when it has no data)."""
    if not trend.rows:
        return ""
    import leather

    counts = [int(cell) for row in trend.rows for cell in row[1:]]
    scale = leather.Linear(0, max([1, *counts]))  # counts start at 0; all zeros still draw
    over_time = trend.id in ("per-month", "topics") and len(trend.rows) > 1
    if trend.id == "per-month" and over_time:
        chart = leather.Chart()
        chart.set_y_scale(scale)
        chart.add_line([(month_start(m), int(n)) for m, n in trend.rows])
        svg = chart.to_svg(width=WIDTH, height=HEIGHT)
    elif trend.id == "orgs":
        chart = leather.Chart()
        chart.set_x_scale(scale)
        chart.add_bars([(int(n), _short(name)) for name, n in reversed(trend.rows)])
        svg = chart.to_svg(width=WIDTH, height=70 + 28 * len(trend.rows))
    elif trend.id == "topics" and over_time:
        lattice = leather.Lattice()
        lattice.set_y_scale(scale)
        names = list(trend.columns[1:])
        lattice.add_many(
            [[(month_start(r[0]), int(r[i + 1])) for r in trend.rows] for i in range(len(names))],
            titles=names,
        )
        svg = lattice.to_svg(width=WIDTH, height=2 * HEIGHT + 60)
    else:  # the upvote bins, or a single month
        chart = leather.Chart()
        chart.set_y_scale(scale)
        chart.add_columns([(row[0], sum(int(c) for c in row[1:])) for row in trend.rows])
        svg = chart.to_svg(width=WIDTH, height=HEIGHT)
    return _finish(svg, trend)


def _short(name: str, limit: int = 26) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def trends(papers: Sequence[Paper], topics: Mapping[str, Sequence[object]]) -> list[Trend]:
    """Every trend of the page, in the order it shows them."""
    return [per_month(papers), top_orgs(papers), topics_over_time(papers, topics), upvotes(papers)]
