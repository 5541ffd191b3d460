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

from ..answers import TEXT
from .app import LAMBDA_RESPONSE_LIMIT, Response

App = Callable[..., Response]


def request_from_event(event: Mapping[str, Any]) -> tuple[str, str, dict[str, str], bytes]:
    """(method, path with ``?query`` if any, headers, body bytes) of a payload 2.0 event."""
    http = (event.get("requestContext") or {}).get("http") or {}
    method = str(http.get("method") or "")
    path = str(event.get("rawPath") or http.get("path") or "")
    query = str(event.get("rawQueryString") or "")
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    raw = event.get("body")
    if raw is None or raw == "":
        body = b""
    elif event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            body = b"\0"  # undecodable is still a body: refused as one
    else:
        body = str(raw).encode("utf-8", "surrogateescape")
    return method, path + ("?" + query if query else ""), headers, body


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
    """One Function URL invocation: event in, result out."""
    method, path, headers, body = request_from_event(event)
    return response_to_result(app(method, path, headers, body))
