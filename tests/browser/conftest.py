"""Headless Chromium (Debian's package) driven by Playwright, and a local edge for it to load.

Chromium comes from the distribution, never from ``playwright install``: ``install_chromium.sh`` apt-installs
it when it is missing and we are root (CI); the tests skip, saying why, only when it is missing and cannot
be installed.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
INSTALL_SCRIPT = Path(__file__).with_name("install_chromium.sh")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def ensure_chromium() -> str:
    if not CHROMIUM.exists():
        if os.geteuid() != 0:
            pytest.skip(f"{CHROMIUM} is missing and this is not root, so {INSTALL_SCRIPT.name} cannot "
                        "apt-get install chromium (install Debian's chromium package to run this test)")
        subprocess.run(["bash", str(INSTALL_SCRIPT)], check=True, timeout=1200)
    assert CHROMIUM.exists(), f"{INSTALL_SCRIPT} ran but {CHROMIUM} is still missing"
    return str(CHROMIUM)


@pytest.fixture(scope="module")
def browser():
    path = ensure_chromium()
    from playwright.sync_api import sync_playwright  # the test extra; never `playwright install`

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            yield playwright, chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def local_edge(tmp_path_factory):
    """A local edge on a fresh directory bucket with the samples, over HTTP on a free loopback port."""
    from tests.localedge import running_local_edge

    root = tmp_path_factory.mktemp("browser-edge")
    with running_local_edge(root) as (port, edge, store, keys):
        yield f"http://127.0.0.1:{port}", edge, store, keys, root
