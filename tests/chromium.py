"""Where Chromium is and how every test, bench and tool starts it (no side effects: the bench and
tools import this, not conftest, whose settings are for the tests alone)."""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
