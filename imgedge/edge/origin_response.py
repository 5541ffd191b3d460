"""origin-response: when S3 says a variant is missing, make it, store it, return it.

Runs after S3 answers and before CloudFront caches. A 200 passes through untouched. A 403/404 for a
variant key reads the original, renders the variant, stores it with a conditional create (so concurrent
misses leave one complete object; the loser of the race answers with the stored bytes) and returns it.
Responses above the inline limit (Lambda@Edge: 1 MB generated response, base64 included) are stored and
answered with a non-cacheable 302 to the variant's own URL, which the next request finds in S3.
The response dict is edited in place: ``transfer-encoding`` and ``via`` are read-only here.
"""

from __future__ import annotations

import base64
import json
import sys
import time
from typing import Any, Callable

from ..config import Config, load_config
from ..core import TransformResult, render
from ..device import device_class
from ..errors import BadRequest, ImageEdgeError
from ..keys import key_for_uri, parse_variant_key, uri_for_key
from ..spec import VariantSpec, is_canonical
from ..store import Store
from .cloudfront import (
    READ_ONLY_ORIGIN_RESPONSE,
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
        original_key, spec = parse_variant_key(variant, config.variants_prefix)
    except BadRequest:
        return response  # not one of ours (e.g. a plain miss on an original path): S3's answer stands
    headers = request.get("headers", {})
    entry: dict[str, Any] = {
        "event": "generate",
        "variant": variant,
        "original": original_key,
        "device": device_class(header(headers, "user-agent"), device_headers(headers)),
    }
    started = time.perf_counter()
    try:
        if not is_canonical(spec, config):  # only the ladder is ever generated, whoever asks
            raise BadRequest("not a variant this edge serves")
        generated = generate(store_for(request), original_key, variant, spec, config, entry)
    except ImageEdgeError as exc:
        entry.update(outcome="refused", status=exc.status, reason=exc.message)
        _replace(response, exc.status, exc.message.encode() + b"\n", "text/plain; charset=utf-8",
                 config.error_cache_control)
    except Exception as exc:  # a bug: answer 500 briefly cached, never a stack trace
        entry.update(outcome="error", status=500, reason=type(exc).__name__)
        _replace(response, 500, b"internal error\n", "text/plain; charset=utf-8", config.error_cache_control)
    else:
        body, content_type = generated
        if len(body) > config.max_inline_bytes:
            entry.update(outcome=entry["outcome"] + "+redirect", status=302)
            _replace(response, 302, b"", "text/plain; charset=utf-8", "private, no-store")
            set_header(response["headers"], "Location", uri_for_key(variant))
        else:
            entry["status"] = 200
            _replace(response, 200, body, content_type, config.variant_cache_control)
    entry["total_ms"] = round((time.perf_counter() - started) * 1000, 2)
    log(entry)
    return response


def generate(
    store: Store, original_key: str, variant: str, spec: VariantSpec, config: Config, entry: dict[str, Any]
) -> tuple[bytes, str]:
    """Render and store one variant; returns the bytes to serve (the stored ones if another writer won)."""
    mark = time.perf_counter()
    original = store.get(original_key, max_bytes=config.max_source_bytes)
    entry["fetch_ms"] = round((time.perf_counter() - mark) * 1000, 2)
    result: TransformResult = render(original.data, spec, config)
    entry.update(result.timings_ms and {f"{k}_ms": v for k, v in result.timings_ms.items()})
    entry.update(source_bytes=len(original.data), bytes=len(result.data), width=result.width,
                 height=result.height, format=result.format)
    mark = time.perf_counter()
    metadata = {"source-key": _ascii(original_key), "source-etag": (original.etag or "").strip('"')}
    created = store.put_new(variant, result.data, content_type=result.content_type,
                            cache_control=config.variant_cache_control, metadata=metadata)
    entry["store_ms"] = round((time.perf_counter() - mark) * 1000, 2)
    if created:
        entry["outcome"] = "generated"
        return result.data, result.content_type
    entry["outcome"] = "raced"  # another request stored it first: serve exactly those bytes
    existing = store.get(variant)
    return existing.data, existing.content_type or result.content_type


def _replace(response: dict[str, Any], status: int, body: bytes, content_type: str, cache_control: str) -> None:
    headers = response.setdefault("headers", {})
    for name in list(headers):
        if name not in READ_ONLY_ORIGIN_RESPONSE:
            del headers[name]
    set_body_headers(headers, content_type, cache_control)
    response.update(status_line(status))
    response["body"] = base64.b64encode(body).decode("ascii")
    response["bodyEncoding"] = "base64"


def _ascii(text: str) -> str:
    """S3 user metadata travels in HTTP headers: keep it ASCII (percent-encode the rest)."""
    from urllib.parse import quote

    return quote(text, safe="/-_.~ ")


def _print_json(entry: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(entry, separators=(",", ":")) + "\n")
