"""The lock files that pin, by version and SHA-256, every wheel each Lambda zip carries.

One file per zip with wheels, ``requirements/lambda-<name>.txt`` (the purge zip has none), in pip's
requirements format with ``--hash``, so ``scripts/package.py`` installs it with ``--require-hashes --no-deps``:
nothing that is not in the lock, and nothing whose bytes differ from what was locked, can reach a zip.

A lock is for one runtime and one architecture (the wheels differ), the ones template.yaml gives the function;
its first lines say which, and which requirements it resolved (``tooling.bundle.Bundle.requirements``), so the
packager refuses a lock that no longer matches the template or the bundle. (Re)write them with::

    make lock            # or: .venv-build/bin/python scripts/lock.py [--only regional]

which resolves the newest wheels the runtime can load (pip's resolver, ``--dry-run --report``, the same
platform tags as the build), then commit the diff. ``requirements/build.txt`` (what ``make package`` itself
needs) is pinned by hand.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import bundle

REPO_ROOT = Path(__file__).resolve().parents[1]
LOCK_DIR = REPO_ROOT / "requirements"
_HEADER = re.compile(r"#\s*lock:\s*runtime=(\S+)\s+architecture=(\S+)\s+requirements=(\S*)\s*$")
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")
_HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")


def lock_path(name: str, lock_dir: Path = LOCK_DIR) -> Path:
    return lock_dir / f"lambda-{name}.txt"


def canonical(name: str) -> str:
    """A project name as PyPI compares them (PEP 503): ``cykooz.resizer`` and ``Cykooz_Resizer`` are one."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Lock:
    runtime: str
    architecture: str
    #: The bundle's requirements the lock was resolved from, canonical names, sorted.
    requirements: tuple[str, ...]
    #: canonical name -> (version, sha256 digests)
    pins: dict[str, tuple[str, tuple[str, ...]]]

    def problems(self, spec: bundle.Bundle, runtime: str) -> list[str]:
        """Why this lock cannot build ``spec`` for ``runtime`` (empty when it can)."""
        wanted = tuple(sorted(canonical(r) for r in bundle.requirements_for(spec)))
        found = []
        if self.runtime != runtime:
            found.append(f"runtime {self.runtime}, the template says {runtime}")
        if self.architecture != spec.architecture:
            found.append(f"architecture {self.architecture}, the template says {spec.architecture}")
        if self.requirements != wanted:
            found.append(f"requirements {', '.join(self.requirements)}; the bundle needs {', '.join(wanted)}")
        return found


def read_lock(path: Path) -> Lock:
    text = path.read_text(encoding="utf-8")
    header = next((m for m in map(_HEADER.match, text.splitlines()) if m), None)
    if header is None:
        raise bundle.PackagingError(f"{path}: no '# lock: runtime=... architecture=... requirements=...' line")
    pins: dict[str, tuple[str, tuple[str, ...]]] = {}
    for entry in re.sub(r"\\\n", " ", text).splitlines():
        pin = _PIN.match(entry.strip())
        if pin:
            hashes = tuple(_HASH.findall(entry))
            if not hashes:
                raise bundle.PackagingError(f"{path}: {pin[1]} has no --hash")
            pins[canonical(pin[1])] = (pin[2], hashes)
    requirements = tuple(sorted(filter(None, header[3].split(","))))
    return Lock(header[1], header[2], requirements, pins)


def check_lock(spec: bundle.Bundle, runtime: str, lock_dir: Path = LOCK_DIR) -> Path | None:
    """The lock file to build ``spec`` from (None for a zip without wheels); raises when it is missing or stale."""
    if not bundle.requirements_for(spec):
        return None
    path = lock_path(spec.name, lock_dir)
    if not path.exists():
        raise bundle.PackagingError(f"{spec.name}: no lock file {path.name}; run `make lock`")
    problems = read_lock(path).problems(spec, runtime)
    if problems:
        raise bundle.PackagingError(f"{spec.name}: {path.name} is stale ({'; '.join(problems)}); run `make lock` "
                                    "and commit the result")
    return path


def resolve(spec: bundle.Bundle, runtime: str,
            run: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> list[tuple[str, str, str]]:
    """(name, version, sha256) of every wheel pip would install for ``spec``: its requirements and their
    dependencies, for the runtime and the bundle's architecture."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        command = bundle.pip_install_command(Path(scratch) / "target", list(bundle.requirements_for(spec)), runtime,
                                             spec.architecture)
        command[command.index("install") + 1:command.index("install") + 1] = [
            "--dry-run", "--ignore-installed", "--report", str(report)]
        completed = run(command, capture_output=True, text=True)
        if completed.returncode != 0:
            raise bundle.PackagingError(f"{spec.name}: pip could not resolve ({' '.join(command)}):\n"
                                        f"{completed.stderr or completed.stdout}")
        installed = json.loads(report.read_text(encoding="utf-8"))["install"]
    wheels = []
    for item in installed:
        archive = item["download_info"].get("archive_info") or {}
        digest = (archive.get("hashes") or {}).get("sha256") or archive.get("hash", "").removeprefix("sha256=")
        if not digest:
            raise bundle.PackagingError(f"{spec.name}: pip reported no sha256 for {item['metadata']['name']}")
        wheels.append((canonical(item["metadata"]["name"]), item["metadata"]["version"], digest))
    return sorted(wheels)


def render(spec: bundle.Bundle, runtime: str, wheels: list[tuple[str, str, str]]) -> str:
    requirements = sorted(canonical(r) for r in bundle.requirements_for(spec))
    lines = [
        f"# The wheels of build/{spec.zip_name}: what scripts/package.py installs, hash-checked, and nothing else.",
        "# Generated by `make lock` (scripts/lock.py) from tooling/bundle.py and template.yaml; do not edit.",
        f"# lock: runtime={runtime} architecture={spec.architecture} requirements={','.join(requirements)}",
    ]
    for name, version, digest in wheels:
        lines += [f"{name}=={version} \\", f"    --hash=sha256:{digest}"]
    return "\n".join(lines) + "\n"
