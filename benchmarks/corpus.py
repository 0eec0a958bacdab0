"""A deterministic synthetic corpus for scale tests: daily answers of the listing's API.

The corpus is a folder of `daily-YYYY-MM-DD.json` files, each the JSON list of items the Daily
Papers API returns for a day (`api/daily_papers?date=...`), dated (mtime) that day as a user
saving one a day would have: the shape of the real answers, because only it carries what makes
a real paper weigh what it does (author lists, keywords, organizations with ids, arXiv ids,
GitHub and project links, AI summaries, stars, comments, thumbnails); the text dumps show an
organization or an author count only. Newer items carry `paper.submittedOnDailyAt`, the
listing day.

What a paper looks like follows the real answers: the figures below were computed once by
`python -m benchmarks.calibrate ../shared/real-2024 ../shared/real-2026-06` (2,156 items listed
2024-03-12 to 2024-12-10, and 320 listed 2026-06-01 to 2026-06-12) and are kept here as
constants; the corpus never reads those folders. Papers come in two eras, as the listing's history
does: the older (2024) items have no keywords, organization, GitHub or project links, or AI
summary; the newer (2026) ones have them as often as the June 2026 answers do.

Words are drawn independently from a Zipf-Mandelbrot distribution, chance proportional to
(rank + q) ** -alpha: a power-law tail makes the vocabulary grow as about n ** (1 / alpha) after
n words (Heaps' law); alpha and q are fitted to the real titles and abstracts (Heaps' exponent
0.52; 502,374 words, 18,008 distinct). The word of rank r is the seed snapshots' r-th most
frequent word (the project's own sample), then invented ones, so the commonest words are real
ones and "generalization" is in most abstracts. Words that would match a topic phrase of the
default topics are left out of the draw: topic phrases are put in as often as the real papers
hold them instead (per topic, then per phrase within it).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import json
import math
import os
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from builder.config import DEFAULT_TOPICS
from builder.models import Organization, Paper, Source
from builder.paperfile import format_paper, make_slug
from builder.read import read_snapshot, snapshot_files
from builder.terms import STOP_WORDS, fold_word
from builder.text import title_key
from builder.urls import extract_links

REPO = Path(__file__).resolve().parent.parent
SEED_SNAPSHOTS = REPO / "content" / "snapshots"
LAST_DAY = dt.date(2026, 11, 30)  # the newest listing day of every corpus (a Monday)
SYLLABLES = ("ka", "lu", "ma", "tron", "ze", "qi", "ver", "no", "sa", "pix", "gen", "rho", "di")
SYLLABLES += ("fa", "mor", "el", "tu", "xi", "bo", "ran", "sel", "vy", "quo", "dex", "ny", "ap")
KINDS = ("AI", "Labs", "University", "Research", "Institute")

# ---------------------------------------------------------------------------------------------
# The figures, from `python -m benchmarks.calibrate ../shared/real-2024 ../shared/real-2026-06`.
# A distribution is kept as its values at these percentiles (drawn from by interpolation).
QUANTILES = (0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 97.5)
QUANTILES += (99, 99.5, 99.9, 100)


def q(values: str) -> tuple[float, ...]:
    """Return a distribution's values at QUANTILES percent, from a line of numbers."""
    table = tuple(float(v) for v in values.split())
    assert len(table) == len(QUANTILES)
    return table


