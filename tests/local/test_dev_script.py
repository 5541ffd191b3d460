"""``scripts/dev.py serve`` stops when stopped: a SIGTERM to its PID (a supervisor's, a ``kill``) must not
leave the real server holding the port."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

#: dev.py as a user runs it, minus the virtualenv it would create: ``imgedge`` comes from ``bin`` instead.
LAUNCH = textwrap.dedent("""
    import sys
    from pathlib import Path
    sys.path.insert(0, {scripts!r})
    import dev
    dev.ensure_venv = lambda extra: None
    dev.BIN = Path({bin!r})
    sys.exit(dev.main(sys.argv[1:]))
""")


@pytest.mark.skipif(os.name != "posix", reason="signals by PID are POSIX")
def test_killing_dev_py_serve_by_pid_frees_the_port(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    imgedge = bin_dir / "imgedge"
    imgedge.write_text(f"#!/bin/sh\nexec {sys.executable} -m imgedge.cli \"$@\"\n")
    imgedge.chmod(0o755)
    code = LAUNCH.format(scripts=str(REPO_ROOT / "scripts"), bin=str(bin_dir))
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-c", code, "serve", "--port", "0", "--root", str(tmp_path / "bucket")],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
                            start_new_session=True)
    try:
        port = None
        for line in proc.stdout:  # the start line names the port the server bound
            if match := re.search(r"http://127\.0\.0\.1:(\d+)/", line):
                port = int(match.group(1))
                break
        assert port is not None, "the server did not start"
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # nobody holds the port any more
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the session this test started, should anything of it remain
        except ProcessLookupError:
            pass
        proc.stdout.close()
