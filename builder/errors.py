"""Exceptions and problem reports that name the file and line they come from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


def display_path(path: Path | str) -> str:
    """Return `path` relative to the current directory when it lies inside it, else as given."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(p)


@dataclass(frozen=True)
class Problem:
    """One warning about the input: where it is and what is wrong."""

    path: str
    line: int | None
    message: str
    reason: str = "malformed entry"  # short category counted in the run summary
    skipped: bool = True  # False: the entry or file still came through, with this caveat

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class BuilderError(Exception):
    """A user-facing error: the CLI prints `Error: <message>` and exits 1."""

    exit_code = 1


class ConfigError(BuilderError):
    """site.yaml or a command-line flag is invalid."""


class FrontMatterError(BuilderError):
    """A paper file cannot be read as front matter + body."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.problem = Problem(path, line, message, reason="unreadable paper file")
        super().__init__(str(self.problem))

    def __reduce__(self) -> tuple:
        # Rebuilt from its own arguments, so it comes back whole from a worker process.
        return type(self), (self.problem.path, self.problem.line, self.problem.message)


class OutputError(BuilderError):
    """The output folder is unsafe to write or cannot be written."""
