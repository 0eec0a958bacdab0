"""Prepare each paper for its page and cards: its body rendered to safe HTML, its text as a
reader sees it, its topics (the stage between load and render)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html import unescape
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from builder.archives import newest_first
from builder.config import SiteConfig
from builder.models import Paper, by_fields, listed_on
from builder.stats import key_of, sha
from builder.topics import Topic, TopicRules, compile_topics, paper_topics, rules_key
from builder.urls import URL_IN_TEXT, is_web, paper_url, safe_href, url_spans
from builder.workers import fork_map

if TYPE_CHECKING:
    import markdown
    from bs4 import BeautifulSoup

# Below this many bodies to render, forking workers costs more than it saves.
PARALLEL_FROM = 400
EXTERNAL = "nofollow noopener noreferrer"  # the rel of a link to another site


def make_markdown() -> markdown.Markdown:
    """Create the Markdown converter for paper bodies: raw HTML in a body shows as text."""
    import markdown  # imported here: a build whose bodies are all cached needs none of it

    md = markdown.Markdown()
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return md


def _linkify(soup: BeautifulSoup) -> None:
    """Turn bare http(s) URLs in text into links, leaving the text itself unchanged."""
    from bs4 import NavigableString

    for node in list(soup.find_all(string=URL_IN_TEXT)):
        if node.find_parent(["a", "code", "pre"]) is not None:
            continue
        text, pieces, last = str(node), [], 0
        for start, url in url_spans(text):
            pieces.append(NavigableString(text[last:start]))
            link = soup.new_tag("a", href=url, rel=EXTERNAL)
            link.string = url
            pieces.append(link)
            last = start + len(url)
        pieces.append(NavigableString(text[last:]))
        node.replace_with(*[p for p in pieces if not (isinstance(p, str) and p == "")])


def plain_text(html: str) -> str:
    """Return the text a reader sees in rendered body HTML; paragraphs apart by a blank line."""
    text = re.sub(r"</p>\s*<p>", "\n\n", html)
    return unescape(re.sub(r"<[^>]*>", "", text)).strip()


# A body of plain paragraphs, which python-markdown renders as they are: every line starts with
# a letter, a parenthesis, a quote or digits that are not a list's number (`3D`, not `3.`),
# words are one space apart, and no character is one Markdown or HTML acts on (no backslash,
# backtick, '*', '_', brackets, '<', '>', '&', control or other space characters).
_CHAR = r"[^\\`*_\[\]<>&\x00-\x1f\x7f-\x9f\s]"
_LINE = rf"(?:[^\W\d_]|[(\"']|\d(?!\d*\.)){_CHAR}*(?: {_CHAR}+)*"
_PARAGRAPH = rf"{_LINE}(?:\n{_LINE})*"
_PLAIN = re.compile(rf"\n*({_PARAGRAPH}(?:\n\n+{_PARAGRAPH})*)\n*")


def plain_html(body: str) -> str | None:
    """Return python-markdown's HTML of a body of plain paragraphs (None for any other body)."""
    found = _PLAIN.fullmatch(body)
    if found is None:
        return None
    return "\n".join(f"<p>{p}</p>" for p in re.split(r"\n\n+", found.group(1)))


class Converter:
    """Markdown to HTML: plain paragraphs directly, anything else by python-markdown."""

    def __init__(self) -> None:
        self.md: markdown.Markdown | None = None

    def convert(self, body: str) -> str:
        """Return the HTML python-markdown makes of `body`."""
        html = plain_html(body)
        if html is None:
            self.md = self.md or make_markdown()
            html = self.md.reset().convert(body)
        return html


def render_markdown(body: str, converter: Converter | None = None) -> Markup:
    """Render a paper body to safe HTML: URLs become links, unsafe links and images are inert."""
    html = (converter or Converter()).convert(body)
    if "://" not in html and "<a " not in html and "<img" not in html:
        return Markup(html)
    if plain_html(body) == html:  # plain paragraphs: no tag but <p>, nothing to escape
        return Markup(link_plain(html))
    return Markup(link_soup(html))


def link_plain(html: str) -> str:
    """Turn the URLs of plain paragraphs' HTML (`plain_html`) into links: what `link_soup`
    makes of it, without parsing it (no URL runs past a tag; the text holds none of the
    characters BeautifulSoup escapes, '&', '<' and '>', and a URL no '"' either)."""
    pieces, last = [], 0
    for start, url in url_spans(html):
        pieces += [html[last:start], f'<a href="{url}" rel="{EXTERNAL}">{url}</a>']
        last = start + len(url)
    pieces.append(html[last:])
    return "".join(pieces)


def link_soup(html: str) -> str:
    """Make body HTML safe with BeautifulSoup: bare URLs in text become links, unsafe links
    lose their href, images show their text."""
    from bs4 import BeautifulSoup, NavigableString  # only bodies with links need it

    soup = BeautifulSoup(html, "html.parser")
    for img in soup.find_all("img"):
        # An image would load from another host; show its text instead.
        img.replace_with(NavigableString(img.get("alt") or ""))
    for link in soup.find_all("a"):
        href = link.get("href")
        if href is not None and not safe_href(str(href)):
            del link["href"]
        elif href is not None and is_web(str(href)):
            link["rel"] = EXTERNAL
    _linkify(soup)
    return str(soup)


