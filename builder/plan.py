"""Plan the site: every file it has, each with a key for what it shows and a way to make it.

A page's key hashes the settings, the theme and the builder's code (`Renderer.base`) with
exactly what the page is rendered from (`Renderer.key`: papers by content id), so two builds
that give a page the same key give it the same bytes: the build leaves such a page as the last
site has it instead of rendering it again.
Nothing is rendered here; `Renderer` (render.py) renders when a file's `make` is called.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import cached_property, partial

from builder import library
from builder.archives import (
    Archive,
    Head,
    Pager,
    day_pages,
    digest,
    group_days,
    month_archives,
    org_archives,
    paginate_archive,
    topic_archives,
)
from builder.config import SiteConfig
from builder.errors import BuilderError
from builder.feed import Feed
from builder.models import Output, Paper
from builder.plan_papers import (
    Citations,
    data_outputs,
    library_outputs,
    paper_cite_keys,
    paper_outputs,
)
from builder.prepare import PaperPage
from builder.render import Renderer
from builder.search import ENGINE_FILE, engine_rules
from builder.stats import sha
from builder.tables import Table
from builder.theme import fill_script, static_files
from builder.top import TopPapers, top_papers
from builder.topics import Topic
from builder.trends import Trend, draw, trends
from builder.urls import (
    HOME,
    PAGES,
    PATTERNS,
    SECTIONS,
    feed_url,
    index_url,
)

__all__ = ["Output", "plan_site"]

log = logging.getLogger(__name__)


def plan_site(
    prepared: Sequence[PaperPage],
    config: SiteConfig,
    render: Renderer,
    entries: Table | None = None,
    keys: dict[str, str] | None = None,
) -> list[Output]:
    """List every file of the site (but the search files) with its key, rendering none yet;
    `prepared` are the papers' pages, newest first; `entries` keeps BibTeX entries made
    before, by what each is made from; `keys` are the papers' cite keys (`paper_cite_keys`).

    The outputs come in families (`replan.FAMILIES`); a family the renderer's `reuse` keeps
    whole is not planned at all, and in the others only the outputs it does not keep are.
    """
    papers = [page.paper for page in prepared]
    keys = keys if keys is not None else paper_cite_keys(prepared)
    citations = Citations(render.page_of, keys, config, entries)
    shared = _Groups(prepared)
    size = config.page_size
    steps: list[tuple[str, Callable[[], list[Output]]]] = [
        ("digest", lambda: _digest_outputs(render, papers, size)),
        ("papers", lambda: paper_outputs(render, prepared, citations, entries)),
        *[
            (kind, partial(_archive_kind, render, kind, shared, size))
            for kind in ("month", "org", "topic")
        ],
        ("feeds", lambda: _feed_outputs(render, shared, config)),
        ("trends", lambda: _trends_outputs(render, shared, len(papers))),
        ("top", lambda: [render.page("top.html", PAGES["top"], "top", tops=shared.tops)]),
        ("data", lambda: data_outputs(render, prepared, config)),
        ("library", lambda: library_outputs(render, prepared, citations)),
    ]
    plan = _static_outputs(config)
    for family, step in steps:
        render.family = family
        plan += _kept_family(render, family) or step()
    render.family = ""
    plan += _site_outputs(render, papers, config, plan)
    return plan


def _kept_family(render: Renderer, family: str) -> list[Output] | None:
    """A family's outputs as the last plan made them, when the plan keeps it whole."""
    reuse = render.reuse
    if reuse is None or not reuse.keeps(family):
        return None
    kept = [render.kept(dest) for dest in reuse.by_family.get(family, ())]
    return kept if all(output is not None for output in kept) else None  # type: ignore[return-value]


