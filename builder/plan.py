"""Plan the site: every file it has, each with a key for what it shows and a way to make it.

A page's key hashes the settings, the theme, the builder's code and the content ids of the
papers it shows (and their order), so two builds that give a page the same key give it the
same bytes: the build keeps such a page from the last site instead of rendering it again.
Nothing is rendered here; `Renderer` (render.py) renders when a file's `make` is called.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial

from builder import library
from builder.archives import (
    Archive,
    ArchivePage,
    day_pages,
    digest,
    group_days,
    month_archives,
    org_archives,
    paginate_archive,
    topic_archives,
)
from builder.cache import key_of, sha
from builder.cite import bibtex, cite_keys
from builder.config import SiteConfig
from builder.feed import Feed
from builder.models import Output, Paper, capture_order
from builder.prepare import PaperPage
from builder.render import Renderer, fill_script, links_out, static_files
from builder.search import ENGINE_FILE, engine_rules
from builder.top import TopList, TopPapers, top_papers
from builder.trends import Trend, draw, trends
from builder.urls import (
    HOME,
    PAGES,
    PATTERNS,
    SECTIONS,
    bib_url,
    feed_url,
    index_url,
    is_web,
    published,
)

__all__ = ["Output", "plan_site"]

log = logging.getLogger(__name__)


def _ids(papers: Sequence[Paper], page_of: dict[str, PaperPage]) -> tuple[str, ...]:
    """The content ids of papers, in order: what a page that lists them shows."""
    return tuple(page_of[p.slug].id for p in papers)


def plan_site(prepared: Sequence[PaperPage], config: SiteConfig, render: Renderer) -> list[Output]:
    """List every file of the site (but the search files) with its key, rendering none yet;
    `prepared` are the papers' pages, newest first."""
    papers = [page.paper for page in prepared]
    plan = _static_outputs(config)
    plan += _digest_outputs(render, papers, config.page_size)
    paper_files, bibs = _paper_outputs(render, prepared, config)
    plan += paper_files
    # Archives: by month, organization and topic, each paginated, with an index page.
    topics = {page.paper.slug: page.topics for page in prepared}
    archives = {
        "month": month_archives(papers),
        "org": org_archives(papers),
        "topic": topic_archives(papers, topics),
    }
    tops = top_papers(papers)
    for kind, group in archives.items():
        plan += _archive_outputs(render, kind, group, config.page_size, tops.by_month)
    plan += _feed_outputs(render, archives, config)
    plan += _overview_outputs(render, trends(papers, topics), tops)
    plan += _data_outputs(render, prepared, config)
    plan += _library_outputs(render, bibs)
    plan += _site_outputs(render, papers, config, plan)
    return plan


def _static_outputs(config: SiteConfig) -> list[Output]:
    """Plan the theme's static files, the scripts with the values they take from the build."""
    values = {
        "rules": engine_rules(),
        "paper-url": PATTERNS["paper"],
        "library": library.script_values(),
    }
    files = static_files(config)
    if b"/* paper-digest: rules */ null" not in files[ENGINE_FILE]:
        log.warning(
            "the theme's static/search.js has no '/* paper-digest: rules */ null': it keeps "
            "rules of its own, which may not be this builder's; copy it anew from templates/"
        )
    files = {d: fill_script(b, values) if d.endswith(".js") else b for d, b in files.items()}
    return [Output(dest, sha(data), partial(lambda d: d, data)) for dest, data in files.items()]


def _digest_outputs(render: Renderer, papers: Sequence[Paper], page_size: int) -> list[Output]:
    """Plan the front page (the newest listing days) and a page per listing day."""
    front = digest(papers, page_size)
    key = key_of(
        render.base,
        "digest",
        len(papers),
        tuple((d.day, _ids(d.papers, render.page_of)) for d in front.days),
        front.older and front.older.day,
    )
    make = partial(render, "index.html", front.dest, "digest", digest=front)
    outputs = [Output(front.dest, key, make)]
    for page in day_pages(papers):
        key = key_of(
            render.base,
            "day",
            page.dest,
            _ids(page.day.papers, render.page_of),
            tuple(d and (d.day, len(d.papers)) for d in (page.newer, page.older)),
        )
        make = partial(render, "day.html", page.dest, "digest", page=page)
        outputs.append(Output(page.dest, key, make))
    return outputs


