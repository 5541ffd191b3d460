"""The front-end libraries the dialect tests drive (``@imgix/js-core``, ``unpic``), from npm, with Node.

Node and npm come from Debian (``apt-get install nodejs npm``, as root, when missing); the packages are
npm-installed, at pinned versions, into a cache directory outside the repository (``$IMGEDGE_NODE_PREFIX``,
default ``~/.cache/imgedge/node``), so a second run needs no registry. When Node cannot be had or npm cannot
reach its registry, the test skips, saying why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

#: The libraries and the versions the grid was written against.
PACKAGES = {"@imgix/js-core": "3.8.0", "unpic": "4.2.2"}
NPM_TIMEOUT_S = 300


def prefix() -> Path:
    return Path(os.environ.get("IMGEDGE_NODE_PREFIX") or Path.home() / ".cache" / "imgedge" / "node")


def node_libraries() -> tuple[str, Path]:
    """(the node executable, the npm prefix holding the packages); skips the test when they cannot be had."""
    node, npm = _debian_node()
    root = prefix()
    if not all(_installed(root, name) == version for name, version in PACKAGES.items()):
        root.mkdir(parents=True, exist_ok=True)
        if not (root / "package.json").exists():
            (root / "package.json").write_text('{"name": "imgedge-test-libraries", "private": true}\n')
        wanted = [f"{name}@{version}" for name, version in PACKAGES.items()]
        try:
            done = subprocess.run([npm, "install", "--prefix", str(root), "--no-audit", "--no-fund", "--save-exact",
                                   *wanted], capture_output=True, text=True, timeout=NPM_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pytest.skip(f"npm install {' '.join(wanted)} took over {NPM_TIMEOUT_S} s (registry unreachable?)")
        if done.returncode != 0:
            pytest.skip(f"npm install {' '.join(wanted)} failed: {done.stderr.strip()[-300:]}")
    return node, root


def _installed(root: Path, name: str) -> str | None:
    manifest = root / "node_modules" / name / "package.json"
    return json.loads(manifest.read_text()).get("version") if manifest.exists() else None


def _debian_node() -> tuple[str, str]:
    node, npm = shutil.which("node") or shutil.which("nodejs"), shutil.which("npm")
    if node and npm:
        return node, npm
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("node and npm are missing and apt-get cannot install them here (install Debian's nodejs "
                    "and npm packages to run this test)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "nodejs", "npm"]):
        if subprocess.run(command, capture_output=True, env=env, timeout=900).returncode != 0:
            pytest.skip(f"{' '.join(command)} failed: Node cannot be had")
    node, npm = shutil.which("node") or shutil.which("nodejs"), shutil.which("npm")
    if not (node and npm):
        pytest.skip("apt-get installed nodejs and npm, yet node or npm is not on PATH")
    return node, npm


def run_script(script: Path, *args: str) -> list[dict]:
    """Run a Node script with the libraries; its stdout is one JSON object per line."""
    node, root = node_libraries()
    done = subprocess.run([node, str(script), *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "IMGEDGE_NODE_PREFIX": str(root)}, check=True)
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
