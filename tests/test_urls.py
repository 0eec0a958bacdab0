"""The URL rules of the site: where pages live, their published forms, the links out."""

from __future__ import annotations

import datetime as dt

import pytest

from builder import urls
from builder.urls import extract_links, key_slug, org_key


def test_every_kind_of_page_has_its_file() -> None:
    assert urls.paper_url("a-paper") == "papers/a-paper.html"
    assert urls.url_for("org", "berkeley") == "orgs/berkeley.html"
    assert urls.day_url(dt.date(2026, 11, 20)) == "days/2026-11-20.html"
    assert urls.archive_pages("month", "2026-03").format(num=2) == "months/2026-03/2.html"
    assert urls.index_url("topic") == "topics/index.html"
    assert urls.feed_url("orgs/berkeley.html") == "orgs/berkeley.xml"


def test_links_are_relative_without_base_url_and_the_home_page_is_the_site_root() -> None:
    base = "https://reader.example.org/digest/"
    assert urls.root_of("orgs/berkeley/2.html") == "../../"
    assert urls.feed_link("", "orgs/berkeley.xml", "index.html") == "../index.html"
    assert urls.feed_link(base, "orgs/berkeley.xml", "index.html") == base
    assert urls.feed_link(base, "feed.xml", "papers/a.html") == base + "papers/a.html"
    assert urls.relative("papers/a.html", "papers/b.html") == "b.html"
    assert urls.relative("papers/a.html", "top.html") == "../top.html"
    assert urls.relative("search.html", "months/index.html") == "months/index.html"
    assert urls.page_url("opml") == "feeds.opml"
    assert urls.absolute("", "top.html") is None
    assert urls.absolute(base, "index.html") == base
    assert urls.published("", "papers/a.html") == "papers/a.html"


def test_a_paper_is_read_on_arxiv_and_the_listing() -> None:
    assert urls.arxiv_abs("2401.12345") == "https://arxiv.org/abs/2401.12345"
    assert urls.arxiv_pdf("2401.12345") == "https://arxiv.org/pdf/2401.12345"
    assert urls.hugging_face("2401.12345") == "https://huggingface.co/papers/2401.12345"
    search = urls.arxiv_title_search("A & B: 100%")
    assert search == "https://arxiv.org/search/?query=A+%26+B%3A+100%25&searchtype=title"


@pytest.mark.parametrize(
    ("value", "found"),
    [
        (" https://github.com/a/b ", "https://github.com/a/b"),
        ("HTTP://example.org", "HTTP://example.org"),
        ("javascript:alert(1)", None),
        ("https://a b", None),
        ('https://a"onmouseover="x', None),
        ("ftp://example.org", None),
        ("https:///no-host", None),
        (42, None),
    ],
)
def test_a_web_url_is_one_http_url_and_nothing_else(value: object, found: str | None) -> None:
    assert urls.web_url(value) == found


@pytest.mark.parametrize(
    ("href", "safe"),
    [
        ("https://x.org", True),
        ("mailto:a@b.org", True),
        ("#cite", True),
        ("../papers/a.html", True),
        ("a.html?x=1:2", True),
        ("javascript:alert(1)", False),
        (" JaVaScRiPt:alert(1)", False),
        ("data:text/html,x", False),
        ("//evil.example", False),
    ],
)
def test_only_web_mail_in_page_and_relative_links_are_safe(href: str, safe: bool) -> None:
    assert urls.safe_href(href) is safe


def test_keys_are_slugs_and_never_empty() -> None:
    assert org_key("Meituan-LongCat") == "meituan-longcat"
    assert org_key("berkeley") == "berkeley"
    assert key_slug("3D", "topic") == "3d"
    han = key_slug("清华大学", "org")
    assert han and all(c.isalnum() or c == "-" for c in han) and han.isascii()
    assert key_slug("???", "org").startswith("org-")


def test_links_from_seed_abstracts() -> None:
    glued = (
        "Code: https://github.com/Rain-Bus/MSGCoOp{https://github.com/Rain-Bus/MSGCoOp}. "
        "library (https://github.com/divelab/AIRS/tree/main/OpenMol/TDN{https://github.com/"
        "divelab/AIRS/}). and at https://huggingface.co/camlab-ethz. or https://phyworld.github.io"
    )
    assert extract_links(glued) == (
        "https://github.com/Rain-Bus/MSGCoOp",
        "https://github.com/divelab/AIRS/tree/main/OpenMol/TDN",
        "https://github.com/divelab/AIRS/",
        "https://huggingface.co/camlab-ethz",
        "https://phyworld.github.io",
    )
    assert extract_links("no links; http:// alone") == ()
