"""The local edge's origins: the S3 origin for a ``Store``, and CloudFront's origin group.

In edge mode the distribution's origin is the bucket, behind Origin Access Control: ``S3Origin`` answers as
S3 does for the store's objects. In regional mode it is a group of two: the bucket (primary) and the
generator's Function URL (failover). CloudFront asks the bucket; only if the bucket answers one of the
failover statuses, and only for GET, HEAD and OPTIONS, does it send the same request to the generator, whose
answer is final. ``OriginGroup`` does the same with any two plain HTTP callables
``(method, path, headers, body) -> Response``; ``regional_origin(store, config)`` builds the pair the
template deploys, so ``imgedge serve --mode regional`` runs the same requests through the same code as the stack.

Each origin also has the local edge's form, ``fetch(request, validators) -> Response``: the request as
CloudFront forwards it (a CloudFront-shaped dict) plus the conditional headers it adds when it revalidates.

A store that fails (an endpoint that does not answer, a missing bucket, a refused permission) is what S3
trouble looks like to CloudFront: a 5xx to the viewer. ``S3Origin`` logs why, once per kind of failure, and
``store_problem`` names it before the local edge starts and on ``/healthz``.
"""

from __future__ import annotations

import logging
import threading
from email.utils import formatdate
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..config import Config
from ..edge.cloudfront import plain_headers
from ..errors import ImageEdgeError, NotFound
from ..regional.app import FUNCTION_URL_MAX_INLINE_BYTES, GeneratorApp, Log
from ..request.paths import key_for_uri
from ..store import DirectoryStore
from ..transport import Response

if TYPE_CHECKING:  # imgedge.store.s3 imports botocore, which the directory bucket never needs
    from ..store import Store

log = logging.getLogger("imgedge.local")

#: The template's FailoverCriteria.
FAILOVER_STATUSES = (403, 404)
#: CloudFront fails over only for these methods.
FAILOVER_METHODS = ("GET", "HEAD", "OPTIONS")
#: Hop-by-hop headers and Host are never forwarded to an origin as the viewer sent them.
_NOT_FORWARDED = ("host", "connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer",
                  "proxy-authorization", "proxy-connection")

HttpOrigin = Callable[..., Response]