def _paper_outputs(
    render: Renderer, prepared: Sequence[PaperPage], config: SiteConfig
) -> tuple[list[Output], dict[str, str]]:
    """Plan one page per paper, linked to its neighbours in digest order, with its BibTeX
    beside it; return them and the BibTeX entries by slug."""
    page_of = render.page_of
    by_capture = sorted((page.paper for page in prepared), key=capture_order)
    keys = cite_keys(by_capture, {p.paper.slug: p.day for p in prepared})
    outputs = []
    bibs: dict[str, str] = {}
    for i, page in enumerate(prepared):
        newer = prepared[i - 1] if i > 0 else None
        older = prepared[i + 1] if i + 1 < len(prepared) else None
        shown = [page_of[s] for s, _ in render.related.get(page.paper.slug, ())]
        around = tuple((p.url, p.paper.title) for p in shown)
        entry = bibtex(page.paper, keys[page.paper.slug], page.day, cite_url(config, page))
        bibs[page.paper.slug] = entry
        key = key_of(
            render.base, "paper", page.id, newer and newer.id, older and older.id, around, entry
        )
        make = partial(_paper_page, render, page, newer, older, entry)
        outputs.append(Output(page.url, key, make))
        bib = bib_url(page.url)
        outputs.append(Output(bib, sha(entry.encode()), partial(str.encode, entry)))
    return outputs, bibs


def _overview_outputs(render: Renderer, shown: list[Trend], tops: TopPapers) -> list[Output]:
    """Plan trends.html and top.html."""
    lists = (tops.all_time, *tops.months, *tops.weeks)
    top_key = key_of(
        render.base, "top", tuple((t.title, _ids(t.papers, render.page_of)) for t in lists)
    )
    return [
        Output(
            PAGES["trends"],
            key_of(render.base, "trends", shown),
            partial(_trends_page, render, shown),
        ),
        Output(PAGES["top"], top_key, partial(render, "top.html", PAGES["top"], "top", tops=tops)),
    ]


def _site_outputs(
    render: Renderer, papers: Sequence[Paper], config: SiteConfig, planned: list[Output]
) -> list[Output]:
    """Plan the search page, 404, the feed, the sitemap of the `planned` pages and the files
    hosts look for."""
    from builder.feed import atom_feed  # feedgen itself loads only when a feed is made

    base = render.base
    newest = papers[: config.feed_size]
    outputs = [
        Output(
            PAGES["search"],
            key_of(base, "search", len(papers)),
            partial(render, "search.html", PAGES["search"], "search"),
        ),
        Output(PAGES["404"], key_of(base, "404"), partial(render, "404.html", PAGES["404"], "404")),
        Output(
            PAGES["feed"],
            key_of(base, "feed", _ids(newest, render.page_of)),
            partial(atom_feed, newest, config, render.page_of),
        ),
    ]
    html = [o.dest for o in planned + outputs if o.dest.endswith(".html")]
    outputs += _sitemaps(render, sorted(p for p in html if p != PAGES["404"]))
    robots = partial(render, "robots.txt", PAGES["robots"], "")
    outputs.append(Output(PAGES["robots"], key_of(base, "robots"), robots))
    outputs.append(Output(PAGES["nojekyll"], "", partial(lambda: b"")))
    return outputs


def _trends_page(render: Renderer, shown: list[Trend]) -> str:
    """Render trends.html, drawing its charts."""
    from markupsafe import Markup

    charts = [(trend, Markup(draw(trend))) for trend in shown]
    return render("trends.html", PAGES["trends"], "trends", charts=charts)


