"""The figures behind benchmarks/corpus.py, computed from folders of real Daily Papers API answers.

Usage: .venv/bin/python -m benchmarks.calibrate FOLDER [FOLDER ...]

Each folder holds `daily-YYYY-MM-DD.json` files, each the JSON list the API returned for that
day (as `../shared/real-2024/` and `../shared/real-2026-06/` do). It prints, per folder, what the
synthetic corpus is calibrated on: items per day, authors per paper, title and abstract lengths,
keyword lists, organizations (how many, and how papers spread over them: a Pitman-Yor fit), the
optional fields, how many days after its arXiv date a paper is listed, and how often each topic
and each phrase of the default topics occurs. The corpus keeps the figures as constants, so it
never reads the folders; run this again to check or refresh them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.corpus import QUANTILES, fit_heaps, fit_q
from builder.config import DEFAULT_TOPICS
from builder.topics import compile_topics


def daily_items(folder: Path) -> list[tuple[dt.date, dict]]:
    """Return (the listing day its file is named by, the item) for every item of a folder."""
    found = []
    for path in sorted(folder.glob("daily-*.json")):
        day = dt.date.fromisoformat(path.stem.removeprefix("daily-"))
        found += [(day, item) for item in json.loads(path.read_text(encoding="utf-8"))]
    return found


def quantiles(values: Iterable[float]) -> tuple[float, ...]:
    """Return the values at QUANTILES percent (nearest rank)."""
    ordered = sorted(values)
    last = len(ordered) - 1
    return tuple(ordered[min(last, round(q / 100 * last))] for q in QUANTILES)


def pitman_yor_fit(counts: Sequence[int]) -> tuple[float, float]:
    """Fit a Pitman-Yor process (discount d, concentration theta) to how many times each of
    several distinct values was seen, by maximum likelihood over a grid."""
    n, k = sum(counts), len(counts)
    # How many values were seen at least j + 1 times, for j = 1, 2, ...: the factors (j - d).
    seen = np.bincount(np.asarray(counts), minlength=2)
    at_least = np.cumsum(seen[::-1])[::-1][2:]
    js = np.arange(1, len(at_least) + 1)
    i_k, i_n = np.arange(1, k), np.arange(1, n)
    best = (-math.inf, 0.0, 0.0)
    for step in range(0, 96):
        d = step / 100
        shared = float(np.sum(at_least * np.log(js - d)))
        for e in range(-20, 101):
            theta = 10 ** (e / 20)
            total = float(np.sum(np.log(theta + i_k * d)) - np.sum(np.log(theta + i_n))) + shared
            best = max(best, (total, d, theta))
    return best[1], best[2]


def one_line(text: str) -> str:
    """Collapse whitespace, as the reader does."""
    return " ".join(text.split())


def phrases_in(text: str) -> set[str]:
    """Return the default topics' phrases found in a text, as the build finds them."""
    rules = compile_topics(DEFAULT_TOPICS)
    assert rules.pattern is not None
    text = one_line(text).lower()
    found = set()
    for match in rules.pattern.finditer(text):
        at = match.start()
        found.update(p for p in rules.phrases.get(text[at], ()) if text.startswith(p, at))
    return found


def topic_shares(papers: list[dict]) -> dict[str, Any]:
    """Return the share of papers in each default topic; among a topic's papers, the share in
    which each of its phrases occurs (title and abstract, at a word start, any case); and the
    share of a paper's topics that its title alone shows."""
    found = [phrases_in(p["title"] + " " + p["summary"]) for p in papers]
    in_title = [phrases_in(p["title"]) for p in papers]
    topics: dict[str, float] = {}
    given: dict[str, dict[str, float]] = {}
    pairs = titled = 0
    for tag, phrases in DEFAULT_TOPICS.items():
        keys = {p.lower() for p in phrases}
        members = [f for f in found if f & keys]
        pairs += len(members)
        titled += sum(bool(t & keys) for t in in_title)
        topics[tag] = len(members) / len(papers)
        given[tag] = {k: sum(k in f for f in members) / max(1, len(members)) for k in sorted(keys)}
    return {"topics": topics, "phrases_given_topic": given, "topic_in_title": titled / pairs}


