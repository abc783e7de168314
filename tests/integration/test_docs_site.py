"""The built docs site as a reader meets it (issue 20): headless Chromium opens the pages,
follows the navigation, finds code blocks with copy buttons, searches, and takes one
screenshot of the home page.

Chromium (Debian's ``chromium``) and Node.js (for the DevTools client,
tests/helpers/site_check.mjs) are needed; without either the test skips, saying so. The
site is built with ``mkdocs build --strict`` into a temporary directory (about 2 s) and
served on a loopback port.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHECK = REPO / "tests" / "helpers" / "site_check.mjs"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served_site(tmp_path: Path) -> Iterator[str]:
    site = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=REPO,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_the_site_reads_well_in_a_browser(served_site: str, tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    node = shutil.which("node")
    if chromium is None or node is None:
        pytest.skip("needs chromium (apt-get install chromium) and node for the browser check")
    port = _free_port()
    browser = subprocess.Popen(
        [
            chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
            f"--remote-debugging-port={port}", f"--user-data-dir={tmp_path / 'profile'}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    screenshot = tmp_path / "home.png"
    try:
        proc = subprocess.run(
            [node, "--experimental-websocket", str(CHECK), str(port), served_site, str(screenshot)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        browser.terminate()
        browser.wait(timeout=30)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["sections"][:2] == ["Home", "Getting started"]
    assert {"Concepts", "Guides", "Reference", "Development"} <= set(report["sections"])
    assert report["tutorial"] == "Getting started"
    assert report["copyButtons"] >= 5 and report["highlighted"] > 50
    assert report["markers"] is False  # the tutorial's test markers stay invisible
    assert report["search"] and report["search"][0] == "The journal and reruns"
    png = screenshot.read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 20_000  # a rendered page, not a blank
