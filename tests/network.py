"""The ``network`` marker: tests that need PyPI while they run (pip downloads the Lambda wheels).

``-m "not network"`` deselects them. Otherwise PyPI's index is probed once per session (a HEAD request, a few
seconds at most) before the first such test; when it cannot be reached they are skipped, saying why, instead
of erroring after pip's retries.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request

import pytest

#: The index pip uses unless told otherwise (PIP_INDEX_URL says otherwise).
DEFAULT_INDEX = "https://pypi.org/simple/"
PROBE_TIMEOUT_S = 5

_verdict: list[str | None] = []  # [] untested; [None] reachable; [reason] unreachable


def index_url() -> str:
    return (os.environ.get("PIP_INDEX_URL") or DEFAULT_INDEX).rstrip("/") + "/"


def unreachable_reason(url: str | None = None, timeout: float = PROBE_TIMEOUT_S) -> str | None:
    """None when ``url`` (the package index) answers at all, else why not."""
    url = url or index_url()
    request = urllib.request.Request(url + "pip/", method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            return None
    except urllib.error.HTTPError:
        return None  # it answered: reachable
    except (urllib.error.URLError, OSError) as exc:
        return f"{url} unreachable ({getattr(exc, 'reason', exc)})"


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("network") is None:
        return
    if not _verdict:
        _verdict.append(unreachable_reason())
    if _verdict[0]:
        pytest.skip(f"needs PyPI: {_verdict[0]}")
