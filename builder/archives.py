"""Group papers for browsing: digest pages, days, months, organizations and topics; pure."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from builder.models import Paper, listed_on, month_key, month_name
from builder.topics import Topic
from builder.urls import DIGEST_PAGES, HOME, archive_pages, digest_url, org_key, url_for


def newest_first(papers: Sequence[Paper]) -> list[Paper]:
    """Sort papers newest first, ties by slug, papers with no day at all last."""
    return sorted(papers, key=lambda p: (-(listed_on(p) or dt.date.min).toordinal(), p.slug))


@dataclass(frozen=True)
class Pagination:
    """Where one page of a list (the digest, an archive) sits among all of them."""

    page: int
    page_count: int
    first: str = HOME  # the site path of page 1
    rest: str = DIGEST_PAGES  # the site path of the others

    def url(self, num: int) -> str:
        """Return the site path of page `num` of this list."""
        return self.first if num == 1 else self.rest.format(num=num)

    @property
    def pages(self) -> int:
        """The page count, under the name themes written before `page_count` use."""
        return self.page_count

    @property
    def has_prev(self) -> bool:
        """Tell whether there is a newer page."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """Tell whether there is an older page."""
        return self.page < self.page_count

    @property
    def prev_num(self) -> int:
        """Return the previous page's number."""
        return self.page - 1

    @property
    def next_num(self) -> int:
        """Return the next page's number."""
        return self.page + 1

    def iter_pages(self, edge: int = 1, around: int = 2) -> Iterator[int | None]:
        """Yield page numbers to link, None where a run of pages is left out."""
        last = 0
        for num in range(1, self.page_count + 1):
            if num <= edge or num > self.page_count - edge or abs(num - self.page) <= around:
                if last and num != last + 1:
                    yield None
                yield num
                last = num


@dataclass(frozen=True)
class Day:
    """Papers under one day (their date, or the capture date of undated ones)."""

    day: dt.date | None
    papers: tuple[Paper, ...]


def group_days(papers: Sequence[Paper]) -> list[Day]:
    """Group papers (already in order) into runs of the same day."""
    days: list[Day] = []
    run: list[Paper] = []
    for paper in papers:
        if run and listed_on(run[-1]) != listed_on(paper):
            days.append(Day(listed_on(run[0]), tuple(run)))
            run = []
        run.append(paper)
    if run:
        days.append(Day(listed_on(run[0]), tuple(run)))
    return days


@dataclass(frozen=True)
class DigestPage:
    """One page of the digest."""

    pagination: Pagination
    dest: str
    days: tuple[Day, ...]


def chunks(papers: Sequence[Paper], size: int) -> list[Sequence[Paper]]:
    """Cut papers into runs of `size`; there is always a first (maybe empty) run."""
    return [papers[i : i + size] for i in range(0, len(papers), size)] or [papers[:0]]


def paginate(papers: Sequence[Paper], page_size: int) -> list[DigestPage]:
    """Cut the papers (newest first) into digest pages; there is always a first page."""
    runs = chunks(papers, page_size)
    return [
        DigestPage(Pagination(n, len(runs)), digest_url(n), tuple(group_days(run)))
        for n, run in enumerate(runs, start=1)
    ]


@dataclass(frozen=True)
class Archive:
    """One archive page: a month, an organization or a topic, and its papers newest first."""

    kind: str
    key: str
    title: str
    papers: tuple[Paper, ...]
    dest: str


@dataclass(frozen=True)
class ArchivePage:
    """One page of an archive: its papers and where the page sits among the archive's pages."""

    archive: Archive
    pagination: Pagination
    papers: tuple[Paper, ...]

    @property
    def dest(self) -> str:
        """Return the site path of this page."""
        return self.pagination.url(self.pagination.page)


def paginate_archive(archive: Archive, page_size: int) -> list[ArchivePage]:
    """Cut an archive into pages of `page_size` papers: page 1 at its URL, then `<key>/2.html`."""
    rest = archive_pages(archive.kind, archive.key)
    runs = chunks(archive.papers, page_size)
    return [
        ArchivePage(archive, Pagination(n, len(runs), archive.dest, rest), tuple(run))
        for n, run in enumerate(runs, start=1)
    ]


def _archives(
    kind: str, groups: Mapping[str, list[Paper]], titles: Mapping[str, str]
) -> list[Archive]:
    return [
        Archive(kind, key, titles[key], tuple(groups[key]), url_for(kind, key))
        for key in sorted(groups)
    ]


def month_archives(papers: Sequence[Paper]) -> list[Archive]:
    """Group papers (newest first) by the month they are listed under, newest month first."""
    groups: dict[str, list[Paper]] = defaultdict(list)
    for paper in papers:
        day = listed_on(paper)
        if day is not None:
            groups[month_key(day)].append(paper)
    titles = {key: month_name(key) for key in groups}
    return _archives("month", groups, titles)[::-1]


def org_archives(papers: Sequence[Paper]) -> list[Archive]:
    """Group papers by organization, most papers first; the newest paper names the org."""
    groups: dict[str, list[Paper]] = defaultdict(list)
    titles: dict[str, str] = {}
    for paper in papers:
        if paper.organization is not None:
            key = org_key(paper.organization.id)
            groups[key].append(paper)
            titles.setdefault(key, paper.organization.name or paper.organization.id)
    return sorted(_archives("org", groups, titles), key=lambda a: (-len(a.papers), a.key))


def topic_archives(
    papers: Sequence[Paper], topics: Mapping[str, tuple[Topic, ...]]
) -> list[Archive]:
    """Group papers by topic (`topics`: slug -> its topics), most papers first."""
    groups: dict[str, list[Paper]] = defaultdict(list)
    titles: dict[str, str] = {}
    for paper in papers:
        for topic in topics[paper.slug]:
            groups[topic.slug].append(paper)
            titles.setdefault(topic.slug, topic.name)
    return sorted(_archives("topic", groups, titles), key=lambda a: (-len(a.papers), a.key))
