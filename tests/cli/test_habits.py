"""The command line's ordinary habits: ``--version``, ``-`` for stdin and stdout, the output's extension as
its format, progress only on a terminal, ``--quiet``, and ``imgedge sign``."""

from __future__ import annotations

import io
from importlib.metadata import version

from PIL import Image

from imgedge.cli.exits import Exit
from imgedge.config import Config
from imgedge.local.examples import seed_examples
from imgedge.request.signing import verify
from imgedge.store import DirectoryStore
from tests.cli.clirun import ROOT, run_cli

PHOTO = ROOT / "fixtures" / "photos" / "cat.png"


def test_version(tmp_path):
    proc = run_cli("--version", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.decode() == f"imgedge {version('imgedge')}\n"


def test_help_lists_the_exit_codes(tmp_path):
    proc = run_cli("--help", cwd=tmp_path)
    assert proc.returncode == 0
    assert "11 serve cannot listen on the address" in " ".join(proc.stdout.decode().split())


def test_stdin_to_stdout(tmp_path):
    proc = run_cli("resize", "-", "-", "--query", "w=64&fmt=webp", cwd=tmp_path, stdin=PHOTO.read_bytes())
    assert proc.returncode == 0 and proc.stderr == b""
    image = Image.open(io.BytesIO(proc.stdout))
    assert (image.format, image.width) == ("WEBP", 64)
    assert not (tmp_path / "-").exists()


def test_the_extension_is_the_format(tmp_path):
    for name, expected in (("x.png", "PNG"), ("x.webp", "WEBP"), ("x.jpeg", "JPEG"), ("x.avif", "AVIF")):
        proc = run_cli("resize", str(PHOTO), name, "--query", "w=64", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert Image.open(tmp_path / name).format == expected
    # an explicit fmt=auto is the extension's too, whichever alias says it
    assert run_cli("resize", str(PHOTO), "y.webp", "--query", "f=auto&w=64", cwd=tmp_path).returncode == 0
    assert Image.open(tmp_path / "y.webp").format == "WEBP"


def test_accept_negotiating_what_the_extension_cannot_hold(tmp_path):
    proc = run_cli("resize", str(PHOTO), "x.png", "--accept", "image/avif", cwd=tmp_path)
    assert proc.returncode == Exit.USAGE and b"negotiated avif" in proc.stderr
    assert not (tmp_path / "x.png").exists()


def test_progress_only_on_a_terminal_and_quiet(tmp_path):
    seed_examples(DirectoryStore(tmp_path / "bucket"))
    args = ("warm", "photos/cat", "--root", "bucket", "--widths", "64", "--formats", "webp", "--jobs", "1")
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 0 and proc.stderr == b""  # a pipe gets no progress bar
    assert b"1 originals under 'photos/cat'" in proc.stdout
    quiet = run_cli(*args, "--quiet", cwd=tmp_path)
    assert quiet.returncode == 0 and quiet.stdout == b"" and quiet.stderr == b""


def test_sign_with_a_key_from_each_place(tmp_path):
    key = "a-key-of-at-least-16-chars"
    (tmp_path / "config.json").write_text(f'{{"signing_keys": ["{key}"]}}')
    ways = [("--key", key), ("--config", "config.json")]
    outputs = [run_cli("sign", "/photos/lake.jpg?w=640&blur=4&sig=stale", *way, cwd=tmp_path) for way in ways]
    outputs.append(run_cli("sign", "/photos/lake.jpg?w=640&blur=4", cwd=tmp_path, env={"IMGEDGE_SIGNING_KEY": key}))
    signed = {proc.stdout.decode().strip() for proc in outputs}
    assert len(signed) == 1, signed
    path, query = signed.pop().split("?", 1)
    assert verify(path, query, Config(signing_keys=(key,))) == ("w=640&blur=4", True)


def test_sign_keeps_a_full_url_full(tmp_path):
    proc = run_cli("sign", "http://127.0.0.1:8080/photos/lake.jpg?w=640", cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.decode().startswith("http://127.0.0.1:8080/photos/lake.jpg?w=640&sig=")


def test_progress_on_a_terminal(tmp_path):
    import os
    import pty
    import subprocess
    import sys

    from tests.cli.clirun import cli_env

    seed_examples(DirectoryStore(tmp_path / "bucket"))
    controller, terminal = pty.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "imgedge.cli", "warm", "photos/cat", "--root", "bucket",
                               "--widths", "64", "--formats", "webp", "--jobs", "1"],
                              cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE, stderr=terminal, timeout=60,
                              check=False)
        os.close(terminal)
        shown = os.read(controller, 4096)
    finally:
        os.close(controller)
    assert proc.returncode == 0 and b"1/1 generated 1" in shown
