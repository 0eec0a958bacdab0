"""An incremental build equals a build from nothing, whatever sequence of changes led to it.

A Hypothesis state machine keeps a small project (a few dozen papers from API snapshots) and
applies random changes: snapshots added, edited and removed; paper files edited by hand (title,
abstract, tags, date, organization, upvotes), written and deleted by hand; a theme template
added, changed and removed; `site.yaml` changed. After each, it builds, and checks that the
site equals the one a build with an empty `.cache/` makes of the same files (the related-papers
lists and the reading list's chunks aside: they are updated with the last fit, as documented),
and that a second build writes nothing. Files it writes are dated two seconds back, past the
cache's one-second rule for racy stats. The `thorough` profile runs many more sequences.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from builder.build import build
from builder.cache import BuildCache
from builder.config import load_config
from tests.conftest import REPO

VOCABULARY = (
    "grokking reasoning language models diffusion agents vision robotics math theory "
    "optimization benchmark transformer attention sparse memory retrieval softmax collapse "
    "generalization scaling training data tokens reward policy graph physics protein video "
    "speech code search planning alignment safety multimodal image segmentation"
)
WORDS = tuple(VOCABULARY.split())
ORGS = (("berkeley", "UC Berkeley"), ("index", "Index Lab"), ("meituan-longcat", "LongCat"))
FIRST_DAY = dt.date(2026, 6, 1)
# The `thorough` profile (thousands of examples a property) runs many long sequences.
THOROUGH = settings.default.max_examples > 1000


def backdate(path: Path) -> None:
    """Date a file two seconds back, so the build can trust its stat (`stats.RACY_NS`)."""
    moment = time.time() - 2
    os.utime(path, (moment, moment))


def text_of(words: list[int], length: int) -> str:
    """Words of the vocabulary picked by `words` (cycled), `length` of them."""
    return " ".join(WORDS[words[i % len(words)] % len(WORDS)] for i in range(length))


def api_item(number: int, day: dt.date, words: list[int], upvotes: int) -> dict:
    """One item of the listing's API, listed on `day`."""
    org = ORGS[number % len(ORGS)] if number % 4 else None
    paper = {
        "id": f"2606.{number:05d}",
        "title": f"Paper {number}: " + text_of(words, 4).capitalize(),
        "summary": text_of([*words[::-1], number], 30) + ".",
        "publishedAt": f"{day - dt.timedelta(days=2)}T00:00:00.000Z",
        "submittedOnDailyAt": f"{day}T00:00:00.000Z",
        "upvotes": upvotes,
        "authors": [{"name": f"Author {number % 7}"}, {"name": "Ada Lovelace"}],
    }
    if org:
        paper["organization"] = {"name": org[0], "fullname": org[1]}
    return {"paper": paper}


