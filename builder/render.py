"""Plan the site's files, each with a key for what it shows, and render them with Jinja2.

A page's key hashes the settings, the theme, the builder's code and the content ids of the
papers it shows (and their order), so two builds that give a page the same key give it the
same bytes: the build keeps such a page from the last site instead of rendering it again.
Templates see only what is passed to them (never every paper), which keeps the keys honest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateSyntaxError,
    select_autoescape,
)
from markupsafe import Markup

from builder import __version__
from builder.archives import (
    Archive,
    ArchivePage,
    group_days,
    month_archives,
    org_archives,
    org_key,
    paginate,
    paginate_archive,
    topic_archives,
    url_for,
)
from builder.cache import Table, key_of, sha, walk
from builder.config import DEFAULT_THEME, SiteConfig
from builder.errors import Problem, display_path
from builder.feed import Feed, feed_path
from builder.models import Paper
from builder.pages import SAFE_SCHEMES, PaperPage
from builder.top import TopList, top_papers
from builder.workers import fork_map

__all__ = ["DEFAULT_THEME", "Output", "Renderer", "plan_site", "render_site"]


def long_date(day: dt.date) -> str:
    """Format a date as `Jun 5, 2026`."""
    return f"{day:%b} {day.day}, {day.year}"


def day_heading(day: dt.date) -> str:
    """Format a date as `Tuesday, June 16, 2026`."""
    return f"{day:%A}, {day:%B} {day.day}, {day.year}"


def excerpt(text: str, limit: int = 260) -> str:
    """Cut plain text to about `limit` characters at a word boundary, marking the cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:.-\u2013\u2014 ")
    return cut + "…"


