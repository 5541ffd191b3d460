"""origin-response: when S3 says a variant is missing, make it, store it, return it.

Runs after S3 answers and before CloudFront caches. A 200 passes through untouched. A 403/404 for a
variant key reads the original, renders the variant, stores it with a conditional create (so concurrent
misses leave one complete object; the loser of the race answers with the stored bytes) and returns it.
Responses above the inline limit (Lambda@Edge: 1 MB generated response, base64 included) are stored and
answered with a non-cacheable 302 to the URL the viewer asked for (``X-Imgedge-Viewer-Url``), which the
next request finds in S3.
The response dict is edited in place: ``transfer-encoding`` and ``via`` are read-only here.

Each generation writes one JSON line (``imgedge.observability``: stage timings, sizes, device class, cache
outcome, and the CloudWatch Embedded Metric Format members that turn it into metrics), and a generated
response carries the same timings in ``Server-Timing``.
"""

from __future__ import annotations

import base64
import sys
import time
from typing import Any, Callable

from ..config import Config, load_config
from ..device import device_class
from ..errors import BadRequest, ImageEdgeError
from ..keys import key_for_uri, parse_variant_key
from ..generate import generate_variant
from ..observability import log_line, server_timing, utc_now
from ..store import Store
from .cloudfront import (
    READ_ONLY_ORIGIN_RESPONSE,
    VIEWER_URL_HEADER,
    device_headers,
    first_record,
    header,
    set_body_headers,
    set_header,
    status_line,
)

MISSING_STATUSES = ("403", "404")


def handle(
    event: dict[str, Any],
    store_for: Callable[[dict[str, Any]], Store],
    config: Config | None = None,
    log: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Handle one origin-response event. ``store_for(request)`` returns the store of the event's origin."""
    config = config or load_config()
    log = log or _print_json
    record = first_record(event)
    request, response = record["request"], record["response"]
    if str(response.get("status")) not in MISSING_STATUSES:
        return response
    try:
        variant = key_for_uri(request.get("uri", ""))
        original_key, _spec = parse_variant_key(variant, config.variants_prefix)
    except BadRequest:
        return response  # not one of ours (e.g. a plain miss on an original path): S3's answer stands
    headers = request.get("headers", {})
    entry: dict[str, Any] = {
        "ts": utc_now(),
        "event": "generate",
        "request_id": (record.get("config") or {}).get("requestId"),
        "variant": variant,
        "original": original_key,
        "device": device_class(header(headers, "user-agent"), device_headers(headers)),
        # origin-response runs only when CloudFront had no fresh copy: a miss, or a stale one revalidated
        "edge_cache": "Miss",
        "origin_status": int(response.get("status")),
    }
    started = time.perf_counter()
    try:
        generated = generate_variant(store_for(request), variant, config)
    except ImageEdgeError as exc:
        entry.update(outcome="refused", status=exc.status, reason=exc.message)
        _replace(response, exc.status, exc.message.encode() + b"\n", "text/plain; charset=utf-8",
                 config.error_cache_control)
    except Exception as exc:  # a bug: answer 500 briefly cached, never a stack trace
        entry.update(outcome="error", status=500, reason=type(exc).__name__)
        _replace(response, 500, b"internal error\n", "text/plain; charset=utf-8", config.error_cache_control)
    else:
        entry.update(generated.log, outcome=generated.outcome)
        viewer_url = header(headers, VIEWER_URL_HEADER) or ""
        if len(generated.data) > config.max_inline_bytes and _is_local_path(viewer_url):
            # Stored now: the same URL again is an S3 hit. The redirect itself must not be cached.
            entry.update(outcome=generated.outcome + "+redirect", status=302)
            _replace(response, 302, b"", "text/plain; charset=utf-8", "private, no-store")
            set_header(response["headers"], "Location", viewer_url)
        elif len(generated.data) > config.max_inline_bytes:
            entry.update(outcome=generated.outcome + "+too-large", status=502)
            _replace(response, 502, b"variant stored; retry the request\n", "text/plain; charset=utf-8",
                     config.error_cache_control)
        else:
            entry["status"] = 200
            _replace(response, 200, generated.data, generated.content_type, config.variant_cache_control)
    entry["total_ms"] = round((time.perf_counter() - started) * 1000, 2)
    if entry.get("status") in (200, 302):  # rendered here: say how long each stage took
        set_header(response["headers"], "Server-Timing", server_timing(entry))
    log(entry)
    return response


def _is_local_path(url: str) -> bool:
    """Only ever redirect to a path on this distribution (never ``//host`` or ``scheme:``)."""
    return url.startswith("/") and not url.startswith("//") and len(url) <= 8192 and url.isascii()


def _replace(response: dict[str, Any], status: int, body: bytes, content_type: str, cache_control: str) -> None:
    headers = response.setdefault("headers", {})
    for name in list(headers):
        if name not in READ_ONLY_ORIGIN_RESPONSE:
            del headers[name]
    set_body_headers(headers, content_type, cache_control)
    response.update(status_line(status))
    response["body"] = base64.b64encode(body).decode("ascii")
    response["bodyEncoding"] = "base64"


def _print_json(entry: dict[str, Any]) -> None:
    """One line on stdout: CloudWatch Logs stores it, and extracts its EMF metrics."""
    sys.stdout.write(log_line(entry) + "\n")
