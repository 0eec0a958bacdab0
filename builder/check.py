"""`check`: read the snapshots, the paper files and the templates, report every problem, and
write nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from builder.config import SiteConfig
from builder.errors import Problem
from builder.ingest import check_folders, read_all
from builder.run import report_problems


@dataclass
class CheckReport:
    """What a check found."""

    files: int = 0
    entries: int = 0
    papers: int = 0
    templates: int = 0
    problems: list[Problem] = field(default_factory=list)

    def summary(self) -> str:
        """Return the one-line summary printed at the end of a check."""
        found = f"{len(self.problems)} problem(s)" if self.problems else "no problems"
        return (
            f"check: {self.files} snapshot files ({self.entries} entries), "
            f"{self.papers} paper files, {self.templates} templates: {found}"
        )


def check(config: SiteConfig) -> CheckReport:
    """Read the snapshots, paper files and templates; report every problem; write nothing."""
    from builder.load import load_papers
    from builder.theme import check_templates

    check_folders(config)
    report = CheckReport()

    # The saved listings.
    listings = read_all(config)
    report.files = len(listings)
    report.entries = sum(len(listing.entries) for listing in listings)
    report.problems += [p for listing in listings for p in listing.problems]

    # The paper files, hand edits included.
    stored, problems = load_papers(config.papers)
    report.papers = len(stored) + len({p.path for p in problems})
    report.problems += problems

    # The templates of the theme.
    report.templates, problems = check_templates(config)
    report.problems += problems
    report_problems(report.problems)
    return report