def figures(items: list[tuple[dt.date, dict]]) -> dict[str, Any]:
    """Compute the corpus's figures from one folder's items."""
    papers = [item["paper"] for _, item in items]
    n = len(papers)
    per_day = Counter(day for day, _ in items)
    orgs = Counter((p.get("organization") or {}).get("name") for p in papers)
    orgless = orgs.pop(None, 0)
    org_names = [p["organization"] for p in papers if p.get("organization")]
    names = [a["name"] for p in papers for a in p["authors"]]
    keywords = [p["ai_keywords"] for p in papers if p.get("ai_keywords")]
    summaries = [p["ai_summary"] for p in papers if p.get("ai_summary")]
    stars = [p["githubStars"] for p in papers if p.get("githubStars")]
    lags = Counter(
        (day - dt.date.fromisoformat(i["paper"]["publishedAt"][:10])).days for day, i in items
    )
    texts = [one_line(p["title"] + " " + p["summary"]) for p in papers]
    k, beta, words, vocabulary = fit_heaps(texts)
    return {
        "items": n,
        "days": len(per_day),
        "items_per_day": quantiles(per_day.values()),
        "authors": quantiles(len(p["authors"]) for p in papers),
        "author_name_chars": statistics.mean(len(x) for x in names),
        "authors_pitman_yor": pitman_yor_fit(list(Counter(names).values())),
        "title_chars": quantiles(len(one_line(p["title"])) for p in papers),
        "title_words": statistics.mean(len(p["title"].split()) for p in papers),
        "title_colon": sum(":" in p["title"] for p in papers) / n,
        "title_wrapped": sum("\n" in p["title"] for p in papers) / n,
        "abstract_chars": quantiles(len(one_line(p["summary"])) for p in papers),
        "abstract_words": statistics.mean(len(p["summary"].split()) for p in papers),
        "abstract_wrapped": sum("\n" in p["summary"].strip() for p in papers) / n,
        "keywords_share": len(keywords) / n,
        "keywords": quantiles(len(k) for k in keywords) if keywords else (),
        "keyword_words": statistics.mean(len(w.split()) for k in keywords for w in k)
        if keywords
        else 0,
        "organization_share": 1 - orgless / n,
        "organizations": len(orgs),
        "organizations_pitman_yor": pitman_yor_fit(list(orgs.values())) if orgs else (0, 0),
        "organization_papers": sorted(Counter(orgs.values()).items()),
        "organization_id_chars": statistics.mean(len(o["name"]) for o in org_names)
        if org_names
        else 0,
        "organization_name_chars": statistics.mean(len(o.get("fullname", "")) for o in org_names)
        if org_names
        else 0,
        "github_share": sum(bool(p.get("githubRepo")) for p in papers) / n,
        "project_page_share": sum(bool(p.get("projectPage")) for p in papers) / n,
        "ai_summary_share": len(summaries) / n,
        "ai_summary_chars": statistics.mean(len(s) for s in summaries) if summaries else 0,
        "github_stars_share": len(stars) / n,
        "github_stars": quantiles(stars) if stars else (),
        "thumbnail_share": sum(bool(i.get("thumbnail")) for _, i in items) / n,
        "submitted_by_share": sum(bool(i.get("submittedBy")) for _, i in items) / n,
        "comments": quantiles(i.get("numComments", 0) for _, i in items),
        "upvotes": quantiles(p.get("upvotes", 0) for p in papers),
        "listed_days_after_date": sorted(lags.items()),
        "links_share": sum("http" in p["summary"] for p in papers) / n,
        "heaps": {"K": k, "beta": beta, "words": words, "vocabulary": vocabulary},
        "zipf_q": fit_q(1 / beta, words, vocabulary),
        **topic_shares(papers),
    }


def main() -> None:
    """Print the figures of each folder as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    args = parser.parse_args()
    every = []
    for folder in args.folders:
        items = daily_items(folder)
        every += items
        print(f"# {folder}")
        print(json.dumps(figures(items), default=str))
    if len(args.folders) > 1:
        print("# all together")
        print(json.dumps(figures(every), default=str))


if __name__ == "__main__":
    main()
