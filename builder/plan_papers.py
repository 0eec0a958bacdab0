"""Plan the files made of each paper: its page (its BibTeX entry in it), the reading list's
chunks, and the data exports (plan.py plans the rest of the site, and calls these)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial

from builder import library
from builder.cite import bibtex, cite_keys
from builder.config import SiteConfig
from builder.models import Output, capture_order
from builder.prepare import PaperPage
from builder.render import Renderer, links_out, on_the_hub
from builder.replan import related_print
from builder.stats import sha
from builder.tables import LazyTable, Table
from builder.urls import PAGES, is_web, published


def paper_cite_keys(
    prepared: Sequence[PaperPage], bases: Sequence[str] | None = None
) -> dict[str, str]:
    """Every paper's cite key, by slug (`bases`: their key bases, when known, in order)."""
    by_capture = sorted((page.paper for page in prepared), key=capture_order)
    if bases:
        known = dict(zip([p.paper.slug for p in prepared], bases, strict=True))
        return cite_keys(by_capture, {}, known)
    return cite_keys(by_capture, {p.paper.slug: p.day for p in prepared})


@dataclass(frozen=True)
class Link:
    """A link to another page: where, and its title."""

    url: str
    title: str

    @staticmethod
    def to(page: PaperPage | None) -> Link | None:
        """The link to a paper's page (None for none)."""
        return Link(page.url, page.paper.title) if page else None


@dataclass(frozen=True)
class Citation:
    """What a paper's BibTeX entry is made from: the paper, its cite key and its URL."""

    page: PaperPage
    key: str
    url: str | None
    entries: Table | None = field(default=None, compare=False, repr=False)

    def inputs(self) -> tuple:
        """The entry's inputs as plain values."""
        return (self.page.id, self.key, self.page.day, self.url)

    def entry(self) -> str:
        """The BibTeX entry, made once (the page and the reading list show it;
        a day rewrites most reading-list chunks): from `entries` when made before."""
        return self._entry

    @cached_property
    def _entry(self) -> str:
        inputs = self.inputs()
        made = self.entries.get(inputs) if self.entries is not None else None
        if made is None:
            made = bibtex(self.page.paper, self.key, self.page.day, self.url)
            if self.entries is not None:
                self.entries.put(inputs, made)
        return made


class Citations(dict):
    """Each paper's `Citation` by slug, made when first asked for."""

    def __init__(
        self,
        page_of: dict[str, PaperPage],
        keys: dict[str, str],
        config: SiteConfig,
        entries: Table | None,
    ) -> None:
        super().__init__()
        self.page_of, self.keys, self.config, self.entries = page_of, keys, config, entries

    def __missing__(self, slug: str) -> Citation:
        page = self.page_of[slug]
        cite = Citation(page, self.keys[slug], cite_url(self.config, page), self.entries)
        self[slug] = cite
        return cite


def paper_outputs(
    render: Renderer,
    prepared: Sequence[PaperPage],
    citations: Citations,
    entries: Table | None = None,
) -> list[Output]:
    """Plan one page per paper, linked to its neighbours in digest order, its BibTeX entry in
    it (after a plan of every page, `entries` keeps only the BibTeX entries made for them)."""
    outputs = []
    reuse = render.reuse is not None
    for i, page in enumerate(prepared):
        url = page.url
        if reuse and (kept := render.kept(url)) is not None:  # the last plan's
            outputs.append(kept)
            continue
        newer = prepared[i - 1] if i > 0 else None
        older = prepared[i + 1] if i + 1 < len(prepared) else None
        cite = citations[page.paper.slug]
        inputs = _paper_inputs(render, cite, newer, older)
        plan = partial(_paper_page, render, page, newer, older, cite)
        outputs.append(render.unit(url, inputs, plan))
    if isinstance(entries, LazyTable):  # a partial plan does not know every entry it uses
        entries.retain(None if reuse else {cite.inputs() for cite in citations.values()})
    return outputs


def cite_url(config: SiteConfig, page: PaperPage) -> str | None:
    """The URL a citation without an arXiv id points to: the paper's page when the site's
    address is known, else its project page or code."""
    if config.base_url:
        return published(config.base_url, page.url)
    for url in (page.paper.project_page, page.paper.github):
        if url and is_web(url):
            return url
    return None


