"""``imgedge serve``: one process that plays CloudFront, both Lambda@Edge steps and the S3 origin.

A request takes the path a deployed one takes, through the same code with the same event shapes, under the
behaviours ``template.yaml`` gives the distribution (``imgedge.local.behaviour``):

  HTTP GET → the behaviour whose PathPattern matches → viewer-request event → the associated handler
           (a generated response goes straight back: ``X-Cache: LambdaGeneratedResponse``)
           → cache key from the behaviour's cache policy → fresh: served (``Hit``), origin-response NOT run
           → stale with an ETag: conditional GET, 304 → ``RefreshHit``
           → miss: origin GET with the headers the policies forward → origin-response event → handler
           → cached for the TTL CloudFront would give it → ``Miss`` (``Error`` for 4xx/5xx).

So a template or handler change that would break caching on CloudFront breaks here too. ``LocalEdge`` is
independent of the HTTP server so tests can drive it directly; ``stats`` counts what ran.

Load is bounded the way Lambda's concurrency and timeout bound it: the origin side of a request (origin
GET plus origin-response, where variants are rendered) runs through a ``RenderGate`` with a fixed number
of slots; a request that waits too long for a slot, or whose generation outlives the function timeout,
gets a 503 with ``Retry-After`` that is never cached. Cache hits never wait for a slot. Every per-key
structure (the response cache, the request-collapsing locks) is bounded.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import os
import sys
import threading
import uuid
from collections import Counter
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any, Callable, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit

from ..config import Config, load_config
from ..device import device_class
from ..edge import origin_response, viewer_request
from ..errors import ImageEdgeError, NotFound
from ..request.paths import key_for_uri
from ..observability import log_line
from ..store import DirectoryStore, Store
from .behaviour import CLOUDFRONT_HEADERS, Behaviour, Distribution, TemplateError, load_distribution, viewer_uri
from .cache import CachedResponse, CacheKey, InFlight, ResponseCache, cloudfront_ttl

log = logging.getLogger("imgedge.local")

SAMPLE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".avif")
LOCAL_ORIGIN_DOMAIN = "local-bucket.s3.us-east-1.amazonaws.com"
DISTRIBUTION_DOMAIN = "local.cloudfront.net"
#: Where the local edge's own endpoints live (no viewer path of CloudFront's reaches them: POST, or a name
#: the viewer-request refuses).
ADMIN_PREFIX = "/_imgedge/"

#: How long a request waits for a render slot before it is answered 503 (``imgedge serve --queue-seconds``).
DEFAULT_QUEUE_SECONDS = 10.0
#: The origin-response function's Timeout in template.yaml: past it CloudFront answers 503, and so does
#: the local edge (``imgedge serve --generation-timeout``).
DEFAULT_GENERATION_TIMEOUT = 30.0
#: How long an idle keep-alive connection keeps its server thread.
DEFAULT_IDLE_SECONDS = 30.0

Response = tuple[int, dict[str, str], bytes]
#: An origin: (request as CloudFront forwards it, conditional headers) → (status, headers, body).
Origin = Callable[[dict[str, Any], dict[str, str]], Response]
T = TypeVar("T")


def default_render_slots() -> int:
    """The CPUs this process may run on: more concurrent renders than that only share them."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class Overloaded(Exception):
    """The origin side of a request could not run, or finish, in time: the viewer gets a 503 to retry.

    ``reason`` names which bound was hit: ``queue`` (no render slot in time), ``timeout`` (the generation
    outlived the function timeout) or ``collapsed`` (the request for the same key ahead of it did not end).
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class RenderGate:
    """At most ``slots`` generations at once, each given at most ``timeout`` seconds of its viewer's wait.

    A request waits up to ``queue_seconds`` for a slot, so a flood of distinct misses queues briefly and
    then gets 503s instead of rendering all at once or piling up. With a ``timeout`` (0: none) the work
    runs in its own thread and the request stops waiting when it expires, as CloudFront stops waiting for
    a Lambda@Edge function; the overrunning work keeps its slot until it ends, so overruns never add to
    the number of renders in progress. Python cannot stop a thread: what ends the work itself is the
    generation's own ``Deadline`` (``Config.max_generation_seconds``, checked between its steps).
    """

    def __init__(self, slots: int, queue_seconds: float = DEFAULT_QUEUE_SECONDS,
                 timeout: float = DEFAULT_GENERATION_TIMEOUT) -> None:
        if slots < 1 or queue_seconds < 0 or timeout < 0:
            raise ValueError("render slots must be >= 1, queue seconds and timeout >= 0")
        self.slots = slots
        self.queue_seconds = queue_seconds
        self.timeout = timeout
        self._slots = threading.BoundedSemaphore(slots)
        self._counts_lock = threading.Lock()
        self._running = 0
        self._waiting = 0

    @property
    def running(self) -> int:
        """Generations holding a slot now (overrunning ones included)."""
        return self._running

    @property
    def waiting(self) -> int:
        """Requests waiting for a slot now."""
        return self._waiting

    @property
    def longest_wait(self) -> float:
        """How long a request waits for the one ahead of it for the same key: that one's slot wait and
        timeout (the default timeout when there is none, so the wait stays bounded)."""
        return self.queue_seconds + (self.timeout or DEFAULT_GENERATION_TIMEOUT)

    def run(self, work: Callable[[], T]) -> T:
        """``work()`` in a slot, within the timeout; raises ``Overloaded`` when either bound is hit."""
        self._enter()
        if not self.timeout:
            try:
                return work()
            finally:
                self._leave()
        result: Future[T] = Future()
        try:
            threading.Thread(target=self._run_in_slot, args=(work, result), name="imgedge-generation",
                             daemon=True).start()
        except BaseException:
            self._leave()
            raise
        try:
            return result.result(timeout=self.timeout)
        except FutureTimeout:
            raise Overloaded("timeout", f"the generation took longer than {self.timeout:g} s") from None

    def _enter(self) -> None:
        with self._counts_lock:
            self._waiting += 1
        acquired = False
        try:
            acquired = self._slots.acquire(timeout=self.queue_seconds)
        finally:
            with self._counts_lock:
                self._waiting -= 1
                if acquired:
                    self._running += 1
        if not acquired:
            raise Overloaded("queue", f"all {self.slots} render slots stayed busy for {self.queue_seconds:g} s")

    def _leave(self) -> None:
        with self._counts_lock:
            self._running -= 1
        self._slots.release()

    def _run_in_slot(self, work: Callable[[], T], result: Future[T]) -> None:
        """The generation thread: the work's outcome goes to ``result``; the slot is freed either way."""
        try:
            result.set_result(work())
        except BaseException as exc:  # handed to the waiting request, which raises it
            result.set_exception(exc)
        finally:
            self._leave()


