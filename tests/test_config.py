"""site.yaml: defaults, paths relative to the file, every problem reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.config import SCHEMA, find_config, load_config
from builder.errors import ConfigError
from tests.conftest import REPO


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(text)
    return path


def test_the_shipped_site_yaml_is_valid_and_complete() -> None:
    config, warnings = load_config(REPO / "site.yaml")
    assert warnings == []
    assert config.snapshots == REPO / "content" / "snapshots"
    assert config.papers == REPO / "content" / "papers"
    assert config.output == REPO / "output"
    assert config.year is None and config.page_size == 30 and config.feed_size == 50
    text = (REPO / "site.yaml").read_text()
    assert all(f"\n{key}:" in f"\n{text}" for key in SCHEMA)


def test_paths_are_relative_to_the_file_and_flags_override(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    path = write(tmp_path / "site", "papers: mine\nyear: 2025\nbase_url: https://u.github.io/r\n")
    config, _ = load_config(path, {"output": tmp_path / "out", "year": 2027})
    assert config.papers == tmp_path / "site" / "mine"
    assert config.snapshots == tmp_path / "site" / "content" / "snapshots"
    assert config.output == tmp_path / "out"
    assert config.year == 2027
    assert config.base_url == "https://u.github.io/r/"
    assert config.cache_dir == tmp_path / "site" / ".cache"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "page_size: 0\nyear: soon\nbase_url: ftp://x\napi_endpoint: huggingface.co\ntopics: [a]\n",
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    shown = str(info.value).replace(str(tmp_path) + "/", "")
    assert shown == (
        "site.yaml has 5 problem(s):\n"
        "  site.yaml: 'page_size' must be a whole number above 0, got 0\n"
        "  site.yaml: 'year' must be a year such as 2026, or null to infer it, got 'soon'\n"
        "  site.yaml: 'base_url' must be an http(s) URL such as https://user.github.io/repo/, "
        "or empty, got 'ftp://x'\n"
        "  site.yaml: 'api_endpoint' must be an http(s) URL such as https://huggingface.co, "
        "or empty, got 'huggingface.co'\n"
        "  site.yaml: 'topics' must be a mapping of tag -> list of phrases, got ['a']"
    )


def test_unknown_keys_are_warned_about(tmp_path: Path) -> None:
    _, warnings = load_config(write(tmp_path, "titel: Oops\n"))
    assert len(warnings) == 1
    assert warnings[0].endswith(
        "unknown key 'titel' is ignored (known keys: title, description, "
        "base_url, language, snapshots, papers, output, year, page_size, "
        "feed_size, theme_dirs, api_endpoint, topics)"
    )


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"site.yaml:2: not valid YAML"):
        load_config(write(tmp_path, "title: x\n  bad: [\n"))


def test_find_config_walks_up(tmp_path: Path) -> None:
    path = write(tmp_path, "title: x\n")
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert find_config(tmp_path / "a" / "b") == path


@pytest.mark.parametrize(
    "url",
    [
        'https://a.example/"><script>alert(1)</script>/',
        "https://a.example/x y/",
        "javascript:alert(1)//",
        "https://a.example/{{ 7*7 }}/",
        "https://a.example/?q=1",
        "//a.example/",
    ],
)
def test_a_hostile_base_url_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="--base-url: must be an http"):
        load_config(None, {"base_url": url})
