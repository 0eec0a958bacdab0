"""Readers: text dumps (every seed variant, wrapped, CRLF, BOM), saved HTML, API JSON."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from html import escape as html_escape

from hypothesis import given
from hypothesis import strategies as st

from builder.models import HubArtifacts, Organization, Source
from builder.read import (
    decode_snapshot,
    parse_html_listing,
    parse_json_listing,
    parse_snapshot,
    parse_text_listing,
    read_snapshot,
    snapshot_files,
)
from builder.text import clean_text
from tests.conftest import LISTINGS, MTIME, SEEDS

HEADER = (
    "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\n"
    "byAK and the research community\n\n"
)

# Excerpts of seed 003 (captured Jun 10) and seed 000: one entry of each meta variant.
SEED_EXCERPT = (
    HEADER
    + "Jun 10\n\n"
    + "DEI: Diversity in Evolutionary Inference for Quality-Diversity Search\n\n"
    "We present DEI: Diversity in Evolutionary Inference, a distributed Quality-Diversity (QD) "
    "search framework.\n\n"
    "Gensyn Gensyn\n·\nMay 25 2\n\n"
    "AutoLLMResearch: Training Research Agents for Automating LLM Experiment Configuration -- "
    "Learning from Cheap, Optimizing Expensive\n\n"
    "Effectively configuring scalable large language model (LLM) experiments is hard.\n\n"
    "On the Generalization Mystery in Deep Learning\n\n"
    "The generalization mystery in deep learning is the following.\n\n"
    "  • 2 authors\n·\nMar 18, 2022\n\n"
    "Symbolic Synthesis of Neural Networks\n\n"
    "Neural networks adapt very well to distributed and continuous representations.\n\n"
    "  • 1 authors\n·\nMar 6, 2023\n\n"
    "Grokking at the Edge of Numerical Stability\n\n"
    "Grokking, the sudden generalization that occurs after prolonged overfitting.\n\n"
    "Berkeley UC Berkeley\n·\nJan 8, 2025\n\n"
    "Unveiling the Mechanisms of Explicit CoT Training\n\n"
    "Training large language models (LLMs) with high-quality Chain-of-Thought annotations.\n\n"
    "  • 4 authors\n·\nOct 14, 2025 2\n"
)


def test_text_reader_reads_every_meta_variant() -> None:
    result = parse_text_listing(SEED_EXCERPT, "003.txt", mtime=MTIME)
    assert result.problems == []
    got = {e.title: e for e in result.entries}
    assert len(got) == 6
    source = Source(dt.date(2026, 6, 10), "003.txt")
    assert all(e.source == source for e in result.entries)

    dei = got["DEI: Diversity in Evolutionary Inference for Quality-Diversity Search"]
    assert (dei.date, dei.upvotes, dei.organization) == (
        dt.date(2026, 5, 25),
        2,
        Organization("Gensyn", "Gensyn"),
    )
    assert dei.line == 13 and dei.authors_count is None

    no_meta = got[
        "AutoLLMResearch: Training Research Agents for Automating LLM Experiment Configuration "
        "-- Learning from Cheap, Optimizing Expensive"
    ]
    assert (no_meta.date, no_meta.upvotes, no_meta.organization) == (None, None, None)

    mystery = got["On the Generalization Mystery in Deep Learning"]
    assert (mystery.date, mystery.upvotes, mystery.authors_count) == (dt.date(2022, 3, 18), 0, 2)
    assert got["Symbolic Synthesis of Neural Networks"].authors_count == 1
    berkeley = got["Grokking at the Edge of Numerical Stability"]
    assert berkeley.organization == Organization("Berkeley", "UC Berkeley")
    cot = got["Unveiling the Mechanisms of Explicit CoT Training"]
    assert (cot.date, cot.upvotes) == (dt.date(2025, 10, 14), 2)


def test_capture_year_is_inferred_from_the_latest_explicit_year() -> None:
    result = parse_text_listing(SEED_EXCERPT, "003.txt", mtime=MTIME)
    assert result.notes == [
        "003.txt: capture year 2026 inferred: the latest explicit year in the file is 2025, and "
        "the listing omits the year only for the current year (set --year or 'year' in site.yaml "
        "to override)"
    ]


def test_year_setting_overrides_the_inference() -> None:
    result = parse_text_listing(SEED_EXCERPT, "003.txt", mtime=MTIME, year=2027)
    assert result.entries[0].source.captured == dt.date(2027, 6, 10)
    assert result.entries[0].date == dt.date(2027, 5, 25)
    assert result.entries[-1].date == dt.date(2025, 10, 14)  # explicit years stay
    assert result.notes == []


def test_without_any_explicit_year_the_file_date_gives_the_year() -> None:
    text = HEADER + "Jun 10\n\nA Title\n\nAn abstract.\n\n  • 3 authors\n·\nMay 2 7\n"
    result = parse_text_listing(text, "x.txt", mtime=dt.date(2024, 8, 1))
    assert result.entries[0].date == dt.date(2024, 5, 2)
    assert result.entries[0].upvotes == 7
    assert "capture year 2024 taken from the file's modification date" in result.notes[0]


def test_wrapped_crlf_and_bom_copies_read_like_the_original() -> None:
    wrapped = read_snapshot(LISTINGS / "wrapped.txt", None)
    windows = read_snapshot(LISTINGS / "crlf-bom.txt", None)
    assert wrapped.problems == windows.problems == []
    assert [e.title for e in wrapped.entries] == [
        "Ghosts of Softmax: Complex Singularities That Limit Safe Step Sizes in Cross-Entropy "
        "Optimization",
        "DEI: Diversity in Evolutionary Inference for Quality-Diversity Search",
        "LongCat-Flash-Thinking Technical Report",
        "Grokking at the Edge of Numerical Stability",
        "The Truthfulness Spectrum Hypothesis",
    ]
    assert wrapped.entries[2].abstract == (
        "We present LongCat-Flash-Thinking, an efficient 560-billion-parameter open-source "
        "Mixture-of-Experts (MoE) reasoning model."
    )
    strip = [(e.title, e.abstract, e.date, e.upvotes, e.organization) for e in wrapped.entries]
    assert strip == [
        (e.title, e.abstract, e.date, e.upvotes, e.organization) for e in windows.entries
    ]
    assert wrapped.entries[2].organization == Organization("meituan-longcat", "LongCat")
    assert "\ufeff" not in windows.entries[0].title and "\r" not in windows.entries[0].abstract


def test_malformed_entries_are_reported_and_skipped_the_rest_comes_through() -> None:
    result = parse_text_listing((LISTINGS / "malformed.txt").read_text(), "malformed.txt", MTIME)
    assert [e.title for e in result.entries] == [
        "Good Paper One",
        "Impossible Date Paper",
        "Good Paper Two",
    ]
    assert result.entries[1].date is None  # kept, without the date that cannot be one
    assert [str(p) for p in result.problems] == [
        "malformed.txt:27: expected a real calendar date, found 'Feb 30' (no such day in 2026); "
        "the paper is kept without a date",
        "malformed.txt:34: expected '·' on the line after '• 2 authors', found 'Apr 12 2'",
        "malformed.txt:44: expected the abstract of 'Truncated Paper' after its title, found the "
        "end of the file",
    ]
    assert [p.skipped for p in result.problems] == [False, True, True]


def test_missing_header_is_reported_and_entries_still_read() -> None:
    text = "A Title\n\nAn abstract.\n\n  • 3 authors\n·\nMay 2, 2025 7\n"
    result = parse_text_listing(text, "x.txt", mtime=dt.date(2026, 3, 1))
    assert [str(p) for p in result.problems] == [
        "x.txt:1: expected the listing header ('new', 'Daily Papers', …, then the capture date), "
        "found 'A Title'; the file's modification date is used instead"
    ]
    assert result.entries[0].source.captured == dt.date(2026, 3, 1)
    assert result.entries[0].date == dt.date(2025, 5, 2)


def test_a_text_file_that_is_no_listing_is_skipped() -> None:
    text = "Reading list\n\nPapers I want to read this week.\n\nMore notes.\n"
    result = parse_text_listing(text, "notes.txt", MTIME)
    assert result.entries == []
    assert [str(p) for p in result.problems] == [
        "notes.txt:1: expected a saved listing (its header, then papers with '·' date blocks), "
        "found neither (it starts with 'Reading list'); skipped"
    ]


def test_meta_block_lines_report_what_was_expected() -> None:
    text = (
        HEADER + "Jun 1\n\nT\n\nA.\n\n  • many authors\n·\nMay 2\n\nU\n\nB.\n\nX Y\n·\nMayday 2\n"
    )
    result = parse_text_listing(text, "m.txt", MTIME)
    assert [str(p) for p in result.problems] == [
        "m.txt:17: expected '• N authors', found '• many authors'",
        "m.txt:27: expected a date line like 'May 25', 'May 25 2' or 'Oct 14, 2025 2', "
        "found 'Mayday 2'",
    ]


def test_the_seeds_hold_170_entries_without_a_problem() -> None:
    counts = {}
    for path in snapshot_files(SEEDS):
        result = read_snapshot(path, None)
        assert result.problems == []
        counts[path.name] = len(result.entries)
        titles = [e.title for e in result.entries]
        assert all(t and t == clean_text(t) for t in titles)
    assert counts == {
        "000_3e3574019f5bc0d2.txt": 41,
        "001_508a41ccc7fb416c.txt": 42,
        "002_f42f05621f32d98b.txt": 45,
        "003_ec715fc4c25e81b6.txt": 42,
    }


def test_seed_capture_dates_order_the_snapshots() -> None:
    captured = {
        p.name: read_snapshot(p, None).entries[0].source.captured for p in snapshot_files(SEEDS)
    }
    assert sorted(captured, key=captured.get) == [
        "001_508a41ccc7fb416c.txt",
        "002_f42f05621f32d98b.txt",
        "003_ec715fc4c25e81b6.txt",
        "000_3e3574019f5bc0d2.txt",
    ]


def test_api_json_items() -> None:
    result = parse_json_listing((LISTINGS / "api.json").read_text(), "api.json", MTIME)
    assert [e.title for e in result.entries] == [
        "Grokking at the Edge of Numerical Stability",
        "A Paper From An Organization",
        "Upvotes As Text",
    ]
    grok, org, text_votes = result.entries
    assert grok.arxiv_id == "2506.10000"
    assert grok.abstract == (
        "Grokking, the sudden generalization that occurs after prolonged overfitting, is a "
        "surprising phenomenon challenging our understanding of deep learning."
    )
    assert grok.authors == ("Ada Lovelace", "Alan Turing")
    assert grok.date == dt.date(2025, 6, 12)
    assert grok.upvotes == 41
    assert grok.github.startswith("https://github.com/LucasPrietoAl/")
    assert grok.project_page is None  # javascript: refused
    assert grok.keywords == ("grokking", "softmax collapse")
    assert (grok.github_stars, grok.comments, grok.submitted_by) == (1234, 2, "akhaliq")
    assert grok.ai_summary.startswith("Grokking stalls") and grok.thumbnail.endswith("10000.png")
    assert grok.source == Source(MTIME, "api.json")
    assert org.organization == Organization("meituan-longcat", "LongCat")
    assert org.abstract == "Summary with <b>markup</b> & *stars*."
    assert text_votes.upvotes == 12
    assert [str(p) for p in result.problems] == [
        "api.json:2: item 1: expected an http(s) URL in 'projectPage' of paper 'Grokking at the "
        "Edge of Numerical Stability', found 'javascript:alert(1)'; left out",
        "api.json:70: item 3: expected 'paper.upvotes' to be a number, found '12'; read as one",
        "api.json:96: item 4: expected a non-empty 'paper.title', found none; skipped",
    ]
    assert [p.skipped for p in result.problems] == [False, False, True]


def _item(title: str, **paper: object) -> dict:
    return {"paper": {"id": "2606.00001", "title": title, "summary": "S.", **paper}}


def test_each_format_gives_the_listing_day_and_search_results_none() -> None:
    day = "2026-06-01T00:00:00.000Z"
    items = [_item("Says its day", submittedOnDailyAt=day), _item("Says nothing")]
    # A saved API list: an item's own day, else the capture day (the file's date).
    saved = parse_json_listing(json.dumps(items), "list.json", MTIME).entries
    assert [e.listed for e in saved] == [dt.date(2026, 6, 1), MTIME]

    def fetched(params: dict, path: str = "/api/daily_papers") -> list:
        data = {"request": {"path": path, "params": params}, "captured": "2026-06-03T06:00:00Z"}
        return parse_json_listing(json.dumps({**data, "items": items}), "f.json", MTIME).entries

    # A fetched day: the day asked for; a week: the capture's day; a search: none.
    assert [e.listed for e in fetched({"date": "2026-06-02"})] == [
        dt.date(2026, 6, 1),
        dt.date(2026, 6, 2),
    ]
    assert fetched({"week": "2026-W23"})[1].listed == dt.date(2026, 6, 3)
    assert [e.listed for e in fetched({"q": "x"}, "/api/papers/search")] == [
        dt.date(2026, 6, 1),
        None,
    ]
    # A page's data: its day for the day's papers, none for its search results.
    props = {"date": "2026-06-04", "dailyPapers": [items[1]], "searchResults": [items[1]]}
    page = parse_json_listing(json.dumps(props), "page.json", MTIME).entries
    assert [e.listed for e in page] == [dt.date(2026, 6, 4), None]
    # A text dump: the day in its header.
    text = parse_text_listing(SEED_EXCERPT, "003.txt", MTIME, 2026).entries
    assert {e.listed for e in text} == {dt.date(2026, 6, 10)}


LISTING_EXTRAS = {
    "thumbnail": "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2606.00001.png",
    "numComments": 3,
    "submittedBy": {"name": "akhaliq", "fullname": "AK"},
}


def test_the_listings_extras_are_read_from_api_items_and_page_data() -> None:
    summary = "A one-paragraph <b>summary</b> & more."
    items = [
        {**_item("All", ai_summary=summary, githubStars=19), **LISTING_EXTRAS},
        # Since 2025 the submitter is also the paper's `submittedOnDailyBy.user`.
        _item("Daily by", submittedOnDailyBy={"user": "alireza7", "name": "alireza7"}),
        {**_item("None of them"), "numComments": 0},
    ]
    api = parse_json_listing(json.dumps(items), "list.json", MTIME).entries
    props = {"date": "2026-06-04", "dailyPapers": items}
    html = (
        '<div class="SVELTE_HYDRATER" data-target="DailyPapers" '
        f'data-props="{html_escape(json.dumps(props))}"></div>'
    )
    page = parse_html_listing(html, "page.html", MTIME).entries
    for entries in (api, page):
        got = [
            (e.ai_summary, e.github_stars, e.comments, e.thumbnail, e.submitted_by) for e in entries
        ]
        assert got == [
            (summary, 19, 3, LISTING_EXTRAS["thumbnail"], "akhaliq"),
            (None, None, None, None, "alireza7"),
            (None, None, 0, None, None),
        ]
    # A text dump has none of them.
    text = parse_text_listing(SEED_EXCERPT, "003.txt", MTIME, 2026).entries
    assert all(e.ai_summary is e.thumbnail is e.comments is None for e in text)


def test_hostile_extras_are_left_out_with_the_file_and_line() -> None:
    items = [
        {
            **_item("Hostile", githubStars=-1, ai_summary="<script>x</script>"),
            "numComments": "12",
            "thumbnail": "http://cdn.test/plain-http.png",
            "submittedBy": {"name": "../../etc/passwd"},
        },
        {**_item("Also", githubStars=1.5), "thumbnail": "javascript:alert(1)", "numComments": True},
    ]
    result = parse_json_listing(json.dumps(items, indent=1), "bad.json", MTIME)
    hostile, also = result.entries
    assert (hostile.github_stars, hostile.comments, hostile.thumbnail) == (None, None, None)
    assert hostile.submitted_by is None and hostile.ai_summary == "<script>x</script>"
    assert (also.github_stars, also.comments, also.thumbnail) == (None, None, None)
    assert [str(p) for p in result.problems] == [
        "bad.json:2: item 1: expected 'paper.githubStars' to be a whole number of 0 or more, "
        "found '-1'; left out",
        "bad.json:2: item 1: expected 'item.numComments' to be a whole number of 0 or more, "
        "found '12'; left out",
        "bad.json:2: item 1: expected an https URL in 'thumbnail', found "
        "'http://cdn.test/plain-http.png'; left out",
        "bad.json:2: item 1: expected a Hugging Face user name in 'submittedBy.name', found "
        "'../../etc/passwd'; left out",
        "bad.json:16: item 2: expected 'paper.githubStars' to be a whole number of 0 or more, "
        "found '1.5'; left out",
        "bad.json:16: item 2: expected 'item.numComments' to be a whole number of 0 or more, "
        "found 'true'; left out",
        "bad.json:16: item 2: expected an https URL in 'thumbnail', found "
        "'javascript:alert(1)'; left out",
    ]


def test_an_artifacts_snapshot_gives_each_papers_hub_answer_and_no_listing_entries() -> None:
    result = parse_json_listing((LISTINGS / "artifacts.json").read_text(), "artifacts.json", MTIME)
    assert result.entries == []
    grok, hostile, unknown = result.artifacts
    assert (grok.arxiv_id, grok.asked) == (
        "2506.10000",
        dt.datetime(2025, 6, 15, 6, 0, 1, tzinfo=dt.UTC),
    )
    assert grok.models == HubArtifacts(
        12, ("LucasPrietoAl/grokking-softmax", "gpt2", "org/m-3", "org/m.4", "org/m_5")
    )
    assert grok.datasets == HubArtifacts(1, ("LucasPrietoAl/modular-arithmetic",))
    assert grok.spaces == HubArtifacts(0, ())
    # Ids that are no repository are left out; a count or kind of the wrong shape too.
    assert hostile.models == HubArtifacts(100, ("ok/model",))
    assert hostile.datasets is None and hostile.spaces is None
    assert unknown.models == HubArtifacts(2, ("a/b", "c/d")) and unknown.datasets is None
    assert [str(p) for p in result.problems] == [
        "artifacts.json:36: item 2: expected a Hub repository id in 'models.top', found "
        "'javascript:alert(1)'",
        "artifacts.json:36: item 2: expected a Hub repository id in 'models.top', found "
        "'../../etc/passwd'",
        "artifacts.json:36: item 2: expected a Hub repository id in 'models.top', found "
        "'<b>x</b>/y'",
        "artifacts.json:36: item 2: expected 'datasets' to be {count: a whole number, top: "
        "[ids]}; left out",
        "artifacts.json:36: item 2: expected 'spaces' to be {count: a whole number, top: "
        "[ids]}; left out",
        "artifacts.json:65: item 4: expected an 'arxiv_id'; skipped",
    ]


def test_truncated_json_keeps_the_items_before_the_break() -> None:
    text = (LISTINGS / "api.json").read_text()
    cut = text[: text.index('"A Paper From An Organization"')]
    result = parse_json_listing(cut, "cut.json", MTIME)
    assert [e.arxiv_id for e in result.entries] == ["2506.10000"]
    assert any("malformed JSON" in str(p) for p in result.problems)


def test_saved_html_page_reads_its_data_props() -> None:
    html = (LISTINGS / "page.html").read_text()
    result = parse_html_listing(html, "page.html", MTIME)
    api = parse_json_listing((LISTINGS / "api.json").read_text(), "api.json", MTIME)
    assert [e.title for e in result.entries] == [e.title for e in api.entries[:2]]
    assert result.entries[1].abstract == "Summary with <b>markup</b> & *stars*."
    assert result.entries[0].source == Source(dt.date(2025, 6, 13), "page.html")
    assert all(e.line == 3 for e in result.entries)


def test_html_without_page_data_falls_back_to_the_visible_cards() -> None:
    result = parse_html_listing((LISTINGS / "cards.html").read_text(), "cards.html", MTIME)
    got = [(e.title, e.arxiv_id, e.abstract, e.line) for e in result.entries]
    assert got == [
        ("Grokking at the Edge of Numerical Stability", "2506.10000", "", 8),
        ("The Truthfulness Spectrum Hypothesis", "2506.10003", "", 15),
    ]
    assert [str(p) for p in result.problems] == [
        "cards.html:8: expected the page data (data-props of the DailyPapers element), found "
        "only the visible cards: read 2 titles and arXiv ids, without abstracts; save the page's "
        "text or the API's JSON for those"
    ]


def test_html_without_listing_data_is_named() -> None:
    result = parse_html_listing("<html><body><p>hi</p></body></html>", "saved.html", MTIME)
    assert result.entries == []
    assert str(result.problems[0]).startswith(
        'saved.html: expected an element with data-target="DailyPapers"'
    )
    broken = '<div data-target="DailyPapers" data-props="{not json"></div>'
    result = parse_html_listing(broken, "b.html", MTIME)
    assert str(result.problems[0]).startswith("b.html:1: expected JSON in data-props")


def test_binary_empty_and_windows_1252_files() -> None:
    text, problems = decode_snapshot(b"\x89PNG\r\n\x1a\n\x00\x00", "x.txt")
    assert text is None and problems[0].reason == "binary file"
    text, problems = decode_snapshot(b"  \n", "e.txt")
    assert (
        text is None
        and str(problems[0]) == "e.txt: expected a saved listing, found an empty file; skipped"
    )
    text, problems = decode_snapshot("line\n“smart” quotes".encode("cp1252"), "w.txt")
    assert text == "line\n“smart” quotes"
    assert str(problems[0]) == (
        "w.txt:2: expected UTF-8 text, found byte 0x93; read as Windows-1252 (save it as UTF-8)"
    )


def test_parse_snapshot_dispatches_on_the_suffix() -> None:
    data = json.dumps([{"paper": {"id": "2501.00001", "title": "T", "summary": "S"}}]).encode()
    assert parse_snapshot(data, "a.json", MTIME, None).entries[0].arxiv_id == "2501.00001"
    assert parse_snapshot(data, "a.txt", MTIME, None).entries == []


def test_clean_text_collapses_whitespace_and_drops_controls() -> None:
    assert clean_text("  a \t b\r\n c\x00\x1b d\u00a0e ") == "a b c d\u00a0e"
    assert clean_text("plain  ascii   text ") == "plain ascii text"


@given(st.text())
def test_clean_text_leaves_no_runs_ends_or_controls(text: str) -> None:
    cleaned = clean_text(text)
    assert "  " not in cleaned and cleaned == cleaned.strip()
    assert not any(unicodedata.category(c) in ("Cc", "Cs") for c in cleaned)
    assert all(c == " " or c in "\u00a0\u2007\u202f" for c in cleaned if c.isspace())
    assert clean_text(cleaned) == cleaned


@given(
    st.lists(
        st.sampled_from(
            [
                "new",
                "Daily Papers",
                "Jun 16",
                "",
                "",
                "A Title",
                "An abstract.",
                "  • 3 authors",
                "·",
                "May 25 2",
                "Feb 30",
                "Oct 14, 2025 2",
                "Gensyn Gensyn",
                "\ufeff",
                "\r",
                "•",
                "x" * 50,
            ]
        )
        | st.text(max_size=20),
        max_size=40,
    )
)
def test_any_text_gives_entries_or_warnings_never_a_crash(lines: list[str]) -> None:
    result = parse_text_listing("\n".join(lines), "h.txt", MTIME)
    for e in result.entries:
        assert e.title and e.title == clean_text(e.title)
    for p in result.problems:
        assert str(p).startswith("h.txt")


def test_many_snapshots_are_parsed_on_every_core_as_one_by_one(tmp_path, monkeypatch) -> None:
    from builder import read
    from builder.cache import BuildCache
    from builder.memo import parsed_listings

    files = snapshot_files(SEEDS) + snapshot_files(LISTINGS) + [tmp_path / "gone.json"]
    one_by_one = [read_snapshot(path, None) for path in files]
    assert one_by_one[-1].problems  # a file that cannot be read: named, skipped
    monkeypatch.setattr(read, "PARALLEL_BYTES", 1)  # forked workers parse them
    cache = BuildCache(tmp_path / ".cache")
    assert parsed_listings(cache, files, None) == one_by_one
    # What the workers parsed is in the cache: read again, nothing is parsed.
    monkeypatch.setattr(read, "parse_snapshot", None)
    assert parsed_listings(cache, files[:-1], None) == one_by_one[:-1]
