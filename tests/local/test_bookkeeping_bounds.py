"""The local edge's per-key bookkeeping stays bounded however many distinct URLs are asked for: the
response cache in bytes and entries, the request-collapsing locks by the requests in progress."""

from __future__ import annotations

import threading

import pytest

from imgedge.config import Config
from imgedge.local.cache import CachedResponse, CacheKey, InFlight, ResponseCache
from imgedge.local.edge import LocalEdge
from imgedge.local.samples import seed_samples
from imgedge.store import DirectoryStore
from tests.events import CHROME_ACCEPT, CHROME_UA

DESKTOP = {"User-Agent": CHROME_UA, "Accept": CHROME_ACCEPT}
ORIGIN_RESPONSE = "handlers.origin_response.handler"


def test_collapsing_locks_go_when_requests_end_even_when_the_origin_side_fails(tmp_path):
    store = DirectoryStore(tmp_path / "bucket")
    seed_samples(store)
    edge = LocalEdge(store, Config())
    for width in (16, 32, 48, 64):
        assert edge.handle("GET", f"/samples/cat.png?w={width}", DESKTOP)[0] == 200
    for name in range(40):
        assert edge.handle("GET", f"/samples/missing-{name}.jpg?w=64", DESKTOP)[0] == 404

    def failing(_event):
        raise RuntimeError("the origin-response function crashed")

    edge.handlers[ORIGIN_RESPONSE] = failing
    with pytest.raises(RuntimeError):
        edge.handle("GET", "/samples/cat.png?w=96", DESKTOP)
    assert len(edge.inflight) == 0 and edge.gate.running == 0 and edge.gate.waiting == 0


def test_a_request_kept_waiting_by_the_one_ahead_for_its_key_gives_up_and_leaves_nothing():
    inflight = InFlight()
    key = CacheKey("/_variants/samples/cat.png/w320-q80.webp")
    leader_holds, leader_may_go = threading.Event(), threading.Event()

    def leader():
        with inflight.hold(key, timeout=5) as held:
            assert held
            leader_holds.set()
            leader_may_go.wait(10)

    thread = threading.Thread(target=leader)
    thread.start()
    assert leader_holds.wait(10)
    with inflight.hold(key, timeout=0.05) as held:
        assert held is False
        assert len(inflight) == 1
    leader_may_go.set()
    thread.join()
    assert len(inflight) == 0


def test_the_response_cache_is_bounded_even_for_empty_bodies():
    cache = ResponseCache(max_bytes=64 * 1024)
    for n in range(10_000):
        assert cache.put(CacheKey(f"/samples/missing-{n}.jpg"), CachedResponse(404, {}, b"", ttl=60))
    assert 0 < len(cache) <= 64 and cache.size_bytes <= cache.max_bytes
    assert cache.get(CacheKey("/samples/missing-9999.jpg")) is not None  # least recently used went first
    assert cache.get(CacheKey("/samples/missing-0.jpg")) is None


def test_the_response_cache_is_bounded_in_entries():
    cache = ResponseCache(max_entries=10)
    for n in range(100):
        cache.put(CacheKey(f"/v/{n}"), CachedResponse(200, {"ETag": f'"{n}"'}, b"x" * 10, ttl=60))
    assert len(cache) == 10
    assert [n for n in range(100) if cache.get(CacheKey(f"/v/{n}"))] == list(range(90, 100))
