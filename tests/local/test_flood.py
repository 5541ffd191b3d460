"""A flood on the local edge over HTTP: 2,000 requests from several clients, a mix of distinct small variants
of every sample plus repeats, some connections dropped before their answer and some never used. Memory
after the flood stays near memory after a warm-up, every answer is a 200 or a 503, and the edge's
bookkeeping is empty (or within its bound) once the flood is over."""

from __future__ import annotations

import http.client
import random
import socket
import threading
from collections import Counter
from pathlib import Path

from imgedge.local.cache import ResponseCache
from imgedge.local.gate import RenderGate
from tests.events import CHROME_ACCEPT, CHROME_UA
from tests.localedge import running_local_edge

REQUESTS = 2_000
CLIENTS = 6
SAMPLES = ("cat.png", "grace-hopper-face.jpg", "field-panorama-alpha.png", "storm-landscape-exif6.jpg",
           "lake-boats-4mp.jpg")
WIDTHS = (16, 32, 48, 64, 96, 128)
FORMATS = ("jpeg", "webp", "png", "avif")
QUALITIES = (50, 65, 80)
#: Of every this many requests, one is sent and its connection closed without reading the answer...
DROPPED_EVERY = 25
#: ...and one connection is opened and closed without a request.
UNUSED_EVERY = 40
RSS_GROWTH_BOUND = 64 * 1024 * 1024
HEADERS = {"User-Agent": CHROME_UA, "Accept": CHROME_ACCEPT}


def rss_bytes() -> int:
    """This process's resident set (the server runs in it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def flood_paths(count: int, seed: int) -> list[str]:
    """``count`` viewer URLs: small variants of the samples, so distinct ones and repeats mix."""
    pick = random.Random(seed)
    return [f"/samples/{pick.choice(SAMPLES)}?w={pick.choice(WIDTHS)}&fmt={pick.choice(FORMATS)}"
            f"&q={pick.choice(QUALITIES)}" for _ in range(count)]


def drop_after_sending(port: int, path: str) -> None:
    """A viewer that gives up: the request goes out, the connection closes before the answer is read."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: {CHROME_UA}\r\n\r\n".encode())


def open_and_close(port: int) -> None:
    """A connection that never carries a request."""
    socket.create_connection(("127.0.0.1", port), timeout=10).close()


def run_clients(port: int, paths: list[str]) -> tuple[Counter[int], int]:
    """Send ``paths`` from ``CLIENTS`` threads on keep-alive connections: (statuses answered, dropped)."""
    statuses: Counter[int] = Counter()
    dropped = 0
    lock = threading.Lock()
    numbered = iter(enumerate(paths))

    def client() -> None:
        nonlocal dropped
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            while True:
                with lock:
                    item = next(numbered, None)
                if item is None:
                    return
                number, path = item
                if number % UNUSED_EVERY == 0:
                    open_and_close(port)
                if number % DROPPED_EVERY == 0:
                    drop_after_sending(port, path)
                    with lock:
                        dropped += 1
                    continue
                conn.request("GET", path, headers=HEADERS)
                response = conn.getresponse()
                response.read()
                with lock:
                    statuses[response.status] += 1
        finally:
            conn.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses, dropped


def quiet(edge) -> bool:
    """Nothing in progress: no collapsing lock, no render slot held or awaited, no generation thread."""
    generations = [t for t in threading.enumerate() if t.name == "imgedge-generation"]
    return len(edge.inflight) == 0 and edge.gate.running == 0 and edge.gate.waiting == 0 and not generations


def wait_for(condition, seconds: float = 30.0) -> bool:
    pause = threading.Event()
    for _ in range(int(seconds / 0.05)):
        if condition():
            return True
        pause.wait(0.05)
    return condition()


def test_a_flood_of_requests_leaves_memory_and_bookkeeping_bounded(tmp_path):
    cache = ResponseCache(max_bytes=512 * 1024, max_entries=120)  # small: the flood evicts
    gate = RenderGate(2, queue_seconds=2.0, timeout=30.0)
    with running_local_edge(tmp_path, cache=cache, gate=gate) as (port, edge, _store, _keys):
        warm_up = [f"/samples/{name}?w=16&fmt={fmt}" for name in SAMPLES for fmt in FORMATS]
        warm_statuses, _ = run_clients(port, warm_up * 3 + flood_paths(200, seed=1))
        assert set(warm_statuses) <= {200, 503} and warm_statuses[200] > 0
        assert wait_for(lambda: quiet(edge))
        before, misses_before = rss_bytes(), edge.stats["miss"]

        statuses, dropped = run_clients(port, flood_paths(REQUESTS, seed=2))

        assert sum(statuses.values()) + dropped == REQUESTS and dropped > 0
        assert set(statuses) <= {200, 503}, statuses
        assert statuses[200] > 0
        assert wait_for(lambda: quiet(edge)), (len(edge.inflight), edge.gate.running, edge.gate.waiting)
        assert len(edge.cache) <= cache.max_entries and edge.cache.size_bytes <= cache.max_bytes
        assert edge.stats["miss"] - misses_before > 50 and edge.stats["hit"] > 0
        grown = rss_bytes() - before
        assert grown <= RSS_GROWTH_BOUND, f"RSS grew {grown / 2**20:.1f} MiB over the flood"

