"""A hostile corpus: saved listings and hand-edited paper files that try to break or attack a build.

`write_corpus(root)` writes `root/snapshots/` and `root/papers/` and returns the cases it wrote,
so the tests can check each one: what the build must say about it, and what the site must show.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

# Each string tries to run script (setting window.__pwned or opening a dialog) if it is ever
# inserted as HTML or evaluated, or to change what the page is (markup, templates, Markdown).
INJECTIONS = [
    '<script>window.__pwned="script";alert("script")</script>',
    "<img src=x onerror=\"window.__pwned='img';alert('img')\">",
    "<svg onload=\"window.__pwned='svg'\"><circle r=9 /></svg>",
    '" onmouseover="window.__pwned=\'attr\'" autofocus onfocus="alert(\'attr\')" x="',
    "' onfocus='window.__pwned=1' autofocus x='",
    "</title><script>window.__pwned='title'</script><title>",
    '</textarea></noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>',
    "<a href=\"javascript:window.__pwned='link'\">click</a> [md](javascript:alert('md'))",
    "{{ 7*7 }} {% for x in range(3) %}{{ x }}{% endfor %} {# gone? #} ${7*7} #{7*7}",
    "<style>body{display:none}</style><link rel=stylesheet href=//evil.example/x.css>",
    "&lt;script&gt;alert('entity')&lt;/script&gt; &amp;amp; &#60;b&#62;",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('math')>",
    "javascript:alert('bare') data:text/html,<script>alert(1)</script>",
    "*not emphasis* `not code` # not a heading <!-- not a comment --> ![img](http://x.invalid/a.png)",
    "\u202egnp.exe\u202c right-to-left override",
]

# Titles that YAML would read as something other than the plain string, if written unquoted.
YAML_TITLES = [
    "!!python/object/apply:os.system ['touch /tmp/paper-digest-pwned']",
    "key: value",
    "- leading dash",
    "& anchor",
    "*alias",
    "# hash at the start",
    "'single' and \"double\" quotes",
    "@at | pipe > greater % percent ` tick",
    "[a, b] {c: d}",
    "yes",
    "null",
    "~",
    "1e3",
    "2026-06-16",
    "0x10",
    "? question",
    "---",
    "...",
]

# Titles that could become dangerous, empty or enormous file names.
PATH_TITLES = [
    "../../../../tmp/paper-digest-escape",
    "/etc/passwd",
    "C:\\Windows\\System32\\drivers",
    "???",
    "🔥🚀✨",
    "نموذج لغوي كبير للاستدلال",
    "模型的推理能力",
    "Title\u00a0with\u00a0no-break\u00a0spaces",
    "CON",
    ".hidden",
    "Long " + "very " * 600 + "title",
    "Unbroken" + "x" * 400,
]

# Different papers whose titles slugify alike, and one paper seen with other spacing and case.
COLLISIONS = [
    "Fast Compilers for C++",
    "Fast Compilers for C#",
    "Fast Compilers for C",
]
SAME_PAPER = ["Fast   compilers for C++", "FAST COMPILERS FOR C++"]

# The one paper with the word "zyxwv": what search shows of it, it must show as text.
SEARCHED_TITLE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> {{ 7*7 }}'
SEARCHED_ABSTRACT = (
    "Zyxwv hostile abstract <svg onload=window.__pwned=3> and "
    '" onmouseover="window.__pwned=4" [x](javascript:window.__pwned=5)'
)


@dataclass(frozen=True)
class BrokenFile:
    """A snapshot or paper file that is wrong: what it holds and what the warning must say."""

    folder: str  # "snapshots" or "papers"
    name: str
    data: bytes
    expect: str  # a phrase the warning about this file must contain
    line: int | None  # the line the warning must name (None: the whole file)


def _item(title: str, summary: str, **paper: object) -> dict:
    """One API item shaped like /api/daily_papers."""
    fields = {"title": title, "summary": summary, "upvotes": 1, **paper}
    return {"paper": fields, "title": title, "summary": summary}


def api_items() -> list[dict]:
    """The hostile papers, as API items: each injection in every field a listing carries."""
    items = []
    for i, attack in enumerate(INJECTIONS):
        item = _item(
            f"Hostile {i} {attack}",
            f"Abstract {i} quarantined {attack} end.",
            authors=[{"name": f"Author {attack}"}, {"name": "Plain Author"}],
            organization={"name": f"org{i}", "fullname": f"Org {attack}"},
            ai_keywords=[attack],
            ai_summary=f"Summary {i} {attack}",
            githubStars=i,
            publishedAt=f"2026-05-{i + 1:02d}T00:00:00.000Z",
            projectPage="javascript:alert('project')" if i % 2 else "http://x.invalid/ok",
            githubRepo="javascript:alert('github')",
        )
        item |= {"numComments": i, "thumbnail": f"https://x.invalid/thumb-{i}.png?a=1&b='"}
        items.append(item | {"submittedBy": {"name": f"user{i}"}})
    for i, title in enumerate(YAML_TITLES + PATH_TITLES + COLLISIONS):
        items.append(_item(title, f"Plain abstract {i} about quarantined text.", upvotes=i))
    first = len(YAML_TITLES + PATH_TITLES)  # the abstract of COLLISIONS[0], seen again
    for title in SAME_PAPER:
        items.append(_item(title, f"Plain abstract {first} about quarantined text.", upvotes=9))
    items.append(_item(SEARCHED_TITLE, SEARCHED_ABSTRACT))
    return items


# The injections the text dump carries (in its title, abstract and organization lines).
TEXT_ATTACKS = INJECTIONS[:6]


def wrong_type_items() -> list:
    """API items with missing fields and fields of the wrong type: one field problem each."""
    return [
        _item("Upvotes As Text", "A.", upvotes="12"),
        _item("Upvotes Nonsense", "A.", upvotes="many"),
        _item("Authors Not A List", "A.", authors="Ada"),
        _item("Organization A String", "A.", organization="Org"),
        _item("Bad Id", "A.", id=12345),
        _item("Stars As Text", "A.", githubStars="19"),
        _item("Comments Negative", "A.") | {"numComments": -1},
        _item("Thumbnail Script", "A.") | {"thumbnail": "javascript:alert('thumb')"},
        _item("Thumbnail Plain Http", "A.") | {"thumbnail": "http://x.invalid/t.png"},
        _item("Submitter A Path", "A.") | {"submittedBy": {"name": "../<script>x</script>"}},
        {"paper": {"summary": "No title at all."}},
        "not an object",
    ]


def text_listing() -> str:
    """A text dump whose titles, abstracts and organization lines carry injections."""
    lines = ["Daily Papers", "", "Jun 16", ""]
    for i, attack in enumerate(TEXT_ATTACKS):
        lines += [f"Text hostile {i} {attack}", "", f"Text abstract {attack}", ""]
        lines += [f"org{i} Org {attack}", "·", f"Jun {i + 1} {i}", ""]
    return "\n".join(lines)


def html_listing() -> str:
    """A saved page whose data props carry javascript: links and an injection."""
    props = {
        "date": "2026-06-10",
        "dailyPapers": [
            _item(
                "Saved page paper " + INJECTIONS[0],
                "Saved page abstract " + INJECTIONS[1],
                projectPage="javascript:alert('page project')",
                githubRepo="JavaScript:alert('page github')",
                publishedAt="2026-06-09T00:00:00.000Z",
            )
        ],
    }
    quoted = html.escape(json.dumps(props), quote=True)
    return (
        "<!DOCTYPE html><html><head><title>Daily Papers</title></head><body>\n"
        f'<div data-target="DailyPapers" data-props="{quoted}"></div>\n</body></html>\n'
    )


def broken_files() -> list[BrokenFile]:
    """Files that are wrong in one way each, with what the build must say about them."""
    truncated = "Daily Papers\n\nJun 16\n\nGood Entry\n\nIts abstract.\n\n  • 2 authors\n·\n"
    truncated += "Jun 3 4\n\nCut Off Entry\n\nAn abstract that stops\n\n  • 2 authors\n"
    return [
        BrokenFile("snapshots", "empty.txt", b"", "empty", None),
        BrokenFile("snapshots", "binary.txt", b"\x00\x01\x02PNG\x00" * 20, "binary", 1),
        BrokenFile(
            "snapshots",
            "cp1252.txt",
            "Daily Papers\n\nJun 16\n\nCafé Résumé Paper\n\nNaïve abstract.\n\n  • 2 authors\n"
            "·\nJun 2 1\n".encode("cp1252"),
            "Windows-1252",
            5,
        ),
        BrokenFile(
            "snapshots",
            "bom-crlf.txt",
            "\ufeffDaily Papers\r\n\r\nJun 16\r\n\r\nBom Crlf Paper\r\n\r\nIts abstract.\r\n\r\n"
            "  • 2 authors\r\n·\r\nJun 2 1\r\n".encode(),
            "",
            None,
        ),
        BrokenFile("snapshots", "truncated.txt", truncated.encode(), "expected '·'", 18),
        BrokenFile(
            "snapshots",
            "no-header.txt",
            "Headless Paper\n\nIts abstract.\n\n  • 2 authors\n·\nJun 2 1\n".encode(),
            "header",
            1,
        ),
        BrokenFile(
            "snapshots",
            "feb30.txt",
            "Daily Papers\n\nJun 16\n\nImpossible Date Paper\n\nIts abstract.\n\n  • 2 authors\n"
            "·\nFeb 30 3\n".encode(),
            "Feb 30",
            11,
        ),
        BrokenFile(
            "snapshots",
            "no-data.html",
            b"<!DOCTYPE html><html><body><p>Nothing here</p></body></html>",
            "DailyPapers",
            None,
        ),
        BrokenFile(
            "snapshots",
            "bad-props.html",
            b'<html><body>\n<div data-target="DailyPapers" data-props="{oops"></div></body></html>',
            "malformed JSON",
            2,
        ),
        BrokenFile("snapshots", "truncated.json", b'[{"paper": {"title": "Cut', "JSON", 1),
        BrokenFile(
            "snapshots",
            "wrong-types.json",
            json.dumps(wrong_type_items(), indent=1).encode(),
            "",
            None,
        ),
        BrokenFile(
            "papers",
            "broken-yaml.md",
            b"---\ntitle: [unclosed\nslug: broken-yaml\n---\nBody.\n",
            "YAML",
            2,
        ),
        BrokenFile("papers", "no-title.md", b"---\nslug: no-title\n---\nBody.\n", "title", 2),
        BrokenFile(
            "papers",
            "bad-date.md",
            b"---\ntitle: Bad Date\nslug: bad-date\ndate: yesterday\n---\nBody.\n",
            "date",
            4,
        ),
        BrokenFile(
            "papers",
            "twin.md",
            b"---\ntitle: A Twin\nslug: hand-written\n---\nBody.\n",
            "slug",
            3,
        ),
        BrokenFile(
            "papers",
            "no-front-matter.md",
            b"Just some notes, no front matter.\n",
            "---",
            1,
        ),
    ]


def hand_written_paper() -> str:
    """A hand-written paper file whose every field and Markdown body tries something."""
    attack = INJECTIONS[0]
    return (
        "---\n"
        f"title: {json.dumps('Hand written ' + attack)}\n"
        "slug: hand-written\n"
        "date: 2026-06-01\n"
        f"authors: [{json.dumps('Hand ' + INJECTIONS[1])}]\n"
        f"organization: {{id: hand-org, name: {json.dumps('Hand org ' + INJECTIONS[2])}}}\n"
        f"tags: [{json.dumps('tag ' + INJECTIONS[3])}]\n"
        "---\n"
        "Hand-written quarantined body with raw HTML <script>window.__pwned='body'</script>\n"
        "<img src=x onerror=\"alert('body')\"> and a [link](javascript:alert('body')) and\n"
        "![an image](http://tracker.invalid/pixel.png) and <https://example.org/ok>.\n\n"
        "---\n\n"
        "A line of three dashes above stays in the body.\n"
    )


def write_corpus(root: Path) -> list[BrokenFile]:
    """Write the hostile snapshots and paper files under `root`; return the broken files."""
    snapshots = root / "snapshots"
    papers = root / "papers"
    snapshots.mkdir(parents=True)
    papers.mkdir(parents=True)
    (snapshots / "hostile.json").write_text(json.dumps(api_items(), indent=1), encoding="utf-8")
    (snapshots / "hostile.txt").write_text(text_listing(), encoding="utf-8")
    (snapshots / "hostile.html").write_text(html_listing(), encoding="utf-8")
    (papers / "hand-written.md").write_text(hand_written_paper(), encoding="utf-8")
    broken = broken_files()
    for case in broken:
        (root / case.folder / case.name).write_bytes(case.data)
    return broken


def command(*args: str) -> list[str]:
    """The command line that runs `args` (`build`, `check`, ...) on the corpus, from its root."""
    out = ["--out", "site"] if args[0] == "build" else []
    return [*args, "--snapshots", "snapshots", "--papers", "papers", *out]


def case_count() -> int:
    """How many hostile cases the corpus holds."""
    return (
        len(INJECTIONS) * 4  # title, abstract, organization, author of the API items
        + len(TEXT_ATTACKS) * 3  # text dump: title, abstract, organization line
        + 2
        + 2  # saved page: injections; javascript: project page and repository
        + len(YAML_TITLES)
        + len(PATH_TITLES)
        + len(COLLISIONS)
        + len(SAME_PAPER)
        + 2  # the searched paper: title and abstract
        + len(broken_files())
        + len(wrong_type_items())
        + 7  # hand-written paper: title, author, organization, tag, raw HTML, js link, image
    )
