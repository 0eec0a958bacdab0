"""Loading paper files: strict types, errors naming file, line and key; duplicates refused."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest

from builder.cache import BuildCache
from builder.errors import FrontMatterError
from builder.load import load_papers, parse_paper
from builder.memo import loaded_papers
from builder.models import Organization, Source


def paper_text(**keys: str) -> str:
    lines = "".join(f"{k}: {v}\n" for k, v in keys.items())
    return f"---\n{lines}---\nAn abstract.\n"


def test_a_hand_written_paper_loads_with_defaults() -> None:
    text = "---\ntitle: My Own Paper\norganization: Gensyn\ntags: [math]\n---\nWhy it matters.\n"
    paper, _ = parse_paper(text, "my-own-paper.md", "my-own-paper")
    assert paper.slug == "my-own-paper"
    assert paper.organization == Organization("Gensyn", "Gensyn")
    assert paper.tags == ("math",)
    assert paper.file_body == "Why it matters.\n"
    assert paper.date is None and paper.sources == () and paper.upvotes is None


def test_fields_are_typed() -> None:
    text = paper_text(
        title="'T'",
        date="2026-05-25",
        upvotes="3",
        arxiv_id="2401.10000",
        sources="[{file: a.txt, captured: 2026-06-10}]",
        github="https://github.com/a/b",
    )
    paper, _ = parse_paper(text, "t.md", "t")
    assert paper.date == dt.date(2026, 5, 25)
    assert paper.arxiv_id == "2401.10000"  # the source text, not the float 2401.1
    assert paper.sources == (Source(dt.date(2026, 6, 10), "a.txt"),)


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (
            {"title": "T", "slug": "t", "date": "5/1/24"},
            "content/papers/ghosts-of-softmax.md:4: front matter 'date' must be YYYY-MM-DD, "
            "got '5/1/24'",
        ),
        (
            {"slug": "t"},
            "content/papers/ghosts-of-softmax.md:2: front matter has no 'title'; add 'title: ...'",
        ),
        (
            {"title": "T", "upvotes": "many"},
            "content/papers/ghosts-of-softmax.md:3: front matter 'upvotes' must be a whole number, "
            "got 'many'",
        ),
        (
            {"title": "T", "slug": "Not A Slug"},
            "content/papers/ghosts-of-softmax.md:3: front matter 'slug' must be lowercase ASCII "
            "words joined by '-' (like 'my-paper-title'), got 'Not A Slug'",
        ),
        (
            {"title": "T", "github": "javascript:alert(1)"},
            "content/papers/ghosts-of-softmax.md:3: front matter 'github' must be an http(s) URL, "
            "got 'javascript:alert(1)'",
        ),
        (
            {"title": "T", "sources": "[{file: a.txt}]"},
            "content/papers/ghosts-of-softmax.md:3: front matter 'sources' must be a list of "
            "{file: ..., captured: YYYY-MM-DD or a UTC time}, got \"[{'file': 'a.txt'}]\"",
        ),
    ],
)
def test_errors_name_the_file_line_and_key(keys: dict[str, str], message: str) -> None:
    with pytest.raises(FrontMatterError) as info:
        parse_paper(paper_text(**keys), "content/papers/ghosts-of-softmax.md", "ghosts-of-softmax")
    assert str(info.value) == message


def test_load_papers_skips_bad_files_and_duplicate_slugs(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(paper_text(title="A", slug="same"))
    (tmp_path / "b.md").write_text(paper_text(title="B", slug="same"))
    (tmp_path / "c.md").write_text("no front matter\n")
    (tmp_path / "d.md").write_bytes(b"---\ntitle: \xff\n---\n")
    (tmp_path / "e.md").write_text(paper_text(title="E"))
    (tmp_path / "notes.txt").write_text("not a paper")
    stored, problems = load_papers(tmp_path)
    assert [s.paper.slug for s in stored] == ["same", "e"]
    shown = [str(p).replace(str(tmp_path), "DIR") for p in problems]
    assert shown == [
        "DIR/b.md:3: slug 'same' is already used by DIR/a.md; give one of them another slug",
        "DIR/c.md:1: expected '---' to open the front matter, found 'no front matter'",
        "DIR/d.md: cannot read: not UTF-8 text",
    ]


def test_a_paper_with_no_day_at_all_sits_under_the_day_its_file_appeared(tmp_path: Path) -> None:
    import os

    (tmp_path / "mine.md").write_text("---\ntitle: Mine\n---\nMy notes.\n")
    (tmp_path / "dated.md").write_text("---\ntitle: Dated\ndate: 2026-01-02\n---\n")
    (tmp_path / "listed.md").write_text("---\ntitle: Listed\nlisted: 2026-01-03\n---\n")
    noon = dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC).timestamp()
    for name in ("mine.md", "dated.md", "listed.md"):
        os.utime(tmp_path / name, (noon, noon))
    stored = {s.paper.slug: s for s in load_papers(tmp_path)[0]}
    assert stored["mine"].paper.appeared == dt.date(2026, 7, 1)
    assert stored["dated"].paper.appeared is None and stored["listed"].paper.appeared is None
    assert stored["listed"].paper.listed == dt.date(2026, 1, 3)
    # The day is part of what its pages show: a touch that moves it changes its content id.
    before = stored["mine"].sha
    later = noon + 86400
    os.utime(tmp_path / "mine.md", (later, later))
    again = {s.paper.slug: s for s in load_papers(tmp_path)[0]}["mine"]
    assert again.paper.appeared == dt.date(2026, 7, 2) and again.sha != before


def test_a_second_load_with_a_memo_looks_again_only_at_files_whose_stat_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "papers"
    folder.mkdir()
    for name in ("a", "b", "c"):
        (folder / f"{name}.md").write_text(paper_text(title=f"'{name}'", date="2026-05-25"))
        os.utime(folder / f"{name}.md", ns=(time.time_ns() - 10**10,) * 2)  # settled
    cache, memo = BuildCache(tmp_path / ".cache"), {}
    first, _ = loaded_papers(cache, folder, None, memo)
    cache.warm = True  # as `serve` keeps it: a save counts what is used anew
    cache.save()
    looked: list[str] = []  # the files whose stat is checked against the cache's
    file_hash = BuildCache.file_hash
    monkeypatch.setattr(
        BuildCache,
        "file_hash",
        lambda c, path, *a: (looked.append(Path(path).name), file_hash(c, path, *a))[1],
    )
    # b.md changed: looked at again.
    (folder / "b.md").write_text(paper_text(title="'b, edited'", date="2026-05-25"))
    # Changed within a second of the load that saw it: not trusted by the next, even with the
    # very same stat (an edit in the same clock tick leaves the stat as it was).
    (folder / "c.md").write_text(paper_text(title="'c'", date="2026-05-25", tags="[x]"))
    racy = os.stat(folder / "c.md")
    again, _ = loaded_papers(cache, folder, None, memo)
    (folder / "c.md").write_text(paper_text(title="'c'", date="2026-05-25", tags="[y]"))
    os.utime(folder / "c.md", ns=(racy.st_atime_ns, racy.st_mtime_ns))
    last, _ = loaded_papers(cache, folder, None, memo)
    # a.md is not looked at again; b.md and c.md, written within a second, are each time.
    assert looked == ["b.md", "c.md", "b.md", "c.md"]
    assert again[0] is first[0]  # the same StoredPaper
    assert [s.paper.title for s in again] == ["a", "b, edited", "c"]
    assert last[2].paper.tags == ("y",)
    # What was found again stays in the cache (its entries kept, not pruned as unused).
    files, parsed = cache.table("files"), cache.table("papers")
    assert {s.fs_path for s in last} <= files.used
    assert {(s.sha, Path(s.fs_path).stem) for s in last} <= parsed.used


def test_a_file_changed_within_a_second_of_its_read_is_not_trusted_however_long_the_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from builder import load

    folder = tmp_path / "papers"
    folder.mkdir()
    (folder / "c.md").write_text(paper_text(title="'c'", date="2026-05-25", tags="[x]"))
    os.utime(folder / "c.md", ns=(time.time_ns() - 2 * 10**8,) * 2)  # 0.2 s before the read
    fork_map = load.fork_map

    def slow(*args: object, **kwargs: object) -> object:
        time.sleep(1.2)  # a long parse: the file looks settled by its end
        return fork_map(*args, **kwargs)

    monkeypatch.setattr(load, "fork_map", slow)
    cache, memo = BuildCache(tmp_path / ".cache"), {}
    loaded_papers(cache, folder, None, memo)
    racy = os.stat(folder / "c.md")
    (folder / "c.md").write_text(paper_text(title="'c'", date="2026-05-25", tags="[y]"))
    os.utime(folder / "c.md", ns=(racy.st_atime_ns, racy.st_mtime_ns))  # the very same stat
    again, _ = loaded_papers(cache, folder, None, memo)
    assert again[0].paper.tags == ("y",)
