"""The CloudFront request path, on one machine: viewer-request → cache → origin → origin-response.

A request takes the path a deployed one takes, through the same code with the same event shapes (built with
``imgedge.edge.cloudfront``, the codec the handlers read them with), under the behaviours ``template.yaml``
gives the distribution (``imgedge.local.behaviour``):

  request → the behaviour whose PathPattern matches → viewer-request event → the associated handler
          (a generated response goes straight back: ``X-Cache: LambdaGeneratedResponse``)
          → cache key from the behaviour's cache policy → fresh: served (``Hit``), origin-response NOT run
          → stale with an ETag: conditional GET, 304 → ``RefreshHit``
          → miss: origin GET with the headers the policies forward → origin-response event → handler
          → cached for the TTL CloudFront would give it → ``Miss`` (``Error`` for 4xx/5xx).

So a template or handler change that would break caching on CloudFront breaks here too. ``LocalEdge`` is
independent of the HTTP front door (``imgedge.local.server``) so tests can drive it directly; ``stats``
counts what ran. The origin side runs through a ``RenderGate`` (``imgedge.local.gate``): cache hits never
wait for a slot, and every per-key structure (the response cache, the request-collapsing locks) is bounded.
"""

from __future__ import annotations

import base64
import logging
import math
import threading
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

from ..config import Config, load_config
from ..edge import cloudfront, origin_response, viewer_request
from ..observability import log_line
from ..store import Store
from ..transport import Response
from .behaviour import CLOUDFRONT_HEADERS, Behaviour, Distribution, TemplateError, load_distribution, viewer_uri
from .cache import CachedResponse, CacheKey, InFlight, ResponseCache, cloudfront_ttl
from .gate import Overloaded, RenderGate, default_render_slots
from .origins import S3Origin, regional_origin
from .policies import DISTRIBUTION_DOMAIN, DISTRIBUTION_ID, cache_key, forwarded, result, stamped, with_device_headers

log = logging.getLogger("imgedge.local")

#: An origin: (request as CloudFront forwards it, conditional headers) → its response.
Origin = Callable[[dict[str, Any], Mapping[str, str]], Response]
#: A Lambda@Edge handler: the CloudFront event → the request or response record it returns.
Handler = Callable[[dict[str, Any]], dict[str, Any]]


