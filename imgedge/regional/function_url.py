"""The only code that knows what a Lambda Function URL event looks like (payload format 2.0).

Request: ``requestContext.http.method``, ``rawPath`` (percent-encoded as the client sent it: Function URLs,
unlike API Gateway HTTP APIs, do not decode it), ``rawQueryString``, ``headers`` (lowercase names, repeated
headers joined with commas), ``body`` with ``isBase64Encoded``. Response: ``statusCode``, ``headers``,
``body`` and ``isBase64Encoded``; the body is always sent base64-encoded (images are binary).

The app keeps bodies within Lambda's 6 MB response limit (``app.FUNCTION_URL_MAX_INLINE_BYTES``); a
response that would still not fit becomes a 502 here rather than a Lambda error.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Callable, Mapping

from ..answers import TEXT, response_headers
from ..errors import MalformedEvent
from ..transport import Response
from .app import LAMBDA_RESPONSE_LIMIT

App = Callable[..., Response]
#: How this adapter names itself in its log lines.
HANDLER = "regional"


def request_from_event(event: Any) -> tuple[str, str, dict[str, str], bytes]:
    """(method, path with ``?query`` if any, headers, body bytes) of a payload 2.0 event; ``MalformedEvent``
    for anything else. Every Function URL request has a method and a raw path; the other fields may be
    missing (read as empty), but a field of the wrong type is refused."""
    if not isinstance(event, Mapping):
        raise MalformedEvent("the event is not an object")
    context = _mapping(event, "requestContext")
    http = _mapping(context, "http", "requestContext.")
    method = _text(http, "method", "requestContext.http.")
    path = _text(event, "rawPath") or _text(http, "path", "requestContext.http.")
    if not method or not path:
        raise MalformedEvent("no requestContext.http.method or rawPath: not a Function URL event")
    query = _text(event, "rawQueryString")
    raw_headers = _mapping(event, "headers")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in raw_headers.items()):
        raise MalformedEvent("headers is not a map of strings")
    headers = {k.lower(): v for k, v in raw_headers.items()}
    raw = event.get("body")
    if raw is not None and not isinstance(raw, str):
        raise MalformedEvent("body is not a string")
    if not raw:
        body = b""
    elif event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            body = b"\0"  # undecodable is still a body: refused as one
    else:
        body = raw.encode("utf-8", "surrogateescape")
    return method, path + ("?" + query if query else ""), headers, body


def _mapping(parent: Mapping[str, Any], name: str, where: str = "") -> Mapping[str, Any]:
    value = parent.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise MalformedEvent(f"{where}{name} is not an object")
    return value


def _text(parent: Mapping[str, Any], name: str, where: str = "") -> str:
    value = parent.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedEvent(f"{where}{name} is not a string")
    return value


def response_to_result(response: Response) -> dict[str, Any]:
    """The Function URL response for ``response`` (base64 body)."""
    status, headers, body = response
    encoded = base64.b64encode(body).decode("ascii")
    envelope = len(encoded) + sum(len(k) + len(v) + 8 for k, v in headers.items()) + 128
    if envelope > LAMBDA_RESPONSE_LIMIT:  # the app's inline limit prevents this; never let Lambda fail the call
        status, headers, encoded = 502, {"Content-Type": TEXT, "Cache-Control": "no-store"}, \
            base64.b64encode(b"response too large\n").decode("ascii")
    return {
        "statusCode": status,
        "headers": {k: v for k, v in headers.items() if k.lower() != "content-length"},
        "body": encoded,
        "isBase64Encoded": True,
    }


def handle(event: Mapping[str, Any], app: App) -> dict[str, Any]:
    """One Function URL invocation: event in, result out. An event it cannot read is a 400 nobody caches,
    with one JSON log line (``observability.report_malformed``), never an exception."""
    try:
        method, path, headers, body = request_from_event(event)
    except MalformedEvent as exc:
        from ..observability import report_malformed

        report_malformed(HANDLER, str(exc), "400")
        return response_to_result(Response(400, response_headers(TEXT, "no-store"), b"malformed request\n"))
    return response_to_result(app(method, path, headers, body))