def contents(folder: Path) -> dict[str, bytes]:
    """Every file of a site, the related lists cut out and the reading list's chunks left out."""
    return {
        p.relative_to(folder).as_posix(): re.sub(
            rb'\s*<section id="related".*?</section>', b"", p.read_bytes(), flags=re.S
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.relative_to(folder).as_posix().startswith("assets/library/")
    }


class _GivenUp(logging.Handler):
    """The build cache's messages of a save or read given up (a lock waited on too long):
    a related list lost so changes the next build, and a failure should say so."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.said: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if re.search(r"^cache\b.*\b(not saved|unreadable|unwritable)", message):
            self.said.append(message)


class IncrementalBuilds(RuleBasedStateMachine):
    """A project changed step by step, built after every step."""

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="incremental-"))
        self.next_number = 1
        self.days: dict[str, list[dict]] = {}
        self.builds = 0
        self.warm: BuildCache | None = None

    # -- the project ---------------------------------------------------------------------

    def write(self, relative: str, text: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        backdate(path)

    def snapshot(self, day: dt.date, items: list[dict]) -> None:
        name = f"snapshots/daily-{day}.json"
        self.days[name] = items
        self.write(name, json.dumps(items, indent=1))

    def papers(self) -> list[Path]:
        return sorted((self.root / "papers").glob("*.md"))

    def edit_front_matter(self, path: Path, key: str, line: str | None) -> None:
        """Set (or, with None, remove) one key's line in a paper file's front matter."""
        text = path.read_text(encoding="utf-8")
        head, sep, body = text[4:].partition("\n---\n")
        lines = [x for x in head.split("\n") if not x.startswith(f"{key}:")]
        if line is not None:
            lines.insert(2, line)  # after title and slug
        path.write_text("---\n" + "\n".join(lines) + sep + body, encoding="utf-8")
        backdate(path)

    def new_items(self, day: dt.date, count: int, words: list[int]) -> list[dict]:
        items = []
        for n in range(count):
            items.append(api_item(self.next_number, day, [*words, n], 1 + n))
            self.next_number += 1
        return items

    # -- the steps -----------------------------------------------------------------------

    @initialize(words=st.lists(st.integers(0, 99), min_size=3, max_size=6))
    def start(self, words: list[int]) -> None:
        (self.root / "snapshots").mkdir()
        (self.root / "theme").mkdir()
        self.write(
            "site.yaml",
            "title: Incremental\nsnapshots: snapshots\npapers: papers\noutput: output\n"
            "theme_dirs: [theme]\npage_size: 4\n",
        )
        for offset in range(3):
            day = FIRST_DAY + dt.timedelta(days=offset)
            self.snapshot(day, self.new_items(day, 8, [*words, offset]))

    @rule(
        offset=st.integers(3, 40),
        count=st.integers(1, 6),
        words=st.lists(st.integers(0, 99), min_size=1, max_size=4),
    )
    def add_snapshot(self, offset: int, count: int, words: list[int]) -> None:
        day = FIRST_DAY + dt.timedelta(days=offset)
        self.snapshot(day, self.new_items(day, count, words))

    @rule(pick=st.integers(0, 999), more=st.integers(1, 50))
    def edit_snapshot(self, pick: int, more: int) -> None:
        name = sorted(self.days)[pick % len(self.days)]
        items = self.days[name]
        if items:
            items[pick % len(items)]["paper"]["upvotes"] += more  # a later capture's count
        self.days[name] = items
        self.write(name, json.dumps(items, indent=1))

    @rule(pick=st.integers(0, 999))
    def remove_snapshot(self, pick: int) -> None:
        if len(self.days) > 1:
            name = sorted(self.days)[pick % len(self.days)]
            del self.days[name]
            (self.root / name).unlink()

    @rule(
        pick=st.integers(0, 999),
        field=st.sampled_from(["title", "abstract", "tags", "date", "organization", "upvotes"]),
        value=st.integers(0, 99),
    )
    def edit_paper(self, pick: int, field: str, value: int) -> None:
        files = self.papers()
        if not files:
            return
        path = files[pick % len(files)]
        word = WORDS[value % len(WORDS)]
        if field == "abstract":
            path.write_text(path.read_text(encoding="utf-8") + f"\nAlso {word}.\n")
            backdate(path)
            return
        line = {
            "title": f"title: Edited {word} {value}",
            "tags": f"tags: [{word}]" if value % 3 else None,
            "date": f"date: 2026-05-{1 + value % 28:02d}" if value % 3 else None,
            "organization": f"organization: {{id: {word}, name: {word.title()}}}"
            if value % 3
            else None,
            "upvotes": f"upvotes: {value}",
        }[field]
        self.edit_front_matter(path, field, line)

    @rule(value=st.integers(0, 99), dated=st.booleans())
    def write_paper_by_hand(self, value: int, dated: bool) -> None:
        word = WORDS[value % len(WORDS)]
        date = f"date: 2026-06-{1 + value % 28:02d}\n" if dated else ""
        self.write(
            f"papers/mine-{value}.md",
            f"---\ntitle: My note on {word} {value}\n{date}tags: [notes]\n---\n"
            f"I wrote this about {word}.\n",
        )

    @rule(pick=st.integers(0, 999))
    def delete_paper_file(self, pick: int) -> None:
        files = self.papers()
        if files:
            files[pick % len(files)].unlink()

    @rule(variant=st.sampled_from(["card", "base", "none"]))
    def edit_template(self, variant: str) -> None:
        theme = self.root / "theme"
        for name in ("macros.html", "base.html"):
            (theme / name).unlink(missing_ok=True)
        if variant == "card":
            macros = (REPO / "templates" / "macros.html").read_text()
            self.write("theme/macros.html", macros.replace('class="excerpt"', 'class="excerpt m"'))
        elif variant == "base":
            base = (REPO / "templates" / "base.html").read_text()
            self.write("theme/base.html", base.replace("<main", "<p class=mine>Mine</p>\n<main"))

    @rule(title=st.sampled_from(["Incremental", "Renamed"]), size=st.sampled_from([3, 4, 30]))
    def change_settings(self, title: str, size: int) -> None:
        self.write(
            "site.yaml",
            f"title: {title}\nsnapshots: snapshots\npapers: papers\noutput: output\n"
            f"theme_dirs: [theme]\npage_size: {size}\n",
        )

    # -- the check -----------------------------------------------------------------------

    @invariant()
    def equals_a_build_from_nothing(self) -> None:
        if not (self.root / "site.yaml").exists():
            return
        config = load_config(self.root / "site.yaml", {})[0]
        # Two builds in three with the cache the last one left loaded (as `serve` builds),
        # the third with a new one (as the command line does); the second build, a new one.
        self.builds += 1
        warm = self.builds % 3 != 0
        if warm and self.warm is None:
            self.warm = BuildCache(config.cache_dir)
        given_up = _GivenUp()
        logger = logging.getLogger("builder.cache")
        level = logger.level
        logger.addHandler(given_up)
        logger.setLevel(logging.DEBUG)
        try:
            build(config, warm=self.warm if warm else None)
            before = contents(self.root / "output")
            again = build(config)
        finally:
            logger.removeHandler(given_up)
            logger.setLevel(level)
        after = contents(self.root / "output")
        written = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
        assert again.files == again.unchanged, (
            f"a second build wrote files: {written} (the cache said: {given_up.said})"
        )
        fresh = Path(tempfile.mkdtemp(prefix="fresh-"))
        try:
            for name in ("site.yaml", "snapshots", "papers", "theme"):
                source = self.root / name
                if source.is_dir():
                    shutil.copytree(source, fresh / name)
                else:
                    shutil.copy2(source, fresh / name)
            build(load_config(fresh / "site.yaml", {})[0])
            assert contents(self.root / "output") == contents(fresh / "output")
        finally:
            shutil.rmtree(fresh, ignore_errors=True)

    def teardown(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


IncrementalBuilds.TestCase.settings = settings(
    max_examples=100 if THOROUGH else 1,
    stateful_step_count=25 if THOROUGH else 8,
    deadline=None,
    # Shrinking a failure takes minutes of builds: the suite reports the sequence as found.
    phases=list(Phase) if THOROUGH else [Phase.explicit, Phase.reuse, Phase.generate],
)
test_incremental_builds_equal_builds_from_nothing = IncrementalBuilds.TestCase
