"""Paper documents: YAML front matter between `---` fences, then a Markdown body.

The writer and the reader are exact inverses. Updating a document replaces only the text of the
keys that change, so comments and the formatting of hand-edited keys survive.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from builder.errors import FrontMatterError

FENCE = "---"
# libyaml's safe loader when PyYAML was built with it: same values and marks, ten times faster.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Dumper(yaml.SafeDumper):
    """Safe dumper in the paper-file style: mappings inline, lists one item a line."""


class _TopLevel(dict):
    """The front matter mapping itself, written in block style."""


def _represent_top(dumper: yaml.SafeDumper, data: _TopLevel) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=False)


def _represent_dict(dumper: yaml.SafeDumper, data: dict) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=False)


# How each type is written, on either emitter.
_REPRESENTERS = (
    (_TopLevel, _represent_top),
    (dict, _represent_dict),
    (list, _represent_list),
    (tuple, _represent_list),
)
for _type, _represent in _REPRESENTERS:
    _Dumper.add_representer(_type, _represent)

# libyaml's emitter, when PyYAML was built with it: five times faster, and the same bytes as
# the Python emitter for plain text (`_plain`); it escapes characters past U+FFFF (🤗 would
# become "\U0001F917") and some controls, where the Python emitter does not.
_CDumper: type | None = None
if hasattr(yaml, "CSafeDumper"):

    class _CDumper(yaml.CSafeDumper):  # type: ignore[no-redef]
        """`_Dumper` on libyaml's emitter."""

    for _type, _represent in _REPRESENTERS:
        _CDumper.add_representer(_type, _represent)


