"""`serve`: builds, serves on localhost, rebuilds on a change and reloads the open page."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO, SEEDS

DEI = "dei-diversity-in-evolutionary-inference-for-quality-diversity-search"


@pytest.fixture
def server(tmp_path: Path):
    """A running `python -m builder serve --port 0`; yields (url, papers folder, log lines)."""
    papers = tmp_path / "papers"
    shutil.copytree(REPO / "content" / "papers", papers)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "builder",
            "serve",
            "--port",
            "0",
            "--snapshots",
            str(SEEDS),
            "--papers",
            str(papers),
            "--out",
            str(tmp_path / "site"),
        ],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        for line in process.stderr:
            lines.append(line)
            if "serving http://" in line:
                found.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert found.wait(60), "".join(lines)
        url = re.search(r"serving (http://\S+/)", "".join(lines)).group(1)
        yield url, papers, lines
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_serve_serves_pages_with_the_reload_script_and_404s(server) -> None:
    url, _, _ = server
    page = urllib.request.urlopen(f"{url}papers/{DEI}.html").read().decode()
    assert "EventSource" in page and '<h1 itemprop="name">DEI:' in page
    assert urllib.request.urlopen(f"{url}assets/style.css").read().startswith(b"/*")
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{url}papers/nope.html")
    assert missing.value.code == 404 and b"Page not found" in missing.value.read()
    # Nothing outside the site is served, however the path is spelled.
    host = url.split("/")[2]
    for path in ["/../site.yaml", "/%2e%2e/papers/" + DEI + ".md", "/..%2f..%2fetc/passwd"]:
        with socket.create_connection(tuple(host.rsplit(":", 1))) as conn:
            conn.sendall(f"GET {path} HTTP/1.0\r\n\r\n".encode())
            answer = b"".join(iter(lambda: conn.recv(65536), b""))
        assert answer.startswith(b"HTTP/1.0 404"), (path, answer[:80])


@pytest.mark.browser
def test_an_edit_rebuilds_and_reloads_the_open_page(server, browser) -> None:
    url, papers, lines = server
    page = browser.new_page()
    page.goto(f"{url}papers/{DEI}.html")
    assert page.text_content("h1").startswith("DEI:")
    page.wait_for_timeout(300)  # let the page open its reload stream
    paper = papers / f"{DEI}.md"
    paper.write_text(paper.read_text().replace("title: 'DEI:", "title: 'Edited DEI:", 1))
    page.wait_for_function(
        "() => document.querySelector('h1').textContent.startsWith('Edited')", timeout=30000
    )
    assert any("rebuilding" in line for line in lines)
    page.close()
