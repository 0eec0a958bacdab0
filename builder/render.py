"""Render pages with Jinja2: the Renderer every page goes through (cards and rows rendered once
per paper), with the theme's environment (theme.py). What the site holds is planned in plan.py.

Templates see only what is passed to them (never every paper), and a page's key is derived
from exactly that (`Renderer.key`): a page whose context did not change is not rendered again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from builder import urls
from builder.config import DEFAULT_THEME, SiteConfig
from builder.models import ARTIFACT_KINDS, PAGE_ARTIFACTS, Output, Paper
from builder.prepare import PaperPage
from builder.stats import key_of, sha
from builder.tables import LazyTable, Table
from builder.theme import make_environment
from builder.workers import fork_map

if TYPE_CHECKING:
    from builder.replan import Reuse

__all__ = ["DEFAULT_THEME", "Renderer"]


def links_out(paper: Paper) -> list[tuple[str, str, int | None]]:
    """List (label, URL, GitHub stars) of where to read the paper: arXiv, PDF, Hugging Face
    and its discussion there, code (with its stars), project page."""
    links: list[tuple[str, str, int | None]] = []
    if paper.arxiv_id:
        links += [
            ("arXiv abstract", urls.arxiv_abs(paper.arxiv_id), None),
            ("PDF", urls.arxiv_pdf(paper.arxiv_id), None),
            ("Hugging Face", urls.hugging_face(paper.arxiv_id), None),
        ]
        if paper.comments is not None:
            said = f"{paper.comments:,} comment{'s' if paper.comments != 1 else ''}"
            links.append((said, urls.discussion(paper.arxiv_id), None))
    else:
        links.append(("Search arXiv", urls.arxiv_title_search(paper.title), None))
    if paper.github and urls.is_web(paper.github):
        links.append(("Code", paper.github, paper.github_stars))
    if paper.project_page and urls.is_web(paper.project_page):
        links.append(("Project page", paper.project_page, None))
    return links


HUB_LABELS = {"models": "Models", "datasets": "Datasets", "spaces": "Spaces"}


def on_the_hub(paper: Paper) -> list[tuple[str, str, list[tuple[str, str]], str | None]]:
    """List what the Hub holds that cites the paper, by kind: (label, how many, [(id, URL)]
    of the first few, the Hub's whole list when there are more); kinds with none left out."""
    shown = []
    for kind in ARTIFACT_KINDS:
        found = getattr(paper, kind)
        if found is None or not found.count:
            continue
        many = f"{found.count:,}{'+' if found.count >= PAGE_ARTIFACTS else ''}"
        top = [(repo, urls.hub_repo_url(kind, repo)) for repo in found.top]
        more = found.count > len(found.top) and paper.arxiv_id
        shown.append(
            (HUB_LABELS[kind], many, top, urls.hub_citing(kind, paper.arxiv_id) if more else None)
        )
    return shown


# Cards are rendered once per paper with these marks where the folder depth and the heading
# level go, then filled in per page: no text from the data can hold them, since autoescape turns
# every "<" of the data into "&lt;".
ROOT_MARK = "<\x02root\x02>"
HEAD_MARK = "<\x02heading\x02>"


# Types `Renderer.digest` writes as they are, and the fields of each record type it has met.
_PLAIN = frozenset({str, int, float, bool, type(None), dt.date})
_FIELDS: dict[type, tuple[str, ...]] = {}

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
        page_of: dict[str, PaperPage],
        base: str = "",
        cards: Table | None = None,
        related: dict[str, tuple[tuple[str, float], ...]] | None = None,
        compiled: Table | None = None,
        remembered: dict[str, tuple[str, tuple, str]] | None = None,
    ) -> None:
        self.config = config
        self.related = related or {}
        self.env = make_environment(config, compiled)
        self.page_of = page_of  # every paper's page, by slug
        self._digests: dict[int, tuple[Any, str, set[str]]] = {}
        self.base = base
        self.cards = cards
        self.new_cards: dict[tuple[str, str, str], str] = {}
        self.marks = True
        self._checked: set[tuple[str, str, str]] = set()
        self._macros: dict[str, Any] = {}
        # This build's signature of the inputs of each unit (`unit`: its key).
        self.signatures: dict[str, str] = {}
        self.unkeyed = False  # making a unit's page: its key is the unit's
        self.entries: Table | None = None  # the BibTeX entries the build keeps (`write`)
        # What CHECK_UNITS saw of each (path, signature): this process's, or the build state's.
        self.unit_keys: Table = _UNIT_KEYS
        # A warm cache's memory of each unit's (base, inputs, signature): equal inputs are
        # not hashed again (`serve` builds again and again, a paper or two changed).
        self.remembered = remembered
        # What each output was planned from (replan.py): the family planning now, and for
        # each path, its family and the slugs of the papers its key took (or, for an output
        # kept from the last plan, its own index in the record); what the plan may keep.
        self.family = ""
        self.took: dict[str, tuple[str, set[str] | int]] = {}
        self.reuse: Reuse | None = None
        self._seen: set[str] = set()
        self._slug_of_id: dict[str, str] | None = None

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

    def render_items_ahead(self, prepared: Sequence[PaperPage], retain: bool = True) -> None:
        """Render the items the cache lacks up front, on every core when there are many; with
        `retain`, the cache keeps only these papers' items.

        (Pages rendered by forked workers then share them instead of each rendering its own.)
        """
        if not self.marks:
            return
        wanted = {(self.base, p.id, kind): (kind, p) for p in prepared for kind in ITEMS}
        cards = self.cards
        # A few items are read (a page asks for them next); for many, the keys stored are.
        few = len(wanted) <= FEW_ITEMS
        missing = [
            item
            for key, item in wanted.items()
            if key not in self.new_cards
            and (cards is None or (cards.get(key) is None if few else not cards.has(key)))
        ]
        if isinstance(self.cards, LazyTable):
            self.cards.retain(set(wanted) if retain else None)
        workers = 0 if len(missing) >= PARALLEL_CARDS else 1
        made = fork_map(_marked_items, missing, self, workers=workers)
        for (kind, page), html in zip(missing, made, strict=True):
            self.new_cards[(self.base, page.id, kind)] = html

    def item(self, kind: str, root: str, paper: Paper, heading: str = "h3") -> Markup:
        """Return a paper's card or row for a page `root` levels down."""
        page = self.page_of[paper.slug]
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

    def digest(self, value: Any) -> str:
        """Describe a value a page is made from, in a string that differs when it does: a
        paper (its page) by its content id, records by their fields, lists by their items,
        plain values as they are; a long description is hashed. Each record and list is
        described once per build (a paper list shared by many pages costs one pass)."""
        kind = type(value)
        if kind in _PLAIN:
            return repr(value)
        if kind is PaperPage:
            self._seen.add(value.paper.slug)
            return value.id
        if kind is Paper:
            self._seen.add(value.slug)
            return self.page_of[value.slug].id
        known = self._digests.get(id(value))
        if known is not None and known[0] is value:
            if known[2]:
                self._seen.update(known[2])
            return known[1]
        if kind is SiteConfig:
            return "config"  # in `base` already, with paths as the project sees them
        outer, self._seen = self._seen, set()
        try:
            found = self._digest_of(kind, value)
        finally:
            seen, self._seen = self._seen, outer
        outer |= seen
        if len(found) > 64:
            found = sha(found.encode("utf-8", "surrogatepass"))
        self._digests[id(value)] = (value, found, seen)
        return found

    def _digest_of(self, kind: type, value: Any) -> str:
        """`digest` of a list, dict or record (not hashed yet)."""
        if kind is tuple or kind is list:
            if {type(v) for v in value} == {Paper}:  # a list of papers: the common case
                page_of = self.page_of
                self._seen.update([v.slug for v in value])
                found = "[" + ",".join([page_of[v.slug].id for v in value]) + "]"
            else:
                found = "[" + ",".join([self._item_digest(v) for v in value]) + "]"
        elif kind is dict:
            found = "{" + ",".join([f"{k!r}:{self.digest(value[k])}" for k in sorted(value)]) + "}"
        elif kind in _FIELDS or (dataclasses.is_dataclass(value) and not isinstance(value, type)):
            names = _FIELDS.get(kind) or _FIELDS.setdefault(
                kind, tuple(f.name for f in dataclasses.fields(value))
            )
            found = (
                f"{kind.__qualname__}("
                + ",".join([self.digest(getattr(value, n)) for n in names])
                + ")"
            )
        elif isinstance(value, (str, int, float, dt.date)):
            found = repr(value)  # a subclass: Markup, a datetime
        else:
            raise TypeError(f"a page cannot be keyed by a {kind.__name__}: {value!r:.80}")
        return found

    def unit(self, path: str, inputs: tuple, plan: Callable[[], Output]) -> Output:
        """The output at `path`, planned by `plan()` from `inputs` alone (plain values that say
        all it is made from: strings, numbers, dates, None and tuples of them, written alike
        when equal): its key is their hash (with the settings, theme and code), and nothing is
        planned until the file must be made (its page's context is not described, nor its
        BibTeX made: most of a first build's planning)."""
        kept = self.kept(path)
        if kept is not None:
            return kept
        took: set[str] = set()
        self._ids_in(inputs, took)
        known = self.remembered.get(path) if self.remembered is not None else None
        if known is not None and known[0] == self.base and known[1] == inputs:
            signature = known[2]
        else:
            signature = key_of(self.base, path, inputs)
            if self.remembered is not None:
                self.remembered[path] = (self.base, inputs, signature)
        self.signatures[path] = signature
        self._note(path, took)
        if CHECK_UNITS:
            self._check_unit(path, signature, plan)
        return Output(path, signature, partial(self._make_unit, plan))

    def _make_unit(self, plan: Callable[[], Output]) -> str | bytes:
        """Plan a unit's output (keyed by its inputs: its page's key is not made) and make it."""
        self.unkeyed = True
        try:
            return plan().make()
        finally:
            self.unkeyed = False

    def _check_unit(self, path: str, signature: str, plan: Callable[[], Output]) -> None:
        """The tests' check of a unit's inputs: two plans of `path` from equal inputs must give
        the key its page's context gives (noting nothing of what that plan took)."""
        took = self.took.get(path)
        try:
            planned = plan().key
        finally:
            if took is not None:
                self.took[path] = took
        seen = self.unit_keys.get((path, signature))
        if seen is None:
            self.unit_keys.put((path, signature), planned)
        elif seen != planned:
            raise AssertionError(f"the inputs of {path} leave out what its key changed by")

    def _ids_in(self, inputs: tuple, took: set[str]) -> None:
        """Add the slugs of the papers whose content ids a unit's inputs hold to `took`."""
        slug_of_id = self._slug_of_id
        if slug_of_id is None:
            slug_of_id = self._slug_of_id = {p.id: s for s, p in self.page_of.items()}
        for value in inputs:
            kind = type(value)
            if kind is str:
                slug = slug_of_id.get(value)
                if slug is not None:
                    took.add(slug)
            elif kind is tuple:
                self._ids_in(value, took)

    def _note(self, path: str, took: set[str]) -> None:
        """Record the family planning `path` and the papers its key took (with any an
        output planned within took: a unit's page). A unit planned again as it is made (its
        file must be written) is noted no more: the plan noted it."""
        last = self.took.get(path)
        if not self.family and last is not None:
            return
        if last is not None and last[0] == self.family and not isinstance(last[1], int):
            took = took | last[1]
        self.took[path] = (self.family, took)

    def kept(self, path: str) -> Output | None:
        """The last plan's output at `path`, when the plan keeps it (`replan.Reuse`): its key
        as the last build recorded it, made only by planning the whole site again."""
        reuse = self.reuse
        if reuse is None:
            return None
        i = reuse.clean(self.family, path)
        if i is None:
            return None
        self.took[path] = (self.family, i)
        return Output(path, reuse.keys[i], kept_make)

    def _item_digest(self, value: Any) -> str:
        """`digest` of a list's item, papers and plain values without a call of their own
        (lists of papers are most of what pages are made from)."""
        kind = type(value)
        if kind is Paper:
            self._seen.add(value.slug)
            return self.page_of[value.slug].id
        if kind is PaperPage:
            self._seen.add(value.paper.slug)
            return value.id
        if kind is str or kind is int:
            return repr(value)
        return self.digest(value)

    def _described(self, path: str, value: Any) -> str:
        """`digest` of what the output at `path` is made from, noting the papers it took."""
        self._seen = set()
        described = self.digest(value)
        self._note(path, self._seen)
        return described

    def key(self, template: str, path: str, section: str, **context: Any) -> str:
        """The key of a page: what `__call__` renders it from (the template, its path and
        section, its context) with the settings, theme and code (`base`), hashed."""
        return key_of(self.base, template, path, section, self._described(path, context))

    def page(self, template: str, path: str, section: str, **context: Any) -> Output:
        """A page of the site, keyed by exactly what it is rendered from (a unit's page, made,
        is keyed by its unit: `_make_unit`)."""
        if self.unkeyed:
            return Output(path, "", partial(self, template, path, section, **context))
        kept = self.kept(path)
        if kept is not None:
            return kept
        key = self.key(template, path, section, **context)
        return Output(path, key, partial(self, template, path, section, **context))

    def made(self, path: str, make: Callable[..., str | bytes], *args: Any) -> Output:
        """A file made by a function of `args` (a feed, a data file), keyed by them."""
        kept = self.kept(path)
        if kept is not None:
            return kept
        described = self._described(path, args)
        key = key_of(self.base, make.__module__, make.__qualname__, path, described)
        return Output(path, key, partial(make, *args))

    def __call__(self, template: str, path: str, section: str, **context: Any) -> str:
        """Render `template` as the page at site path `path`."""
        root = urls.root_of(path)
        return self.env.get_template(template).render(
            site=self.config,
            root=root,
            path=path,
            section=section,
            canonical=urls.absolute(self.config.base_url, path),
            card=partial(self.item, "card", root),
            row=partial(self.item, "row", root),
            **context,
        )


def kept_make() -> str | bytes:
    """Make an output kept from the last plan: it cannot be made until the site is planned
    again in full (build.py does that when such a file must be written)."""
    raise LookupError("an output kept from the last plan was made without planning it")


# The tests set this: every unit is planned anyway, and two plans of a path from equal inputs
# must give equal keys (a unit's inputs must say everything its page is made from).
CHECK_UNITS = os.environ.get("PAPER_DIGEST_CHECK_UNITS") == "1"
_UNIT_KEYS = Table("unitkeys")  # what CHECK_UNITS saw: (path, signature) -> key


def _marked_items(items: Sequence[tuple[str, PaperPage]], renderer: Renderer) -> list[str]:
    """Render cards and rows with the marks in (what each worker runs)."""
    return [renderer._item_html(kind, ROOT_MARK, page, HEAD_MARK) for kind, page in items]


# Below this many cards to render, forking workers costs more than it saves.
PARALLEL_CARDS = 1000
# Up to this many items to look for, each is read from the cache rather than the keys of all
# (an edit's build looks for the items of a paper or two: reading the keys of 20,000 took
# 0.07 s at 10,000 papers).
FEW_ITEMS = 100
