"""Site settings: the `site.yaml` schema, its validation and command-line overrides."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from builder.errors import ConfigError, display_path
from builder.urls import SITE_URL, web_url

CONFIG_NAME = "site.yaml"
DEFAULT_THEME = Path(__file__).resolve().parent.parent / "templates"

# Topics used when site.yaml names none: tag -> phrases, each matched at the start of a word in
# titles and abstracts, in any case ("agent" also finds "agents" and "agentic").
DEFAULT_TOPICS: dict[str, tuple[str, ...]] = {
    "reasoning": ("reasoning", "chain-of-thought", "chain of thought", "test-time scaling"),
    "math": ("math", "theorem", "arithmetic", "olympiad"),
    "reinforcement learning": (
        "reinforcement learning",
        "RL",
        "policy gradient",
        "reward model",
        "GRPO",
        "PPO",
    ),
    "language models": ("language model", "LLM", "large language", "GPT"),
    "multimodal": ("multimodal", "multi-modal", "vision-language", "VLM", "MLLM"),
    "vision": ("computer vision", "image", "video", "visual", "segmentation", "object detection"),
    "diffusion": ("diffusion", "denoising", "flow matching", "score-based"),
    "agents": ("agent", "tool use", "tool-use", "web navigation"),
    "code": ("code generation", "coding", "program synthesis", "software engineering"),
    "theory": (
        "theoretical",
        "theorem",
        "provabl",
        "sample complexity",
        "lower bound",
        "upper bound",
    ),
    "optimization": ("optimizer", "gradient descent", "SGD", "AdamW", "learning rate", "convex"),
    "efficiency": (
        "quantization",
        "pruning",
        "distillation",
        "KV cache",
        "speculative decoding",
        "efficient inference",
    ),
    "robotics": ("robot", "embodied", "manipulation", "locomotion"),
    "speech and audio": ("speech", "audio", "spoken"),
    "3D": ("3D", "point cloud", "NeRF", "gaussian splatting"),
    "safety": ("safety", "alignment", "jailbreak", "red-teaming", "red teaming", "harmful"),
    "interpretability": ("interpretab", "mechanistic", "sparse autoencoder", "probing"),
    "benchmarks": ("benchmark", "leaderboard"),
}


@dataclass(frozen=True)
class SiteConfig:
    """Validated settings; paths are absolute."""

    root: Path  # the folder holding site.yaml (or the working folder when there is none)
    title: str = "Daily Papers Digest"
    description: str = "Papers from the Daily Papers listing, one page each, searchable offline"
    base_url: str = ""
    language: str = "en"
    snapshots: Path = Path("content/snapshots")
    papers: Path = Path("content/papers")
    output: Path = Path("output")
    year: int | None = None
    page_size: int = 30
    feed_size: int = 50
    theme_dirs: tuple[Path, ...] = ()
    api_endpoint: str = ""
    topics: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_TOPICS))

    @property
    def cache_dir(self) -> Path:
        """Return the folder for the build cache and lock, beside site.yaml."""
        return self.root / ".cache"

    @property
    def themes(self) -> list[Path]:
        """List the folders searched for templates and static files, the user's first."""
        return [*self.theme_dirs, DEFAULT_THEME]


# name -> (check returning the normalized value or None, what was expected, docstring)
Check = Callable[[Any], Any]


def _str(v: Any) -> str | None:
    return v.strip() if isinstance(v, str) else None


def _base_url(v: Any) -> str | None:
    if v is None or v == "":
        return ""
    if isinstance(v, str) and SITE_URL.match(v.strip()):
        return v.strip().rstrip("/") + "/"
    return None


def _endpoint(v: Any) -> str | None:
    if v is None or v == "":
        return ""
    return web_url(v)


def _positive(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) and v > 0 else None


def _year(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) and 1900 <= v <= 2999 else None


def _path(v: Any) -> str | None:
    return v if isinstance(v, str) and v.strip() else None


def _paths(v: Any) -> list[str] | None:
    if v is None:
        return []
    if isinstance(v, list) and all(isinstance(x, str) and x.strip() for x in v):
        return v
    return None


def _topics(v: Any) -> dict[str, tuple[str, ...]] | None:
    if v is None:
        return {}
    if not isinstance(v, dict):
        return None
    topics = {}
    for tag, phrases in v.items():
        if isinstance(phrases, str):
            phrases = [phrases]
        if not isinstance(tag, str) or not isinstance(phrases, list):
            return None
        if not all(isinstance(p, str) and p.strip() for p in phrases):
            return None
        topics[tag] = tuple(p.strip() for p in phrases)
    return topics