# The share of the corpus (its newest papers) in the newer era: issue 21 counts `ai_keywords` in
# 6,329 of 9,753 real items listed 2024-03 to 2026-08 (the papers behind its 24 KB a paper).
NEWER_SHARE = 6329 / 9753
# Both folders together (2,476 items).
AUTHORS = q("1 3 3 4 4 5 5 6 6 6 7 7 8 8 9 9 10 11 13 19 27 45 61 377 533")
AUTHORS_PITMAN_YOR = (0.55, 6310.0)  # how often an author name comes back (19,330 -> 13,007 + ..)
TITLE_CHARS = q("8 39 46 52 57 61 64 67 69 72 74 77 79 81 84 86 90 93 99 106 113 124 129 141 155")
TITLE_COLON = 0.74  # "Name: what it does"
TOPIC_IN_TITLE = 0.40  # of a paper's topics, the share its title alone shows
HEAPS_ALPHA, HEAPS_Q = 1 / 0.5160, 164.0  # Zipf-Mandelbrot fitted to the real vocabulary growth
# Days from a paper's arXiv date (`paper.publishedAt`) to its listing day, and how many papers.
LISTED_AFTER = {1: 1156, 2: 335, 3: 375, 4: 259, 5: 134, 6: 87, 7: 77, 8: 8, 9: 10, 10: 5}
LISTED_AFTER |= {11: 4, 12: 3, 13: 2, 14: 1, 16: 2, 17: 3, 18: 1, 19: 2, 21: 2, 23: 1, 26: 1}
LISTED_AFTER |= {29: 1, 38: 1, 41: 1, 50: 1, 56: 1, 57: 1, 116: 1, 136: 1}
# Among a topic's papers, the share holding each of its phrases (title and abstract).
PHRASES_GIVEN_TOPIC = {
    "reasoning": {"chain of thought": 0.034, "chain-of-thought": 0.115, "reasoning": 0.983},
    "math": {"arithmetic": 0.064, "math": 0.929, "olympiad": 0.035, "theorem": 0.05},
    "reinforcement learning": {"grpo": 0.067, "policy gradient": 0.021, "ppo": 0.051},
    "language models": {"gpt": 0.193, "language model": 0.863, "large language": 0.62},
    "multimodal": {"mllm": 0.242, "multi-modal": 0.174, "multimodal": 0.639, "vlm": 0.191},
    "vision": {"computer vision": 0.036, "image": 0.668, "object detection": 0.013},
    "diffusion": {"denoising": 0.133, "diffusion": 0.963, "flow matching": 0.035},
    "agents": {"agent": 0.97, "tool use": 0.043, "tool-use": 0.04, "web navigation": 0.027},
    "code": {"code generation": 0.387, "coding": 0.632, "program synthesis": 0.028},
    "theory": {"lower bound": 0.037, "provabl": 0.049, "theorem": 0.086, "theoretical": 0.765},
    "optimization": {"adamw": 0.095, "convex": 0.19, "gradient descent": 0.143, "sgd": 0.143},
    "efficiency": {"distillation": 0.539, "efficient inference": 0.026, "kv cache": 0.1},
    "robotics": {"embodied": 0.27, "locomotion": 0.049, "manipulation": 0.509, "robot": 0.632},
    "speech and audio": {"audio": 0.745, "speech": 0.497, "spoken": 0.068},
    "3D": {"3d": 0.961, "gaussian splatting": 0.217, "nerf": 0.117, "point cloud": 0.071},
    "safety": {"alignment": 0.787, "harmful": 0.082, "jailbreak": 0.056, "safety": 0.236},
    "interpretability": {"interpretab": 0.636, "mechanistic": 0.159, "probing": 0.25},
    "benchmarks": {"benchmark": 0.996, "leaderboard": 0.044},
}
PHRASES_GIVEN_TOPIC["reasoning"] |= {"test-time scaling": 0.012}
PHRASES_GIVEN_TOPIC["reinforcement learning"] |= {"reinforcement learning": 0.631}
PHRASES_GIVEN_TOPIC["reinforcement learning"] |= {"reward model": 0.318, "rl": 0.564}
PHRASES_GIVEN_TOPIC["language models"] |= {"llm": 0.621}
PHRASES_GIVEN_TOPIC["multimodal"] |= {"vision-language": 0.324}
PHRASES_GIVEN_TOPIC["vision"] |= {"segmentation": 0.071, "video": 0.391, "visual": 0.434}
PHRASES_GIVEN_TOPIC["diffusion"] |= {"score-based": 0.008}
PHRASES_GIVEN_TOPIC["code"] |= {"software engineering": 0.17}
PHRASES_GIVEN_TOPIC["theory"] |= {"upper bound": 0.111}
PHRASES_GIVEN_TOPIC["optimization"] |= {"learning rate": 0.262, "optimizer": 0.548}
PHRASES_GIVEN_TOPIC["efficiency"] |= {"pruning": 0.161, "quantization": 0.226}
PHRASES_GIVEN_TOPIC["efficiency"] |= {"speculative decoding": 0.057}
PHRASES_GIVEN_TOPIC["safety"] |= {"red teaming": 0.016, "red-teaming": 0.02}
PHRASES_GIVEN_TOPIC["interpretability"] |= {"sparse autoencoder": 0.159}
# A phrase matches at a word start and may end inside the word: how the corpus writes it.
PHRASE_WORDS = {"interpretab": "interpretability", "provabl": "provably"}


