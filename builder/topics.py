"""Topics: which topic tags a paper has, from its hand-written tags and the phrases of
`site.yaml`'s topic rules found in its title and abstract; pure."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from builder.models import Paper, by_fields
from builder.stats import key_of
from builder.urls import key_slug


@dataclass(frozen=True, slots=True)
class Topic:
    """A topic tag: how it is shown and its URL key."""

    __reduce__ = by_fields

    name: str
    slug: str


@dataclass(frozen=True)
class TopicRules:
    """Topic phrases compiled into one pattern that finds every word start where one begins."""

    pattern: re.Pattern[str] | None
    phrases: Mapping[str, tuple[str, ...]]  # first letter -> phrases (lowercase) starting with it
    topics: Mapping[str, tuple[Topic, ...]]  # phrase (lowercase) -> the topics it stands for
    order: Mapping[Topic, int]  # a topic's place among the rules


def rules_key(topics: Mapping[str, Sequence[str]]) -> str:
    """Hash the topic rules in their order (a paper's topics come in that order)."""
    return key_of(list(topics.items()))


def compile_topics(rules: Mapping[str, Sequence[str]]) -> TopicRules:
    """Compile `tag -> phrases` rules: a phrase matches at a word start, in any case."""
    topics: dict[str, list[Topic]] = defaultdict(list)
    for name, phrases in rules.items():
        topic = Topic(name, key_slug(name, "topic"))
        for phrase in phrases:
            key = phrase.strip().lower()
            if key and topic not in topics[key]:
                topics[key].append(topic)
    order = {t: i for i, t in enumerate(dict.fromkeys(t for ts in topics.values() for t in ts))}
    if not topics:
        return TopicRules(None, {}, {}, {})
    # A phrase must start a word ("math" finds "mathematical", not "aftermath"); it may end
    # inside one ("LLM" finds "LLMs"). The lookahead finds each start without consuming it,
    # so phrases that overlap are all found.
    alternatives = "|".join(re.escape(p) for p in sorted(topics, key=len, reverse=True))
    first: dict[str, list[str]] = defaultdict(list)
    for phrase in topics:
        first[phrase[0]].append(phrase)
    return TopicRules(
        re.compile(rf"(?<!\w)(?=(?:{alternatives}))"),
        {k: tuple(v) for k, v in first.items()},
        {k: tuple(v) for k, v in topics.items()},
        order,
    )


def _rule_topics(text: str, rules: TopicRules) -> list[Topic]:
    """Return the topics whose phrases occur in `text`, in the order of the rules."""
    if rules.pattern is None:
        return []
    lowered = text.lower()
    found: set[Topic] = set()
    for match in rules.pattern.finditer(lowered):
        at = match.start()
        for phrase in rules.phrases.get(lowered[at], ()):
            if lowered.startswith(phrase, at):
                found.update(rules.topics[phrase])
    return sorted(found, key=rules.order.__getitem__)


def paper_topics(paper: Paper, abstract: str, rules: TopicRules) -> tuple[Topic, ...]:
    """Return a paper's topics: its hand-written tags first, then the rules that match."""
    found: dict[str, Topic] = {}
    for tag in paper.tags:
        topic = Topic(tag, key_slug(tag, "topic"))
        found.setdefault(topic.slug, topic)
    for topic in _rule_topics(f"{paper.title}\n{abstract}", rules):
        found.setdefault(topic.slug, topic)
    return tuple(found.values())
