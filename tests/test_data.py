"""The data exports: every paper once, in its month's JSON (gzip) and CSV, valid against the
schema, read back with the standard library as a reader's script would."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
from pathlib import Path

import jsonschema

from builder import data
from builder.load import load_papers
from builder.models import Organization, Paper, Source, listed_on
from tests.conftest import REPO, html_pages

PAPERS = {s.paper.slug: s.paper for s in load_papers(REPO / "content" / "papers")[0]}


def test_every_paper_is_in_its_listing_months_json_and_csv_exactly_once(built_site: Path) -> None:
    folder = built_site / "data"
    listing = json.loads((folder / "index.json").read_text())
    schema = json.loads((folder / "papers.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    seen: dict[str, int] = {}
    for item in listing["files"]:
        assert item["json"].endswith(".json.gz")
        with gzip.open(folder / item["json"], "rt", encoding="utf-8") as handle:
            records = json.load(handle)
        validator.validate(records)
        assert len(records) == item["papers"]
        text = (folder / item["csv"]).read_bytes().decode("utf-8")
        assert text.startswith("\ufeff")
        rows = list(csv.DictReader(io.StringIO(text[1:])))
        assert rows and list(rows[0]) == list(data.CSV_COLUMNS) and "abstract" not in rows[0]
        assert [r["slug"] for r in rows] == [r["slug"] for r in records]
        for r, row in zip(records, rows, strict=True):
            paper = PAPERS[r["slug"]]
            seen[r["slug"]] = item["month"]
            assert item["month"] == f"{listed_on(paper):%Y-%m}"
            assert r["listed"] == (paper.listed.isoformat() if paper.listed else None)
            assert r["title"] == paper.title and r["abstract"] == paper.file_body
            assert r["authors"] == list(paper.authors) and r["upvotes"] == paper.upvotes
            assert r["sources"] == [
                {"file": s.file, "captured": s.captured.isoformat()} for s in paper.sources
            ]
            assert (built_site / r["url"]).is_file()
            assert row["title"].removeprefix("'") == paper.title
            assert row["url"] == r["url"]
            arxiv = f"https://arxiv.org/abs/{paper.arxiv_id}" if paper.arxiv_id else ""
            assert row["arxiv_url"] == arxiv
            assert row["upvotes"] == ("" if paper.upvotes is None else str(paper.upvotes))
    assert sorted(seen) == sorted(PAPERS) and listing["papers"] == len(PAPERS)


def test_every_page_links_the_data_from_its_footer(built_site: Path) -> None:
    for page in html_pages(built_site):
        html = page.read_text(encoding="utf-8")
        footer = html[html.index('<footer class="site-footer">') :]
        assert 'data/index.json"' in footer and 'data/papers.schema.json"' in footer, page


def test_a_cell_a_spreadsheet_would_run_is_defused_and_json_keeps_it_exact() -> None:
    paper = Paper(
        title='=HYPERLINK("http://evil.example","click")',
        listed_abstract="",
        file_body="+1 or -1\n\n@cmd",
        slug="evil",
        authors=("-Ada", "Bob"),
        organization=Organization("@org", "=Org"),
        sources=(Source(dt.date(2026, 1, 2), "a.txt"),),
    )
    record = data.record(paper, "papers/evil.html")
    assert json.loads(gzip.decompress(data.to_json_gz([record])))[0] == record
    (row,) = csv.DictReader(io.StringIO(data.to_csv([record]).decode("utf-8")[1:]))
    assert row["title"] == "'" + paper.title
    assert "abstract" not in row and record["abstract"] == "+1 or -1\n\n@cmd"
    assert row["authors"] == "'-Ada; Bob"
    assert row["organization_id"] == "'@org" and row["organization_name"] == "'=Org"
    assert data.month_of(paper) == "2026-01"
    assert data.month_of(Paper(title="t", slug="t")) is None


def test_a_big_month_is_cut_into_parts_listed_in_the_index(monkeypatch) -> None:
    monkeypatch.setattr(data, "PART_SIZE", 2)
    papers = [Paper(title=f"t{i}", slug=f"p{i}", date=dt.date(2025, 1, 1)) for i in range(5)]
    cut = data.parts(papers)
    assert [(n, [p.slug for p in part]) for n, part in cut] == [
        (1, ["p0", "p1"]),
        (2, ["p2", "p3"]),
        (3, ["p4"]),
    ]
    listed = json.loads(data.index([("2025-01", n, len(part)) for n, part in cut], 5))["files"]
    assert [f["json"] for f in listed] == [
        "papers-2025-01-part1.json.gz",
        "papers-2025-01-part2.json.gz",
        "papers-2025-01-part3.json.gz",
    ]
    assert data.parts(papers[:2]) == [(0, papers[:2])]


def test_the_gzip_json_is_the_same_bytes_for_the_same_records() -> None:
    paper = Paper(title="A title", slug="a-title", arxiv_id="2606.00001", file_body="Text.")
    records = [data.record(paper, "papers/a-title.html")]
    packed = data.to_json_gz(records)
    assert packed == data.to_json_gz(records)  # no time in the gzip header: a build is repeatable
    assert gzip.decompress(packed) == data.to_json(records)
    (row,) = csv.DictReader(io.StringIO(data.to_csv(records).decode("utf-8")[1:]))
    assert row["arxiv_url"] == "https://arxiv.org/abs/2606.00001"
