"""Group papers for browsing: digest pages, days, months, organizations and topics; pure."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from builder.models import Paper, listed_on, month_key, month_name
from builder.topics import Topic
from builder.urls import HOME, archive_pages, day_url, org_key, url_for


def newest_first(papers: Sequence[Paper]) -> list[Paper]:
    """Sort papers newest first, ties by slug, papers with no day at all last."""
    return sorted(papers, key=lambda p: (-(listed_on(p) or dt.date.min).toordinal(), p.slug))


@dataclass(frozen=True)
class Pagination:
    """Where one page of an archive sits among its pages. Pages are numbered from the oldest
    papers (page 1) up; the newest, page `page_count`, is the archive's own URL, so new papers
    only ever change that page and the numbered pages keep what they hold."""

    page: int
    page_count: int
    first: str  # the site path of the newest page (the archive's own URL)
    rest: str  # the pattern of the numbered pages: `orgs/berkeley/{num}.html`

    def url(self, num: int) -> str:
        """Return the site path of page `num` of this list."""
        return self.first if num == self.page_count else self.rest.format(num=num)

    @property
    def pages(self) -> int:
        """The page count, under the name themes written before `page_count` use."""
        return self.page_count

    @property
    def latest(self) -> bool:
        """Tell whether this is the newest page (the archive's own URL)."""
        return self.page == self.page_count

    @property
    def has_prev(self) -> bool:
        """Tell whether there is a newer page."""
        return self.page < self.page_count

    @property
    def has_next(self) -> bool:
        """Tell whether there is an older page."""
        return self.page > 1

    @property
    def prev_num(self) -> int:
        """Return the number of the next newer page."""
        return self.page + 1

    @property
    def next_num(self) -> int:
        """Return the number of the next older page."""
        return self.page - 1

    def links(self) -> tuple[tuple[str, str | None, bool], ...]:
        """The pager's links, newest first: (label, site path or None for a gap, current);
        the newest page is labelled `Newest`, the others by number."""
        return tuple(
            (
                "…" if num is None else "Newest" if num == self.page_count else str(num),
                None if num is None else self.url(num),
                num == self.page,
            )
            for num in self.iter_pages()
        )

    def pager(self) -> Pager:
        """What a page's pager shows (and nothing that changes as the archive grows)."""
        return Pager(
            self.page,
            self.latest,
            self.page_count > 1,
            self.links(),
            self.url(self.prev_num) if self.has_prev else None,
            self.url(self.next_num) if self.has_next else None,
        )

    def iter_pages(self, edge: int = 1, around: int = 2) -> Iterator[int | None]:
        """Yield page numbers to link, newest first, None where a run of pages is left out."""
        last = 0
        for num in range(self.page_count, 0, -1):
            if num <= edge or num > self.page_count - edge or abs(num - self.page) <= around:
                if last and num != last - 1:
                    yield None
                yield num
                last = num


@dataclass(frozen=True)
class Pager:
    """The pager of one archive page: its number, whether it is the newest, the links around
    it (label, site path or None for a gap, current) and its newer and older pages."""

    page: int
    latest: bool
    several: bool  # the archive has more than one page
    links: tuple[tuple[str, str | None, bool], ...]
    newer: str | None
    older: str | None


@dataclass(frozen=True)
class Day:
    """The papers a listing day showed (see `models.listed_on`)."""

    day: dt.date | None
    papers: tuple[Paper, ...]


def group_days(papers: Sequence[Paper]) -> list[Day]:
    """Group papers (already in order) into runs of the same listing day."""
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
class DayPage:
    """One listing day's page, with the days before and after it that have papers."""

    day: Day
    dest: str
    newer: dt.date | None  # the next listing day with papers
    older: dt.date | None

    @property
    def month(self) -> str:
        """The key of the month the day is in."""
        assert self.day.day is not None
        return month_key(self.day.day)

    @property
    def month_title(self) -> str:
        """The month the day is in, as shown: `March 2026`."""
        return month_name(self.month)


def day_pages(papers: Sequence[Paper]) -> list[DayPage]:
    """Give each listing day its page, newest first (papers newest first)."""
    days = [d for d in group_days(papers) if d.day is not None]
    return [
        DayPage(
            day,
            day_url(day.day),
            days[i - 1].day if i > 0 else None,
            days[i + 1].day if i + 1 < len(days) else None,
        )
        for i, day in enumerate(days)
        if day.day is not None
    ]


@dataclass(frozen=True)
class Digest:
    """The front page: the newest whole listing days, and the day before them."""

    days: tuple[Day, ...]
    older: dt.date | None  # the listing day before them
    dest: str = HOME


def digest(papers: Sequence[Paper], page_size: int) -> Digest:
    """Show the newest whole days with at least `page_size` papers between them (all when
    there are fewer); papers newest first."""
    days = group_days(papers)
    shown = 0
    count = 0
    while shown < len(days) and (count < page_size or shown == 0):
        count += len(days[shown].papers)
        shown += 1
    older = next((d.day for d in days[shown:] if d.day is not None), None)
    return Digest(tuple(days[:shown]), older)


@dataclass(frozen=True)
class Archive:
    """One archive page: a month, an organization or a topic, and its papers newest first."""

    kind: str
    key: str
    title: str
    papers: tuple[Paper, ...]
    dest: str


@dataclass(frozen=True)
class Head:
    """What names an archive on its pages and in its index: kind, key, title, URL, and (in the
    index and on its own page only) how many papers it holds."""

    kind: str
    key: str
    title: str
    dest: str
    count: int | None = None

    @staticmethod
    def of(archive: Archive | None, counted: bool = False) -> Head | None:
        """The head of an archive (None for none)."""
        if archive is None:
            return None
        count = len(archive.papers) if counted else None
        return Head(archive.kind, archive.key, archive.title, archive.dest, count)


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
    """Cut an archive into pages, newest first: its own URL shows the newest papers (at least
    `page_size`, fewer than twice that), then `<key>/<n>.html` holds the n-th `page_size`
    papers counted from the oldest."""
    papers = archive.papers
    numbered = max(0, len(papers) // page_size - 1)
    newest = len(papers) - numbered * page_size
    count = numbered + 1
    rest = archive_pages(archive.kind, archive.key)
    pages = [ArchivePage(archive, Pagination(count, count, archive.dest, rest), papers[:newest])]
    for num in range(numbered, 0, -1):
        start = len(papers) - num * page_size
        pagination = Pagination(num, count, archive.dest, rest)
        pages.append(ArchivePage(archive, pagination, papers[start : start + page_size]))
    return pages


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
