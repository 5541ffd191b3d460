"""The local edge under load: renders go through a gate with a fixed number of slots; past its queue wait or
its generation timeout a request gets a 503 that is never cached, and cache hits never wait for a slot."""

from __future__ import annotations

import threading
from collections import Counter
from types import SimpleNamespace

import imgedge.local.server as server_module
from imgedge import cli
from imgedge.config import Config
from imgedge.local.edge import LocalEdge
from imgedge.local.gate import RenderGate
from imgedge.local.samples import seed_samples
from imgedge.store import DirectoryStore
from tests.events import CHROME_ACCEPT, CHROME_UA

DESKTOP = {"User-Agent": CHROME_UA, "Accept": CHROME_ACCEPT}
ORIGIN_RESPONSE = "handlers.origin_response.handler"
BLOCKED = "/samples/cat.png?w=320"


def edge_with_a_blocking_render(tmp_path, gate: RenderGate):
    """An edge whose render of ``BLOCKED`` waits until ``release`` is set (at most 10 s); ``entered`` is set
    when it starts, ``renders`` counts them. Every other render runs normally."""
    store = DirectoryStore(tmp_path / "bucket")
    seed_samples(store)
    edge = LocalEdge(store, Config(), gate=gate)
    entered, release, renders = threading.Event(), threading.Event(), Counter()
    real = edge.handlers[ORIGIN_RESPONSE]

    def blocking(event):
        cf = event["Records"][0]["cf"]
        viewer_url = cf["request"]["headers"]["x-imgedge-viewer-url"][0]["value"]
        if viewer_url == BLOCKED and cf["response"]["status"] in ("403", "404"):  # S3 has no variant: a render
            renders[viewer_url] += 1
            entered.set()
            release.wait(10)
        return real(event)

    edge.handlers[ORIGIN_RESPONSE] = blocking
    return edge, entered, release, renders


def in_thread(call):
    """Run ``call`` in a thread; returns (thread, list that receives its result)."""
    out: list = []
    thread = threading.Thread(target=lambda: out.append(call()))
    thread.start()
    return thread, out


def wait_until(condition, seconds: float = 10.0) -> bool:
    """Whether ``condition()`` became true within ``seconds`` (polled)."""
    pause = threading.Event()
    for _ in range(int(seconds / 0.02)):
        if condition():
            return True
        pause.wait(0.02)
    return condition()


def assert_busy_503(response, reason_stat, edge):
    status, headers, body = response
    assert status == 503 and headers["Retry-After"].isdigit() and int(headers["Retry-After"]) >= 1
    assert headers["Cache-Control"] == "private, no-store"
    assert headers["X-Cache"] == "Error from cloudfront" and b"retry" in body
    assert edge.stats[reason_stat] >= 1


def test_with_every_slot_busy_a_miss_gets_a_503_while_hits_are_served(tmp_path):
    edge, entered, release, _ = edge_with_a_blocking_render(tmp_path, RenderGate(1, queue_seconds=0.2, timeout=30))
    assert edge.handle("GET", "/samples/cat.png?w=128", DESKTOP)[0] == 200  # cached before the slot is taken
    blocked, result = in_thread(lambda: edge.handle("GET", BLOCKED, DESKTOP))
    try:
        assert entered.wait(10)
        assert edge.gate.running == 1
        assert_busy_503(edge.handle("GET", "/samples/cat.png?w=480", DESKTOP), "overloaded-queue", edge)
        status, headers, _ = edge.handle("GET", "/samples/cat.png?w=128", DESKTOP)
        assert (status, headers["X-Cache"]) == (200, "Hit from cloudfront")
    finally:
        release.set()
        blocked.join()
    assert result[0][0] == 200 and result[0][1]["X-Cache"] == "Miss from cloudfront"
    # the 503 was not cached: the same URL renders once a slot is free
    status, headers, _ = edge.handle("GET", "/samples/cat.png?w=480", DESKTOP)
    assert (status, headers["X-Cache"]) == (200, "Miss from cloudfront")
    assert edge.gate.running == 0 and edge.gate.waiting == 0 and len(edge.inflight) == 0


def test_a_generation_past_the_timeout_is_a_503_and_keeps_its_slot_until_it_ends(tmp_path):
    edge, entered, release, renders = edge_with_a_blocking_render(tmp_path, RenderGate(1, queue_seconds=0.1,
                                                                                        timeout=0.3))
    try:
        assert_busy_503(edge.handle("GET", BLOCKED, DESKTOP), "overloaded-timeout", edge)
        assert entered.is_set() and edge.gate.running == 1  # the overrun still counts against the slots
        assert_busy_503(edge.handle("GET", "/samples/cat.png?w=480", DESKTOP), "overloaded-queue", edge)
        assert len(edge.inflight) == 0  # the viewer's request is over
    finally:
        release.set()
    assert wait_until(lambda: edge.gate.running == 0)  # the overrun ends once released
    # the overrun stored its variant, so the next miss is S3's 200, not a second render
    status, headers, _ = edge.handle("GET", BLOCKED, DESKTOP)
    assert (status, headers["X-Cache"]) == (200, "Miss from cloudfront") and renders[BLOCKED] == 1


def test_imgedge_serve_flags_size_the_gate(tmp_path, monkeypatch):
    served: list[LocalEdge] = []

    def fake_make_server(edge, host, port, samples):
        served.append(edge)
        return SimpleNamespace(server_address=(host, port), serve_forever=lambda: None, server_close=lambda: None)

    monkeypatch.setattr(server_module, "make_server", fake_make_server)
    root = str(tmp_path / "bucket")
    assert cli.main(["serve", "--root", root, "--max-renders", "3", "--queue-seconds", "0.5",
                     "--generation-timeout", "4"]) == 0
    gate = served[0].gate
    assert (gate.slots, gate.queue_seconds, gate.timeout) == (3, 0.5, 4)
    assert cli.main(["serve", "--root", root, "--max-renders", "0"]) == 2
    assert len(served) == 1
