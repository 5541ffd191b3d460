"""The local edge over real HTTP: CloudFront-like cache in front of the same handler code."""

import http.client
import io
import socket
import threading

import pytest
from PIL import Image

from imgedge.config import Config
from imgedge.local.edge import LocalEdge
from imgedge.local.server import make_server
from imgedge.store import DirectoryStore
from tests.events import CHROME_ACCEPT, CHROME_UA, IPHONE_UA
from tests.localedge import running_local_edge


@pytest.fixture
def edge_url(tmp_path):
    with running_local_edge(tmp_path) as (port, _edge, store, keys):
        yield port, store, keys, tmp_path


def get(port, path, headers=None, method="GET"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def test_a_sample_at_w320_is_320_wide_then_a_cache_hit(edge_url):
    port, store, keys, tmp = edge_url
    assert "samples/lake-boats-4mp.jpg" in keys
    status, headers, body = get(port, "/samples/lake-boats-4mp.jpg?w=320", {"User-Agent": CHROME_UA})
    assert status == 200 and headers["x-cache"] == "Miss from cloudfront"
    image = Image.open(io.BytesIO(body))
    assert image.width == 320 and headers["content-type"] == "image/jpeg"
    assert headers["cache-control"] == "public, max-age=31536000, immutable"

    # w=300 snaps up to the same rung (320): same variant, served from the cache
    status, headers, again = get(port, "/samples/lake-boats-4mp.jpg?w=300", {"User-Agent": CHROME_UA})
    assert status == 200 and headers["x-cache"] == "Hit from cloudfront" and again == body
    assert "age" in headers


def test_variants_land_in_the_directory_bucket_and_originals_stay_untouched(edge_url):
    port, store, keys, tmp = edge_url
    original = (store.root / "samples/cat.png").read_bytes()
    status, headers, body = get(port, "/samples/cat.png?w=128&fmt=webp", {"Accept": CHROME_ACCEPT})
    assert status == 200 and headers["content-type"] == "image/webp"
    assert (store.root / "_variants/samples/cat.png/w128-q80.webp").read_bytes() == body
    assert (store.root / "samples/cat.png").read_bytes() == original
    log_lines = (tmp / "generations.jsonl").read_text().splitlines()
    assert len(log_lines) == 1 and '"outcome":"generated"' in log_lines[0]


def test_phone_and_desktop_get_different_defaults(edge_url):
    port, *_ = edge_url
    _, _, phone = get(port, "/samples/lake-boats-4mp.jpg", {"User-Agent": IPHONE_UA, "Accept": CHROME_ACCEPT})
    _, _, desk = get(port, "/samples/lake-boats-4mp.jpg", {"User-Agent": CHROME_UA, "Accept": CHROME_ACCEPT})
    assert Image.open(io.BytesIO(phone)).width == 828
    assert Image.open(io.BytesIO(desk)).width == 1920


def test_refusals_and_missing_originals(edge_url):
    port, *_ = edge_url
    status, headers, body = get(port, "/samples/cat.png?w=banana")
    assert status == 400 and b"w must be an integer" in body and headers["cache-control"] == "public, max-age=60"
    status, headers, _ = get(port, "/samples/nope.jpg?w=320")
    assert status == 404 and headers["cache-control"] == "public, max-age=60"
    status, _, _ = get(port, "/_variants/samples/cat.png/w641-q80.webp")
    assert status == 403


def test_healthz_and_index(edge_url):
    port, *_ = edge_url
    assert get(port, "/healthz")[0] == 200
    status, headers, body = get(port, "/")
    assert status == 200 and b"samples/cat.png" in body
    # no Accept-CH: the page's script reads each image's response from the browser's cache, and a hint the
    # browser adds to an <img> but not to the script's fetch (Sec-CH-Width) would make that read miss
    assert "accept-ch" not in headers


def test_a_connection_left_idle_is_closed_so_it_cannot_hold_a_server_thread(tmp_path):
    edge = LocalEdge(DirectoryStore(tmp_path / "bucket"), Config())
    server = make_server(edge, "127.0.0.1", 0, [], idle_seconds=0.2)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with socket.create_connection(server.server_address, timeout=10) as idle:
            assert idle.recv(1) == b""  # closed by the server; without the idle limit, recv times out
    finally:
        server.shutdown()
        server.server_close()
