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
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import uuid
from collections import Counter
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qsl, urlencode, urlsplit

from ..config import Config, load_config
from ..device import device_class
from ..edge import origin_response, viewer_request
from ..errors import ImageEdgeError, NotFound
from ..keys import key_for_uri
from ..observability import log_line
from ..store import DirectoryStore, Store
from .behaviour import CLOUDFRONT_HEADERS, Behaviour, Distribution, TemplateError, load_distribution, viewer_uri
from .cache import CachedResponse, CacheKey, ResponseCache, cloudfront_ttl

log = logging.getLogger("imgedge.local")

SAMPLE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".avif")
LOCAL_ORIGIN_DOMAIN = "local-bucket.s3.us-east-1.amazonaws.com"
DISTRIBUTION_DOMAIN = "local.cloudfront.net"
#: Where the local edge's own endpoints live (no viewer path of CloudFront's reaches them: POST, or a name
#: the viewer-request refuses).
ADMIN_PREFIX = "/_imgedge/"

Response = tuple[int, dict[str, str], bytes]
#: An origin: (request as CloudFront forwards it, conditional headers) → (status, headers, body).
Origin = Callable[[dict[str, Any], dict[str, str]], Response]


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
    """

    def __init__(self, store: Store, config: Config | None = None, cache: ResponseCache | None = None,
                 log_path: Path | None = None, distribution: Distribution | None = None,
                 handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] | None = None,
                 origin: Origin | None = None, mode: str = "edge") -> None:
        if mode not in ("edge", "regional"):
            raise ValueError(f"mode must be edge or regional, not {mode!r}")
        self.mode = mode
        self.store = store
        self.config = config or load_config()
        self.cache = cache or ResponseCache()
        self.log_path = log_path
        self.distribution = distribution or load_distribution(parameters={"Mode": mode})
        self.origin: Origin = origin or self.s3_origin
        if origin is None and mode == "regional":
            from ..regional.failover import regional_origin  # the store first, the generator on 403/404

            self.origin = regional_origin(self.store, self.config, log=self._log).fetch
        self.stats: Counter[str] = Counter()
        self._log_lock = threading.Lock()
        self._stats_lock = threading.Lock()
        self._inflight: dict[CacheKey, threading.Lock] = {}
        self._inflight_lock = threading.Lock()
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
        cacheable = method in behaviour.cached_methods
        if not cacheable:
            status, out_headers, body = self._fetch(request, behaviour, request_id, {})
            return status, _cloudfront_headers(_result(status, "Miss"), request_id, out_headers), body

        entry = self.cache.get(key)
        if entry is not None and entry.fresh():
            self._count("hit")
            return entry.status, _cloudfront_headers(_result(entry.status, "Hit"), request_id, entry.headers,
                                                     age=entry.age()), entry.body
        with self._key_lock(key):  # request collapsing: one origin fetch per key at a time
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

    def invalidate(self, paths: list[str]) -> int:
        """CloudFront's CreateInvalidation, for this edge's cache; returns how many entries went."""
        return self.cache.invalidate(paths)

    # -- the origin side ---------------------------------------------------------------------------------
    def _fetch(self, request: dict[str, Any], behaviour: Behaviour, request_id: str,
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

    def _key_lock(self, key: CacheKey) -> threading.Lock:
        with self._inflight_lock:
            return self._inflight.setdefault(key, threading.Lock())

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


def make_server(edge: LocalEdge, host: str, port: int, sample_keys: list[str]) -> ThreadingHTTPServer:
    from .demo import demo_page

    page = demo_page(edge.store, sample_keys)

    class Handler(BaseHTTPRequestHandler):
        server_version = "imgedge-local"
        protocol_version = "HTTP/1.1"

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
                                              "Cache-Control": "no-store"}, page
            elif self.command in ("GET", "HEAD") and path == ADMIN_PREFIX + "stats":
                body = json.dumps({"stats": dict(edge.stats), "cached": len(edge.cache),
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
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)

        def log_message(self, fmt: str, *args: Any) -> None:
            log.debug("%s " + fmt, self.address_string(), *args)

    return ThreadingHTTPServer((host, port), Handler)