def _plain(value: Any) -> bool:
    """Tell whether every string in a value is printable text of the Basic Multilingual Plane
    (where libyaml and the Python emitter write the same bytes)."""
    if isinstance(value, str):
        return value.isprintable() and (value.isascii() or max(value) <= "\uffff")
    if isinstance(value, Mapping):
        return all(_plain(k) and _plain(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    return True


def dump_keys(mapping: Mapping[str, Any]) -> str:
    """Write `mapping` as front matter lines (no fences); values must be plain YAML data."""
    if not mapping:
        return ""
    strings: list[str] = []
    try:
        top = _mapping_node(mapping, False, strings, set())
    except _Unknown:  # a value `_node` does not know: PyYAML's representer writes it
        return yaml.dump(_TopLevel(mapping), Dumper=_dumper_for(mapping), **_STYLE)
    stream = io.StringIO()
    dumper = _dumper_for("".join(strings))(stream, **_STYLE)  # every string at once
    try:
        dumper.open()
        dumper.serialize(top)
        dumper.close()
    finally:
        dumper.dispose()
    return stream.getvalue()


# How front matter is written: in the order given, never a long title folded across lines.
_STYLE: dict[str, Any] = {
    "sort_keys": False,
    "allow_unicode": True,
    "width": 1 << 30,
    "default_flow_style": False,
}


def _dumper_for(value: Any) -> type:
    """The dumper whose emitter writes `value` as the Python emitter would (`_plain`)."""
    return _CDumper if _CDumper is not None and _plain(value) else _Dumper


class _Unknown(Exception):
    """A value `_node` does not make a node of."""


_TAG = "tag:yaml.org,2002:"


def _node(value: Any, strings: list[str], seen: set[int]) -> yaml.Node:
    """The node SafeRepresenter (with `_REPRESENTERS`) makes of a value, made directly: strings,
    whole numbers, booleans, None, dates, lists and tuples (one item a line), dicts (inline).
    The strings met are added to `strings`; a date, list or dict met twice (PyYAML would write
    an anchor) or any other type raises `_Unknown`."""
    kind = type(value)
    if kind is str:
        strings.append(value)
        return yaml.ScalarNode(_TAG + "str", value)
    if kind is int:
        return yaml.ScalarNode(_TAG + "int", str(value))
    if kind is bool:
        return yaml.ScalarNode(_TAG + "bool", "true" if value else "false")
    if value is None:
        return yaml.ScalarNode(_TAG + "null", "null")
    if kind is dt.date:
        _once(value, seen)
        return yaml.ScalarNode(_TAG + "timestamp", value.isoformat())
    if kind is list or kind is tuple:
        if kind is list or value:  # PyYAML gives no anchor to the empty tuple alone
            _once(value, seen)
        items = [_node(item, strings, seen) for item in value]
        return yaml.SequenceNode(_TAG + "seq", items, flow_style=False)
    if kind is dict:
        return _mapping_node(value, True, strings, seen)
    raise _Unknown(kind)


def _mapping_node(
    mapping: Mapping[str, Any], flow: bool, strings: list[str], seen: set[int]
) -> yaml.Node:
    """A mapping's node: inline (`flow`), or a line a key (the front matter itself)."""
    _once(mapping, seen)
    pairs = [(_node(k, strings, seen), _node(v, strings, seen)) for k, v in mapping.items()]
    return yaml.MappingNode(_TAG + "map", pairs, flow_style=flow)


def _once(value: Any, seen: set[int]) -> None:
    """Note a container; raise `_Unknown` when it was met before."""
    if id(value) in seen:
        raise _Unknown("a value met twice")
    seen.add(id(value))


def format_document(mapping: Mapping[str, Any], body: str) -> str:
    """Write a whole paper document: fenced front matter, then the body."""
    return f"{FENCE}\n{dump_keys(mapping)}{FENCE}\n{body}"


@dataclass(frozen=True)
class Document:
    """A parsed paper document."""

    front: str  # the YAML between the fences, ending with a newline
    body: str
    data: dict[str, Any]
    spans: dict[str, tuple[int, int]]  # key -> [start, end) offsets of its lines in `front`
    lines: dict[str, int]  # key -> line of the key in the file (1-based)
    raw: dict[str, str]  # key -> source text of a scalar value (to recover `2401.10000`)


def split_document(text: str, path: str) -> tuple[str, str]:
    """Split a document into its front matter text and body."""
    text = text.removeprefix("\ufeff")
    first, _, rest = text.partition("\n")
    if first.rstrip() != FENCE:
        found = repr(first[:60]) if text else "an empty file"
        raise FrontMatterError(path, 1, f"expected '---' to open the front matter, found {found}")
    offset = 0
    while True:
        end = rest.find("\n", offset)
        line = rest[offset:] if end < 0 else rest[offset:end]
        if line.rstrip() == FENCE:
            return rest[:offset], "" if end < 0 else rest[end + 1 :]
        if end < 0:
            raise FrontMatterError(
                path,
                1,
                "expected a closing '---' after the front matter, found the end of the file",
            )
        offset = end + 1


def _line_end(text: str, index: int) -> int:
    """Return the offset just past the line holding `index` (or `index` at a line start)."""
    if index == 0 or text[index - 1] == "\n":
        return index
    end = text.find("\n", index)
    return len(text) if end < 0 else end + 1


def _trim_trailing_comments(text: str, start: int, end: int) -> int:
    """Move `end` back over blank and comment-only lines, which belong to no key."""
    while end > start:
        prev = text.rfind("\n", start, end - 1) + 1
        line = text[max(prev, start) : end].strip()
        if line and not line.startswith("#"):
            break
        end = max(prev, start)
    return end


def parse_document(text: str, path: str) -> Document:
    """Parse a paper document with safe YAML only, keeping where each key's text lies."""
    front, body = split_document(text, path)
    loader = _Loader(front)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except yaml.YAMLError as exc:
        # Name the line where the broken construct starts (an unclosed '[' or quote), which
        # is where a reader must look; the parser notices only a line or more later.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        found = f"{context}, {problem}" if context and exc.context_mark else problem
        raise FrontMatterError(path, line, f"front matter is not valid YAML: {found}") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise FrontMatterError(
            path,
            2,
            f"expected the front matter to be 'key: value' lines, found a {type(data).__name__}",
        )
    spans: dict[str, tuple[int, int]] = {}
    lines: dict[str, int] = {}
    raw: dict[str, str] = {}
    pairs = node.value if node is not None else []
    for n, (key, value) in enumerate(pairs):
        if not isinstance(key.value, str):
            continue
        if key.value in lines:
            raise FrontMatterError(
                path,
                key.start_mark.line + 2,
                f"key {key.value!r} appears twice (also on line {lines[key.value]}); keep one",
            )
        start = key.start_mark.index
        end = _line_end(front, value.end_mark.index)
        if n + 1 < len(pairs):
            end = min(end, pairs[n + 1][0].start_mark.index)
        spans[key.value] = (start, _trim_trailing_comments(front, start, end))
        lines[key.value] = key.start_mark.line + 2
        if isinstance(value, yaml.ScalarNode):
            raw[key.value] = value.value
    return Document(front, body, data, spans, lines, raw)


def patch_document(
    doc: Document, changes: Mapping[str, Any], order: Sequence[str], body: str | None = None
) -> str:
    """Rewrite `doc` with `changes` applied: changed keys in place, new keys in `order`.

    The body stays as it is unless a new `body` is given.
    """
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement)
    inserts: dict[int, list[str]] = {}
    for key, value in changes.items():
        if key in doc.spans:
            start, end = doc.spans[key]
            edits.append((start, end, dump_keys({key: value})))
            continue
        before = [k for k in order[: order.index(key)] if k in doc.spans] if key in order else []
        at = doc.spans[before[-1]][1] if before else (0 if key in order else len(doc.front))
        inserts.setdefault(at, []).append(key)
    for at, keys in inserts.items():
        keys.sort(key=lambda k: order.index(k) if k in order else len(order))
        edits.append((at, at, dump_keys({k: changes[k] for k in keys})))
    front = doc.front
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        front = front[:start] + text + front[end:]
    return f"{FENCE}\n{front}{FENCE}\n{doc.body if body is None else body}"
