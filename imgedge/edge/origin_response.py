"""origin-response: when S3 says a variant is missing, make it, store it, return it.

Runs after S3 answers and before CloudFront caches. A 200 passes through untouched. A 403/404 for a
variant key reads the original, renders the variant, stores it with a conditional create (so concurrent
misses leave one complete object; the loser of the race answers with the stored bytes) and returns it.
Responses above the inline limit (Lambda@Edge: 1 MB generated response, base64 included) are stored and
answered with a non-cacheable 302 to the URL the viewer asked for (``X-Imgedge-Viewer-Url``), which the
next request finds in S3.
The response dict is edited in place: ``transfer-encoding`` and ``via`` are read-only here.

An event it cannot read (no response, a status that is not one, a request of the wrong shape, an origin that
is not S3) is never raised on: the response passes through untouched, or a 502 when there is none, with one
JSON line saying why (``observability.report_malformed``).

Each generation writes one JSON line (``imgedge.observability``: stage timings, sizes, device class, cache
outcome, and the CloudWatch Embedded Metric Format members that turn it into metrics), and a generated
response carries the same timings in ``Server-Timing``.
"""

from __future__ import annotations

import sys
from typing import Any, Callable

from ..answers import TEXT, answer_variant, response_headers
from ..config import Config, load_config
from ..deadline import Deadline
from ..errors import BadRequest, MalformedEvent
from ..generate import Variant
from ..observability import GenerationLog, log_line, report_malformed, utc_now
from ..request.paths import key_for_uri
from ..store import Store
from ..transport import Response, viewer_device, viewer_url
from .cloudfront import (
    READ_ONLY_ORIGIN_RESPONSE,
    check_headers,
    first_record,
    lowercase_headers,
    read_request,
    read_response,
    response_record,
    s3_origin,
)

MISSING_STATUSES = ("403", "404")
#: How this handler names itself in its log lines.
HANDLER = "origin-response"


def handle(
    event: dict[str, Any],
    store_for: Callable[[dict[str, Any]], Store],
    config: Config | None = None,
    log: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Handle one origin-response event. ``store_for(request)`` returns the store of the event's origin.

    Never raises on an event it cannot read: S3's response goes back untouched (a 502 when there is none to
    pass on), with one JSON log line (``observability.report_malformed``).
    """
    deadline = Deadline((config or load_config()).max_generation_seconds)  # the budget starts on arrival
    config = config or load_config()
    log = log or _print_json
    try:
        record = first_record(event)
        response = read_response(record)
    except MalformedEvent as exc:
        report_malformed(HANDLER, str(exc), "502")
        return _unreadable()
    status = response.get("status")
    if not isinstance(status, (str, int)) or not str(status).isdigit():
        report_malformed(HANDLER, "cf.response.status is not an HTTP status", "pass-through")
        return response
    if str(status) not in MISSING_STATUSES:
        return response
    try:
        request = read_request(record)
        check_headers(response.get("headers", {}), "cf.response.headers")
        s3_origin(request)
    except MalformedEvent as exc:
        report_malformed(HANDLER, str(exc), "pass-through")
        return response
    try:
        variant = Variant.read(key_for_uri(request["uri"]), config)  # read once, handed down
    except BadRequest:
        return response  # not one of ours (e.g. a plain miss on an original path): S3's answer stands
    headers = lowercase_headers(request.get("headers", {}))
    cf_config = record.get("config")
    entry = GenerationLog(
        ts=utc_now(),
        event="generate",
        request_id=cf_config.get("requestId") if isinstance(cf_config, dict) else None,
        variant=variant.key,
        original=variant.original_key,
        device=viewer_device(headers),
        # origin-response runs only when CloudFront had no fresh copy: a miss, or a stale one revalidated
        edge_cache="Miss",
        origin_status=int(status),
    )
    answer = answer_variant(store_for(request), variant, config, viewer_url=viewer_url(headers),
                            max_inline_bytes=config.max_inline_bytes, entry=entry, deadline=deadline)
    _replace(response, Response.of(answer))
    log(entry.fields())
    return response


def _unreadable() -> dict[str, Any]:
    """What CloudFront gets when the event carries no response to pass on: a 502 nobody caches."""
    return response_record(Response(502, response_headers(TEXT, "no-store"), b"unreadable origin response\n"))


def _replace(response: dict[str, Any], answer: Response) -> None:
    """Edit S3's response in place into ``answer`` (keeping the read-only headers as they are)."""
    record = response_record(answer)
    headers = response.setdefault("headers", {})
    for name in list(headers):
        if name not in READ_ONLY_ORIGIN_RESPONSE:
            del headers[name]
    headers.update(record.pop("headers"))
    response.update(record)


def _print_json(entry: dict[str, Any]) -> None:
    """One line on stdout: CloudWatch Logs stores it, and extracts its EMF metrics."""
    sys.stdout.write(log_line(entry) + "\n")
