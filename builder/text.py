"""Text normalization shared by the readers, the merger and the loader."""

from __future__ import annotations

import re
import unicodedata

# Whitespace other than the no-break spaces collapses to one space, as the listing shows it.
_SPACES = re.compile(r"[^\S\u00a0\u2007\u202f]+")
# C0/C1 controls (bar whitespace) and lone surrogates carry no text and break YAML or Markdown.
_JUNK = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Drop control characters, collapse whitespace runs to one space and trim the ends."""
    if text.isascii() and text.isprintable():  # the common case, without regular expressions
        return " ".join(text.split())
    return _SPACES.sub(" ", _JUNK.sub("", text)).strip()


def title_key(title: str) -> str:
    """Fold Unicode forms, case and whitespace so two spellings of one title compare equal."""
    return " ".join(unicodedata.normalize("NFKC", title).casefold().split())
