"""A synthetic corpus of paper files, made from the sample papers' words, for scale tests."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from builder.load import load_papers
from builder.models import Organization, Paper, Source
from builder.store import format_paper, make_slug

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "content" / "papers"


def invented_word(rng: random.Random) -> str:
    """Make up a word such as `kelumatron` (model and method names keep a vocabulary growing)."""
    syllables = ["ka", "lu", "ma", "tron", "ze", "qi", "ver", "no", "sa", "pix", "gen", "rho"]
    return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) + rng.choice(
        ["", "", "-7b", "2", "net", "former"]
    )


def make_papers(count: int, seed: int = 7, invented: int = 0) -> list[Paper]:
    """Make `count` papers recombined from the sample papers; `invented` new words per abstract.

    Recombined text repeats the samples' vocabulary; real abstracts keep adding words. With
    `invented`, each abstract also gets that many words drawn, Zipf-like, from a pool that grows
    with the corpus, so the index's vocabulary grows too.
    """
    rng = random.Random(seed)
    pool = [invented_word(rng) for _ in range(max(1, count * 4))] if invented else []
    stored, _ = load_papers(SAMPLES)
    sentences = [s.strip() + "." for p in stored for s in p.paper.body.split(". ") if s.strip()]
    words = sorted({w.strip(",.:;()") for p in stored for w in p.paper.title.split()} - {""})
    orgs = [Organization(f"org{i}", f"Organization {i}") for i in range(60)]
    start = dt.date(2024, 1, 1)
    taken: set[str] = set()
    papers = []
    for i in range(count):
        title = " ".join(rng.choice(words) for _ in range(rng.randint(5, 12))) + f" {i}"
        day = start + dt.timedelta(days=rng.randint(0, 900))
        abstract = " ".join(rng.choice(sentences) for _ in range(rng.randint(5, 10)))
        if pool:
            ranks = (int(rng.paretovariate(0.8)) for _ in range(invented))
            extra = (pool[min(len(pool), rank) - 1] for rank in ranks)
            abstract += " We call it " + ", ".join(extra) + "."
        paper = Paper(
            title=title,
            abstract=abstract,
            slug=make_slug(title, taken),
            date=day if rng.random() > 0.04 else None,
            organization=rng.choice(orgs) if rng.random() < 0.3 else None,
            authors_count=rng.randint(1, 30),
            upvotes=rng.randint(0, 300),
            sources=(Source(day + dt.timedelta(days=rng.randint(0, 5)), "synthetic.txt"),),
        )
        taken.add(paper.slug)
        papers.append(paper)
    return papers


def write_corpus(folder: Path, count: int, seed: int = 7, invented: int = 0) -> list[Paper]:
    """Write `count` synthetic paper files into `folder`; return the papers."""
    folder.mkdir(parents=True, exist_ok=True)
    papers = make_papers(count, seed, invented)
    for paper in papers:
        (folder / f"{paper.slug}.md").write_text(format_paper(paper), encoding="utf-8")
    return papers
