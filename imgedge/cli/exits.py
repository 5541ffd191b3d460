"""How the command line ends: one exit code per kind of ordinary mistake, and the one-line message with it.

An ordinary mistake (a typo in the config, a missing folder, no AWS credentials, a busy port) is something
the user fixes, so it ends the command with one line on stderr naming what to fix and a code a script can
test; a traceback is kept for what is a bug. ``EXIT_CODES`` is the table the README documents.
"""

from __future__ import annotations

import json
from enum import IntEnum

from ..config import Config


class Exit(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    CONFIG = 3
    INPUT = 4
    OUTPUT = 5
    IMAGE = 6
    CREDENTIALS = 7
    UNREACHABLE = 8
    MISSING = 9
    DENIED = 10
    PORT = 11
    TEMPLATE = 12
    NO_KEY = 13
    INTERRUPTED = 130


#: What each code means, in the README's words.
EXIT_CODES: dict[Exit, str] = {
    Exit.OK: "done",
    Exit.FAILED: "done, but part of the work failed (`warm`: some variants could not be generated)",
    Exit.USAGE: "bad arguments: an unknown option, a bad query, an output extension that contradicts `fmt`",
    Exit.CONFIG: "the config file is missing, not JSON, or has an unknown key or a bad value",
    Exit.INPUT: "the input file is missing or unreadable",
    Exit.OUTPUT: "the output (file, its folder, `--log-file`) cannot be written",
    Exit.IMAGE: "the image was refused (not an image, too large, cannot be processed)",
    Exit.CREDENTIALS: "no AWS credentials, or AWS rejected them",
    Exit.UNREACHABLE: "an endpoint did not answer (`--s3-endpoint`, `--local-edge`, AWS)",
    Exit.MISSING: "the bucket, directory bucket or distribution does not exist",
    Exit.DENIED: "AWS refused access to the bucket or distribution",
    Exit.PORT: "`serve` cannot listen on the address (port in use, not allowed)",
    Exit.TEMPLATE: "`serve`: the template is missing or asks for what the local edge cannot play",
    Exit.NO_KEY: "`sign`: no signing key (`--key`, `IMGEDGE_SIGNING_KEY` or the config's `signing_keys`)",
    Exit.INTERRUPTED: "interrupted (Ctrl-C)",
}


class Failure(Exception):
    """An ordinary mistake: ``message`` is the line the user reads, ``code`` the exit code."""

    def __init__(self, code: Exit, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def read_config(path: str) -> Config:
    """The config at ``path``, or a ``Failure`` naming what is wrong with it (not cached: the CLI reads it
    once, and a cached error would outlive the file being fixed in tests)."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise Failure(Exit.CONFIG, f"config {path}: no such file") from None
    except OSError as exc:
        raise Failure(Exit.CONFIG, f"config {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise Failure(Exit.CONFIG, f"config {path}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise Failure(Exit.CONFIG, f"config {path}: a JSON object is expected")
    try:
        return Config.from_mapping(data)
    except (ValueError, TypeError) as exc:
        raise Failure(Exit.CONFIG, f"config {path}: {exc}") from None
