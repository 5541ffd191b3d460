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
from typing import Any, Callable

from ..config import Config, load_config
from ..deadline import Deadline
from ..device import device_class
from ..answers import Answer, answer_variant
from ..errors import BadRequest
from ..keys import key_for_uri, parse_variant_key
from ..observability import log_line, utc_now
from ..store import Store
from .cloudfront import (
    READ_ONLY_ORIGIN_RESPONSE,
    VIEWER_URL_HEADER,
    device_headers,
    first_record,
    header,
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
    deadline = Deadline((config or load_config()).max_generation_seconds)  # the budget starts on arrival
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
    answer = answer_variant(store_for(request), variant, config, viewer_url=header(headers, VIEWER_URL_HEADER),
                            max_inline_bytes=config.max_inline_bytes, entry=entry, deadline=deadline)
    _replace(response, answer)
    log(entry)
    return response


def _replace(response: dict[str, Any], answer: Answer) -> None:
    """Edit S3's response in place into ``answer`` (keeping the read-only headers as they are)."""
    headers = response.setdefault("headers", {})
    for name in list(headers):
        if name not in READ_ONLY_ORIGIN_RESPONSE:
            del headers[name]
    for name, value in answer.headers.items():
        set_header(headers, name, value)
    response.update(status_line(answer.status))
    response["body"] = base64.b64encode(answer.body).decode("ascii")
    response["bodyEncoding"] = "base64"


def _print_json(entry: dict[str, Any]) -> None:
    """One line on stdout: CloudWatch Logs stores it, and extracts its EMF metrics."""
    sys.stdout.write(log_line(entry) + "\n")