def cite_url(config: SiteConfig, page: PaperPage) -> str | None:
    """The URL a citation without an arXiv id points to: the paper's page when the site's
    address is known, else its project page or code."""
    if config.base_url:
        return published(config.base_url, page.url)
    for url in (page.paper.project_page, page.paper.github):
        if url and is_web(url):
            return url
    return None


def _paper_page(
    render: Renderer,
    page: PaperPage,
    newer: PaperPage | None,
    older: PaperPage | None,
    entry: str = "",
) -> str:
    """Render one paper's page."""
    paper = page.paper
    return render(
        "paper.html",
        page.url,
        "paper",
        page=page,
        bibtex=entry,
        bib=bib_url(page.url).split("/")[-1],
        links_out=links_out(paper),
        newer=newer,
        older=older,
        related=[render.page_of[s] for s, _ in render.related.get(paper.slug, ())],
        citation_date=f"{paper.date:%Y/%m/%d}" if paper.date else None,
    )


# URLs per sitemap file (about 100 bytes each): past it, sitemap.xml indexes several files,
# so none grows past 1 MB.
URLS_PER_SITEMAP = 5000


def _sitemaps(render: Renderer, urls: list[str]) -> list[Output]:
    """Plan sitemap.xml: the URLs themselves, or an index of sitemaps/<n>.xml when many."""
    base = render.base
    if len(urls) <= URLS_PER_SITEMAP:
        make = partial(render, "sitemap.xml", PAGES["sitemap"], "", urls=urls)
        return [Output(PAGES["sitemap"], key_of(base, "sitemap", urls), make)]
    outputs = []
    parts = []
    for n, start in enumerate(range(0, len(urls), URLS_PER_SITEMAP), start=1):
        dest = PAGES["sitemaps"].format(num=n)
        chunk = urls[start : start + URLS_PER_SITEMAP]
        make = partial(render, "sitemap.xml", dest, "", urls=chunk)
        outputs.append(Output(dest, key_of(base, "sitemap", chunk), make))
        parts.append(dest)
    make = partial(render, "sitemap-index.xml", PAGES["sitemap"], "", parts=parts)
    outputs.append(Output(PAGES["sitemap"], key_of(base, "sitemap-index", parts), make))
    return outputs


def _archive_outputs(
    render: Renderer,
    kind: str,
    archives: list[Archive],
    page_size: int,
    tops: dict[str, TopList] | None = None,
) -> list[Output]:
    """Plan one kind of archive: its pages and the index listing them all."""
    section = SECTIONS[kind]
    base = render.base
    outputs = []
    for i, archive in enumerate(archives):
        # Months link to the month before and after; the others have no order to walk.
        newer = archives[i - 1] if kind == "month" and i > 0 else None
        older = archives[i + 1] if kind == "month" and i + 1 < len(archives) else None
        around = tuple((a.dest, a.title) if a else None for a in (newer, older))
        top = (tops or {}).get(archive.key) if kind == "month" else None
        feed = Feed(feed_url(archive.dest), archive.title, archive.dest, kind)
        feed_of = feed if kind != "month" else None
        for listing in paginate_archive(archive, page_size):
            shown = top if listing.pagination.latest else None
            outputs.append(
                _archive_output(render, section, listing, newer, older, around, shown, feed_of)
            )
    index = index_url(kind)
    summary = tuple((a.dest, a.title, len(a.papers)) for a in archives)
    outputs.append(
        Output(
            index,
            key_of(base, "index", index, summary),
            partial(render, f"{section}.html", index, section, archives=archives),
        )
    )
    return outputs


