"""A deterministic synthetic corpus for scale tests, in the seeds' text-listing format.

Words are drawn independently from a Zipf-Mandelbrot distribution, chance proportional to
(rank + q) ** -alpha: a power-law tail makes the vocabulary grow as about n ** (1 / alpha) after
n words (Heaps' law). Both parameters are fitted to the sample snapshots (titles and abstracts
of their 134 papers): alpha = 1 / beta, beta being Heaps' exponent fitted to their vocabulary
growth (0.60), and q such that as many words as they hold (32,854) give as many distinct words
as they have (4,444). The word of rank r is the samples' r-th most frequent word, then invented
ones, so the commonest words are the samples' and "generalization" is in most abstracts.

`Corpus.day()` returns one daily listing: about 50 new papers dated the capture day or the days
before, a few papers of earlier days listed again with more upvotes, and one paper of an earlier
year (its date shows the year, which is how the reader infers the capture year).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from builder.models import Organization, Paper, Source
from builder.read import read_snapshot, snapshot_files
from builder.store import format_paper, make_slug
from builder.terms import STOP_WORDS, fold_word
from builder.text import title_key

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "content" / "papers"
SEED_SNAPSHOTS = REPO / "content" / "snapshots"
LAST_DAY = dt.date(2026, 11, 30)  # the newest capture of every corpus
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
HEADER = "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\n"
HEADER += "byAK and the research community\n\n"
SYLLABLES = ("ka", "lu", "ma", "tron", "ze", "qi", "ver", "no", "sa", "pix", "gen", "rho", "di")
SYLLABLES += ("fa", "mor", "el", "tu", "xi", "bo", "ran", "sel", "vy", "quo", "dex", "ny", "ap")


def sample_texts() -> list[str]:
    """Return the title and abstract of every unique paper in the sample snapshots."""
    seen: dict[str, str] = {}
    for path in snapshot_files(SEED_SNAPSHOTS):
        for entry in read_snapshot(path, None).entries:
            seen.setdefault(title_key(entry.title), f"{entry.title} {entry.abstract}")
    return list(seen.values())


@functools.cache
def words_of(text: str) -> tuple[str, ...]:
    """Split text into words as the index sees them before stemming (folded, no punctuation);
    each sample text is split once, however many orders the fit reads it in."""
    return tuple(w for w in (fold_word(x) for x in re.split(r"[\s\-/]+", text)) if w)


def fit_heaps(texts: list[str], orders: int = 20) -> tuple[float, float, int, int]:
    """Fit V = K * n**beta to the vocabulary growth of `texts` read in shuffled orders.

    Returns (K, beta, words, distinct words); each order is fitted by least squares on
    log V against log n at every paper boundary, and the fits are averaged.
    """
    fits = []
    for seed in range(orders):
        order = texts[:]
        random.Random(seed).shuffle(order)
        seen: set[str] = set()
        n = 0
        points = []
        for text in order:
            words = words_of(text)
            n += len(words)
            seen.update(words)
            points.append((math.log(n), math.log(len(seen))))
        xs, ys = zip(*points[5:], strict=True)
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        beta = sum((x - mx) * (y - my) for x, y in points[5:]) / sum((x - mx) ** 2 for x in xs)
        fits.append((math.exp(my - beta * mx), beta))
    k = sum(f[0] for f in fits) / len(fits)
    beta = sum(f[1] for f in fits) / len(fits)
    return k, beta, n, len(seen)


class ZipfMandelbrot:
    """Words drawn independently with chance proportional to (rank + q) ** -alpha, ranks 1, 2, ...

    Sampling a distribution with a power-law tail gives a vocabulary that grows as n ** (1 /
    alpha) (Heaps' law). Ranks up to HEAD are drawn from a table; beyond it, by inverting the
    tail's integral.
    """

    HEAD = 1 << 20

    def __init__(self, alpha: float, q: float, seed: int) -> None:
        self.alpha, self.q = alpha, q
        weights = (np.arange(1, self.HEAD + 1, dtype=np.float64) + q) ** -alpha
        self.cdf = np.cumsum(weights)
        self.edge = (self.HEAD + 0.5 + q) ** (1 - alpha)
        self.total = self.cdf[-1] + self.edge / (alpha - 1)
        self.rng = np.random.default_rng(seed)

    def ranks(self, count: int) -> np.ndarray:
        """Draw `count` ranks (1-based)."""
        u = self.rng.random(count) * self.total
        ranks = np.searchsorted(self.cdf, u, side="right") + 1
        tail = u >= self.cdf[-1]
        if tail.any():
            rest = (u[tail] - self.cdf[-1]) * (self.alpha - 1)
            ranks[tail] = np.rint((self.edge - rest) ** (1 / (1 - self.alpha)) - self.q)
        return np.maximum(ranks, 1)

    def expected_vocabulary(self, n: float) -> float:
        """Return the expected number of distinct ranks in n draws (head ranks only)."""
        chances = np.diff(self.cdf, prepend=0.0) / self.total
        return float(np.sum(-np.expm1(-n * chances)))


def fit_q(alpha: float, n: int, vocabulary: int) -> float:
    """Find the offset q with which n draws give `vocabulary` distinct words on average."""
    low, high = 0.0, 10_000.0
    for _ in range(40):
        q = (low + high) / 2
        if ZipfMandelbrot(alpha, q, 0).expected_vocabulary(n) < vocabulary:
            low = q
        else:
            high = q
    return (low + high) / 2


def invented_word(number: int) -> str:
    """Return the number-th invented word (`kelumatron`); distinct numbers give distinct words."""
    parts = []
    number += len(SYLLABLES) ** 2  # at least three syllables
    while number:
        number, rest = divmod(number, len(SYLLABLES))
        parts.append(SYLLABLES[rest])
    return "".join(parts)


class WordSource:
    """Words by rank: the samples' words in order of frequency, then invented ones."""

    def __init__(self, sampler: ZipfMandelbrot, base: list[str]) -> None:
        self.sampler = sampler
        self.base = base
        self.buffer: list[int] = []

    def word(self, rank: int) -> str:
        """Return the word of a rank."""
        return self.base[rank - 1] if rank <= len(self.base) else invented_word(rank)

    def draw(self) -> str:
        """Draw the next word."""
        if not self.buffer:
            self.buffer = self.sampler.ranks(1 << 16).tolist()[::-1]
        return self.word(self.buffer.pop())


@dataclass
class Synthetic:
    """One synthetic paper as a listing shows it."""

    title: str
    abstract: str
    date: dt.date
    upvotes: int
    org: tuple[str, str] | None  # (id, name)
    authors: int


@dataclass
class Corpus:
    """Daily text listings of synthetic papers, generated one day at a time."""

    seed: int = 7
    per_day: int = 50
    rng: random.Random = field(init=False)
    words: WordSource = field(init=False)
    orgs: WordSource = field(init=False)
    papers: list[Synthetic] = field(default_factory=list)
    titles: set[str] = field(default_factory=set)
    heaps: tuple[float, float, int, int] = field(init=False)

    def __post_init__(self) -> None:
        texts = sample_texts()
        self.heaps = _k, beta, n, vocabulary = fit_heaps(texts)
        counts = Counter(w for text in texts for w in words_of(text))
        base = sorted(counts, key=lambda w: (-counts[w], w))
        self.rng = random.Random(self.seed)
        alpha = 1 / beta
        self.words = WordSource(ZipfMandelbrot(alpha, fit_q(alpha, n, vocabulary), self.seed), base)
        self.orgs = ZipfMandelbrot(1.4, 2.0, self.seed + 1)

    def _sentence(self, length: int) -> str:
        words = [self.words.draw() for _ in range(length)]
        for i in range(1, length - 1):
            if self.rng.random() < 0.06:
                words[i] += ","
        return words[0][:1].upper() + words[0][1:] + " " + " ".join(words[1:]) + "."

    def _abstract(self) -> str:
        target = self.rng.randint(110, 260)  # words: about 1,300 characters on average
        sentences = []
        while target > 0:
            length = min(target, self.rng.randint(12, 32))
            sentences.append(self._sentence(max(length, 3)))
            target -= length
        return " ".join(sentences)

    def _title(self) -> str:
        while True:
            words = []
            while len(words) < self.rng.randint(4, 11):
                word = self.words.draw()
                if word not in STOP_WORDS or (words and self.rng.random() < 0.3):
                    words.append(word)
            title = " ".join(w[:1].upper() + w[1:] for w in words)
            if self.rng.random() < 0.3:
                title = invented_word(self.rng.randrange(10**6)).capitalize() + ": " + title
            if title_key(title) not in self.titles:
                self.titles.add(title_key(title))
                return title

    def _org(self) -> tuple[str, str] | None:
        if self.rng.random() > 0.7:
            return None
        number = int(self.orgs.ranks(1)[0])
        name = invented_word(number + 5_000_000).capitalize()
        kind = ("AI", "Labs", "University", "Research", "Institute")[number % 5]
        return name, f"{name} {kind}"

    def _paper(self, day: dt.date) -> Synthetic:
        paper = Synthetic(
            title=self._title(),
            abstract=self._abstract(),
            date=day,
            upvotes=min(int(math.exp(self.rng.gauss(1.3, 1.2))), 900),
            org=self._org(),
            authors=self.rng.randint(1, 24),
        )
        self.papers.append(paper)
        return paper

    def day(self, captured: dt.date, count: int | None = None) -> str:
        """Return the text listing captured on `captured`, with `count` new papers."""
        count = (
            count if count is not None else self.rng.randint(self.per_day - 20, self.per_day + 20)
        )
        entries = []
        for _ in range(count):
            when = captured - dt.timedelta(days=self.rng.choice((0, 0, 1, 1, 2, 3)))
            entries.append((self._paper(when), None))
        # A few papers of the days before, listed again with more upvotes.
        earlier = [p for p in self.papers[: -count or None] if p.date > captured - dt.timedelta(7)]
        for paper in self.rng.sample(earlier, min(len(earlier), self.rng.randint(2, 6))):
            paper.upvotes += self.rng.randint(1, 20)
            entries.append((paper, paper.upvotes))
        # A paper of an earlier year, so the reader can infer this listing's year.
        older = [p for p in self.papers if p.date.year == captured.year - 1]
        if older:
            old = self.rng.choice(older)
        else:
            old = self._paper(captured.replace(year=captured.year - 1, day=min(captured.day, 28)))
        entries.append((old, None))
        return format_listing(captured, entries, self.rng)


def date_line(day: dt.date, captured: dt.date, upvotes: int) -> str:
    """Format a listing date line: `May 25`, `Oct 14, 2025 2`."""
    text = f"{MONTHS[day.month - 1]} {day.day}"
    if day.year != captured.year:
        text += f", {day.year}"
    return f"{text} {upvotes}" if upvotes else text


def format_listing(
    captured: dt.date, entries: list[tuple[Synthetic, int | None]], rng: random.Random
) -> str:
    """Write a text listing in the seeds' format."""
    parts = [HEADER + f"{MONTHS[captured.month - 1]} {captured.day}\n\n"]
    for paper, votes in entries:
        block = f"{paper.title}\n\n{paper.abstract}\n\n"
        if rng.random() > 0.03:  # a few entries show no meta block, as in the seeds
            who = f"{paper.org[0]} {paper.org[1]}" if paper.org else f"  • {paper.authors} authors"
            when = date_line(paper.date, captured, paper.upvotes if votes is None else votes)
            block += f"{who}\n·\n{when}\n\n"
        parts.append(block)
    return "".join(parts)


def days_for(count: int, per_day: int = 50) -> list[dt.date]:
    """Return the capture days of a corpus of about `count` papers, the last one LAST_DAY."""
    days = max(1, round(count / (per_day + 1)))
    return [LAST_DAY - dt.timedelta(days=days - 1 - i) for i in range(days)]


def write_snapshots(folder: Path, count: int, seed: int = 7) -> Corpus:
    """Write daily listings holding `count` unique papers into `folder`; return the corpus."""
    folder.mkdir(parents=True, exist_ok=True)
    corpus = Corpus(seed)
    days = days_for(count)
    for i, day in enumerate(days):
        left = count - len(corpus.papers)
        if i == len(days) - 1:
            new = left - (0 if any(p.date.year == day.year - 1 for p in corpus.papers) else 1)
        else:
            new = min(left, corpus.rng.randint(corpus.per_day - 20, corpus.per_day + 20))
        write_listing(folder, day, corpus.day(day, max(new, 0)))
    return corpus


def write_listing(folder: Path, captured: dt.date, text: str) -> Path:
    """Write one listing named by its capture day, dated (mtime) that day."""
    path = folder / f"daily-{captured.isoformat()}.txt"
    path.write_text(text, encoding="utf-8")
    moment = dt.datetime(captured.year, captured.month, captured.day, 12, tzinfo=dt.UTC)
    os.utime(path, (moment.timestamp(), moment.timestamp()))
    return path


def make_papers(count: int, seed: int = 7) -> list[Paper]:
    """Make `count` synthetic papers as paper records (for tests that need paper files only)."""
    corpus = Corpus(seed)
    taken: set[str] = set()
    papers = []
    day = LAST_DAY - dt.timedelta(days=count // 50)
    while len(papers) < count:
        day += dt.timedelta(days=1)
        for _ in range(min(50, count - len(papers))):
            p = corpus._paper(day - dt.timedelta(days=corpus.rng.choice((0, 1, 2))))
            paper = Paper(
                title=p.title,
                listed_abstract=p.abstract,
                slug=make_slug(p.title, taken),
                date=p.date if corpus.rng.random() > 0.04 else None,
                organization=Organization(*p.org) if p.org else None,
                authors_count=p.authors,
                upvotes=p.upvotes,
                sources=(Source(day, f"daily-{day.isoformat()}.txt"),),
            )
            taken.add(paper.slug)
            papers.append(paper)
    return papers


def write_corpus(folder: Path, count: int, seed: int = 7) -> list[Paper]:
    """Write `count` synthetic paper files into `folder`; return the papers."""
    folder.mkdir(parents=True, exist_ok=True)
    papers = make_papers(count, seed)
    for paper in papers:
        (folder / f"{paper.slug}.md").write_text(format_paper(paper), encoding="utf-8")
    return papers
