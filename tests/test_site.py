"""The built seed site, end to end: links, parsing, metadata, archives, feed and sitemap."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser
import html5lib
import pytest
from bs4 import BeautifulSoup

from builder.load import load_papers
from builder.models import listed_on
from builder.urls import org_key
from tests.conftest import BASE_URL, REPO, build_seed_site, html_pages, rendered_text

PAPERS = {s.paper.slug: s.paper for s in load_papers(REPO / "content" / "papers")[0]}
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@functools.cache
def soup_of(path: Path) -> BeautifulSoup:
    """Parse a built page once for every test that reads it (no test changes a page's tree)."""
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def references(soup: BeautifulSoup) -> list[tuple[str, str, str]]:
    """List (tag, attribute, value) of every href and src in a page."""
    found = []
    for tag in soup.find_all(True):
        for attr in ("href", "src"):
            if tag.has_attr(attr):
                found.append((tag.name, attr, tag[attr]))
    return found


def test_every_page_type_is_there(built_site: Path) -> None:
    for name in [
        "index.html",
        "days/2026-04-15.html",
        "months/index.html",
        "orgs/index.html",
        "topics/index.html",
        "search.html",
        "top.html",
        "trends.html",
        "saved.html",
        "feeds.html",
        "feeds.opml",
        "404.html",
        "feed.xml",
        "sitemap.xml",
        "robots.txt",
        ".nojekyll",
        "assets/style.css",
        "assets/site.js",
        "assets/favicon.svg",
    ]:
        assert (built_site / name).is_file(), name
    assert len(list((built_site / "papers").glob("*.html"))) == len(PAPERS) == 134
    assert (built_site / "orgs" / "meituan-longcat.html").is_file() or any(
        p.organization and org_key(p.organization.id) == "longcat" for p in PAPERS.values()
    )


def test_every_page_is_html_that_parses_cleanly(built_site: Path) -> None:
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    for page in html_pages(built_site):
        parser.parse(page.read_bytes())  # raises on any parse error
        assert not parser.errors, (page, parser.errors[:3])


def test_every_relative_link_resolves_and_nothing_loads_from_elsewhere(built_site: Path) -> None:
    checked = 0
    for page in html_pages(built_site):
        soup = soup_of(page)
        ids = {t["id"] for t in soup.find_all(id=True)}
        for tag, attr, value in references(soup):
            parts = urlsplit(value)
            if parts.scheme or value.startswith("//"):
                # Another host may be linked to, never loaded from.
                assert tag == "a" and attr == "href", (page, tag, value)
                assert parts.scheme in ("http", "https", "mailto"), (page, value)
                continue
            assert not value.startswith("/"), f"{page}: root-relative {value}"
            if not parts.path:
                assert parts.fragment in ids, (page, value)
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            assert target.is_file(), f"{page.relative_to(built_site)}: {value} is missing"
            assert built_site.resolve() in target.parents
            checked += 1
    assert checked > 3000


def test_each_listing_day_has_a_page_and_together_they_list_every_paper_once(
    built_site: Path,
) -> None:
    days = sorted((built_site / "days").glob("*.html"), reverse=True)
    assert [d.stem for d in days] == ["2026-06-16", "2026-06-10", "2026-04-15", "2026-02-12"]
    slugs: list[str] = []
    for n, page in enumerate(days):
        soup = soup_of(page)
        got = [Path(a["href"]).stem for a in soup.select(".card-title a")]
        assert got == sorted(got)
        assert {listed_on(PAPERS[s]).isoformat() for s in got} == {page.stem}
        slugs += got
        # Each day links the day after and before it.
        newer, older = (soup.select_one(f".neighbours [rel={r}]") for r in ("prev", "next"))
        newer_day = days[n - 1].resolve() if n else None
        older_day = days[n + 1].resolve() if n + 1 < len(days) else None
        assert (newer and (page.parent / newer["href"]).resolve()) == newer_day
        assert (older and (page.parent / older["href"]).resolve()) == older_day
    assert len(slugs) == len(set(slugs)) == len(PAPERS)


def test_the_front_page_shows_the_newest_whole_days(built_site: Path) -> None:
    soup = soup_of(built_site / "index.html")
    shown = [h.select_one("time")["datetime"] for h in soup.select(".day-heading")]
    # 29 papers on the newest day are fewer than page_size (30): the day before joins them.
    assert shown == ["2026-06-16", "2026-06-10"]
    cards = [Path(a["href"]).stem for a in soup.select(".card-title a")]
    assert len(cards) == 59 == sum(listed_on(p).isoformat() in shown for p in PAPERS.values())
    assert soup.select_one(".neighbours [rel=next]")["href"] == "days/2026-04-15.html"


def test_undated_papers_say_listed(built_site: Path) -> None:
    undated = [p for p in PAPERS.values() if p.date is None]
    assert len(undated) == 5
    for paper in undated:
        soup = soup_of(built_site / "papers" / f"{paper.slug}.html")
        assert soup.find(itemprop="datePublished") is None
        assert soup.select_one(".paper-head .listed").get_text().startswith("listed ")


def meta(soup: BeautifulSoup, key: str) -> list[str]:
    tags = soup.find_all("meta", attrs={"name": key}) or soup.find_all(
        "meta", attrs={"property": key}
    )
    return [t["content"] for t in tags]


@pytest.mark.parametrize("slug", sorted(PAPERS))
def test_paper_metadata_equals_its_front_matter(published_site: Path, slug: str) -> None:
    paper = PAPERS[slug]
    soup = soup_of(published_site / "papers" / f"{slug}.html")
    url = f"{BASE_URL}papers/{slug}.html"
    article = soup.find(itemscope=True, itemtype="https://schema.org/ScholarlyArticle")
    assert article is not None
    assert [e.get_text() for e in article.find_all(itemprop="name")] == [paper.title]
    (abstract,) = article.find_all(itemprop="abstract")
    assert abstract.get_text() == rendered_text(paper.file_body)
    published = article.find_all(itemprop="datePublished")
    assert [t["datetime"] for t in published] == ([paper.date.isoformat()] if paper.date else [])
    assert [e.get_text() for e in article.find_all(itemprop="author")] == list(paper.authors)

    assert soup.title.get_text().startswith(paper.title)
    assert meta(soup, "og:title") == meta(soup, "citation_title") == [paper.title]
    assert meta(soup, "og:type") == ["article"]
    assert meta(soup, "og:url") == [url]
    assert [link["href"] for link in soup.find_all("link", rel="canonical")] == [url]
    description = meta(soup, "og:description")[0]
    assert description.rstrip("…") and rendered_text(paper.file_body).startswith(
        description.rstrip("…")
    )
    assert meta(soup, "citation_author") == list(paper.authors)
    date = [f"{paper.date:%Y/%m/%d}"] if paper.date else []
    assert meta(soup, "citation_publication_date") == date
    assert meta(soup, "citation_arxiv_id") == ([paper.arxiv_id] if paper.arxiv_id else [])


def test_relative_builds_have_no_absolute_urls(built_site: Path) -> None:
    soup = soup_of(built_site / "papers" / f"{next(iter(PAPERS))}.html")
    assert soup.find("link", rel="canonical") is None and meta(soup, "og:url") == []
    assert "Sitemap:" not in (built_site / "robots.txt").read_text()


def test_paper_pages_link_out_and_to_their_neighbours(built_site: Path) -> None:
    # The seeds are text dumps, which carry no arXiv ids (links_out is tested on its own).
    without = next(p for p in PAPERS.values() if not p.arxiv_id)
    soup = soup_of(built_site / "papers" / f"{without.slug}.html")
    assert any(a["href"].startswith("https://arxiv.org/search/") for a in soup.select(".actions a"))
    copy = soup.select_one("a.copy-link")
    assert copy["href"] == f"{without.slug}.html"  # a plain link without JavaScript
    neighbours = soup.select(".neighbours a")
    assert neighbours and all(a["href"].endswith(".html") for a in neighbours)
    assert len(soup.select("[itemprop=name]")) == 1


def test_every_paper_page_ends_with_five_related_papers_linked_by_title(built_site: Path) -> None:
    for path in sorted((built_site / "papers").glob("*.html")):
        soup = soup_of(path)
        section = soup.select_one("main > section#related")
        assert section is not None and section.find_next_sibling() is None, path.name
        links = section.select("li a")
        assert len(links) == 5, path.name
        for a in links:
            target = (path.parent / a["href"]).resolve()
            assert target.is_file() and target != path.resolve()
            assert a.get_text() == PAPERS[target.stem].title


def test_top_papers_are_linked_from_every_page_and_ordered_by_upvotes(built_site: Path) -> None:
    soup = soup_of(built_site / "top.html")
    lists = soup.select("section.top-list")
    assert lists[0].h2.get_text() == "All time"
    for section in lists:
        slugs = [a["href"].split("/")[-1][:-5] for a in section.select(".card-title a")]
        assert 0 < len(slugs) <= 10
        votes = [PAPERS[s].upvotes for s in slugs]
        assert votes == sorted(votes, reverse=True)
    shown = [a["href"] for a in lists[0].select(".card-title a")]
    best = sorted(
        (p for p in PAPERS.values() if p.upvotes is not None),
        key=lambda p: (-p.upvotes, -(listed_on(p).toordinal()), p.slug),
    )[:10]
    assert shown == [f"papers/{p.slug}.html" for p in best]
    for path in html_pages(built_site):
        nav = soup_of(path).select_one("nav.site-nav")
        assert any(a["href"].endswith("top.html") for a in nav.select("a")), path


@functools.cache
def archive_cards(page: Path, page_size: int = 30) -> set[str]:
    """The papers on an archive's pages, newest first: its own page, then its numbered pages
    from the last (the newest) to 1 (the oldest papers), each holding `page_size`."""
    found: list[str] = []
    numbered = sorted(page.with_suffix("").glob("*.html"), key=lambda p: -int(p.stem))
    for path in [page, *numbered]:
        soup = soup_of(path)
        listed = [a for a in soup.select(".card-title a") if not a.find_parent(class_="top-of")]
        found += [Path(a["href"]).stem for a in listed]
        if numbered:
            current = soup.select_one(".pager a[aria-current=page]")
            assert current is not None
            assert current.text == ("Newest" if path == page else path.stem)
            if path != page:
                assert len(listed) == page_size
    assert len(found) == len(set(found)), f"a paper twice in {page}"
    days = [listed_on(PAPERS[s]) for s in found]
    assert days == sorted(days, reverse=True)
    return set(found)


def test_archives_hold_every_paper_where_it_belongs(built_site: Path) -> None:
    cards = archive_cards
    months = Counter(f"{listed_on(p):%Y-%m}" for p in PAPERS.values())
    index = soup_of(built_site / "months" / "index.html")
    assert len(index.select(".index-list li")) == len(months)
    for key, count in months.items():
        got = cards(built_site / "months" / f"{key}.html")
        assert len(got) == count
        assert all(f"{listed_on(PAPERS[s]):%Y-%m}" == key for s in got)
    orgs = Counter(org_key(p.organization.id) for p in PAPERS.values() if p.organization)
    assert orgs and len(
        soup_of(built_site / "orgs" / "index.html").select(".index-list li")
    ) == len(orgs)
    for key, count in orgs.items():
        assert len(cards(built_site / "orgs" / f"{key}.html")) == count
    # Every tag on a paper page links to a topic page that lists the paper.
    tagged = 0
    for slug in PAPERS:
        for a in soup_of(built_site / "papers" / f"{slug}.html").select(".paper-head .tags a"):
            assert slug in cards((built_site / "papers" / a["href"]).resolve())
            tagged += 1
    assert tagged > 100
    topic_pages = list((built_site / "topics").glob("*.html"))
    assert len(topic_pages) - 1 == len(
        soup_of(built_site / "topics" / "index.html").select(".index-list li")
    )


def test_every_page_has_the_search_form(built_site: Path) -> None:
    for page in html_pages(built_site):
        form = soup_of(page).find("form", role="search")
        assert form is not None, page
        assert form.find("input", attrs={"type": "search", "name": "q"}) is not None
        assert (page.parent / form["action"]).resolve() == (built_site / "search.html").resolve()


@pytest.mark.parametrize("fixture", ["built_site", "published_site"])
def test_the_feed_is_valid_atom_with_full_abstracts(fixture: str, request) -> None:
    site: Path = request.getfixturevalue(fixture)
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert len(feed.entries) == 50
    digest = [Path(a["href"]).stem for a in soup_of(site / "index.html").select(".card-title a")]
    slugs = [Path(urlsplit(e.link).path).stem for e in feed.entries]
    assert slugs == digest[:50]
    for entry, slug in zip(feed.entries, slugs, strict=True):
        paper = PAPERS[slug]
        assert entry.title == paper.title
        assert entry.content[0].value == rendered_text(paper.file_body)
        assert entry.updated.startswith(listed_on(paper).isoformat())
        if fixture == "published_site":
            assert entry.link == f"{BASE_URL}papers/{slug}.html" == entry.id
        else:
            assert entry.link == f"papers/{slug}.html"
    assert len({e.id for e in feed.entries}) == 50


@pytest.mark.parametrize("fixture", ["built_site", "published_site"])
def test_every_organization_and_topic_has_a_feed_its_pages_advertise(fixture: str, request) -> None:
    site: Path = request.getfixturevalue(fixture)
    feeds = sorted((site / "orgs").glob("*.xml")) + sorted((site / "topics").glob("*.xml"))
    archives = [p for p in (site / "orgs").glob("*.html") if p.name != "index.html"]
    archives += [p for p in (site / "topics").glob("*.html") if p.name != "index.html"]
    assert len(feeds) == len(archives) > 10
    for page in archives:
        xml = page.with_suffix(".xml")
        links = soup_of(page).select('link[rel=alternate][type="application/atom+xml"]')
        hrefs = [a["href"] for a in links]
        assert hrefs == ["../feed.xml", f"../{page.parent.name}/{xml.name}"], page
        feed = feedparser.parse(xml.read_bytes())
        assert not feed.bozo, (xml, feed.get("bozo_exception"))
        listed = [Path(a["href"]).stem for a in soup_of(page).select(".card-title a")]
        slugs = [Path(urlsplit(e.link).path).stem for e in feed.entries]
        assert slugs[: len(listed)] == listed[: len(slugs)]
        assert len(slugs) == min(
            50, int(re.match(r"(\d+)", soup_of(page).select_one(".lead").text)[1])
        )
        for entry, slug in zip(feed.entries, slugs, strict=True):
            assert entry.content[0].value == rendered_text(PAPERS[slug].file_body)
            if fixture == "published_site":
                assert entry.link == f"{BASE_URL}papers/{slug}.html"
            else:
                assert (xml.parent / entry.link).resolve() == (site / "papers" / f"{slug}.html")


@pytest.mark.parametrize("fixture", ["built_site", "published_site"])
def test_feeds_html_and_the_opml_list_every_feed(fixture: str, request) -> None:
    site: Path = request.getfixturevalue(fixture)
    xml = [p for d in ("orgs", "topics") for p in (site / d).glob("*.xml")]
    every = ["feed.xml", *sorted(p.relative_to(site).as_posix() for p in xml)]
    soup = soup_of(site / "feeds.html")
    listed = [a["href"] for a in soup.select(".feed-list a.copy-link")]
    assert sorted(listed) == sorted(every)
    outlines = ET.parse(site / "feeds.opml").getroot().iter("outline")
    urls = [o.get("xmlUrl") for o in outlines if o.get("type") == "rss"]
    base = BASE_URL if fixture == "published_site" else ""
    assert sorted(urls) == sorted(base + f for f in every)
    assert urls[0] == base + "feed.xml"


def sitemap_locs(site: Path) -> list[str]:
    """Every URL the sitemap lists, following a sitemap index to its parts."""
    root = ET.parse(site / "sitemap.xml").getroot()
    locs = [e.text or "" for e in root.iter(f"{SITEMAP}loc")]
    if root.tag == f"{SITEMAP}sitemapindex":
        assert locs and all(loc.startswith(BASE_URL) for loc in locs)
        parts = [ET.parse(site / loc[len(BASE_URL) :]).getroot() for loc in locs]
        assert all(p.tag == f"{SITEMAP}urlset" for p in parts)
        return [e.text or "" for p in parts for e in p.iter(f"{SITEMAP}loc")]
    assert root.tag == f"{SITEMAP}urlset"
    return locs


def test_the_sitemap_lists_every_page_and_robots_names_it(published_site: Path) -> None:
    assert ET.parse(published_site / "sitemap.xml").getroot().tag == f"{SITEMAP}urlset"
    locs = sitemap_locs(published_site)
    assert all(loc.startswith(BASE_URL) for loc in locs)
    pages = {
        p.relative_to(published_site).as_posix()
        for p in html_pages(published_site)
        if p.name != "404.html"
    }
    listed = {loc[len(BASE_URL) :] or "index.html" for loc in locs}
    assert listed == pages and len(locs) == len(pages)
    robots = (published_site / "robots.txt").read_text()
    assert f"Sitemap: {BASE_URL}sitemap.xml" in robots


def test_a_long_sitemap_is_an_index_of_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from builder import plan

    monkeypatch.setattr(plan, "URLS_PER_SITEMAP", 50)
    site = build_seed_site(tmp_path, base_url=BASE_URL)
    assert ET.parse(site / "sitemap.xml").getroot().tag == f"{SITEMAP}sitemapindex"
    locs = sitemap_locs(site)
    pages = {p.relative_to(site).as_posix() for p in html_pages(site) if p.name != "404.html"}
    assert {loc[len(BASE_URL) :] or "index.html" for loc in locs} == pages
    assert len(locs) == len(pages) > 150 and len(list((site / "sitemaps").glob("*.xml"))) >= 3


def test_the_404_page_anchors_its_links_at_the_site_root(published_site: Path) -> None:
    soup = soup_of(published_site / "404.html")
    assert soup.find("base")["href"] == BASE_URL
    assert soup.find("link", rel="stylesheet")["href"] == "assets/style.css"


def test_output_is_deterministic(built_site: Path, tmp_path: Path) -> None:
    from tests.conftest import build_seed_site

    again = build_seed_site(tmp_path)
    for page in sorted(p for p in built_site.rglob("*") if p.is_file()):
        other = again / page.relative_to(built_site)
        assert other.read_bytes() == page.read_bytes(), page


def test_the_workflows_are_valid_github_workflows() -> None:
    workflows = [REPO / ".github" / "workflows" / name for name in ("pages.yml", "daily.yml")]
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.github-workflows", *map(str, workflows)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = workflows[0].read_text()
    assert "make site BASE_URL=" in text
    for action in ("configure-pages", "upload-pages-artifact", "deploy-pages"):
        # Pinned to a commit, with the release it is in a comment (zizmor's unpinned-uses).
        assert re.search(rf"uses: actions/{action}@[0-9a-f]{{40}} # v\d", text), action


def test_the_daily_workflow_fetches_commits_what_changed_and_builds_with_the_cache() -> None:
    import yaml

    pages = yaml.safe_load((REPO / ".github" / "workflows" / "pages.yml").read_text())
    daily = yaml.safe_load((REPO / ".github" / "workflows" / "daily.yml").read_text())
    triggers = daily.get("on", daily.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers["schedule"][0]["cron"] and "workflow_dispatch" in triggers
    assert (
        daily["concurrency"]
        == pages["concurrency"]
        == {"group": "pages", "cancel-in-progress": False}
    )
    assert daily["permissions"] == {"contents": "read"}
    jobs = daily["jobs"]
    writers = [
        name for name, job in jobs.items() if job.get("permissions", {}).get("contents") == "write"
    ]
    assert writers == ["update"]
    update = "\n".join(step.get("run", "") for step in jobs["update"]["steps"])
    assert "make setup" in update and "python -m builder fetch\n" in update
    assert "--refresh" in update and "--from" in update and "3 days ago" in update
    assert "git diff --cached --quiet" in update and "git push" in update
    # The Hub is asked after the day's papers are pushed, and its failure fails nothing.
    names = [step.get("name", "") for step in jobs["update"]["steps"]]
    hub = names.index("Ask the Hub what cites the recent papers")
    assert names.index("Commit what changed, if anything did") < hub
    assert jobs["update"]["steps"][hub]["continue-on-error"] is True
    assert "fetch --artifacts" in jobs["update"]["steps"][hub]["run"]
    build = jobs["build"]
    assert build["needs"] == "update" and jobs["deploy"]["needs"] == "build"
    cache = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"].split() == [".cache", "output"] and cache["with"]["restore-keys"]
    assert any("make site" in s.get("run", "") for s in build["steps"])


def test_a_month_of_several_pages_shows_its_top_papers_on_its_own_page(
    tmp_path: Path, built_site: Path
) -> None:
    site = build_seed_site(tmp_path, page_size=5)
    months: dict[str, list] = {}
    for paper in PAPERS.values():
        months.setdefault(f"{listed_on(paper):%Y-%m}", []).append(paper)
    big = [m for m, papers in months.items() if len(papers) > 5]
    assert big
    for month in big:
        section = soup_of(site / "months" / f"{month}.html").select_one("section.top-of")
        shown = [a["href"].split("/")[-1][:-5] for a in section.select(".card-title a")]
        counted = [p for p in months[month] if p.upvotes is not None]
        assert len(shown) == min(10, len(counted))
        assert [PAPERS[s].upvotes for s in shown] == sorted(
            (p.upvotes for p in counted), reverse=True
        )[: len(shown)]
        assert soup_of(site / "months" / month / "1.html").select_one("section.top-of") is None
        assert archive_cards(site / "months" / f"{month}.html", 5) == {
            p.slug for p in months[month]
        }
    # At 30 a page, no month has a numbered page (fewer than 60 papers): none shows a top.
    for month in months:
        assert soup_of(built_site / "months" / f"{month}.html").select_one(".top-of") is None


@pytest.mark.parametrize("fixture", ["built_site", "published_site"])
def test_every_paper_page_has_its_bibtex_entry(fixture, request) -> None:
    import bibtexparser

    site: Path = request.getfixturevalue(fixture)
    keys = set()
    for slug, paper in PAPERS.items():
        page = site / "papers" / f"{slug}.html"
        cite = soup_of(page).select_one("article section#cite")
        entry = cite.select_one("pre > code#bibtex").get_text()
        assert entry.startswith("@misc{") and entry.endswith("}\n")
        # Copied and downloaded by site.js from the page (test_browser): no file beside it.
        assert not (site / "papers" / f"{slug}.bib").exists()
        found = bibtexparser.parse_string(entry).entries[0]
        keys.add(found.key)
        fields = {name: f.value for name, f in found.fields_dict.items()}
        assert fields["year"] == str(listed_on(paper).year)
        if paper.arxiv_id:
            assert fields["eprint"] == paper.arxiv_id and fields["archivePrefix"] == "arXiv"
        elif fixture == "published_site":
            assert fields["url"] == f"{BASE_URL}papers/{slug}.html"
    assert len(keys) == len(PAPERS)


def test_archives_list_rows_and_the_digest_cards(built_site: Path) -> None:
    # Rows (title and meta line) in every list of an archive; cards (with the excerpt and
    # topics) in the digest's.
    for page in ("months/2026-06.html", "orgs/gensyn.html", "topics/math.html"):
        lists = soup_of(built_site / page).select("main ol.cards")
        assert lists and all("rows" in ol["class"] for ol in lists), page
        assert not soup_of(built_site / page).select("ol.cards .excerpt"), page
    lists = soup_of(built_site / "index.html").select("main ol.cards")
    assert lists and not any("rows" in ol["class"] for ol in lists)
    assert len(soup_of(built_site / "index.html").select("ol.cards > li .excerpt")) == 59


GROK = "grokking-at-the-edge-of-numerical-stability"


def test_what_the_listing_says_beyond_the_abstract_shows_on_cards_and_pages(
    listing_site: Path,
) -> None:
    soup = soup_of(listing_site / "papers" / f"{GROK}.html")
    # The AI summary above the abstract, labelled, its markup shown as text; the abstract whole.
    ai = soup.select_one("section.ai-summary")
    assert ai.find_next_sibling("section")["class"] == ["abstract-section"]
    assert ai.h2.get_text() == "AI summary" and "not by the authors" in ai.get_text()
    assert ai.p.get_text() == (
        "Grokking stalls at the edge of numerical stability: <em>softmax collapse</em> & fixes."
    )
    assert ai.find("em") is None
    # A link preview with the paper's image: absolute https, large card.
    image = "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2506.10000.png"
    assert meta(soup, "og:image") == [image]
    assert meta(soup, "twitter:card") == ["summary_large_image"]
    # Stars beside the code link; the comments lead to the discussion on the listing.
    actions = {a.get_text(" ", strip=True): a["href"] for a in soup.select(".actions a")}
    assert actions["Code 1,234"].startswith("https://github.com/")
    assert actions["2 comments"] == "https://huggingface.co/papers/2506.10000#community"
    # No link out of a paper page tells the other site which page it came from.
    assert meta(soup, "referrer") == ["no-referrer"]
    details = {dt.get_text(): dt.find_next_sibling("dd") for dt in soup.select(".details dt")}
    assert details["Submitted by"].a["href"] == "https://huggingface.co/akhaliq"
    # A paper with none of them has none of it (and no image card).
    plain = soup_of(listing_site / "papers" / "upvotes-as-text.html")
    assert plain.select(".ai-summary, .stars") == [] and meta(plain, "og:image") == []
    assert meta(plain, "twitter:card") == []
    # On its card, the summary stands in for the abstract's opening, labelled.
    digest = soup_of(listing_site / "index.html")
    cards = {c.select_one(".card-title").get_text(): c for c in digest.select(".cards article")}
    excerpt = cards["Grokking at the Edge of Numerical Stability"].select_one(".excerpt")
    assert excerpt.select_one(".ai-label").get_text() == "AI summary"
    assert "softmax collapse</em>" in excerpt.get_text()
    assert cards["Upvotes As Text"].select_one(".ai-label") is None


def test_the_models_datasets_and_spaces_citing_a_paper_link_to_the_hub(listing_site: Path) -> None:
    soup = soup_of(listing_site / "papers" / f"{GROK}.html")
    hub = soup.select_one("section.hub")
    assert hub.find_previous_sibling("section")["class"] == ["read"]
    kinds = {dt.contents[0].strip(): dt.find_next_sibling("dd") for dt in hub.select("dt")}
    assert list(kinds) == ["Models", "Datasets"]  # no Spaces cite it: not shown
    models = [(a.get_text(), a["href"]) for a in kinds["Models"].select(".hub-list a")]
    assert models[:2] == [
        ("LucasPrietoAl/grokking-softmax", "https://huggingface.co/LucasPrietoAl/grokking-softmax"),
        ("gpt2", "https://huggingface.co/gpt2"),
    ]
    assert len(models) == 5 and hub.select_one("dt .count").get_text() == "12"
    everything = kinds["Models"].select_one(".hub-all")
    assert everything.get_text() == "All 12 models"
    assert everything["href"] == "https://huggingface.co/models?other=arxiv:2506.10000"
    (dataset,) = kinds["Datasets"].select("a")  # one, all shown: no link to the whole list
    assert dataset["href"] == "https://huggingface.co/datasets/LucasPrietoAl/modular-arithmetic"
    # A full page of 100 is "100+"; the ids that were no repository are not there.
    org = soup_of(listing_site / "papers" / "a-paper-from-an-organization.html")
    assert org.select_one(".hub dt .count").get_text() == "100+"
    assert [a.get_text() for a in org.select(".hub-list a")] == ["ok/model"]
    # The paper file keeps them; a paper the Hub answered for that is not ours is nobody's.
    text = (listing_site.parent / "papers" / f"{GROK}.md").read_text()
    assert "datasets: {count: 1, top: [LucasPrietoAl/modular-arithmetic]}\n" in text
    assert "spaces: {count: 0, top: []}\n" in text


def test_the_exports_and_their_schema_hold_the_new_fields(listing_site: Path) -> None:
    import csv
    import gzip
    import json

    export = listing_site / "data" / "papers-2025-06.json.gz"  # the listing day's month
    records = {r["slug"]: r for r in json.loads(gzip.decompress(export.read_bytes()))}
    grok = records[GROK]
    assert (grok["github_stars"], grok["comments"], grok["submitted_by"]) == (1234, 2, "akhaliq")
    assert grok["thumbnail"].startswith("https://") and grok["ai_summary"].startswith("Grokking")
    assert records["upvotes-as-text"]["ai_summary"] is None
    schema = json.loads((listing_site / "data" / "papers.schema.json").read_text())
    assert set(schema["items"]["properties"]) == set(grok)
    rows = list(
        csv.DictReader(
            export.with_name(export.name[: -len(".json.gz")] + ".csv").open(encoding="utf-8-sig")
        )
    )
    row = next(r for r in rows if r["slug"] == GROK)
    assert (row["github_stars"], row["comments"], row["submitted_by"]) == ("1234", "2", "akhaliq")
    assert "ai_summary" not in row  # long text, like the abstract: in the JSON only
    assert (row["models"], row["datasets"], row["spaces"]) == ("12", "1", "0")
    assert grok["models"]["count"] == 12 and len(grok["models"]["top"]) == 5
