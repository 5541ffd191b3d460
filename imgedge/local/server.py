"""``imgedge serve``: one process that plays CloudFront, both Lambda@Edge steps and the S3 origin.

A request takes the path a deployed one takes, through the same code with the same event shapes:

  HTTP GET → viewer-request event → ``edge.viewer_request.handle`` (rewrite to the variant URI)
           → cache (keyed on the rewritten URI, like the template's cache policy) → hit: served, ``X-Cache: Hit``
           → miss: origin GET (directory bucket or S3) → origin-response event → ``edge.origin_response.handle``
           → cache if cacheable → response, ``X-Cache: Miss``.

So a bug that would break caching or the handlers on CloudFront breaks here too.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import threading
import uuid
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from ..config import Config, load_config
from ..device import device_class
from ..edge import origin_response, viewer_request
from ..errors import ImageEdgeError, NotFound
from ..keys import key_for_uri
from ..store import DirectoryStore, Store
from .cache import CachedResponse, ResponseCache

log = logging.getLogger("imgedge.local")

SAMPLE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".avif")
LOCAL_ORIGIN_DOMAIN = "local-bucket.s3.us-east-1.amazonaws.com"


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
    """The request path, independent of the HTTP server so tests can drive it directly."""

    def __init__(self, store: Store, config: Config | None = None, cache: ResponseCache | None = None,
                 log_path: Path | None = None) -> None:
        self.store = store
        self.config = config or load_config()
        self.cache = cache or ResponseCache()
        self.log_path = log_path
        self._log_lock = threading.Lock()

    def handle(self, method: str, raw_path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """One viewer request → (status, headers, body)."""
        parts = urlsplit(raw_path)
        request = {
            "clientIp": "127.0.0.1",
            "method": method,
            "uri": quote(parts.path, safe="/%-_.~!$&'()*+,;=:@"),
            "querystring": parts.query,
            "headers": {k.lower(): [{"key": k, "value": v}] for k, v in headers.items()},
        }
        event = _event("viewer-request", request)
        result = viewer_request.handle(event, self.config)
        if "status" in result:  # the viewer-request answered itself (a refusal)
            status, out_headers, body = _from_cloudfront(result)
            return status, {**out_headers, "X-Cache": "Error from cloudfront"}, body

        cache_key = result["uri"]
        cached = self.cache.get(cache_key)
        if cached is not None:
            return cached.status, {**cached.headers, "Age": str(cached.age()), "X-Cache": "Hit from cloudfront"}, \
                cached.body

        status, out_headers, body = self._origin(result)
        self.cache.put(cache_key, CachedResponse(status, out_headers, body))
        return status, {**out_headers, "X-Cache": "Miss from cloudfront"}, body

    def _origin(self, request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        """The S3 origin, then the origin-response step, as CloudFront would run them."""
        ua = _header_value(request, "user-agent")
        flags = _cloudfront_device_flags(device_class(ua))
        request = {
            **request,
            "headers": {**request["headers"], **{k.lower(): [{"key": k, "value": v}] for k, v in flags.items()}},
            "origin": {"s3": {"authMethod": "none", "customHeaders": {}, "domainName": LOCAL_ORIGIN_DOMAIN,
                              "path": "", "region": "us-east-1"}},
        }
        try:
            obj = self.store.get(key_for_uri(request["uri"]))
        except NotFound:
            response = {"status": "404", "statusDescription": "Not Found", "headers": {
                "content-type": [{"key": "Content-Type", "value": "application/xml"}],
                "transfer-encoding": [{"key": "Transfer-Encoding", "value": "chunked"}],
            }}
        except ImageEdgeError as exc:
            return exc.status, {"Content-Type": "text/plain; charset=utf-8",
                                "Cache-Control": self.config.error_cache_control}, exc.message.encode() + b"\n"
        else:
            headers = {"Content-Type": obj.content_type or "application/octet-stream",
                       "ETag": obj.etag or '""', "Last-Modified": formatdate(usegmt=True)}
            if obj.cache_control:
                headers["Cache-Control"] = obj.cache_control
            return 200, headers, obj.data
        event = _event("origin-response", request, response)
        result = origin_response.handle(event, lambda _request: self.store, self.config, log=self._log)
        return _from_cloudfront(result)

    def _log(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, separators=(",", ":"))
        log.info(line)
        if self.log_path is not None:
            with self._log_lock, open(self.log_path, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")


def index_page(keys: list[str]) -> bytes:
    """A minimal page linking the sample originals at a few widths."""
    rows = []
    for key in keys:
        url = "/" + quote(key)
        links = " ".join(f'<a href="{url}?w={w}">{w}px</a>' for w in (320, 640, 1280))
        rows.append(f'<li><img src="{url}?w=320" width="160" alt=""> {html.escape(key)}: {links}</li>')
    body = "<!doctype html><meta charset=utf-8><title>imgedge local edge</title>" \
        f"<h1>imgedge local edge</h1><ul>{''.join(rows)}</ul>"
    return body.encode()


def make_server(edge: LocalEdge, host: str, port: int, sample_keys: list[str]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        server_version = "imgedge-local"
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self._serve(send_body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._serve(send_body=False)

        def _serve(self, send_body: bool) -> None:
            path = urlsplit(self.path).path
            if path == "/healthz":
                status, headers, body = 200, {"Content-Type": "text/plain", "Cache-Control": "no-store"}, b"ok\n"
            elif path == "/":
                status, headers, body = 200, {"Content-Type": "text/html; charset=utf-8",
                                              "Cache-Control": "no-store"}, index_page(sample_keys)
            else:
                try:
                    status, headers, body = edge.handle(self.command, self.path, dict(self.headers.items()))
                except Exception:  # the edge itself must never take the server down
                    log.exception("local edge failure")
                    status, headers, body = 500, {"Content-Type": "text/plain"}, b"internal error\n"
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


def _event(event_type: str, request: dict[str, Any], response: dict[str, Any] | None = None) -> dict[str, Any]:
    cf: dict[str, Any] = {
        "config": {"distributionDomainName": "local.cloudfront.net", "distributionId": "ELOCAL",
                   "eventType": event_type, "requestId": uuid.uuid4().hex},
        "request": request,
    }
    if response is not None:
        cf["response"] = response
    return {"Records": [{"cf": cf}]}


def _from_cloudfront(result: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("bodyEncoding") == "base64" else body.encode()
    headers = {entries[0].get("key", name): entries[0]["value"]
               for name, entries in result.get("headers", {}).items() if entries}
    return int(result["status"]), headers, data


def _header_value(request: dict[str, Any], name: str) -> str | None:
    entries = request["headers"].get(name)
    return entries[0]["value"] if entries else None


def _cloudfront_device_flags(device: str) -> dict[str, str]:
    """The CloudFront-Is-*-Viewer headers CloudFront adds after the viewer-request (bots look desktop)."""
    names = {"mobile": "Mobile", "tablet": "Tablet", "smarttv": "SmartTV", "desktop": "Desktop"}
    chosen = device if device in names else "desktop"
    return {f"CloudFront-Is-{label}-Viewer": str(key == chosen).lower() for key, label in names.items()}
