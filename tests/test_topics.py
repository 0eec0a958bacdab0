"""Topic tags: a paper's hand-written tags, then the rules' phrases found in its text; pure."""

from __future__ import annotations

from builder.config import DEFAULT_TOPICS
from builder.topics import compile_topics, paper_topics
from tests.conftest import make_paper


def test_phrases_match_at_a_word_start_in_any_case() -> None:
    rules = compile_topics({"math": ["math"], "language models": ["LLM"], "rl": ["RL"]})
    plain = make_paper("p")

    def found(text: str) -> list[str]:
        return [t.slug for t in paper_topics(plain, text, rules)]

    assert found("Mathematical olympiad") == ["math"]
    assert found("the aftermath of a storm") == []
    assert found("many llms and RL-based agents") == ["language-models", "rl"]
    assert found("world models") == []  # "rl" inside a word is not RL
    assert found("snake_math") == []  # an underscore joins words


def test_hand_tags_come_first_and_merge_with_rules_by_slug() -> None:
    rules = compile_topics({"Language Models": ["LLM"]})
    tagged = make_paper("p", tags=("language models", "My list"))
    topics = paper_topics(tagged, "An LLM paper", rules)
    assert [(t.name, t.slug) for t in topics] == [
        ("language models", "language-models"),
        ("My list", "my-list"),
    ]


def test_default_topics_compile_and_find_the_usual_fields() -> None:
    rules = compile_topics(DEFAULT_TOPICS)
    text = "We fine-tune a large language model with GRPO for math reasoning."
    assert [t.slug for t in paper_topics(make_paper("p"), text, rules)] == [
        "reasoning",
        "math",
        "reinforcement-learning",
        "language-models",
    ]
