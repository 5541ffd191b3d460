"""Run ``imgedge`` as a user does: a separate process, its stdout, stderr and exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: No AWS credentials anywhere botocore looks (environment, files, instance metadata).
NO_AWS = {"AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_CONFIG_FILE": os.devnull,
          "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1"}
#: Credentials that exist (for a check to get past them to the endpoint).
FAKE_AWS = {**NO_AWS, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This checkout's imgedge, no config or AWS settings inherited from whoever runs the tests."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "IMGEDGE_")) and k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(ROOT)
    return {**env, **(extra or {})}


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None, stdin: bytes | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "imgedge.cli", *args], cwd=cwd, env=cli_env(env), input=stdin,
                          capture_output=True, timeout=timeout, check=False)


def assert_one_line_failure(proc: subprocess.CompletedProcess[bytes], code: int, command: str, *says: str) -> str:
    """The process ended with ``code`` and exactly one line on stderr, ``imgedge <command>: ...``, saying
    each of ``says``; returns that line."""
    err = proc.stderr.decode()
    assert proc.returncode == code, (proc.returncode, err)
    assert "Traceback" not in err and err.count("\n") == 1 and err.endswith("\n"), err
    assert err.startswith(f"imgedge {command}: "), err
    for text in says:
        assert text in err, err
    return err.strip()