@dataclass(frozen=True)
class Era:
    """What the items of one period hold, and how often (shares are of all its papers)."""

    per_day: tuple[float, ...]  # items a listing day
    abstract_chars: tuple[float, ...]
    upvotes: tuple[float, ...]
    comments: tuple[float, ...]
    topics: dict[str, float]  # the share of papers in each default topic
    title_wrapped: float  # titles hard-wrapped ("...on a\n  Single GPU")
    abstract_wrapped: float  # abstracts hard-wrapped at 80 columns
    links: float  # abstracts with a URL
    thumbnail: float
    submitted_by: float
    keywords: float = 0.0
    keyword_count: tuple[float, ...] = ()
    organization: float = 0.0
    organizations_pitman_yor: tuple[float, float] = (0.0, 1.0)
    github: float = 0.0
    github_stars: float = 0.0
    stars: tuple[float, ...] = ()
    project_page: float = 0.0
    ai_summary: float = 0.0
    media: float = 0.0
    listed_key: bool = False  # `paper.submittedOnDailyAt`


# ../shared/real-2024: 2,156 items on 158 days (saved early in the day: the days are incomplete).
OLDER = Era(
    per_day=q("2 6 7 8 9 10 10 11 11 12 13 13 14 15 16 17 18 20 21 25 26 28 31 46 46"),
    abstract_chars=q(
        "165 837 955 1016 1062 1109 1159 1199 1248 1286 1324 1359 1394 1430 1474 1518 1576 1647"
        " 1723 1832 1884 1910 1914 1920 1923"
    ),
    upvotes=q("0 1 2 2 3 3 4 5 5 6 7 7 8 10 11 13 15 18 24 32 39 49 54 79 166"),
    comments=q("0 0 0 1 1 1 1 1 1 1 1 1 1 1 1 1 2 2 2 3 4 5 6 9 10"),
    topics={
        "reasoning": 0.145,
        "math": 0.051,
        "reinforcement learning": 0.062,
        "language models": 0.571,
        "multimodal": 0.21,
        "vision": 0.501,
        "diffusion": 0.215,
        "agents": 0.085,
        "code": 0.04,
        "theory": 0.032,
        "optimization": 0.016,
        "efficiency": 0.086,
        "robotics": 0.06,
        "speech and audio": 0.065,
        "3D": 0.129,
        "safety": 0.12,
        "interpretability": 0.031,
        "benchmarks": 0.351,
    },
    title_wrapped=0.527,
    abstract_wrapped=1.0,
    links=0.361,
    thumbnail=0.863,
    submitted_by=0.856,
)
# ../shared/real-2026-06: 320 items on 9 days.
NEWER = Era(
    per_day=q("23 23 29 29 31 31 31 33 33 35 35 35 35 35 38 38 38 47 47 49 49 49 49 49 49"),
    abstract_chars=q(
        "736 1033 1097 1173 1213 1257 1290 1325 1357 1385 1421 1446 1471 1495 1528 1593 1640 1683"
        " 1750 1870 1899 1912 1916 1918 1918"
    ),
    upvotes=q("0 0 1 1 1 2 2 3 4 5 7 9 10 12 14 17 22 27 35 53 67 90 90 163 163"),
    comments=q("0 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 2 2 2 2 3 3"),
    topics={
        "reasoning": 0.325,
        "math": 0.097,
        "reinforcement learning": 0.194,
        "language models": 0.534,
        "multimodal": 0.253,
        "vision": 0.394,
        "diffusion": 0.147,
        "agents": 0.362,
        "code": 0.062,
        "theory": 0.034,
        "optimization": 0.025,
        "efficiency": 0.141,
        "robotics": 0.103,
        "speech and audio": 0.066,
        "3D": 0.097,
        "safety": 0.147,
        "interpretability": 0.069,
        "benchmarks": 0.463,
    },
    title_wrapped=0.0,
    abstract_wrapped=0.025,
    links=0.2875,
    thumbnail=1.0,
    submitted_by=1.0,
    keywords=0.994,
    keyword_count=q("1 7 7 8 8 8 9 9 9 9 10 10 10 10 10 11 12 12 13 15 15 17 19 22 22"),
    # 204 of 320 papers name one of 146 organizations (112 of them once, one 7 times).
    organization=0.6375,
    organizations_pitman_yor=(0.37, 125.9),
    github=0.603,
    github_stars=0.497,
    stars=q("1 1 1 2 2 2 2 3 3 4 4 5 7 8 10 13 16 21 32 95 754 8676 18739 79408 79408"),
    project_page=0.475,
    ai_summary=0.994,
    media=0.184,
    listed_key=True,
)


