"""The theme: its filters, and templates compiled once and again when changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.theme import excerpt, make_environment


def test_excerpts_cut_at_a_word_and_say_so() -> None:
    text = "word " * 100
    cut = excerpt(text, 42)
    assert cut.endswith("…") and len(cut) <= 43 and not cut.endswith(" …")
    assert excerpt("short.", 42) == "short."


def test_templates_are_compiled_once_and_again_when_changed(tmp_path: Path) -> None:
    from dataclasses import replace

    from jinja2 import Environment

    from builder.config import load_config
    from builder.tables import Table

    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "t.html").write_text("Hello {{ name }}.")
    config = replace(load_config(None, {})[0], theme_dirs=(theme,))
    compiled = Table("templates")
    calls: list[str] = []
    real = Environment.compile

    def counting(self: Environment, source: str, *args: object, **kwargs: object) -> object:
        calls.append(source)
        return real(self, source, *args, **kwargs)

    Environment.compile = counting  # type: ignore[method-assign]
    try:

        def render() -> str:
            return make_environment(config, compiled).get_template("t.html").render(name="A")

        assert render() == "Hello A." and len(calls) == 1 and len(compiled.data) == 1
        assert render() == "Hello A." and len(calls) == 1  # from the table: not compiled
        (theme / "t.html").write_text("Bye {{ name }}.")
        assert render() == "Bye A." and len(calls) == 2  # its source changed: compiled again
    finally:
        Environment.compile = real  # type: ignore[method-assign]


def test_a_new_cache_takes_the_code_this_process_compiled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from jinja2 import Environment

    from builder.config import load_config
    from builder.tables import Table

    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "t.html").write_text("Hi {{ name }}.")
    config = replace(load_config(None, {})[0], theme_dirs=(theme,))
    calls: list[str] = []
    real = Environment.compile
    monkeypatch.setattr(
        Environment,
        "compile",
        lambda self, source, *a, **k: calls.append(source) or real(self, source, *a, **k),
    )

    def render(compiled: Table) -> str:
        return make_environment(config, compiled).get_template("t.html").render(name="B")

    first, second = Table("templates"), Table("templates")  # two projects' caches
    assert render(first) == "Hi B." and len(calls) == 1
    assert render(second) == "Hi B." and len(calls) == 1  # this process compiled it
    assert second.data == first.data  # and the new cache keeps it, as if it had compiled it
    (theme / "t.html").write_text("Bye {{ name }}.")
    assert render(Table("templates")) == "Bye B." and len(calls) == 2  # a new source: compiled