def _archive_output(
    render: Renderer,
    section: str,
    listing: ArchivePage,
    newer: Archive | None,
    older: Archive | None,
    around: tuple,
    top: TopList | None = None,
    feed: Feed | None = None,
) -> Output:
    archive = listing.archive
    pagination = listing.pagination
    # The newest page shows the whole archive's count, its top papers and its days; the
    # numbered pages only their own papers and the pager around them, so they seldom change.
    latest = (
        (
            len(archive.papers),
            pagination.page_count,
            _ids(top.papers, render.page_of) if top else None,
            tuple((d.day, len(d.papers)) for d in group_days(archive.papers))
            if archive.kind == "month"
            else None,
        )
        if pagination.latest
        else None
    )
    key = key_of(
        render.base,
        "archive",
        listing.dest,
        archive.kind,
        archive.key,
        archive.title,
        pagination.page,
        pagination.links(),
        _ids(listing.papers, render.page_of),
        around,
        feed,
        latest,
    )
    return Output(
        listing.dest,
        key,
        partial(
            render,
            "archive.html",
            listing.dest,
            section,
            archive=archive,
            pagination=listing.pagination,
            papers=listing.papers,
            newer=newer,
            older=older,
            top=top,
            feed=feed,
        ),
    )


def _library_outputs(render: Renderer, bibs: dict[str, str]) -> list[Output]:
    """Plan saved.html and the chunks of what it shows of each paper."""
    titles = {slug: page.paper.title for slug, page in render.page_of.items()}
    grouped = library.entries(titles, bibs, render.related)
    chunks = len(grouped)
    outputs = []
    for number, papers in grouped.items():
        key = key_of(render.base, "library", number, chunks, papers)
        make = partial(library.script, number, chunks, papers)
        outputs.append(Output(f"{library.FOLDER}{number}.js", key, make))
    page = partial(render, "saved.html", PAGES["saved"], "saved", chunks=chunks)
    outputs.append(Output(PAGES["saved"], key_of(render.base, "saved", chunks), page))
    return outputs


def _data_outputs(
    render: Renderer, prepared: Sequence[PaperPage], config: SiteConfig
) -> list[Output]:
    """Plan the data files: JSON and CSV per month of listing, their schema and their index."""
    from builder import data

    def records(papers: list[Paper]) -> list[dict]:
        return [
            data.record(p, published(config.base_url, render.page_of[p.slug].url)) for p in papers
        ]

    groups = data.by_month([page.paper for page in prepared])
    months = sorted(groups, key=lambda m: (m is None, m or ""))
    outputs = []
    counts = []
    for month in months:
        for part, papers in data.parts(groups[month]):
            key = key_of(render.base, "data", month, part, _ids(papers, render.page_of))
            stem = f"data/{data.file_stem(month, part)}"
            outputs.append(Output(f"{stem}.json", key, lambda p=papers: data.to_json(records(p))))
            outputs.append(Output(f"{stem}.csv", key, lambda p=papers: data.to_csv(records(p))))
            counts.append((month, part, len(papers)))
    total = len(prepared)
    index_key = key_of(render.base, "data-index", counts)
    outputs.append(Output(data.INDEX_PATH, index_key, partial(data.index, counts, total)))
    outputs.append(Output(data.SCHEMA_PATH, key_of(render.base, "schema"), data.schema))
    return outputs


def _feed_outputs(
    render: Renderer, archives: dict[str, list[Archive]], config: SiteConfig
) -> list[Output]:
    """Plan the feed of each organization and topic, feeds.html and feeds.opml."""
    from builder.feed import atom_feed, opml

    feeds = [Feed(PAGES["feed"], "Latest papers", HOME, "site")]
    outputs = []
    for kind in ("org", "topic"):
        for archive in archives[kind]:
            feed = Feed(feed_url(archive.dest), archive.title, archive.dest, kind)
            newest = archive.papers[: config.feed_size]
            make = partial(
                atom_feed, newest, config, render.page_of, feed.path, archive.dest, archive.title
            )
            key = key_of(render.base, "feed", feed, _ids(newest, render.page_of))
            outputs.append(Output(feed.path, key, make))
            feeds.append(feed)
    listed = tuple(feeds)
    outputs.append(
        Output(
            PAGES["feeds"],
            key_of(render.base, "feeds", listed),
            partial(render, "feeds.html", PAGES["feeds"], "feeds", feeds=feeds),
        )
    )
    outputs.append(
        Output(PAGES["opml"], key_of(render.base, "opml", listed), partial(opml, feeds, config))
    )
    return outputs
