"""``imgedge serve --mode regional``: the local edge playing a Mode=regional stack: the distribution as
template.yaml deploys it with ``Mode=regional`` (viewer-request only), and the origin group (store first, the
generator on a 403/404) as its origin.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from imgedge.config import Config
from imgedge.local.behaviour import load_distribution
from imgedge.local.edge import LocalEdge
from imgedge.local.origins import regional_origin
from imgedge.store import DirectoryStore
from tests.photos import photo


@pytest.fixture
def store(tmp_path) -> DirectoryStore:
    s = DirectoryStore(tmp_path / "bucket")
    s.put_original("photos/cat.jpg", photo("lake-boats-4mp.jpg"))  # 1920 px PNG: 3.7 MB
    return s


def regional_edge(store, logs) -> LocalEdge:
    """The extension points LocalEdge has today: the regional distribution and the origin group as origin."""
    group = regional_origin(store, Config(), log=logs.append)
    return LocalEdge(store, Config(), distribution=load_distribution(parameters={"Mode": "regional"}),
                     origin=group.fetch)


def test_local_edge_plays_the_regional_stack(store):
    logs = []
    edge = regional_edge(store, logs)
    assert "origin-response" not in edge.distribution.behaviours[-1].associations
    status, headers, body = edge.handle("GET", "/photos/cat.jpg?w=640&fmt=webp", {"User-Agent": "Mozilla/5.0"})
    assert status == 200 and headers["Content-Type"] == "image/webp" and headers["X-Cache"].startswith("Miss")
    assert Image.open(io.BytesIO(body)).width == 640
    assert [e["outcome"] for e in logs] == ["generated"] and edge.stats["origin-response"] == 0
    hit = edge.handle("GET", "/photos/cat.jpg?w=640&fmt=webp", {"User-Agent": "Mozilla/5.0"})
    assert hit[1]["X-Cache"].startswith("Hit") and hit[2] == body
    fresh = regional_edge(store, logs)  # an empty cache: the origin group answers from the store
    again = fresh.handle("GET", "/photos/cat.jpg?w=640&fmt=webp", {"User-Agent": "Mozilla/5.0"})
    assert (again[0], again[2]) == (200, body) and len(logs) == 1


def test_local_edge_regional_serves_over_a_megabyte_and_redirects_beyond_the_inline_limit(store):
    logs = []
    edge = regional_edge(store, logs)
    status, headers, body = edge.handle("GET", "/photos/cat.jpg?w=1920&fmt=png", {"User-Agent": "Mozilla/5.0"})
    assert status == 200 and len(body) > 1_000_000  # Mode=edge would answer a 302 here
    group = regional_origin(store, Config(), log=logs.append, max_inline_bytes=100_000)
    small = LocalEdge(store, Config(), distribution=load_distribution(parameters={"Mode": "regional"}),
                      origin=group.fetch)
    status, headers, body = small.handle("GET", "/photos/cat.jpg?w=1440&fmt=png", {"User-Agent": "Mozilla/5.0"})
    assert status == 302 and headers["Location"] == "/photos/cat.jpg?w=1440&fmt=png"
    status, headers, body = small.handle("GET", headers["Location"], {"User-Agent": "Mozilla/5.0"})
    assert status == 200 and Image.open(io.BytesIO(body)).width == 1440  # the stored variant, from the store


def test_regional_mode_generates_once_then_serves_from_the_store(store):
    logs = []
    edge = LocalEdge(store, Config(), mode="regional")
    edge._log = logs.append  # noqa: SLF001 - count the renders
    status, headers, body = edge.handle("GET", "/photos/cat.jpg?w=640&fmt=webp", {"User-Agent": "Mozilla/5.0"})
    assert status == 200 and headers["Content-Type"] == "image/webp"
    assert Image.open(io.BytesIO(body)).width == 640
    assert list((store.root / "_variants" / "photos" / "cat.jpg").iterdir())
    fresh = LocalEdge(store, Config(), mode="regional")  # an empty cache: the request reaches the origin group
    again = fresh.handle("GET", "/photos/cat.jpg?w=640&fmt=webp", {"User-Agent": "Mozilla/5.0"})
    assert (again[0], again[2]) == (200, body)


def test_regional_mode_serves_over_a_megabyte_inline(store):
    edge = LocalEdge(store, Config(), mode="regional")
    status, headers, body = edge.handle("GET", "/photos/cat.jpg?w=1920&fmt=png", {"User-Agent": "Mozilla/5.0"})
    assert status == 200 and len(body) > 1_000_000  # the edge mode would answer a 302 here
    assert Image.open(io.BytesIO(body)).width == 1920