class LocalEdge:
    """The request path of the distribution, on one machine.

    ``handlers`` maps a function's ``Handler`` (as template.yaml names it) to a callable taking the
    CloudFront event; the two Lambda@Edge handlers are built in. ``origin`` replaces the origin: a callable
    ``(request as forwarded, conditional headers) -> Response``; by default ``S3Origin(store).fetch`` in edge
    mode, and ``regional_origin(store, config).fetch`` (the store first, the generator on 403/404) in
    regional mode. Both are the extension points for other deployment modes. ``gate`` bounds the origin
    side (default: one slot per CPU, the default queue wait and timeout).
    """

    def __init__(self, store: Store, config: Config | None = None, cache: ResponseCache | None = None,
                 log_path: Path | None = None, distribution: Distribution | None = None,
                 handlers: dict[str, Handler] | None = None,
                 origin: Origin | None = None, mode: str = "edge", gate: RenderGate | None = None) -> None:
        if mode not in ("edge", "regional"):
            raise ValueError(f"mode must be edge or regional, not {mode!r}")
        self.mode = mode
        self.store = store
        self.config = config or load_config()
        self.cache = cache if cache is not None else ResponseCache()  # an empty cache is falsy
        self.log_path = log_path
        self.distribution = distribution or load_distribution(parameters={"Mode": mode})
        self.origin: Origin = origin or (regional_origin(self.store, self.config, log=self._log).fetch
                                         if mode == "regional" else S3Origin(self.store).fetch)
        self.stats: Counter[str] = Counter()
        self._log_lock = threading.Lock()
        self._stats_lock = threading.Lock()
        self.gate = gate if gate is not None else RenderGate(default_render_slots())
        self.inflight = InFlight()
        # Resolved at call time (module attributes), so a test spy on either module sees every call.
        self.handlers: dict[str, Handler] = {
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
        return Response(status, self.distribution.viewer_headers(viewer_uri(raw_path), out_headers), body)

    def _respond(self, method: str, raw_path: str, headers: dict[str, str]) -> Response:
        parts = urlsplit(raw_path)
        uri = viewer_uri(raw_path)
        behaviour = self.distribution.behaviour_for(uri)
        request_id = base64.urlsafe_b64encode(uuid.uuid4().bytes * 2).decode().rstrip("=")
        if method not in behaviour.allowed_methods:
            return Response(403, stamped("Error", request_id, {"Content-Type": "text/html"}),
                            b"403 ERROR: this distribution is not configured to allow the HTTP request method\n")
        request: dict[str, Any] = {
            "clientIp": "127.0.0.1",
            "method": method,
            "uri": uri,
            "querystring": parts.query,
            "headers": cloudfront.cloudfront_headers({k: v for k, v in headers.items()
                                                      if k.lower() not in CLOUDFRONT_HEADERS}),
        }
        handler = behaviour.associations.get("viewer-request")
        if handler is not None:
            self._count("viewer-request")
            returned = self.handlers[handler](self._event("viewer-request", request, request_id=request_id))
            if "status" in returned:  # the function answered itself: never cached
                self._count("lambda-generated")
                status, out_headers, body = cloudfront.read_result(returned)
                return Response(status, stamped("LambdaGeneratedResponse", request_id, out_headers), body)
            request = returned

        request = with_device_headers(request, behaviour)
        key = cache_key(request, behaviour)
        try:
            if method not in behaviour.cached_methods:
                status, out_headers, body = self._fetch(request, behaviour, request_id, {})
                return Response(status, stamped(result(status, "Miss"), request_id, out_headers), body)
            entry = self.cache.get(key)
            if entry is not None and entry.fresh():  # never waits for a render slot
                self._count("hit")
                return self._cached(entry, result(entry.status, "Hit"), request_id)
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
                return self._cached(entry, result(entry.status, "Hit"), request_id)
            validators = entry.validators() if entry is not None else {}
            status, out_headers, body = self._fetch(request, behaviour, request_id, validators)
            if status == 304 and entry is not None:
                self._count("refresh-hit")
                merged = {**entry.headers, **{k: v for k, v in out_headers.items()
                                              if k.lower() in ("cache-control", "expires", "etag", "last-modified")}}
                entry.headers = merged
                entry.refreshed(cloudfront_ttl(behaviour.cache_policy, 200, merged,
                                               self.distribution.error_ttl(200)))
                return Response(entry.status, stamped("RefreshHit", request_id, entry.headers, age=0), entry.body)
            self._count("miss")
            ttl = cloudfront_ttl(behaviour.cache_policy, status, out_headers, self.distribution.error_ttl(status))
            self.cache.put(key, CachedResponse(status, out_headers, body, ttl=ttl))
        return Response(status, stamped(result(status, "Miss"), request_id, out_headers), body)

    def _cached(self, entry: CachedResponse, outcome: str, request_id: str) -> Response:
        """A cached copy as the viewer gets it, with its ``Age``."""
        return Response(entry.status, stamped(outcome, request_id, entry.headers, age=entry.age()), entry.body)

    def _overloaded(self, exc: Overloaded, request_id: str) -> Response:
        """The 503 for a request the gate turned away: to retry shortly, and never stored by any cache."""
        self._count(f"overloaded-{exc.reason}")
        retry_after = max(1, math.ceil(self.gate.queue_seconds))
        headers = {"Content-Type": "text/plain", "Retry-After": str(retry_after),
                   "Cache-Control": "private, no-store"}
        return Response(503, stamped("Error", request_id, headers), f"503: {exc}; retry\n".encode())

    # -- the origin side ---------------------------------------------------------------------------------
    def _fetch(self, request: dict[str, Any], behaviour: Behaviour, request_id: str,
               validators: Mapping[str, str]) -> Response:
        """The origin side of a request, in a render slot and within the generation timeout.

        The one place every generation passes through (the origin-response handler in edge mode, the
        regional origin in regional mode). Each starts its ``Deadline`` when it is called, so once it has
        a slot: time spent queueing does not eat into a generation's budget.
        """
        return self.gate.run(lambda: self._origin_round_trip(request, behaviour, request_id, validators))

    def _origin_round_trip(self, request: dict[str, Any], behaviour: Behaviour, request_id: str,
                           validators: Mapping[str, str]) -> Response:
        """Origin request, then the origin-response function if associated, as CloudFront runs them."""
        to_origin = forwarded(request, behaviour)
        self._count("origin-fetch")
        response = Response(*self.origin(to_origin, validators))
        handler = behaviour.associations.get("origin-response")
        if handler is None:
            return response
        self._count("origin-response")
        event = self._event("origin-response", to_origin, cloudfront.origin_record(response), request_id=request_id)
        return cloudfront.read_result(self.handlers[handler](event), origin_body=response.body)

    # -- helpers -----------------------------------------------------------------------------------------
    @staticmethod
    def _event(event_type: str, request: dict[str, Any], response: dict[str, Any] | None = None, *,
               request_id: str) -> dict[str, Any]:
        return cloudfront.event(event_type, request, response, request_id=request_id,
                                distribution_domain=DISTRIBUTION_DOMAIN, distribution_id=DISTRIBUTION_ID)

    def _count(self, what: str) -> None:
        with self._stats_lock:
            self.stats[what] += 1

    def _log(self, entry: dict[str, Any]) -> None:
        line = log_line(entry)
        log.info(line)
        if self.log_path is not None:
            with self._log_lock, open(self.log_path, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")

