"""The README's example URLs, requested verbatim from the local edge started as the README starts it.

``python3 scripts/dev.py serve`` runs ``imgedge serve`` with no arguments from the checkout; here the same
command gets a free port and a fresh directory bucket (so the checkout's own ``.local-edge/`` is left
alone), and nothing else: the default config, the default template, the default seeding.
"""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.cli.clirun import ROOT, cli_env, run_cli
from tests.events import CHROME_ACCEPT, CHROME_UA

README = (ROOT / "README.md").read_text(encoding="utf-8")
LOCAL_EDGE = re.compile(r"(?:http://127\.0\.0\.1:8080|https://cdn)(/[^\s>)`\]]*)")
SIGN_COMMAND = re.compile(r'imgedge sign "([^"]+)"')


def example_paths() -> list[str]:
    """The Examples block's paths, and every URL elsewhere in the README that names the local edge (or the
    placeholder CDN, whose paths are the same)."""
    block = README.split("\nExamples, each answered", 1)[1].split("```", 2)[1]
    paths = [line.split()[0] for line in block.splitlines() if line.startswith("/")]
    paths += [match.group(1) for match in LOCAL_EDGE.finditer(README)]
    return list(dict.fromkeys(paths))


@pytest.fixture(scope="module")
def local_edge(tmp_path_factory) -> Iterator[int]:
    workdir = tmp_path_factory.mktemp("readme-edge")
    with open(workdir / "stderr.log", "wb") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "imgedge.cli", "serve", "--port", "0",
                                 "--root", str(workdir / "bucket")],
                                cwd=ROOT, env=cli_env(), stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        banner = [proc.stdout.readline() for _ in range(3)]
        match = re.search(r"on http://127\.0\.0\.1:(\d+)/", banner[0])
        assert match, (banner, (workdir / "stderr.log").read_text())
        assert "config from " + str(ROOT / "imgedge" / "local" / "demo-config.json") in banner[2], banner
        yield int(match.group(1))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    """One request, as a browser sends it; redirects are not followed (the answer itself must be 200)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers={"Accept": CHROME_ACCEPT, "User-Agent": CHROME_UA})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_the_readme_has_its_examples():
    paths = example_paths()
    assert len(paths) >= 20, paths
    assert "/photos/anim.gif?w=320&fmt=webp" in paths and "/photos/lake.jpg?w=640&wm=logo&meta=copyright" in paths


@pytest.mark.parametrize("path", example_paths())
def test_every_readme_example_answers_200(local_edge, path):
    status, headers, body = get(local_edge, path)
    assert status == 200, (path, status, body[:200])
    assert body and headers["Content-Type"], path


def test_the_animated_example_stays_animated(local_edge):
    status, headers, body = get(local_edge, "/photos/anim.gif?w=320&fmt=webp")
    assert status == 200 and headers["Content-Type"] == "image/webp"
    assert b"ANIM" in body[:64] and body.count(b"ANMF") == 8  # an animated WebP, one frame per GIF frame


def test_the_readme_sign_example_signs_for_the_local_edge(local_edge, tmp_path):
    commands = SIGN_COMMAND.findall(README)
    assert commands
    for url in commands:
        proc = run_cli("sign", url, cwd=ROOT)
        assert proc.returncode == 0, proc.stderr
        signed = proc.stdout.decode().strip()
        assert get(local_edge, signed)[0] == 200
        tampered = signed.replace("w=640", "w=320")
        assert get(local_edge, tampered)[0] == 403