@dataclass(frozen=True, slots=True)
class PaperPage:
    """What a paper's page and cards need besides the paper itself."""

    __reduce__ = by_fields

    paper: Paper
    url: str
    abstract: Markup  # the body rendered to HTML
    text: str  # the abstract as plain text, as a reader sees it
    topics: tuple[Topic, ...]
    day: dt.date | None
    id: str  # a hash of the paper file: what the page shows changes only when it does


def byline(paper: Paper) -> str:
    """Return who a card or result names: the organization, else up to three authors, else
    how many authors the listing counts ("" when it knows none)."""
    if paper.organization:
        return paper.organization.name or paper.organization.id
    if paper.authors:
        more = " et al." if len(paper.authors) > 3 else ""
        return ", ".join(paper.authors[:3]) + more
    if paper.authors_count:
        return f"{paper.authors_count} author{'s' if paper.authors_count != 1 else ''}"
    return ""


def paper_id(paper: Paper) -> str:
    """Hash a paper's fields (for papers that come from no file)."""
    return key_of(repr(paper))


def _prepare(
    paper: Paper, text: str | None, converter: Converter, rules: TopicRules
) -> tuple[str | None, str, tuple]:
    """Render one body (unless its `text` is known) and find its topics: (html, or None when
    not rendered, text, topics)."""
    html = None
    if text is None:
        html = render_markdown(paper.file_body, converter)
        text = plain_text(html)
    return html, text, paper_topics(paper, text, rules)


def _prepare_all(
    todo: Sequence[tuple[Paper, str | None]], topics: Mapping[str, Sequence[str]]
) -> list[tuple]:
    """Prepare many papers in one process (what each worker runs): (paper, its text when
    its body is rendered already) each."""
    converter, rules = Converter(), compile_topics(topics)
    return [_prepare(p, text, converter, rules) for p, text in todo]


Body = tuple[str, str]  # a rendered body: (html, text)


@dataclass
class Prepared:
    """What `prepare_papers` made: every paper's page, and what it made anew, for the build to
    keep for the next build's `known`: bodies rendered (by `("body", hash of the body)`),
    topics found (by `("topics", hash of the body, rules, title, tags)`)."""

    pages: list[PaperPage]
    made: dict[tuple, Any] = field(default_factory=dict)


def prepare_papers(
    papers: Sequence[Paper],
    config: SiteConfig,
    ids: Mapping[str, str] | None = None,
    known: Callable[[tuple], Any] | None = None,
    last: dict[str, tuple] | None = None,
) -> Prepared:
    """Render every paper's body and find its topics; the pages come newest first (the digest
    order).

    `ids` maps slugs to the content hashes of their files. `known` gives what was made
    before by its key (`Prepared.made`; None when it was not): a body rendered before is not
    rendered again (an edit of the tags finds the topics alone), and many new ones render on
    every core. `last` holds, in a process that builds again (`serve`), each paper's page of
    the last build: a paper whose record is the one it was made of (the same object), with
    the same id and rules, keeps its page (its body is not hashed); it is brought up to date.
    """
    ordered = newest_first(papers)
    ids = {p.slug: (ids or {}).get(p.slug) or paper_id(p) for p in ordered}
    rules = rules_key(config.topics)
    pages: list[PaperPage | None] = [None] * len(ordered)
    keys: list[tuple[tuple, tuple] | None] = [None] * len(ordered)
    bodies: list[Body | None] = [None] * len(ordered)
    topics: list[tuple[Topic, ...] | None] = [None] * len(ordered)
    for i, p in enumerate(ordered):
        memo = last.get(p.slug) if last is not None else None
        same = memo is not None and memo[0] is p and memo[1] == rules
        # (`known` is asked even then: the cache keeps what it is asked for)
        if (
            same
            and memo[3].id == ids[p.slug]
            and (known is None or all(known(key) is not None for key in memo[2]))
        ):
            pages[i] = memo[3]
            continue
        body = sha(p.file_body.encode("utf-8", "surrogatepass"))
        keys[i] = (("body", body), ("topics", body, rules, p.title, p.tags))
        if known is not None:
            bodies[i], topics[i] = known(keys[i][0]), known(keys[i][1])
    missing = [i for i in range(len(ordered)) if pages[i] is None and topics[i] is None]
    missing += [i for i, b in enumerate(bodies) if b is None and topics[i] is not None]
    made: dict[tuple, Any] = {}
    if missing:
        todo = [(ordered[i], bodies[i] and bodies[i][1]) for i in missing]  # type: ignore[index]
        workers = 2 if len(todo) >= PARALLEL_FROM else 1
        results = fork_map(_prepare_all, todo, config.topics, workers=workers)
        for i, (html, text, found) in zip(missing, results, strict=True):
            body_key, topics_key = keys[i]  # type: ignore[misc]
            if html is not None:
                # Kept as a plain string: the cache reads 10,000 of these three times faster
                # than Markup objects (wrapped again below).
                bodies[i] = made[body_key] = (str(html), text)
            topics[i] = made[topics_key] = found
    for i, p in enumerate(ordered):
        if pages[i] is None:
            html, text = bodies[i]  # type: ignore[misc]
            pages[i] = PaperPage(
                paper=p,
                url=paper_url(p.slug),
                abstract=Markup(html),
                text=text,
                topics=topics[i],  # type: ignore[arg-type]
                day=listed_on(p),
                id=ids[p.slug],
            )
            if last is not None:
                last[p.slug] = (p, rules, keys[i], pages[i])
    return Prepared(pages, made)  # type: ignore[arg-type]