def seed_samples(store: DirectoryStore) -> list[str]:
    """Copy the packaged sample originals into an empty directory bucket; returns their keys."""
    keys = []
    for item in sorted(resources.files(__package__).joinpath("samples").iterdir(), key=lambda p: p.name):
        if item.name.lower().endswith(SAMPLE_SUFFIXES):
            key = f"samples/{item.name}"
            if not (store.root / key).exists():
                store.put_original(key, item.read_bytes())
            keys.append(key)
    return keys


class LocalEdge:
    """The request path of the distribution, on one machine.

    ``handlers`` maps a function's ``Handler`` (as template.yaml names it) to a callable taking the
    CloudFront event; the two Lambda@Edge handlers are built in. ``origin`` replaces the S3-like origin
    (the store): a callable ``(request as forwarded, conditional headers) -> (status, headers, body)``.
    Both are the extension points for other deployment modes; regional mode, for one, is
    ``LocalEdge(store, config, distribution=load_distribution(parameters={"Mode": "regional"}),
    origin=lambda request, _validators: tuple(regional_origin(store, config).fetch(request)))``.
    ``gate`` bounds the origin side (default: one slot per CPU, the default queue wait and timeout).
    """

    def __init__(self, store: Store, config: Config | None = None, cache: ResponseCache | None = None,
                 log_path: Path | None = None, distribution: Distribution | None = None,
                 handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] | None = None,
                 origin: Origin | None = None, mode: str = "edge", gate: RenderGate | None = None) -> None:
        if mode not in ("edge", "regional"):
            raise ValueError(f"mode must be edge or regional, not {mode!r}")
        self.mode = mode
        self.store = store
        self.config = config or load_config()
        self.cache = cache if cache is not None else ResponseCache()  # an empty cache is falsy
        self.log_path = log_path
        self.distribution = distribution or load_distribution(parameters={"Mode": mode})
        self.origin: Origin = origin or self.s3_origin
        if origin is None and mode == "regional":
            from ..regional.failover import regional_origin  # the store first, the generator on 403/404

            self.origin = regional_origin(self.store, self.config, log=self._log).fetch
        self.stats: Counter[str] = Counter()
        self._log_lock = threading.Lock()
        self._stats_lock = threading.Lock()
        self.gate = gate if gate is not None else RenderGate(default_render_slots())
        self.inflight = InFlight()
        # Resolved at call time (module attributes), so a test spy on either module sees every call.
        self.handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "handlers.viewer_request.handler": lambda event: viewer_request.handle(event, self.config),
            "handlers.origin_response.handler": lambda event: origin_response.handle(
                event, lambda _request: self.store, self.config, log=self._log),
            **(handlers or {}),
        }
        for behaviour in self.distribution.behaviours:
            for event_type, handler in behaviour.associations.items():
                if handler not in self.handlers:
                    raise TemplateError(f"{event_type} runs {handler!r}, which the local edge cannot run")

    # -- the viewer side ---------------------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: dict[str, str]) -> Response:
        """One viewer request → (status, headers, body) as the viewer gets them (response headers policy)."""
        status, out_headers, body = self._respond(method, raw_path, headers)
        return status, self.distribution.viewer_headers(viewer_uri(raw_path), out_headers), body

    def _respond(self, method: str, raw_path: str, headers: dict[str, str]) -> Response:
        parts = urlsplit(raw_path)
        uri = viewer_uri(raw_path)
        behaviour = self.distribution.behaviour_for(uri)
        request_id = base64.urlsafe_b64encode(uuid.uuid4().bytes * 2).decode().rstrip("=")
        if method not in behaviour.allowed_methods:
            return 403, _cloudfront_headers("Error", request_id, {"Content-Type": "text/html"}), \
                b"403 ERROR: this distribution is not configured to allow the HTTP request method\n"
        request: dict[str, Any] = {
            "clientIp": "127.0.0.1",
            "method": method,
            "uri": uri,
            "querystring": parts.query,
            "headers": {k.lower(): [{"key": k, "value": v}] for k, v in headers.items()
                        if k.lower() not in CLOUDFRONT_HEADERS},
        }
        handler = behaviour.associations.get("viewer-request")
        if handler is not None:
            self._count("viewer-request")
            result = self.handlers[handler](_event("viewer-request", request, request_id=request_id))
            if "status" in result:  # the function answered itself: never cached
                self._count("lambda-generated")
                status, out_headers, body = _from_cloudfront(result)
                return status, _cloudfront_headers("LambdaGeneratedResponse", request_id, out_headers), body
            request = result

        request = self._with_cloudfront_headers(request, behaviour)
        key = cache_key(request, behaviour)
        try:
            if method not in behaviour.cached_methods:
                status, out_headers, body = self._fetch(request, behaviour, request_id, {})
                return status, _cloudfront_headers(_result(status, "Miss"), request_id, out_headers), body
            entry = self.cache.get(key)
            if entry is not None and entry.fresh():  # never waits for a render slot
                self._count("hit")
                return entry.status, _cloudfront_headers(_result(entry.status, "Hit"), request_id,
                                                         entry.headers, age=entry.age()), entry.body
            return self._miss(request, behaviour, key, request_id)
        except Overloaded as exc:
            return self._overloaded(exc, request_id)

    def invalidate(self, paths: list[str]) -> int:
        """CloudFront's CreateInvalidation, for this edge's cache; returns how many entries went."""
        return self.cache.invalidate(paths)

    def _miss(self, request: dict[str, Any], behaviour: Behaviour, key: CacheKey, request_id: str) -> Response:
        """No fresh copy: one origin fetch per key at a time (request collapsing), then cached."""
        with self.inflight.hold(key, timeout=self.gate.longest_wait) as held:
            if not held:
                raise Overloaded("collapsed", "the request ahead of this one for the same object did not end")
            entry = self.cache.get(key)
            if entry is not None and entry.fresh():
                self._count("hit")
                return entry.status, _cloudfront_headers(_result(entry.status, "Hit"), request_id,
                                                         entry.headers, age=entry.age()), entry.body
            validators = entry.validators() if entry is not None else {}
            status, out_headers, body = self._fetch(request, behaviour, request_id, validators)
            if status == 304 and entry is not None:
                self._count("refresh-hit")
                merged = {**entry.headers, **{k: v for k, v in out_headers.items()
                                              if k.lower() in ("cache-control", "expires", "etag", "last-modified")}}
                entry.headers = merged
                entry.refreshed(cloudfront_ttl(behaviour.cache_policy, 200, merged,
                                               self.distribution.error_ttl(200)))
                return entry.status, _cloudfront_headers("RefreshHit", request_id, entry.headers, age=0), \
                    entry.body
            self._count("miss")
            ttl = cloudfront_ttl(behaviour.cache_policy, status, out_headers, self.distribution.error_ttl(status))
            self.cache.put(key, CachedResponse(status, out_headers, body, ttl=ttl))
        return status, _cloudfront_headers(_result(status, "Miss"), request_id, out_headers), body

    def _overloaded(self, exc: Overloaded, request_id: str) -> Response:
        """The 503 for a request the gate turned away: to retry shortly, and never stored by any cache."""
        self._count(f"overloaded-{exc.reason}")
        retry_after = max(1, math.ceil(self.gate.queue_seconds))
        headers = {"Content-Type": "text/plain", "Retry-After": str(retry_after),
                   "Cache-Control": "private, no-store"}
        return 503, _cloudfront_headers("Error", request_id, headers), f"503: {exc}; retry\n".encode()

    # -- the origin side ---------------------------------------------------------------------------------
    def _fetch(self, request: dict[str, Any], behaviour: Behaviour, request_id: str,
               validators: dict[str, str]) -> Response:
        """The origin side of a request, in a render slot and within the generation timeout.

        The one place every generation passes through (the origin-response handler in edge mode, the
        regional origin in regional mode). Each starts its ``Deadline`` when it is called, so once it has
        a slot: time spent queueing does not eat into a generation's budget.
        """
        return self.gate.run(lambda: self._origin_round_trip(request, behaviour, request_id, validators))

    def _origin_round_trip(self, request: dict[str, Any], behaviour: Behaviour, request_id: str,
                           validators: dict[str, str]) -> Response:
        """Origin request, then the origin-response function if associated, as CloudFront runs them."""
        forwarded = _forwarded(request, behaviour)
        self._count("origin-fetch")
        status, headers, body = self.origin(forwarded, validators)
        handler = behaviour.associations.get("origin-response")
        if handler is None:
            return status, headers, body
        response = {"status": str(status), "statusDescription": "",
                    "headers": {k.lower(): [{"key": k, "value": v}] for k, v in headers.items()}}
        self._count("origin-response")
        result = self.handlers[handler](_event("origin-response", forwarded, response, request_id=request_id))
        new_status, new_headers, new_body = _from_cloudfront(result)
        if "body" not in result:  # headers/status only: CloudFront keeps the origin's body
            new_body = body
        return new_status, new_headers, new_body

    def s3_origin(self, request: dict[str, Any], validators: dict[str, str]) -> Response:
        """What S3 answers CloudFront (OAC, ListBucket allowed: a missing key is a 404)."""
        try:
            key = key_for_uri(request["uri"])
            obj = self.store.get(key)
        except NotFound:
            return 404, {"Content-Type": "application/xml", "Server": "AmazonS3"}, \
                b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code></Error>"
        except ImageEdgeError as exc:
            if exc.status >= 500:
                return exc.status, {"Content-Type": "application/xml", "Server": "AmazonS3"}, b""
            return 403, {"Content-Type": "application/xml", "Server": "AmazonS3"}, \
                b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code></Error>"
        headers = {"Content-Type": obj.content_type or "binary/octet-stream", "Accept-Ranges": "bytes",
                   "Server": "AmazonS3", "ETag": obj.etag or '""'}
        modified = _last_modified(self.store, key)
        if modified:
            headers["Last-Modified"] = modified
        if obj.cache_control:
            headers["Cache-Control"] = obj.cache_control
        for name, value in obj.metadata.items():
            headers[f"x-amz-meta-{name}"] = value
        if validators.get("If-None-Match") and validators["If-None-Match"] == headers["ETag"]:
            return 304, {k: v for k, v in headers.items() if k != "Content-Type"}, b""
        return 200, headers, obj.data

    # -- helpers -----------------------------------------------------------------------------------------
    def _with_cloudfront_headers(self, request: dict[str, Any], behaviour: Behaviour) -> dict[str, Any]:
        """The CloudFront-Is-*-Viewer headers, added (after the viewer-request) when a policy names them."""
        policies = [behaviour.cache_policy.headers]
        if behaviour.origin_request_policy is not None:
            policies.append(behaviour.origin_request_policy.headers)
        names = {n.lower() for p in policies if p.behavior in ("whitelist", "allViewerAndWhitelistCloudFront")
                 for n in p.names}
        flags = _cloudfront_device_flags(device_class(_header_value(request, "user-agent")))
        extra = {k.lower(): [{"key": k, "value": v}] for k, v in flags.items() if k.lower() in names}
        return {**request, "headers": {**request["headers"], **extra}} if extra else request

    def _count(self, what: str) -> None:
        with self._stats_lock:
            self.stats[what] += 1

    def _log(self, entry: dict[str, Any]) -> None:
        line = log_line(entry)
        log.info(line)
        if self.log_path is not None:
            with self._log_lock, open(self.log_path, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")


def cache_key(request: dict[str, Any], behaviour: Behaviour) -> CacheKey:
    """The cache key CloudFront computes for ``request`` (after the viewer-request) under ``behaviour``."""
    policy = behaviour.cache_policy
    pairs = parse_qsl(request.get("querystring", ""), keep_blank_values=True)
    query = urlencode(sorted((k, v) for k, v in pairs if policy.query_strings.selects(k)))
    headers = sorted((name, entries[0]["value"]) for name, entries in request["headers"].items()
                     if policy.headers.selects(name, case_sensitive=False))
    cookies = sorted(_cookies(request).items())
    cookies = [(k, v) for k, v in cookies if policy.cookies.selects(k)]
    encoding = ""
    if policy.accept_encoding_gzip or policy.accept_encoding_brotli:
        accepted = (_header_value(request, "accept-encoding") or "").lower()
        encoding = ",".join(e for e, on in (("br", policy.accept_encoding_brotli), ("gzip", policy.accept_encoding_gzip))
                            if on and e in accepted)
    extra = json.dumps([headers, cookies, encoding]) if headers or cookies or encoding else ""
    return CacheKey(request["uri"], query, extra)


def _forwarded(request: dict[str, Any], behaviour: Behaviour) -> dict[str, Any]:
    """The request as CloudFront sends it to the origin: only what the cache and origin request policies
    name (plus Host, Via and CloudFront's User-Agent when the viewer's is not forwarded)."""
    orp = behaviour.origin_request_policy
    header_parts = [behaviour.cache_policy.headers] + ([orp.headers] if orp else [])
    query_parts = [behaviour.cache_policy.query_strings] + ([orp.query_strings] if orp else [])
    headers = {name: entries for name, entries in request["headers"].items()
               if any(part.selects(name, case_sensitive=False) for part in header_parts)}
    headers.setdefault("user-agent", [{"key": "User-Agent", "value": "Amazon CloudFront"}])
    headers["host"] = [{"key": "Host", "value": LOCAL_ORIGIN_DOMAIN}]
    headers["via"] = [{"key": "Via", "value": f"2.0 {DISTRIBUTION_DOMAIN} (CloudFront)"}]
    pairs = parse_qsl(request.get("querystring", ""), keep_blank_values=True)
    query = urlencode([(k, v) for k, v in pairs if any(part.selects(k) for part in query_parts)])
    return {
        **request,
        "querystring": query,
        "headers": headers,
        "origin": {"s3": {"authMethod": "origin-access-identity", "customHeaders": {},
                          "domainName": LOCAL_ORIGIN_DOMAIN, "path": "", "region": "us-east-1"}},
    }


def _result(status: int, outcome: str) -> str:
    return "Error" if status >= 400 else outcome


def _cloudfront_headers(result: str, request_id: str, headers: dict[str, str], age: int | None = None) -> dict[str, str]:
    out = {k: v for k, v in headers.items() if k.lower() not in ("age", "x-cache", "via", "x-amz-cf-id",
                                                                   "x-amz-cf-pop", "transfer-encoding")}
    if age is not None:
        out["Age"] = str(age)
    out["X-Cache"] = f"{result} from cloudfront"
    out["Via"] = f"1.1 {DISTRIBUTION_DOMAIN} (CloudFront)"
    out["X-Amz-Cf-Pop"] = "LOCAL1-P1"
    out["X-Amz-Cf-Id"] = request_id
    return out


def _event(event_type: str, request: dict[str, Any], response: dict[str, Any] | None = None, *,
           request_id: str) -> dict[str, Any]:
    cf: dict[str, Any] = {
        "config": {"distributionDomainName": DISTRIBUTION_DOMAIN, "distributionId": "ELOCAL",
                   "eventType": event_type, "requestId": request_id},
        "request": json.loads(json.dumps(request)),  # a copy: handlers edit events in place
    }
    if response is not None:
        cf["response"] = response
    return {"Records": [{"cf": cf}]}


def _from_cloudfront(result: dict[str, Any]) -> Response:
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("bodyEncoding") == "base64" else body.encode()
    headers = {entries[0].get("key", name): entries[0]["value"]
               for name, entries in result.get("headers", {}).items() if entries}
    return int(result["status"]), headers, data


def _header_value(request: dict[str, Any], name: str) -> str | None:
    entries = request["headers"].get(name)
    return entries[0]["value"] if entries else None


def _cookies(request: dict[str, Any]) -> dict[str, str]:
    out = {}
    for entry in request["headers"].get("cookie", []):
        for part in entry["value"].split(";"):
            name, sep, value = part.strip().partition("=")
            if sep:
                out[name] = value
    return out


def _last_modified(store: Store, key: str) -> str | None:
    if isinstance(store, DirectoryStore):
        try:
            return formatdate((store.root / key).stat().st_mtime, usegmt=True)
        except OSError:
            return None
    return None


def _cloudfront_device_flags(device: str) -> dict[str, str]:
    """The CloudFront-Is-*-Viewer headers CloudFront adds after the viewer-request (bots look desktop)."""
    names = {"mobile": "Mobile", "tablet": "Tablet", "smarttv": "SmartTV", "desktop": "Desktop"}
    chosen = device if device in names else "desktop"
    return {f"CloudFront-Is-{label}-Viewer": str(key == chosen).lower() for key, label in names.items()}


# -- HTTP ----------------------------------------------------------------------------------------------------


def make_server(edge: LocalEdge, host: str, port: int, sample_keys: list[str],
                idle_seconds: float = DEFAULT_IDLE_SECONDS) -> ThreadingHTTPServer:
    """The HTTP front of ``edge``: a thread per connection, each ended after ``idle_seconds`` without a
    request, so connections a client opens and forgets cannot hold threads forever."""
    from .demo import ACCEPT_CH, demo_page

    page = demo_page(edge.store, sample_keys)

    class Handler(BaseHTTPRequestHandler):
        server_version = "imgedge-local"
        protocol_version = "HTTP/1.1"
        timeout = idle_seconds  # socket timeout: http.server closes the connection when it expires

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self._serve(send_body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._serve(send_body=False)

        def do_POST(self) -> None:  # noqa: N802
            path = urlsplit(self.path).path
            if path == ADMIN_PREFIX + "invalidations" and self.client_address[0].startswith("127."):
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    paths = list(json.loads(self.rfile.read(length) or b"{}")["paths"])
                    removed = edge.invalidate(paths)
                except (ValueError, KeyError, TypeError) as exc:
                    self._send(400, {"Content-Type": "text/plain"}, f"{exc}\n".encode(), True)
                    return
                body = json.dumps({"paths": paths, "removed": removed}).encode()
                self._send(201, {"Content-Type": "application/json"}, body, True)
            else:
                self._serve(send_body=True)

        def _serve(self, send_body: bool) -> None:
            path = urlsplit(self.path).path
            if self.command in ("GET", "HEAD") and path == "/healthz":
                status, headers, body = 200, {"Content-Type": "text/plain", "Cache-Control": "no-store"}, b"ok\n"
            elif self.command in ("GET", "HEAD") and path == "/":
                status, headers, body = 200, {"Content-Type": "text/html; charset=utf-8",
                                              "Cache-Control": "no-store", "Accept-CH": ACCEPT_CH}, page
            elif self.command in ("GET", "HEAD") and path == ADMIN_PREFIX + "stats":
                body = json.dumps({"stats": dict(edge.stats), "cached": len(edge.cache),
                                   "cached_bytes": edge.cache.size_bytes, "in_flight": len(edge.inflight),
                                   "renders": edge.gate.running, "waiting": edge.gate.waiting,
                                   "distribution": edge.distribution.source}).encode()
                status, headers = 200, {"Content-Type": "application/json", "Cache-Control": "no-store"}
            else:
                try:
                    status, headers, body = edge.handle(self.command, self.path, dict(self.headers.items()))
                except Exception:  # the edge itself must never take the server down
                    log.exception("local edge failure")
                    status, headers, body = 500, {"Content-Type": "text/plain"}, b"internal error\n"
            self._send(status, headers, body, send_body)

        def _send(self, status: int, headers: dict[str, str], body: bytes, send_body: bool) -> None:
            """Write the answer; a viewer that went away meanwhile just ends its connection."""
            try:
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if send_body:
                    self.wfile.write(body)
            except ConnectionError:
                self.close_connection = True

        def log_message(self, fmt: str, *args: Any) -> None:
            log.debug("%s " + fmt, self.address_string(), *args)

    return _Server((host, port), Handler)


class _Server(ThreadingHTTPServer):
    """A viewer that resets its connection is routine for an edge: logged quietly, not as a traceback."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            log.debug("%s went away", client_address)
        else:
            super().handle_error(request, client_address)
