"""Every URL rule of the site, in one place: where each page lives, its relative and absolute
forms, where a paper is read elsewhere (arXiv, its PDF, Hugging Face), and which addresses a
link may have. Every stage asks here; none writes a URL by hand.

Every URL of the site is a file, and every link is relative (`root` climbs from a page's folder
back to the site root), so one build works on GitHub Pages under a sub-path, on any static
server and from `file://`. With `base_url` set, pages also carry absolute addresses
(canonical, feeds, sitemap), and the site's root is `base_url` itself, not `index.html`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from functools import lru_cache
from urllib.parse import quote_plus

from slugify import slugify

# Each kind of page pairs its URL pattern with its file (they are the same: every URL is a file).
PATTERNS = {
    "digest": "index.html",
    "day": "days/{key}.html",
    "paper": "papers/{key}.html",
    "month": "months/{key}.html",
    "org": "orgs/{key}.html",
    "topic": "topics/{key}.html",
}
# The folder of each kind of archive, which also holds its index page and its numbered pages.
SECTIONS = {"month": "months", "org": "orgs", "topic": "topics"}
HOME = PATTERNS["digest"]
# The files a site has one of, by name (the data files of each year, the search files and the
# reading list's are named by the modules that write them: data.py, search.py and
# search_files.py, library.py).
PAGES = {
    "home": HOME,
    "search": "search.html",
    "top": "top.html",
    "trends": "trends.html",
    "saved": "saved.html",
    "feeds": "feeds.html",
    "opml": "feeds.opml",
    "feed": "feed.xml",
    "sitemap": "sitemap.xml",
    "sitemaps": "sitemaps/{num}.xml",  # the parts of a long sitemap
    "robots": "robots.txt",
    "404": "404.html",
    "nojekyll": ".nojekyll",
    "data": "data/index.json",  # what data files there are
    "schema": "data/papers.schema.json",  # the JSON Schema of a data file
}

# Schemes of links: a page links out only to the web (http, https) or to mail.
WEB_SCHEMES = ("http://", "https://")
SAFE_SCHEMES = (*WEB_SCHEMES, "mailto:")

# A value that is an http(s) URL and nothing else (a paper's code or project page).
WEB_URL = re.compile(r"^https?://[^\s/<>\"]+[^\s<>\"]*$", re.IGNORECASE)
# An http(s) URL inside running text (an abstract); `url_spans` trims what follows it.
URL_IN_TEXT = re.compile(r"https?://[^\s{(<>\"]+", re.IGNORECASE)
URL_TRAILING = ".,;:)]}"
# Where a site is published: only what a URL may hold unescaped (RFC 3986), so it can go
# into any attribute or feed as it is.
SITE_URL = re.compile(
    r"^https?://[A-Za-z0-9.\-\[\]:@%_~!$&'()*+,;=]+(/[A-Za-z0-9.\-_~!$&'()*+,;=:@%/]*)?$"
)


def url_for(kind: str, key: str | int = "") -> str:
    """Return the site path of one page, such as `orgs/berkeley.html`."""
    return PATTERNS[kind].format(key=key)


def page_url(name: str) -> str:
    """Return the site path of a file the site has one of, such as `top.html`."""
    return PAGES[name]


def paper_url(slug: str) -> str:
    """Return the site path of a paper's page: `papers/<slug>.html`."""
    return url_for("paper", slug)


def day_url(day: dt.date) -> str:
    """Return the site path of a listing day's page: `days/2026-11-20.html`."""
    return url_for("day", day.isoformat())


def archive_pages(kind: str, key: str) -> str:
    """Return the pattern of an archive's numbered pages, counted from its oldest papers:
    `orgs/berkeley/{num}.html` (its newest papers are at its own URL)."""
    return f"{SECTIONS[kind]}/{key}/{{num}}.html"


# Names an archive's key cannot take: the section's own index page is `<section>/index.html`
# (an organization or a tag called "index" gets a suffix, as a paper's slug does).
TAKEN_KEYS = frozenset({"index"})


def key_slug(text: str, prefix: str) -> str:
    """Slugify an organization id or topic name for a URL; `prefix-<hash>` when nothing is left,
    `<slug>-2` when the slug is a name a section's own page has."""
    slug = slugify(text.lower(), max_length=60, word_boundary=True, save_order=True)
    if slug in TAKEN_KEYS:
        return f"{slug}-2"
    if slug:
        return slug
    return f"{prefix}-{hashlib.sha1(text.encode('utf-8')).hexdigest()[:10]}"


@lru_cache(maxsize=65536)
def org_key(org_id: str) -> str:
    """Return the URL key of an organization id (`Meituan-LongCat` -> `meituan-longcat`)."""
    return key_slug(org_id, "org")


def index_url(kind: str) -> str:
    """Return the site path of the page that lists every archive of a kind: `orgs/index.html`."""
    return f"{SECTIONS[kind]}/index.html"


def feed_url(page: str) -> str:
    """Return the feed beside an archive's first page: `orgs/berkeley.html` -> `.xml`."""
    return page.removesuffix(".html") + ".xml"


