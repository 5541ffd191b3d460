"""CloudFront's origin group, played locally: S3 first, the generator when S3 answers 403 or 404.

In regional mode the distribution's origin is a group of two: the bucket (primary) and the generator's
Function URL (failover). CloudFront asks the bucket; only if the bucket answers one of the failover
statuses, and only for GET, HEAD and OPTIONS, does it send the same request to the generator, whose answer
is final. ``OriginGroup`` does the same with any two plain HTTP callables
``(method, path, headers, body) -> Response``; ``StoreOrigin`` answers like S3 for a ``Store``;
``regional_origin(store, config)`` builds the pair the template deploys, so ``imgedge serve --mode regional``
runs the same requests through the same code as the stack::

    group = regional_origin(store, config)
    status, headers, body = group.fetch(cloudfront_request)   # the viewer-request's output

``group.fetch(request, validators)`` has the signature of ``imgedge.local.server.LocalEdge``'s ``origin``, so
the local edge plays a ``Mode=regional`` stack with
``LocalEdge(store, config, distribution=load_distribution(parameters={"Mode": "regional"}), origin=group.fetch)``.
"""

from __future__ import annotations

from email.utils import formatdate
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..config import Config
from ..errors import ImageEdgeError, NotFound
from ..request.paths import key_for_uri
from .app import FUNCTION_URL_MAX_INLINE_BYTES, GeneratorApp, Log, Response

if TYPE_CHECKING:  # imgedge.store imports botocore, which refusals never need
    from ..store import Store

#: The template's FailoverCriteria.
FAILOVER_STATUSES = (403, 404)
#: CloudFront fails over only for these methods.
FAILOVER_METHODS = ("GET", "HEAD", "OPTIONS")
#: Hop-by-hop headers and Host are never forwarded to an origin as the viewer sent them.
_NOT_FORWARDED = ("host", "connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer",
                  "proxy-authorization", "proxy-connection")

Origin = Callable[..., Response]


class StoreOrigin:
    """An S3 origin behind OAC, for a ``Store``: GET/HEAD of the key the path names.

    A missing key is a 404 with S3's XML error body (the role may ``s3:ListBucket``); other methods 405;
    store failures keep their status (502/503); an ``If-None-Match`` equal to the ETag is a 304.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def __call__(self, method: str, path: str, headers: Mapping[str, str] | None = None,
                 body: bytes = b"") -> Response:
        method = method.upper()
        if method not in ("GET", "HEAD"):
            return Response(405, {"Content-Type": "application/xml"}, _s3_error("MethodNotAllowed"))
        try:
            obj = self.store.get(key_for_uri(path.partition("?")[0]))
        except NotFound:
            return Response(404, {"Content-Type": "application/xml"}, _s3_error("NoSuchKey"))
        except ImageEdgeError as exc:
            return Response(exc.status, {"Content-Type": "application/xml"}, _s3_error("InternalError"))
        out = {
            "Content-Type": obj.content_type or "binary/octet-stream",
            "ETag": obj.etag or '""',
            "Last-Modified": formatdate(usegmt=True),
        }
        if obj.cache_control:
            out["Cache-Control"] = obj.cache_control
        wanted = {k.lower(): v for k, v in (headers or {}).items()}.get("if-none-match")
        if wanted and obj.etag and wanted == obj.etag:
            return Response(304, {k: v for k, v in out.items() if k != "Content-Type"})
        return Response(200, out, b"" if method == "HEAD" else obj.data)


class OriginGroup:
    """``primary``, then ``secondary`` when the primary answers a failover status (GET/HEAD/OPTIONS only)."""

    def __init__(self, primary: Origin, secondary: Origin,
                 failover_statuses: tuple[int, ...] = FAILOVER_STATUSES) -> None:
        self.primary = primary
        self.secondary = secondary
        self.failover_statuses = tuple(failover_statuses)

    def __call__(self, method: str, path: str, headers: Mapping[str, str] | None = None,
                 body: bytes = b"") -> Response:
        forwarded = {k: v for k, v in (headers or {}).items() if k.lower() not in _NOT_FORWARDED}
        first = Response(*self.primary(method, path, forwarded, body))
        if method.upper() in FAILOVER_METHODS and first.status in self.failover_statuses:
            return Response(*self.secondary(method, path, forwarded, body))
        return first

    def fetch(self, request: Mapping[str, Any], validators: Mapping[str, str] | None = None) -> Response:
        """The group's answer to a CloudFront-shaped request (``uri``, ``querystring``, ``method``, header map
        ``{"name": [{"key": "Name", "value": "v"}]}``), e.g. what the viewer-request function returned, plus
        the conditional headers CloudFront adds when it revalidates (``If-None-Match``)."""
        query = request.get("querystring") or ""
        path = request.get("uri", "") + (f"?{query}" if query else "")
        headers = {entries[0].get("key", name): entries[0]["value"]
                   for name, entries in (request.get("headers") or {}).items() if entries}
        return self(request.get("method", "GET"), path, {**headers, **(validators or {})})


def regional_origin(store: Store, config: Config, *, log: Log | None = None,
                    max_inline_bytes: int = FUNCTION_URL_MAX_INLINE_BYTES) -> OriginGroup:
    """The origin group of a regional-mode stack: ``store`` as S3, then the generator on 403/404."""
    return OriginGroup(StoreOrigin(store), GeneratorApp(store, config, max_inline_bytes=max_inline_bytes, log=log))


def _s3_error(code: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code></Error>'.encode()