class _Groups:
    """The groupings several families plan from, each made once when first asked for."""

    def __init__(self, prepared: Sequence[PaperPage]) -> None:
        self.prepared = prepared
        self.papers = [page.paper for page in prepared]
        self._archives: dict[str, list[Archive]] = {}

    @cached_property
    def topics(self) -> dict[str, tuple[Topic, ...]]:
        """Each paper's topics, by slug."""
        return {page.paper.slug: page.topics for page in self.prepared}

    def archives(self, kind: str) -> list[Archive]:
        """The archives of one kind: by month, organization or topic."""
        if kind not in self._archives:
            if kind == "topic":
                self._archives[kind] = topic_archives(self.papers, self.topics)
            else:
                group = month_archives if kind == "month" else org_archives
                self._archives[kind] = group(self.papers)
        return self._archives[kind]

    @cached_property
    def tops(self) -> TopPapers:
        """The most upvoted papers, of the site and of each month."""
        return top_papers(self.papers)


def _archive_kind(render: Renderer, kind: str, shared: _Groups, size: int) -> list[Output]:
    """Plan the archives of one kind (months with their top papers)."""
    return _archive_outputs(render, kind, shared.archives(kind), size, shared)


def describe(output: Output) -> str:
    """Say what makes an output: its template, or its function."""
    make = output.make
    if isinstance(make, partial):
        if isinstance(make.func, Renderer) and make.args:
            return f"the template {make.args[0]}"
        make = make.func
    return f"{getattr(make, '__module__', '?')}.{getattr(make, '__qualname__', repr(make))}"


def check_paths(plan: Sequence[Output]) -> None:
    """Refuse a plan in which two outputs write one path (names from the data never collide
    with the site's own: `urls.TAKEN_KEYS`, slugs' suffixes); name both."""
    seen: dict[str, Output] = {}
    for output in plan:
        other = seen.setdefault(output.dest, output)
        if other is not output:
            raise BuilderError(
                f"two files of the site would be written to {output.dest}: one by "
                f"{describe(other)}, one by {describe(output)}; a theme or builder bug, "
                "please report it"
            )


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
    outputs = [
        render.page("index.html", front.dest, "digest", digest=front, paper_count=len(papers))
    ]
    outputs += [render.page("day.html", p.dest, "digest", page=p) for p in day_pages(papers)]
    return outputs


def _trends_outputs(render: Renderer, shared: _Groups, count: int) -> list[Output]:
    """Plan trends.html."""
    shown = trends(shared.papers, shared.topics)
    trends_key = render.key("trends.html", PAGES["trends"], "trends", trends=shown, count=count)
    # Keyed by the trends its charts are drawn from (drawing is a function of them alone).
    return [Output(PAGES["trends"], trends_key, partial(_trends_page, render, shown, count))]


def _site_outputs(
    render: Renderer, papers: Sequence[Paper], config: SiteConfig, planned: list[Output]
) -> list[Output]:
    """Plan the search page, 404, the feed, the sitemap of the `planned` pages and the files
    hosts look for."""
    from builder.feed import atom_feed  # feedgen itself loads only when a feed is made

    newest = [render.page_of[p.slug] for p in papers[: config.feed_size]]
    outputs = [
        render.page("search.html", PAGES["search"], "search", paper_count=len(papers)),
        render.page("404.html", PAGES["404"], "404"),
        render.made(PAGES["feed"], atom_feed, newest, config),
    ]
    html = [o.dest for o in planned + outputs if o.dest.endswith(".html")]
    outputs += _sitemaps(render, sorted(p for p in html if p != PAGES["404"]))
    outputs.append(render.page("robots.txt", PAGES["robots"], ""))
    outputs.append(Output(PAGES["nojekyll"], sha(b""), partial(lambda: b"")))
    return outputs


def _trends_page(render: Renderer, shown: list[Trend], count: int) -> str:
    """Render trends.html, drawing its charts."""
    from markupsafe import Markup

    charts = [(trend, Markup(draw(trend))) for trend in shown]
    return render("trends.html", PAGES["trends"], "trends", charts=charts, paper_count=count)


# URLs per sitemap file (about 100 bytes each): past it, sitemap.xml indexes several files,
# so none grows past 1 MB.
URLS_PER_SITEMAP = 5000