def root_of(path: str) -> str:
    """Return the relative prefix from a site path back to the site root (`../` for one level)."""
    return "../" * path.count("/")


def relative(page: str, path: str) -> str:
    """Return how the page at site path `page` links to site path `path`: by file name within
    its own folder, else up to the site root and down (`../papers/a.html`)."""
    folder, _, name = path.rpartition("/")
    return name if folder == page.rpartition("/")[0] else root_of(page) + path


def published(base_url: str, path: str) -> str:
    """Return where a site path is published: `base_url` itself for the home page.

    Without `base_url` it stays the site path (relative to the site root).
    """
    return base_url if base_url and path == HOME else base_url + path


def feed_link(base_url: str, feed: str, path: str) -> str:
    """Return how the feed at site path `feed` links to site path `path`: by its published URL
    when base_url is set (a feed reader has no page to be relative to), else relative to the
    feed's folder through the site root. Pages always link relatively (`relative`)."""
    return published(base_url, path) if base_url else root_of(feed) + path


def absolute(base_url: str, path: str) -> str | None:
    """Return the published URL of a site path, or None when base_url is not set."""
    return published(base_url, path) if base_url else None


def arxiv_abs(arxiv_id: str) -> str:
    """Return a paper's arXiv abstract page."""
    return f"https://arxiv.org/abs/{arxiv_id}"


def arxiv_pdf(arxiv_id: str) -> str:
    """Return a paper's PDF on arXiv."""
    return f"https://arxiv.org/pdf/{arxiv_id}"


def hugging_face(arxiv_id: str) -> str:
    """Return a paper's page on the Hugging Face listing."""
    return f"https://huggingface.co/papers/{arxiv_id}"


def discussion(arxiv_id: str) -> str:
    """Return the discussion of a paper on the Hugging Face listing."""
    return f"https://huggingface.co/papers/{arxiv_id}#community"


def arxiv_title_search(title: str) -> str:
    """Return arXiv's search for a title (for a paper whose arXiv id is not known)."""
    return f"https://arxiv.org/search/?query={quote_plus(title)}&searchtype=title"


def is_web(url: str) -> bool:
    """Tell whether a link goes to the web (http or https)."""
    return url.lower().startswith(WEB_SCHEMES)


def web_url(value: object) -> str | None:
    """Return a value that is one http(s) URL (trimmed), else None."""
    if isinstance(value, str) and WEB_URL.match(value.strip()):
        return value.strip()
    return None


def https_url(value: object) -> str | None:
    """Return a value that is one https URL (trimmed), else None (an image for link previews:
    a page served over https cannot show one over http)."""
    found = web_url(value)
    return found if found and found.lower().startswith("https://") else None


# A user name on the Hub: letters and digits, with '-', '_' or '.' inside.
HUB_USER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$")


def hub_user(value: object) -> str | None:
    """Return a value that is a Hugging Face user name (trimmed), else None."""
    if isinstance(value, str) and HUB_USER.match(value.strip()):
        return value.strip()
    return None


# A repository on the Hub: `owner/name` (a few old models have a name alone).
HUB_REPO = re.compile(r"^(?:[A-Za-z0-9][\w.-]{0,95}/)?[A-Za-z0-9][\w.-]{0,95}$")


def hub_repo(value: object) -> str | None:
    """Return a value that is a Hub repository id (`owner/name`), else None."""
    if isinstance(value, str) and HUB_REPO.match(value) and ".." not in value:
        return value
    return None


def hub_repo_url(kind: str, repo: str) -> str:
    """Return a model's, dataset's or Space's page on the Hub (`kind`: models, datasets, spaces)."""
    prefix = "" if kind == "models" else f"{kind}/"
    return f"https://huggingface.co/{prefix}{repo}"


def hub_citing(kind: str, arxiv_id: str) -> str:
    """Return the Hub's list of the models, datasets or Spaces that cite a paper."""
    return f"https://huggingface.co/{kind}?other=arxiv:{arxiv_id}"


def hub_profile(user: str) -> str:
    """Return a user's page on the Hub."""
    return f"https://huggingface.co/{user}"


def safe_href(href: str) -> bool:
    """Tell whether a link in a paper's body may stay: web, mail, in-page or relative."""
    lowered = href.strip().lower()
    if lowered.startswith(SAFE_SCHEMES) or lowered.startswith("#"):
        return True
    # A relative link has no scheme before its first '/', '?' or '#'.
    return not re.match(r"^[^/?#]*:", lowered) and not lowered.startswith("//")


def url_spans(text: str) -> Iterator[tuple[int, str]]:
    """Yield (start, URL) for each http(s) URL in `text`, without trailing punctuation."""
    if "://" not in text:  # most abstracts hold no URL: no need to run the search
        return
    for match in URL_IN_TEXT.finditer(text):
        url = match.group(0).rstrip(URL_TRAILING)
        if len(url) > len("https://"):
            yield match.start(), url


def extract_links(text: str) -> tuple[str, ...]:
    """List the URLs in `text` in order, without trailing punctuation, each once."""
    return tuple(dict.fromkeys(url for _, url in url_spans(text)))
