"""``imgedge serve``'s HTTP front door: the local edge (``imgedge.local.edge``) behind a threaded HTTP server.

Viewer requests go to ``LocalEdge.handle``; the front door itself answers the demo page (``/``), ``/healthz``
(whether the store answers: 503 with the reason when it does not) and the local edge's own endpoints under
``/_imgedge/`` (stats, invalidations). It writes one ``Server`` header: the origin's when the answer carries
one (S3's ``AmazonS3``), else its own. A viewer that goes away mid-answer is routine for an edge: its
connection just ends, logged at debug level.
"""

from __future__ import annotations

import json
import logging
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from .edge import LocalEdge
from .origins import store_problem
from .samples import seed_samples  # noqa: F401 (imported from here by the command line and the tests)

log = logging.getLogger("imgedge.local")

#: Where the local edge's own endpoints live (no viewer path of CloudFront's reaches them: POST, or a name
#: the viewer-request refuses).
ADMIN_PREFIX = "/_imgedge/"
#: How long an idle keep-alive connection keeps its server thread.
DEFAULT_IDLE_SECONDS = 30.0
NO_STORE = "no-store"


def make_server(edge: LocalEdge, host: str, port: int, sample_keys: list[str],
                idle_seconds: float = DEFAULT_IDLE_SECONDS) -> ThreadingHTTPServer:
    """The HTTP front of ``edge``: a thread per connection, each ended after ``idle_seconds`` without a
    request, so connections a client opens and forgets cannot hold threads forever."""
    from .demo import demo_page

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
                problem = store_problem(edge.store)
                status, body = (503, f"store: {problem}\n".encode()) if problem else (200, b"ok\n")
                headers = {"Content-Type": "text/plain", "Cache-Control": NO_STORE}
            elif self.command in ("GET", "HEAD") and path == "/":
                status, headers, body = 200, {"Content-Type": "text/html; charset=utf-8",
                                              "Cache-Control": NO_STORE}, page
            elif self.command in ("GET", "HEAD") and path == ADMIN_PREFIX + "stats":
                body = json.dumps({"stats": dict(edge.stats), "cached": len(edge.cache),
                                   "cached_bytes": edge.cache.size_bytes, "in_flight": len(edge.inflight),
                                   "renders": edge.gate.running, "waiting": edge.gate.waiting,
                                   "distribution": edge.distribution.source}).encode()
                status, headers = 200, {"Content-Type": "application/json", "Cache-Control": NO_STORE}
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
                self.log_request(status)
                self.send_response_only(status)
                if not any(name.lower() == "server" for name in headers):
                    self.send_header("Server", self.version_string())
                self.send_header("Date", self.date_time_string())
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