def make_environment(config: SiteConfig) -> Environment:
    """Create the Jinja2 environment: autoescape everywhere, undefined names are errors."""
    env = Environment(
        loader=FileSystemLoader([str(d) for d in config.themes]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # one build reads each template once
    )
    env.filters.update(long_date=long_date, day_heading=day_heading, excerpt=excerpt)
    env.globals.update(
        url_for=url_for,
        org_key=org_key,
        group_days=group_days,
        version=__version__,
    )
    return env


def check_templates(config: SiteConfig) -> tuple[int, list[Problem]]:
    """Compile every template the theme folders hold; return their count and syntax errors."""
    env = make_environment(config)
    problems = []
    names = env.list_templates(filter_func=lambda n: not n.startswith("static/"))
    for name in names:
        try:
            env.get_template(name)
        except TemplateSyntaxError as exc:
            where = display_path(Path(exc.filename)) if exc.filename else name
            problems.append(Problem(where, exc.lineno, exc.message or "syntax error", "template"))
    return len(names), problems


def theme_key(config: SiteConfig) -> str:
    """Hash every file of the theme folders (templates and static files), in search order."""
    parts = []
    for folder in config.themes:
        for name, _stat in walk(folder):
            try:
                parts.append((str(folder), name, sha((folder / name).read_bytes())))
            except OSError:
                parts.append((str(folder), name, ""))
    return key_of(*parts)


def links_out(paper: Paper) -> list[tuple[str, str]]:
    """List (label, URL) of where to read the paper: arXiv, PDF, Hugging Face, code, project."""
    links = []
    if paper.arxiv_id:
        links += [
            ("arXiv abstract", f"https://arxiv.org/abs/{paper.arxiv_id}"),
            ("PDF", f"https://arxiv.org/pdf/{paper.arxiv_id}"),
            ("Hugging Face", f"https://huggingface.co/papers/{paper.arxiv_id}"),
        ]
    else:
        query = quote_plus(paper.title)
        links.append(("Search arXiv", f"https://arxiv.org/search/?query={query}&searchtype=title"))
    if paper.github and paper.github.lower().startswith(SAFE_SCHEMES[:2]):
        links.append(("Code", paper.github))
    if paper.project_page and paper.project_page.lower().startswith(SAFE_SCHEMES[:2]):
        links.append(("Project page", paper.project_page))
    return links


def absolute(config: SiteConfig, path: str) -> str | None:
    """Return the published URL of a site path, or None when base_url is not set."""
    if not config.base_url:
        return None
    return config.base_url + ("" if path == "index.html" else path)


def static_files(config: SiteConfig) -> dict[str, bytes]:
    """Collect `static/` files from the theme folders (the user's win) as `assets/...`."""
    files: dict[str, bytes] = {}
    for folder in reversed(config.themes):
        static = folder / "static"
        if static.is_dir():
            for path in sorted(static.rglob("*")):
                if path.is_file():
                    files["assets/" + path.relative_to(static).as_posix()] = path.read_bytes()
    return files


def root_of(path: str) -> str:
    """Return the relative prefix from a site path back to the site root (`../` for one level)."""
    return "../" * path.count("/")


# Cards are rendered once per paper with these marks where the folder depth and the heading
# level go, then filled in per page: no text from the data can hold them, since autoescape turns
# every "<" of the data into "&lt;".
ROOT_MARK = "<\x02root\x02>"
HEAD_MARK = "<\x02heading\x02>"


# The macros of macros.html that show one paper in a list: a card (digest) and a row (archives).
ITEMS = ("card", "row")


class Renderer:
    """Render pages with the shared context every template sees.

    A paper's card (or row) is rendered once, with marks for the folder depth and heading
    level filled in per page; with a cache table, they are kept across builds (their key holds
    the paper's id and the site's `base` key). The first of each kind, depth and level is also
    rendered directly, and if a theme's macro makes the two differ, marks are not used.
    """

    def __init__(
        self,
        config: SiteConfig,
        pages: dict[str, PaperPage],
        base: str = "",
        cards: Table | None = None,
        related: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.config = config
        self.related = related or {}
        self.env = make_environment(config)
        self.pages = pages
        self.paper_count = len(pages)
        self.base = base
        self.cards = cards
        self.new_cards: dict[tuple[str, str, str], str] = {}
        self.marks = True
        self._checked: set[tuple[str, str, str]] = set()
        self._macros: dict[str, Any] = {}

    def _item_html(self, kind: str, root: str, page: PaperPage, heading: str) -> str:
        """Render the theme's macro for one kind of list item."""
        if root not in self._macros:
            template = self.env.get_template("macros.html")
            self._macros[root] = template.make_module({"root": Markup(root)})
        module = self._macros[root]
        # A theme's macros.html from before rows existed has only cards: use those.
        macro = getattr(module, f"{kind}_html", None) or module.card_html
        return str(macro(page, Markup(heading)))

    def _marked(self, kind: str, page: PaperPage) -> str:
        """Return a paper's item with the marks in it (from the cache when it has it)."""
        key = (self.base, page.id, kind)
        html = self.cards.get(key) if self.cards is not None else None
        if html is None:
            html = self.new_cards.get(key)
        if html is None:
            html = self._item_html(kind, ROOT_MARK, page, HEAD_MARK)
            self.new_cards[key] = html
        return html

    def prepare(self, pages: Sequence[PaperPage]) -> None:
        """Render the items the cache lacks up front, on every core when there are many.

        (Pages rendered by forked workers then share them instead of each rendering its own.)
        """
        if not self.marks:
            return
        missing = [
            (kind, p)
            for p in pages
            for kind in ITEMS
            if (self.base, p.id, kind) not in self.new_cards
            and (self.cards is None or self.cards.get((self.base, p.id, kind)) is None)
        ]
        workers = 0 if len(missing) >= PARALLEL_CARDS else 1
        made = fork_map(_marked_items, missing, self, workers=workers)
        for (kind, page), html in zip(missing, made, strict=True):
            self.new_cards[(self.base, page.id, kind)] = html

    def item(self, kind: str, root: str, paper: Paper, heading: str = "h3") -> Markup:
        """Return a paper's card or row for a page `root` levels down."""
        page = self.pages[paper.slug]
        html = None
        if self.marks:
            html = self._marked(kind, page).replace(ROOT_MARK, root).replace(HEAD_MARK, heading)
            if (kind, root, heading) not in self._checked:
                self._checked.add((kind, root, heading))
                direct = self._item_html(kind, root, page, heading)
                if direct != html:
                    self.marks = False
                    html = direct
        if html is None:
            html = self._item_html(kind, root, page, heading)
        return Markup(html)

    def __call__(self, template: str, path: str, section: str, **context: Any) -> str:
        """Render `template` as the page at site path `path`."""
        root = root_of(path)
        return self.env.get_template(template).render(
            site=self.config,
            root=root,
            path=path,
            section=section,
            canonical=absolute(self.config, path),
            paper_count=self.paper_count,
            card=partial(self.item, "card", root),
            row=partial(self.item, "row", root),
            **context,
        )


def _marked_items(items: Sequence[tuple[str, PaperPage]], renderer: Renderer) -> list[str]:
    """Render cards and rows with the marks in (what each worker runs)."""
    return [renderer._item_html(kind, ROOT_MARK, page, HEAD_MARK) for kind, page in items]


# Below this many cards to render, forking workers costs more than it saves.
PARALLEL_CARDS = 1000


@dataclass(frozen=True)
class Output:
    """One file of the site: where it goes, what it shows (hashed), and how to make it."""

    dest: str
    key: str
    make: Callable[[], str | bytes]


SECTIONS = {"month": "months", "org": "orgs", "topic": "topics"}


def _ids(papers: Sequence[Paper], pages: dict[str, PaperPage]) -> tuple[str, ...]:
    return tuple(pages[p.slug].id for p in papers)


def plan_site(
    paper_list: Sequence[PaperPage], config: SiteConfig, render: Renderer
) -> list[Output]:
    """List every file of the site (but the search files) with its key, rendering none yet."""
    from builder.feed import atom_feed  # feedgen itself loads only when a feed is made

    ordered = [page.paper for page in paper_list]
    pages = render.pages
    base = render.base
    count = len(ordered)
    plan = [
        Output(dest, sha(data), partial(lambda d: d, data))
        for dest, data in static_files(config).items()
    ]

    # The digest, newest first, a page at a time.
    for digest in paginate(ordered, config.page_size):
        shown = [p for day in digest.days for p in day.papers]
        key = key_of(
            base, "digest", digest.dest, digest.pagination.pages, count, _ids(shown, pages)
        )
        plan.append(
            Output(
                digest.dest,
                key,
                partial(render, "index.html", digest.dest, "digest", digest=digest),
            )
        )

    # One page per paper, linked to its neighbours in digest order.
    for i, page in enumerate(paper_list):
        newer = paper_list[i - 1] if i > 0 else None
        older = paper_list[i + 1] if i + 1 < len(paper_list) else None
        shown = [pages[s] for s in render.related.get(page.paper.slug, ())]
        around = tuple((p.url, p.paper.title) for p in shown)
        key = key_of(base, "paper", page.id, newer and newer.id, older and older.id, around)
        plan.append(Output(page.url, key, partial(_paper_page, render, page, newer, older)))

    # Archives: by month, organization and topic, each paginated, with an index page.
    topics = {page.paper.slug: page.topics for page in paper_list}
    archives = {
        "month": month_archives(ordered),
        "org": org_archives(ordered),
        "topic": topic_archives(ordered, topics),
    }
    tops = top_papers(ordered)
    for kind, group in archives.items():
        plan += _archive_outputs(render, kind, group, config.page_size, tops.by_month)
    plan += _feed_outputs(render, archives, config)
    lists = (tops.all_time, *tops.months, *tops.weeks)
    plan.append(
        Output(
            "top.html",
            key_of(base, "top", tuple((t.title, _ids(t.papers, pages)) for t in lists)),
            partial(render, "top.html", "top.html", "top", tops=tops),
        )
    )

    # Search page, feed, sitemap and the files hosts look for.
    plan.append(
        Output(
            "search.html",
            key_of(base, "search", count),
            partial(render, "search.html", "search.html", "search"),
        )
    )
    plan.append(
        Output("404.html", key_of(base, "404"), partial(render, "404.html", "404.html", "404"))
    )
    newest = ordered[: config.feed_size]
    plan.append(
        Output(
            "feed.xml",
            key_of(base, "feed", _ids(newest, pages)),
            partial(atom_feed, newest, config, pages),
        )
    )
    urls = sorted(o.dest for o in plan if o.dest.endswith(".html") and o.dest != "404.html")
    plan += _sitemaps(render, urls)
    plan.append(
        Output(
            "robots.txt", key_of(base, "robots"), partial(render, "robots.txt", "robots.txt", "")
        )
    )
    plan.append(Output(".nojekyll", "", partial(lambda: b"")))
    return plan


def _paper_page(
    render: Renderer, page: PaperPage, newer: PaperPage | None, older: PaperPage | None
) -> str:
    """Render one paper's page."""
    paper = page.paper
    return render(
        "paper.html",
        page.url,
        "paper",
        page=page,
        links_out=links_out(paper),
        newer=newer,
        older=older,
        related=[render.pages[s] for s in render.related.get(paper.slug, ())],
        citation_date=f"{paper.date:%Y/%m/%d}" if paper.date else None,
    )


# URLs per sitemap file (about 100 bytes each): past it, sitemap.xml indexes several files,
# so none grows past 1 MB.
URLS_PER_SITEMAP = 5000


def _sitemaps(render: Renderer, urls: list[str]) -> list[Output]:
    """Plan sitemap.xml: the URLs themselves, or an index of sitemaps/<n>.xml when many."""
    base = render.base
    if len(urls) <= URLS_PER_SITEMAP:
        make = partial(render, "sitemap.xml", "sitemap.xml", "", urls=urls)
        return [Output("sitemap.xml", key_of(base, "sitemap", urls), make)]
    outputs = []
    parts = []
    for n, start in enumerate(range(0, len(urls), URLS_PER_SITEMAP), start=1):
        dest = f"sitemaps/{n}.xml"
        chunk = urls[start : start + URLS_PER_SITEMAP]
        make = partial(render, "sitemap.xml", dest, "", urls=chunk)
        outputs.append(Output(dest, key_of(base, "sitemap", chunk), make))
        parts.append(dest)
    make = partial(render, "sitemap-index.xml", "sitemap.xml", "", parts=parts)
    outputs.append(Output("sitemap.xml", key_of(base, "sitemap-index", parts), make))
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
        feed = Feed(feed_path(archive.dest), archive.title, archive.dest, kind)
        feed_of = feed if kind != "month" else None
        for listing in paginate_archive(archive, page_size):
            shown = top if listing.pagination.page == 1 else None
            outputs.append(
                _archive_output(render, section, listing, newer, older, around, shown, feed_of)
            )
    index = f"{section}/index.html"
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
    key = key_of(
        _ids(top.papers, render.pages) if top else None,
        feed,
        render.base,
        "archive",
        listing.dest,
        archive.title,
        len(archive.papers),
        listing.pagination.pages,
        _ids(listing.papers, render.pages),
        around,
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


def _feed_outputs(
    render: Renderer, archives: dict[str, list[Archive]], config: SiteConfig
) -> list[Output]:
    """Plan the feed of each organization and topic, feeds.html and feeds.opml."""
    from builder.feed import atom_feed, opml

    feeds = [Feed("feed.xml", "Latest papers", "index.html", "site")]
    outputs = []
    for kind in ("org", "topic"):
        for archive in archives[kind]:
            feed = Feed(feed_path(archive.dest), archive.title, archive.dest, kind)
            newest = archive.papers[: config.feed_size]
            make = partial(
                atom_feed, newest, config, render.pages, feed.path, archive.dest, archive.title
            )
            key = key_of(render.base, "feed", feed, _ids(newest, render.pages))
            outputs.append(Output(feed.path, key, make))
            feeds.append(feed)
    listed = tuple(feeds)
    outputs.append(
        Output(
            "feeds.html",
            key_of(render.base, "feeds", listed),
            partial(render, "feeds.html", "feeds.html", "feeds", feeds=feeds),
        )
    )
    outputs.append(
        Output("feeds.opml", key_of(render.base, "opml", listed), partial(opml, feeds, config))
    )
    return outputs


def render_site(paper_list: Sequence[PaperPage], config: SiteConfig) -> dict[str, str | bytes]:
    """Render every file of the site but the search files (site path -> content)."""
    from builder.related import related_papers

    render = Renderer(
        config, {page.paper.slug: page for page in paper_list}, related=related_papers(paper_list)
    )
    return {o.dest: o.make() for o in plan_site(paper_list, config, render)}