def _sitemaps(render: Renderer, urls: list[str]) -> list[Output]:
    """Plan sitemap.xml: the URLs themselves, or an index of sitemaps/<n>.xml when many."""
    if len(urls) <= URLS_PER_SITEMAP:
        return [render.page("sitemap.xml", PAGES["sitemap"], "", urls=urls)]
    outputs = []
    parts = []
    for n, start in enumerate(range(0, len(urls), URLS_PER_SITEMAP), start=1):
        dest = PAGES["sitemaps"].format(num=n)
        outputs.append(
            render.page("sitemap.xml", dest, "", urls=urls[start : start + URLS_PER_SITEMAP])
        )
        parts.append(dest)
    outputs.append(render.page("sitemap-index.xml", PAGES["sitemap"], "", parts=parts))
    return outputs


def _archive_outputs(
    render: Renderer,
    kind: str,
    archives: list[Archive],
    page_size: int,
    shared: _Groups | None = None,
) -> list[Output]:
    """Plan one kind of archive: its pages and the index listing them all (the newest page
    of a month shows its top papers, from `shared`)."""
    section = SECTIONS[kind]
    outputs = []
    for i, archive in enumerate(archives):
        # Months link to the month before and after; the others have no order to walk.
        newer = archives[i - 1] if kind == "month" and i > 0 else None
        older = archives[i + 1] if kind == "month" and i + 1 < len(archives) else None
        feed = Feed(feed_url(archive.dest), archive.title, archive.dest, kind)
        for listing in paginate_archive(archive, page_size):
            kept = render.kept(listing.dest)
            if kept is not None:
                outputs.append(kept)
                continue
            latest = listing.pagination.latest
            top = None
            if latest and kind == "month" and shared is not None:
                top = shared.tops.by_month.get(archive.key)
            # The newest page shows the archive's count, its top papers and its days; the
            # numbered pages only their own papers and their pager, so they seldom change.
            days = None
            if latest and kind == "month":
                days = tuple((d.day, len(d.papers)) for d in group_days(archive.papers) if d.day)
            context = {
                "archive": Head.of(archive, counted=latest),
                "pagination": listing.pagination.pager(),
                "papers": listing.papers,
                "newer": Head.of(newer),
                "older": Head.of(older),
                "top": top,
                "feed": feed if kind != "month" else None,
                "days": days,
            }
            plan = partial(render.page, "archive.html", listing.dest, section, **context)
            if context["top"] is not None:  # a month's newest page: planned as it is
                outputs.append(plan())
                continue
            # Any other page, as plain values (its papers by content id): cheaper to say
            # than its context is to describe, and most pages stay as they were.
            inputs = (
                section,
                *(_values(context[name]) for name in ("archive", "pagination", "newer", "older")),
                _values(context["feed"]),
                tuple([render.page_of[p.slug].id for p in listing.papers]),
                days,
            )
            outputs.append(render.unit(listing.dest, inputs, plan))
    index = index_url(kind)
    heads = [Head.of(a, counted=True) for a in archives]
    outputs.append(render.page(f"{section}.html", index, section, archives=heads))
    return outputs


def _values(record: Head | Pager | Feed | None) -> tuple | None:
    """A small record's field values, in order (None for none)."""
    return None if record is None else tuple(vars(record).values())


def _feed_outputs(render: Renderer, shared: _Groups, config: SiteConfig) -> list[Output]:
    """Plan the feed of each organization and topic, feeds.html and feeds.opml."""
    from builder.feed import atom_feed, opml

    feeds = [Feed(PAGES["feed"], "Latest papers", HOME, "site")]
    outputs = []
    for kind in ("org", "topic"):
        for archive in shared.archives(kind):
            feed = Feed(feed_url(archive.dest), archive.title, archive.dest, kind)
            newest = [render.page_of[p.slug] for p in archive.papers[: config.feed_size]]
            args = (newest, config, feed.path, archive.dest, archive.title)
            outputs.append(render.made(feed.path, atom_feed, *args))
            feeds.append(feed)
    outputs.append(render.page("feeds.html", PAGES["feeds"], "feeds", feeds=feeds))
    outputs.append(render.made(PAGES["opml"], opml, feeds, config))
    return outputs