def from_quantiles(table: tuple[float, ...], rng: random.Random) -> float:
    """Draw a value from a distribution kept as its values at QUANTILES percent."""
    u = rng.random() * 100
    i = min(bisect.bisect_right(QUANTILES, u) - 1, len(QUANTILES) - 2)
    share = (u - QUANTILES[i]) / (QUANTILES[i + 1] - QUANTILES[i])
    a, b = table[i], table[i + 1]
    if a > 0 and b > a:  # geometric between positive values: long tails are not overweighted
        return a * (b / a) ** share
    return a + (b - a) * share


class PitmanYor:
    """Draws from a Pitman-Yor process: the n-th draw is new with chance (theta + d * k) / (theta
    + n), k the values so far, else an old value v with chance proportional to (count(v) - d)."""

    def __init__(self, discount: float, concentration: float, rng: random.Random) -> None:
        self.d, self.theta, self.rng = discount, concentration, rng
        self.counts: list[int] = []
        self.draws: list[int] = []

    def draw(self) -> int:
        """Return the number of the value drawn (0, 1, ...; a new one is the next number)."""
        n, k = len(self.draws), len(self.counts)
        if self.rng.random() * (self.theta + n) < self.theta + self.d * k:
            value = k
            self.counts.append(0)
        else:  # proportional to count - d: a past draw's value, kept with chance 1 - d / count
            while True:
                value = self.draws[self.rng.randrange(n)]
                if self.rng.random() * self.counts[value] >= self.d:
                    break
        self.counts[value] += 1
        self.draws.append(value)
        return value


def sample_texts() -> list[str]:
    """Return the title and abstract of every unique paper in the seed snapshots."""
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


def invented_word(number: int, syllables: int = 3) -> str:
    """Return the number-th invented word (`kelumatron`) of at least `syllables` syllables;
    distinct numbers give distinct words."""
    parts = []
    number += len(SYLLABLES) ** (syllables - 1)
    while number:
        number, rest = divmod(number, len(SYLLABLES))
        parts.append(SYLLABLES[rest])
    return "".join(parts)


def topic_word(word: str) -> bool:
    """Say whether a word would match a one-word phrase of the default topics."""
    return word.startswith(ONE_WORD_PHRASES)


ONE_WORD_PHRASES = tuple(
    p.lower() for phrases in DEFAULT_TOPICS.values() for p in phrases if " " not in p
)
SPELLING = {p.lower(): p for phrases in DEFAULT_TOPICS.values() for p in phrases}


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


@functools.cache
def base_words() -> tuple[str, ...]:
    """The seed snapshots' words, most frequent first, without those of topic phrases."""
    counts = Counter(w for text in sample_texts() for w in words_of(text))
    return tuple(
        w
        for w in sorted(counts, key=lambda w: (-counts[w], w))
        if not topic_word(w) and not WEB_WORD.search(w)  # links are put in as often as real
    )


WEB_WORD = re.compile(r"http|www|github|\.(com|org|io|ai)\b")


@dataclass
class Synthetic:
    """One synthetic paper, with everything an API item says of it."""

    title: str
    abstract: str
    date: dt.date
    listed: dt.date
    arxiv_id: str
    upvotes: int
    authors: tuple[str, ...]
    org: tuple[str, str] | None  # (id, name)
    keywords: tuple[str, ...] = ()
    github: str | None = None
    stars: int | None = None
    project_page: str | None = None
    ai_summary: str | None = None
    comments: int = 0
    thumbnail: bool = False
    submitted_by: str | None = None
    media: bool = False
    era: Era = OLDER