SCHEMA: dict[str, tuple[Check, str, str]] = {
    "title": (_str, "a string", "Site name, shown on every page."),
    "description": (_str, "a string", "One line about the site, for feeds and link previews."),
    "base_url": (
        _base_url,
        "an http(s) URL such as https://user.github.io/repo/, or empty",
        "Where the site is published; empty keeps every link relative and adds no canonical URL.",
    ),
    "language": (_str, "a language code such as 'en'", "Language of the pages (html lang)."),
    "snapshots": (_path, "a folder path", "Folder of saved listing pages (.txt, .html, .json)."),
    "papers": (_path, "a folder path", "Folder of paper files, one <slug>.md per paper."),
    "output": (_path, "a folder path", "Folder the site is built into."),
    "year": (
        lambda v: v if v is None else _year(v),
        "a year such as 2026, or null to infer it",
        "Capture year for snapshots whose dates show no year; null: infer it.",
    ),
    "page_size": (_positive, "a whole number above 0", "Papers per digest page."),
    "feed_size": (_positive, "a whole number above 0", "Entries in feed.xml."),
    "theme_dirs": (
        _paths,
        "a list of folder paths",
        "Folders searched before templates/ for templates and static files.",
    ),
    "api_endpoint": (
        _endpoint,
        "an http(s) URL such as https://huggingface.co, or empty",
        "Where `fetch` asks for papers (after --endpoint and HF_ENDPOINT); empty: the library's "
        "default.",
    ),
    "topics": (
        _topics,
        "a mapping of tag -> list of phrases",
        "Topic tag -> phrases matched at a word start, any case, in titles and abstracts; "
        "when absent, built-in defaults for machine-learning papers are used.",
    ),
}
PATH_KEYS = ("snapshots", "papers", "output")


def find_config(start: Path) -> Path | None:
    """Find site.yaml in `start` or the nearest folder above it."""
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def validate(raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[str], list[str]]:
    """Check every key; return the normalized values, the errors and the warnings."""
    values: dict[str, Any] = {}
    errors: list[str] = []
    warnings: list[str] = []
    for key, value in raw.items():
        if key not in SCHEMA:
            known = ", ".join(SCHEMA)
            warnings.append(f"unknown key {key!r} is ignored (known keys: {known})")
            continue
        check, expected, _doc = SCHEMA[key]
        normalized = check(value)
        if normalized is None and not (key == "year" and value is None):
            errors.append(f"{key!r} must be {expected}, got {value!r}")
        else:
            values[key] = normalized
    return values, errors, warnings


def load_config(
    path: Path | None, overrides: Mapping[str, Any] | None = None
) -> tuple[SiteConfig, list[str]]:
    """Read and validate site.yaml (None: defaults), apply overrides; return config and warnings.

    Paths in site.yaml are relative to its folder; override paths must already be absolute.
    Other overrides (command-line flags) are checked like site.yaml values.
    """
    raw: dict[str, Any] = {}
    root = Path.cwd()
    shown = CONFIG_NAME
    if path is not None:
        shown = display_path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise ConfigError(f"{shown}: cannot read ({reason})") from None
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{shown}:{mark.line + 1}" if mark else shown
            problem = getattr(exc, "problem", None) or "invalid YAML"
            raise ConfigError(f"{where}: not valid YAML: {problem}") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(
                f"{shown}: expected 'key: value' settings, got {type(loaded).__name__}"
            )
        raw = loaded or {}
        root = path.resolve().parent
    values, errors, warnings = validate(raw)
    if errors:
        raise ConfigError(
            f"{shown} has {len(errors)} problem(s):\n"
            + "\n".join(f"  {shown}: {e}" for e in errors)
        )
    warnings = [f"{shown}: {w}" for w in warnings]
    defaults = SiteConfig(root=root)
    for key in PATH_KEYS:
        values[key] = (root / values.get(key, getattr(defaults, key))).resolve()
    values["theme_dirs"] = tuple((root / p).resolve() for p in values.get("theme_dirs", ()))
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        if key not in (*PATH_KEYS, "theme_dirs"):  # paths come resolved; the rest is checked
            check, expected, _doc = SCHEMA[key]
            checked = check(value)
            if checked is None:
                flag = "--" + key.replace("_", "-")
                raise ConfigError(f"{flag}: must be {expected}, got {value!r}")
            value = checked
        values[key] = value
    return SiteConfig(root=root, **values), warnings
