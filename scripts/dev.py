#!/usr/bin/env python3
"""The README's two commands, needing nothing but Python 3.11+ (no make, no manual installs).

    python3 scripts/dev.py serve [imgedge serve options]   local edge on its embedded directory bucket
    python3 scripts/dev.py test  [pytest options]          the whole test suite

Both create ``.venv`` and install the project into it (re-installing when pyproject.toml changes) and
build the compiled kernel ``q=auto`` measures with, where this machine has a build of it and a C
compiler (``tooling/native.py``; numpy otherwise). ``test`` also installs, as root with apt and when
missing, Debian's gcc (so the tests cover the kernel) and chromium for the browser test. Then this
process becomes the command (``exec``), so stopping it by PID stops the server itself.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"


def ensure_venv(extra: str) -> None:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extra.encode()).hexdigest()
    stamp = VENV / f".installed-{extra or 'base'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    if not PY.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
        subprocess.run([PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    target = f".[{extra}]" if extra else "."
    print(f"installing {target} into {VENV}", flush=True)
    subprocess.run([PY, "-m", "pip", "install", "--quiet", "-e", target], check=True, cwd=ROOT)
    stamp.write_text(digest)


def ensure_kernel(install_compiler: bool = False) -> None:
    """Build the compiled SSIMULACRA2 kernel beside its source when it is missing or older (a missing
    compiler only leaves ``q=auto`` on its numpy path); with ``install_compiler``, apt-get gcc first
    when there is none and this is root on Debian."""
    sys.path.insert(0, str(ROOT))
    from tooling import native

    if not native.flavours(platform.machine()):
        return
    if install_compiler and native.compiler() is None and hasattr(os, "geteuid") and os.geteuid() == 0 \
            and shutil.which("apt-get"):
        environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=environment)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "gcc", "libc6-dev"],
                       check=True, env=environment, stdout=subprocess.DEVNULL)
    if native.stale(native.SOURCE.parent):
        try:
            for path in native.build(native.SOURCE.parent):
                print(f"built {path.relative_to(ROOT)}", flush=True)
        except native.NativeError as exc:
            print(f"not built: {exc}; q=auto measures with numpy", flush=True)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("serve", "test"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "serve":
        ensure_venv("template")  # SAM's YAML loader, to play template.yaml's distribution
        ensure_kernel()
        return run([BIN / "imgedge", "serve", *rest])
    ensure_venv("test")
    ensure_kernel(install_compiler=True)
    browser = ROOT / "tests" / "browser" / "install_chromium.sh"
    if sys.platform.startswith("linux") and browser.exists():
        subprocess.run(["bash", browser], check=True)  # Debian's chromium for the browser test (root only)
    return run([PY, "-m", "pytest", *rest])


def run(command: list[Path | str]) -> int:
    """Run ``command`` in the repository as this very process (POSIX ``exec``): a signal sent to this PID,
    a supervisor's SIGTERM for one, reaches the command, and no child is left holding the port. Elsewhere
    the command runs as a child, waited for."""
    argv = [str(part) for part in command]
    if os.name != "posix":
        return subprocess.call(argv, cwd=ROOT)
    sys.stdout.flush()  # exec discards what Python has buffered
    sys.stderr.flush()
    os.chdir(ROOT)
    os.execv(argv[0], argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