class S3Origin:
    """S3 behind OAC, for a ``Store``: GET/HEAD of the key the path names.

    A missing key is a 404 with S3's XML error body (the role may ``s3:ListBucket``); other methods 405;
    store failures keep their status (502/503) and are logged, once per kind; an ``If-None-Match`` equal to
    the ETag is a 304.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._reported: set[tuple[str, str]] = set()
        self._reported_lock = threading.Lock()

    def __call__(self, method: str, path: str, headers: Mapping[str, str] | None = None,
                 body: bytes = b"") -> Response:
        """The plain HTTP form, as the origin group calls its members: a HEAD gets no body."""
        method = method.upper()
        if method not in ("GET", "HEAD"):
            return _s3_error(405, "MethodNotAllowed")
        response = self._object(path.partition("?")[0], headers or {})
        return response._replace(body=b"") if method == "HEAD" else response

    def fetch(self, request: Mapping[str, Any], validators: Mapping[str, str] | None = None) -> Response:
        """The local edge's form: the object the request's URI names, with its body whatever the method
        (what the edge caches also answers the GETs that follow)."""
        return self._object(request["uri"], {**plain_headers(request.get("headers") or {}), **(validators or {})})

    def _object(self, uri: str, headers: Mapping[str, str]) -> Response:
        try:
            key = key_for_uri(uri)
            obj = self.store.get(key)
        except NotFound:
            return _s3_error(404, "NoSuchKey")
        except ImageEdgeError as exc:
            self._report(exc)
            if exc.status >= 500:
                return _s3_error(exc.status, "SlowDown" if exc.status == 503 else "InternalError")
            return _s3_error(403, "AccessDenied")
        out = {"Content-Type": obj.content_type or "binary/octet-stream", "Accept-Ranges": "bytes",
               "Server": "AmazonS3", "ETag": obj.etag or '""'}
        modified = _last_modified(self.store, key)
        if modified:
            out["Last-Modified"] = modified
        if obj.cache_control:
            out["Cache-Control"] = obj.cache_control
        for name, value in obj.metadata.items():
            out[f"x-amz-meta-{name}"] = value
        wanted = {k.lower(): v for k, v in headers.items()}.get("if-none-match")
        if wanted and obj.etag and wanted == obj.etag:
            return Response(304, {k: v for k, v in out.items() if k != "Content-Type"})
        return Response(200, out, obj.data)

    def _report(self, exc: ImageEdgeError) -> None:
        """One log line per kind of store failure (not one per request: every image fails the same way)."""
        kind = (exc.message, type(exc.__cause__).__name__)
        with self._reported_lock:
            if kind in self._reported:
                return
            self._reported.add(kind)
        log.warning("the store failed: %s (answering %d until it recovers)", describe(exc), exc.status)


class OriginGroup:
    """``primary``, then ``secondary`` when the primary answers a failover status (GET/HEAD/OPTIONS only)."""

    def __init__(self, primary: HttpOrigin, secondary: HttpOrigin,
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
        """The group's answer to a CloudFront-shaped request (``uri``, ``querystring``, ``method``, header
        map), e.g. what the viewer-request function returned, plus the conditional headers CloudFront adds
        when it revalidates (``If-None-Match``)."""
        query = request.get("querystring") or ""
        path = request.get("uri", "") + (f"?{query}" if query else "")
        headers = plain_headers(request.get("headers") or {})
        return self(request.get("method", "GET"), path, {**headers, **(validators or {})})


def regional_origin(store: Store, config: Config, *, log: Log | None = None,
                    max_inline_bytes: int = FUNCTION_URL_MAX_INLINE_BYTES) -> OriginGroup:
    """The origin group of a regional-mode stack: ``store`` as S3, then the generator on 403/404."""
    return OriginGroup(S3Origin(store), GeneratorApp(store, config, max_inline_bytes=max_inline_bytes, log=log))


def store_problem(store: Store) -> str | None:
    """Why ``store`` cannot serve originals, or None when it can: one listing request, which an endpoint
    that does not answer, a missing bucket or a refused permission all fail (a HEAD cannot tell a missing
    bucket from a missing key)."""
    try:
        next(iter(store.list("")), None)
    except ImageEdgeError as exc:
        return describe(exc)
    return None


def describe(exc: ImageEdgeError) -> str:
    """The store error with its cause: the public message alone ("the image store failed") says nothing
    to the one person who can fix it."""
    detail = " ".join(str(exc.__cause__ or "").split())  # one line, whatever botocore says
    return f"{exc.message}: {detail}" if detail else exc.message


def s3_store(bucket: str, endpoint_url: str | None = None) -> Store:
    """An S3 store with the handlers' client settings (short timeouts, bounded retries), so an endpoint
    that does not answer fails in seconds here as it does for the deployed functions."""
    import boto3

    from ..store.s3 import S3Store, client_config

    return S3Store(boto3.client("s3", endpoint_url=endpoint_url, config=client_config()), bucket)


def _last_modified(store: Store, key: str) -> str | None:
    """The file's time in the directory bucket. The ``Store`` protocol carries no modification time, and
    only the directory bucket has one at hand; other stores' objects go without ``Last-Modified``."""
    if isinstance(store, DirectoryStore):
        try:
            return formatdate((store.root / key).stat().st_mtime, usegmt=True)
        except OSError:
            return None
    return None


def _s3_error(status: int, code: str) -> Response:
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code></Error>'.encode()
    return Response(status, {"Content-Type": "application/xml", "Server": "AmazonS3"}, body)