@dataclass
class Corpus:
    """Daily API answers of synthetic papers, generated one day at a time.

    Papers listed on or after `newer_from` are of the newer era (all of them when it is None).
    """

    seed: int = 7
    newer_from: dt.date | None = None
    rng: random.Random = field(init=False)
    words: WordSource = field(init=False)
    papers: list[Synthetic] = field(default_factory=list)
    titles: set[str] = field(default_factory=set)
    heaps: tuple[float, float] = (HEAPS_ALPHA, HEAPS_Q)
    orgs: PitmanYor = field(init=False)
    people: PitmanYor = field(init=False)
    names: ZipfMandelbrot = field(init=False)
    people_names: list[str] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        sampler = ZipfMandelbrot(HEAPS_ALPHA, HEAPS_Q, self.seed)
        self.words = WordSource(sampler, list(base_words()))
        self.orgs = PitmanYor(*NEWER.organizations_pitman_yor, random.Random(self.seed + 1))
        self.people = PitmanYor(*AUTHORS_PITMAN_YOR, random.Random(self.seed + 2))
        self.names = ZipfMandelbrot(1.6, 20.0, self.seed + 3)  # names of 11 characters
        self.lags = list(LISTED_AFTER), list(LISTED_AFTER.values())

    def era(self, listed: dt.date) -> Era:
        """Return the era of a paper listed on `listed`."""
        return NEWER if self.newer_from is None or listed >= self.newer_from else OLDER

    def _words(self, chars: float) -> list[str]:
        words: list[str] = []
        length = 0
        while length < chars:
            word = self.words.draw()
            words.append(word)
            length += len(word) + 1
        return words

    def _sentences(self, words: list[str]) -> str:
        out = []
        start = 0
        while start < len(words):
            part = words[start : start + self.rng.randint(12, 32)]
            start += len(part)
            for i in range(1, len(part) - 1):
                if self.rng.random() < 0.06:
                    part[i] += ","
            part[0] = part[0][:1].upper() + part[0][1:]
            out.append(" ".join(part) + ".")
        return " ".join(out)

    def _phrases(self, era: Era) -> tuple[list[str], list[str]]:
        """The topic phrases one paper holds, as often as real papers of its era hold them, and
        those its title shows too (one of a topic's, as often as real titles show a topic)."""
        chosen = []
        for topic, share in era.topics.items():
            if self.rng.random() >= share:
                continue
            given = PHRASES_GIVEN_TOPIC[topic]
            phrases = [p for p, s in given.items() if self.rng.random() < s]
            if not phrases:
                phrases = self.rng.choices(list(given), weights=list(given.values()))
            chosen.append(phrases)

        def spelled(phrase: str) -> str:
            return PHRASE_WORDS.get(phrase, SPELLING.get(phrase, phrase))

        every = [spelled(p) for group in chosen for p in group]
        titled = [spelled(group[0]) for group in chosen if self.rng.random() < TOPIC_IN_TITLE]
        return every, titled

    def _title(self, shown: list[str]) -> str:
        while True:
            chars = from_quantiles(TITLE_CHARS, self.rng)
            words: list[str] = []
            if self.rng.random() < TITLE_COLON:
                words.append(invented_word(self.rng.randrange(10**6)).capitalize() + ":")
            length = sum(len(w) + 1 for w in words + shown)
            body = []
            while length < chars - 4 or not body:  # 4: half a word, the last one's overshoot
                word = self.words.draw()
                if word not in STOP_WORDS or (body and self.rng.random() < 0.3):
                    body.append(word)
                    length += len(word) + 1
            for phrase in shown:
                body.insert(self.rng.randrange(len(body) + 1), phrase)
            words += [w if w.isupper() or w[:1].isdigit() else w[:1].upper() + w[1:] for w in body]
            title = " ".join(words)
            if title_key(title) not in self.titles:
                self.titles.add(title_key(title))
                return title

    def _abstract(self, era: Era, phrases: list[str], link: str) -> str:
        chars = from_quantiles(era.abstract_chars, self.rng) - len(link) - 4
        words = self._words(chars - sum(len(p) + 1 for p in phrases))
        for phrase in phrases:
            words.insert(self.rng.randrange(len(words) + 1), phrase)
        return self._sentences(words) + link

    def _arxiv_id(self, day: dt.date) -> str:
        month = f"{day.year % 100:02d}{day.month:02d}"
        number = self.ids.get(month, self.rng.randrange(100)) + self.rng.randint(1, 9)
        self.ids[month] = number
        return f"{month}.{number:05d}"

    def _person(self) -> str:
        number = self.people.draw()
        if number == len(self.people_names):  # someone new
            given, family = (invented_word(int(r), 2).capitalize() for r in self.names.ranks(2))
            self.people_names.append(f"{given} {family}")
        return self.people_names[number]

    def paper(self, listed: dt.date) -> Synthetic:
        """Make one paper listed on `listed`."""
        era = self.era(listed)
        rng = self.rng
        phrases, titled = self._phrases(era)
        title = self._title(titled)
        repo = re.sub(r"[^a-z0-9]+", "-", title.split(":")[0].lower())[:30].strip("-") or "code"
        org = None
        if rng.random() < era.organization:
            number = self.orgs.draw()
            name = invented_word(number, 2).capitalize() + invented_word(number // 7, 2)
            org = (name, f"{name} {KINDS[number % len(KINDS)]}")
        authors = tuple(self._person() for _ in range(round(from_quantiles(AUTHORS, rng))))
        handle = (org[0] if org else authors[0].split()[-1]).lower()
        link = ""
        if rng.random() < era.links:
            link = f" Code is available at https://github.com/{handle}/{repo}."
        abstract = self._abstract(era, phrases, link)
        lag = rng.choices(*self.lags)[0]
        date = listed - dt.timedelta(days=lag)
        paper = Synthetic(
            title=title,
            abstract=abstract,
            date=date,
            listed=listed,
            arxiv_id=self._arxiv_id(date),
            upvotes=round(from_quantiles(era.upvotes, rng)),
            authors=authors,
            org=org,
            comments=round(from_quantiles(era.comments, rng)),
            thumbnail=rng.random() < era.thumbnail,
            submitted_by=handle if rng.random() < era.submitted_by else None,
            media=rng.random() < era.media,
            era=era,
        )
        if rng.random() < era.keywords:
            paper.keywords = self._keywords(abstract, round(from_quantiles(era.keyword_count, rng)))
        if rng.random() < era.github:
            paper.github = f"https://github.com/{handle}/{repo}"
            if rng.random() < era.github_stars / era.github:
                paper.stars = max(1, round(from_quantiles(era.stars, rng)))
        if rng.random() < era.project_page:
            paper.project_page = f"https://{handle}.github.io/{repo}/"
        if rng.random() < era.ai_summary:
            paper.ai_summary = self._sentences(self._words(216))
        self.papers.append(paper)
        return paper

    def _keywords(self, abstract: str, count: int) -> tuple[str, ...]:
        """Phrases of one to three words of the abstract, as the listing's AI keywords are."""
        words = [w.strip(".,").lower() for w in abstract.split()]
        found: dict[str, None] = {}
        for _ in range(count * 3):
            if len(found) >= count:
                break
            size = self.rng.choices((1, 2, 3), (0.25, 0.45, 0.30))[0]
            at = self.rng.randrange(max(1, len(words) - size))
            phrase = words[at : at + size]
            if phrase[0] not in STOP_WORDS and phrase[-1] not in STOP_WORDS:
                found.setdefault(" ".join(phrase), None)
        return tuple(found)

    def day(self, listed: dt.date, count: int) -> list[dict[str, Any]]:
        """Return the API's answer for `listed`: `count` new papers, as its items."""
        return [item(self.paper(listed), self.rng) for _ in range(count)]


def wrap(text: str, width: int, indent: str = "") -> str:
    """Hard-wrap text at `width` columns, as the older answers' titles and abstracts are."""
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = indent + word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(lines)


def hex_id(rng: random.Random) -> str:
    """Return a 24-digit hexadecimal id, as the API's `_id`s are."""
    return f"{rng.getrandbits(96):024x}"


def item(paper: Synthetic, rng: random.Random) -> dict[str, Any]:
    """Return a paper as an item of the API's answer, with the fields its era has."""
    era = paper.era
    title = paper.title
    if rng.random() < era.title_wrapped and len(title) > 50:
        title = wrap(title, len(title) // 2 + 10, "  ")
    summary = wrap(paper.abstract, 79) if rng.random() < era.abstract_wrapped else paper.abstract
    published = f"{paper.date.isoformat()}T17:{rng.randrange(60):02d}:{rng.randrange(60):02d}.000Z"
    body: dict[str, Any] = {
        "id": paper.arxiv_id,
        "authors": [{"_id": hex_id(rng), "name": a, "hidden": False} for a in paper.authors],
        "publishedAt": published,
    }
    if era.listed_key:
        body["submittedOnDailyAt"] = f"{paper.listed.isoformat()}T00:00:00.000Z"
    body |= {"title": title, "summary": summary, "upvotes": paper.upvotes}
    body["discussionId"] = hex_id(rng)
    if paper.github:
        body["githubRepo"] = paper.github
    if paper.ai_summary:
        body["ai_summary"] = paper.ai_summary
    if paper.keywords:
        body["ai_keywords"] = list(paper.keywords)
    if paper.stars:
        body["githubStars"] = paper.stars
    if paper.project_page:
        body["projectPage"] = paper.project_page
    org = None
    if paper.org:
        org = {"_id": hex_id(rng), "name": paper.org[0], "fullname": paper.org[1]}
        body["organization"] = org
    before = paper.date - dt.timedelta(days=1)
    result: dict[str, Any] = {"paper": body, "publishedAt": f"{before.isoformat()}T20:00:00.000Z"}
    result |= {"title": title, "summary": summary}
    if paper.media:
        result["mediaUrls"] = [
            f"https://cdn-uploads.huggingface.co/production/uploads/{hex_id(rng)}.png"
        ]
    if paper.thumbnail:
        result["thumbnail"] = (
            f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{paper.arxiv_id}.png"
        )
    result["numComments"] = paper.comments
    if paper.submitted_by:
        result["submittedBy"] = {"_id": hex_id(rng), "name": paper.submitted_by, "type": "user"}
    if org:
        result["organization"] = org
    return result


def next_listing_day(day: dt.date) -> dt.date:
    """Return the listing day after `day` (the listing has no weekend days)."""
    day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def listing_days(count: int, corpus: Corpus) -> list[tuple[dt.date, int]]:
    """Plan the listing days of `count` papers, ending on LAST_DAY: (day, papers) each."""
    sizes: list[int] = []
    while sum(sizes) < count:
        sizes.append(max(1, round(from_quantiles(NEWER.per_day, corpus.rng))))
    sizes[-1] -= sum(sizes) - count
    days = [LAST_DAY]
    while len(days) < len(sizes):
        day = days[-1] - dt.timedelta(days=1)
        while day.weekday() >= 5:
            day -= dt.timedelta(days=1)
        days.append(day)
    return list(zip(days[::-1], sizes, strict=True))


def planned(count: int, seed: int) -> tuple[Corpus, list[tuple[dt.date, int]]]:
    """Return a corpus whose newest NEWER_SHARE of `count` papers are of the newer era, and
    the listing days of those papers."""
    corpus = Corpus(seed)
    plan = listing_days(count, corpus)
    older, so_far = count * (1 - NEWER_SHARE), 0
    for day, size in plan:
        if so_far >= older:
            corpus.newer_from = day
            break
        so_far += size
    else:
        corpus.newer_from = next_listing_day(LAST_DAY)
    return corpus, plan


def write_snapshots(folder: Path, count: int, seed: int = 7) -> Corpus:
    """Write daily API answers holding `count` papers into `folder`; return the corpus."""
    folder.mkdir(parents=True, exist_ok=True)
    corpus, plan = planned(count, seed)
    for day, size in plan:
        write_listing(folder, day, corpus.day(day, size))
    return corpus


def write_listing(folder: Path, listed: dt.date, items: list[dict[str, Any]]) -> Path:
    """Write one day's answer named by its day (`daily-2026-11-30.json`), dated (mtime) that
    day, as a user saving one a day would have; a day still to come is dated two seconds ago
    (no file is saved in the future: the build never trusts the stat of one that seems to be,
    nor of one changed within the last second, and would read it again on every build)."""
    path = folder / f"daily-{listed.isoformat()}.json"
    path.write_text(json.dumps(items, ensure_ascii=False, indent=1), encoding="utf-8")
    stamp = dt.datetime(listed.year, listed.month, listed.day, 8, tzinfo=dt.UTC).timestamp()
    stamp = min(stamp, time.time() - 2)
    os.utime(path, (stamp, stamp))
    return path


def make_papers(count: int, seed: int = 7) -> list[Paper]:
    """Make `count` synthetic papers as paper records (for tests that need paper files only)."""
    corpus, plan = planned(count, seed)
    taken: set[str] = set()
    papers = []
    for day, size in plan:
        for _ in range(size):
            p = corpus.paper(day)
            paper = Paper(
                title=p.title,
                listed_abstract=p.abstract,
                slug=make_slug(p.title, taken),
                date=p.date if corpus.rng.random() > 0.04 else None,
                authors=p.authors,
                organization=Organization(*p.org) if p.org else None,
                upvotes=p.upvotes,
                arxiv_id=p.arxiv_id,
                github=p.github,
                project_page=p.project_page,
                keywords=p.keywords,
                links=extract_links(p.abstract),
                sources=(Source(day, f"daily-{day.isoformat()}.json"),),
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