def _paper_inputs(
    render: Renderer, cite: Citation, newer: PaperPage | None, older: PaperPage | None
) -> tuple:
    """What `_paper_page` makes a page from, as plain values: the paper and its BibTeX's
    inputs, its neighbours (whose links it shows) and its related papers, by content id."""
    related = render.related.get(cite.page.paper.slug, ())
    page_of = render.page_of
    return (
        cite.inputs(),
        newer.id if newer else None,
        older.id if older else None,
        tuple([page_of[slug].id for slug, _ in related]) if related else (),
    )


def _paper_page(
    render: Renderer,
    page: PaperPage,
    newer: PaperPage | None,
    older: PaperPage | None,
    cite: Citation,
) -> Output:
    """Plan one paper's page."""
    paper = page.paper
    return render.page(
        "paper.html",
        page.url,
        "paper",
        page=page,
        bibtex=cite.entry(),
        links_out=links_out(paper),
        hub=on_the_hub(paper),
        newer=Link.to(newer),
        older=Link.to(older),
        related=[render.page_of[s] for s, _ in render.related.get(paper.slug, ())],
        citation_date=f"{paper.date:%Y/%m/%d}" if paper.date else None,
    )


def library_outputs(
    render: Renderer, prepared: Sequence[PaperPage], citations: Citations
) -> list[Output]:
    """Plan saved.html and the chunks of what it shows of each paper."""
    grouped = library.chunks_of(page.paper.slug for page in prepared)
    chunks = len(grouped)
    shared = library.shared_hashes(slug for slugs in grouped.values() for slug in slugs)
    related = render.related
    outputs = []
    for number, slugs in grouped.items():
        path = library.chunk_path(number)
        kept = render.kept(path)
        if kept is not None:
            outputs.append(kept)
            continue
        # Each paper's content id (its day and URL follow from it), cite key and related
        # list (by its print: the list is what the last plan took, `replan`).
        inputs = (
            (chunks, tuple(sorted(shared))),
            tuple(
                [
                    (
                        citations[s].page.id,
                        citations[s].key,
                        related_print(related.get(s, ())).hex(),
                    )
                    for s in slugs
                ]
            ),
        )
        plan = partial(_library_chunk, render, path, number, chunks, slugs, citations, shared)
        outputs.append(render.unit(path, inputs, plan))
    outputs.append(render.page("saved.html", PAGES["saved"], "saved", chunks=chunks))
    return outputs


def _library_chunk(
    render: Renderer,
    path: str,
    number: int,
    chunks: int,
    slugs: list[str],
    citations: Citations,
    shared: frozenset[int],
) -> Output:
    """Plan one chunk of the reading list's data (keyed by its bytes: a JSON dump is cheaper
    to make than its context is to describe)."""
    papers = {
        slug: library.entry(
            citations[slug].page.paper.title,
            citations[slug].entry(),
            render.related.get(slug, ()),
            shared,
        )
        for slug in slugs
    }
    data = library.script(number, chunks, papers)
    return Output(path, sha(data), partial(bytes, data))


def _records(pages: Sequence[PaperPage], base_url: str) -> list[dict]:
    from builder import data

    return [data.record(page.paper, published(base_url, page.url)) for page in pages]


def data_json(pages: Sequence[PaperPage], base_url: str) -> bytes:
    """One data file as gzip-compressed JSON."""
    from builder import data

    return data.to_json_gz(_records(pages, base_url))


def data_csv(pages: Sequence[PaperPage], base_url: str) -> bytes:
    """One data file as CSV."""
    from builder import data

    return data.to_csv(_records(pages, base_url))


def data_outputs(
    render: Renderer, prepared: Sequence[PaperPage], config: SiteConfig
) -> list[Output]:
    """Plan the data files: JSON (gzip-compressed) and CSV per month of listing, their schema
    and their index."""
    from builder import data

    groups = data.by_month([page.paper for page in prepared])
    months = sorted(groups, key=lambda m: (m is None, m or ""))
    outputs = []
    counts = []
    for month in months:
        for part, papers in data.parts(groups[month]):
            stem = f"data/{data.file_stem(month, part)}"
            pages = [render.page_of[p.slug] for p in papers]
            outputs.append(render.made(f"{stem}.json.gz", data_json, pages, config.base_url))
            outputs.append(render.made(f"{stem}.csv", data_csv, pages, config.base_url))
            counts.append((month, part, len(papers)))
    outputs.append(render.made(data.INDEX_PATH, data.index, counts, len(prepared)))
    outputs.append(render.made(data.SCHEMA_PATH, data.schema))
    return outputs
