"""How a generator answers a viewer, independent of the transport (Lambda@Edge, Function URL, local).

``answer_variant`` is the one place that decides, for a missing variant: render and store it
(``imgedge.generate``), then return it inline, redirect to the viewer's own URL when it is too large to
return inline (it is stored, so the retry is an S3 hit; the redirect itself is never cached), or refuse
with the error's status and a short TTL. Adapters translate the ``Answer`` into their event shape.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .config import Config
from .errors import ImageEdgeError

if TYPE_CHECKING:  # the viewer-request imports this module for ``refusal``: keep stores and Pillow out
    from .store import Store

TEXT = "text/plain; charset=utf-8"
#: For anything we generate that is not an image (error bodies): nothing in it may load or run.
STRICT_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"
#: Longest redirect target we emit (CloudFront's URL limit for functions that read it).
MAX_REDIRECT_CHARS = 8192


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes = b""


def response_headers(content_type: str, cache_control: str) -> dict[str, str]:
    """Content-Type, Cache-Control and the security headers every generated response carries."""
    headers = {"Content-Type": content_type, "Cache-Control": cache_control, "X-Content-Type-Options": "nosniff"}
    if not content_type.startswith("image/"):
        headers["Content-Security-Policy"] = STRICT_CSP
    return headers


def refusal(status: int, message: str, config: Config) -> Answer:
    """A short plain-text error, briefly cacheable, with no internal detail."""
    return Answer(status, response_headers(TEXT, config.error_cache_control), message.encode() + b"\n")


def safe_redirect_target(url: str) -> str | None:
    """``url`` if it is a path on this distribution (never ``//host``, ``/\\host`` or ``scheme:``), else None."""
    if (url.startswith("/") and not url.startswith(("//", "/\\")) and len(url) <= MAX_REDIRECT_CHARS
            and url.isascii() and url.isprintable()):
        return url
    return None


def answer_variant(store: "Store", variant_key: str, config: Config, *, viewer_url: str | None,
                   max_inline_bytes: int, entry: dict[str, Any]) -> Answer:
    """Generate ``variant_key`` and decide the answer; fills ``entry`` (the generation's log line)."""
    from .generate import generate_variant
    from .observability import server_timing

    started = time.perf_counter()
    try:
        generated = generate_variant(store, variant_key, config)
    except ImageEdgeError as exc:
        entry.update(outcome="refused", status=exc.status, reason=exc.message)
        answer = refusal(exc.status, exc.message, config)
    except Exception as exc:  # a bug: a briefly cached 500, never a stack trace
        entry.update(outcome="error", status=500, reason=type(exc).__name__)
        answer = refusal(500, "internal error", config)
    else:
        entry.update(generated.log, outcome=generated.outcome)
        location = safe_redirect_target(viewer_url or "")
        if len(generated.data) <= max_inline_bytes:
            entry["status"] = 200
            answer = Answer(200, response_headers(generated.content_type, config.variant_cache_control),
                            generated.data)
        elif location:
            entry.update(outcome=generated.outcome + "+redirect", status=302)
            answer = Answer(302, {**response_headers(TEXT, "private, no-store"), "Location": location})
        else:
            entry.update(outcome=generated.outcome + "+too-large", status=502)
            answer = refusal(502, "variant stored; retry the request", config)
    entry["total_ms"] = round((time.perf_counter() - started) * 1000, 2)
    if answer.status in (200, 302):  # rendered here: say how long each stage took
        answer.headers["Server-Timing"] = server_timing(entry)
    return answer
