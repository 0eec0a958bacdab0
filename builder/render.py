"""Render loaded papers into site files (site path -> content) with autoescaped Jinja2 templates."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import markdown
from bs4 import BeautifulSoup, NavigableString
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
    Topic,
    TopicRules,
    compile_topics,
    group_days,
    listed_on,
    month_archives,
    newest_first,
    org_archives,
    org_key,
    page_url,
    paginate,
    paper_topics,
    topic_archives,
    url_for,
)
from builder.config import SiteConfig
from builder.errors import Problem, display_path
from builder.feed import atom_feed
from builder.merge import URL, url_spans
from builder.models import Paper

DEFAULT_THEME = Path(__file__).resolve().parent.parent / "templates"
SAFE_SCHEMES = ("http://", "https://", "mailto:")


def theme_dirs(config: SiteConfig) -> list[Path]:
    """List the folders searched for templates and static files, the user's first."""
    return [*config.theme_dirs, DEFAULT_THEME]


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
        loader=FileSystemLoader([str(d) for d in theme_dirs(config)]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(long_date=long_date, day_heading=day_heading, excerpt=excerpt)
    env.globals.update(
        url_for=url_for,
        org_key=org_key,
        page_url=page_url,
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


def make_markdown() -> markdown.Markdown:
    """Create the Markdown converter for paper bodies: raw HTML in a body shows as text."""
    md = markdown.Markdown()
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return md


def _safe_href(href: str) -> bool:
    lowered = href.strip().lower()
    if lowered.startswith(SAFE_SCHEMES) or lowered.startswith("#"):
        return True
    # A relative link has no scheme before its first '/', '?' or '#'.
    return not re.match(r"^[^/?#]*:", lowered) and not lowered.startswith("//")


def _linkify(soup: BeautifulSoup) -> None:
    """Turn bare http(s) URLs in text into links, leaving the text itself unchanged."""
    for node in list(soup.find_all(string=URL)):
        if node.find_parent(["a", "code", "pre"]) is not None:
            continue
        text, pieces, last = str(node), [], 0
        for start, url in url_spans(text):
            pieces.append(NavigableString(text[last:start]))
            link = soup.new_tag("a", href=url, rel="nofollow noopener noreferrer")
            link.string = url
            pieces.append(link)
            last = start + len(url)
        pieces.append(NavigableString(text[last:]))
        node.replace_with(*[p for p in pieces if not (isinstance(p, str) and p == "")])


def plain_text(html: str) -> str:
    """Return the text a reader sees in rendered body HTML; paragraphs apart by a blank line."""
    text = re.sub(r"</p>\s*<p>", "\n\n", html)
    return unescape(re.sub(r"<[^>]*>", "", text)).strip()


def render_markdown(body: str, md: markdown.Markdown | None = None) -> Markup:
    """Render a paper body to safe HTML: URLs become links, unsafe links and images are inert."""
    md = md or make_markdown()
    html = md.reset().convert(body)
    if "://" not in html and "<a " not in html and "<img" not in html:
        return Markup(html)
    soup = BeautifulSoup(html, "html.parser")
    for img in soup.find_all("img"):
        # An image would load from another host; show its text instead.
        img.replace_with(NavigableString(img.get("alt") or ""))
    for link in soup.find_all("a"):
        href = link.get("href")
        if href is not None and not _safe_href(str(href)):
            del link["href"]
        elif href is not None and str(href).lower().startswith(("http://", "https://")):
            link["rel"] = "nofollow noopener noreferrer"
    _linkify(soup)
    return Markup(str(soup))


@dataclass(frozen=True)
class PaperPage:
    """What a paper's page and cards need besides the paper itself."""

    paper: Paper
    url: str
    abstract: Markup  # the body rendered to HTML
    text: str  # the abstract as plain text, as a reader sees it
    topics: tuple[Topic, ...]
    day: dt.date | None


def paper_page(paper: Paper, md: markdown.Markdown, rules: TopicRules) -> PaperPage:
    """Render a paper's body and gather what its page and cards show."""
    html = render_markdown(paper.body, md)
    text = plain_text(html)
    return PaperPage(
        paper=paper,
        url=url_for("paper", paper.slug),
        abstract=html,
        text=text,
        topics=paper_topics(paper, text, rules),
        day=listed_on(paper),
    )


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
    for folder in reversed(theme_dirs(config)):
        static = folder / "static"
        if static.is_dir():
            for path in sorted(static.rglob("*")):
                if path.is_file():
                    files["assets/" + path.relative_to(static).as_posix()] = path.read_bytes()
    return files


def root_of(path: str) -> str:
    """Return the relative prefix from a site path back to the site root (`../` for one level)."""
    return "../" * path.count("/")


class Renderer:
    """Render pages with the shared context every template sees."""

    def __init__(self, config: SiteConfig, pages: dict[str, PaperPage]) -> None:
        self.config = config
        self.env = make_environment(config)
        self.pages = pages
        self._cards: dict[tuple[str, str, str], Markup] = {}
        self._macros: dict[str, Any] = {}

    def card(self, root: str, paper: Paper, heading: str = "h3") -> Markup:
        """Render a paper's card once per folder depth and heading level, then reuse it."""
        key = (root, paper.slug, heading)
        if key not in self._cards:
            if root not in self._macros:
                template = self.env.get_template("macros.html")
                self._macros[root] = template.make_module({"root": root, "pages": self.pages})
            self._cards[key] = Markup(self._macros[root].card_html(paper, heading))
        return self._cards[key]

    def __call__(self, template: str, path: str, section: str, **context: Any) -> str:
        """Render `template` as the page at site path `path`."""
        root = root_of(path)
        return self.env.get_template(template).render(
            site=self.config,
            root=root,
            path=path,
            section=section,
            canonical=absolute(self.config, path),
            pages=self.pages,
            card=partial(self.card, root),
            **context,
        )


def paper_pages(papers: Sequence[Paper], config: SiteConfig) -> list[PaperPage]:
    """Render every paper's body and topics, newest first (the digest order)."""
    rules = compile_topics(config.topics)
    md = make_markdown()
    return [paper_page(p, md, rules) for p in newest_first(papers)]


def render_site(paper_list: Sequence[PaperPage], config: SiteConfig) -> dict[str, str | bytes]:
    """Render every page, the feed, the sitemap and the assets; return site path -> content."""
    ordered = [page.paper for page in paper_list]
    pages = {page.paper.slug: page for page in paper_list}
    render = Renderer(config, pages)
    site: dict[str, str | bytes] = dict(static_files(config))

    # The digest, newest first, a page at a time.
    for digest in paginate(ordered, config.page_size):
        site[digest.dest] = render("index.html", digest.dest, "digest", digest=digest)

    # One page per paper, linked to its neighbours in digest order.
    for i, paper in enumerate(ordered):
        page = pages[paper.slug]
        site[page.url] = render(
            "paper.html",
            page.url,
            "paper",
            page=page,
            links_out=links_out(paper),
            newer=pages[ordered[i - 1].slug] if i > 0 else None,
            older=pages[ordered[i + 1].slug] if i + 1 < len(ordered) else None,
            citation_date=f"{paper.date:%Y/%m/%d}" if paper.date else None,
        )

    # Archives: by month, organization and topic, each with an index page.
    topics = {slug: page.topics for slug, page in pages.items()}
    archives = {
        "month": month_archives(ordered),
        "org": org_archives(ordered),
        "topic": topic_archives(ordered, topics),
    }
    for kind, group in archives.items():
        site.update(_archive_pages(render, kind, group))

    # Search page, feed, sitemap and the files hosts look for.
    site["search.html"] = render("search.html", "search.html", "search")
    site["404.html"] = render("404.html", "404.html", "404")
    site["feed.xml"] = atom_feed(ordered[: config.feed_size], config, pages)
    urls = [p for p in site if p.endswith(".html") and p != "404.html"]
    site["sitemap.xml"] = render("sitemap.xml", "sitemap.xml", "", urls=sorted(urls))
    site["robots.txt"] = render("robots.txt", "robots.txt", "")
    site[".nojekyll"] = b""
    return site


SECTIONS = {"month": "months", "org": "orgs", "topic": "topics"}


def _archive_pages(render: Renderer, kind: str, archives: list[Archive]) -> dict[str, str]:
    """Render one kind of archive: a page per group and the index listing them all."""
    section = SECTIONS[kind]
    files = {}
    for i, archive in enumerate(archives):
        files[archive.dest] = render(
            "archive.html",
            archive.dest,
            section,
            archive=archive,
            # Months link to the month before and after; the others have no order to walk.
            newer=archives[i - 1] if kind == "month" and i > 0 else None,
            older=archives[i + 1] if kind == "month" and i + 1 < len(archives) else None,
        )
    index = f"{section}/index.html"
    files[index] = render(f"{section}.html", index, section, archives=archives)
    return files
