"""How a generator answers a viewer, independent of the transport (Lambda@Edge, Function URL, local).

``answer_variant`` is the one place that decides, for a missing variant: render and store it
(``imgedge.generate``), then return it inline; or, when it is too large to return inline, still answer inline
with a copy of a lossy variant re-encoded at a lower quality that fits (``Config.oversize_answer = "fit"``,
the default: ``core.budget`` steps the quality only, never the size; ``Cache-Control: private, no-store`` and
``X-Imgedge-Budget: inline``, so the full variant stays the stored one and the next request is an S3 hit for
it), or redirect to the viewer's own URL (``"redirect"``, and for PNG/GIF or whenever no quality fits: it is
stored, so the retry is an S3 hit; the redirect itself is never cached); or refuse with the error's status and
a short TTL — unless a fallback image is configured for the original's path (``Config.fallbacks``) and the
refusal is about the original (missing, too large, unsupported, unreadable): then the fallback, rendered to
the requested box and format, is the body, with the refusal's status (or ``Config.fallback_status``), the
short ``fallback_cache_control`` and ``X-Imgedge-Fallback: <reason>``. Adapters translate the ``Answer`` into
their event shape.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .config import Config
from .deadline import Deadline
from .errors import ImageEdgeError
from .request.negotiate import HINT_HEADERS
from .transport import Response

if TYPE_CHECKING:  # the viewer-request imports this module for ``refusal``: keep stores and Pillow out
    from .generate import Variant
    from .observability import GenerationLog
    from .store import Store

TEXT = "text/plain; charset=utf-8"
#: For anything we generate that is not an image (error bodies): nothing in it may load or run.
STRICT_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"
#: Longest redirect target we emit (CloudFront's URL limit for functions that read it).
MAX_REDIRECT_CHARS = 8192
#: Headers naming what happened instead of the plain answer.
FALLBACK_HEADER = "X-Imgedge-Fallback"
BUDGET_HEADER = "X-Imgedge-Budget"


#: What the generation step answers: the one ``Response`` every transport gives (``imgedge.transport``).
Answer = Response


#: What may have chosen an image's bytes besides its URL: the format by Accept, the width and quality by the
#: client hints. template.yaml's response headers policy sends the same list with every response.
VARY = ", ".join(("Accept", *HINT_HEADERS))


def response_headers(content_type: str, cache_control: str) -> dict[str, str]:
    """Content-Type, Cache-Control and the security headers every generated response carries; ``Vary`` on
    images, for any shared cache between the distribution and the browser."""
    headers = {"Content-Type": content_type, "Cache-Control": cache_control, "X-Content-Type-Options": "nosniff"}
    if content_type.startswith("image/"):
        headers["Vary"] = VARY
    else:
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


def _fallback(store: "Store", variant: "Variant", config: Config, exc: ImageEdgeError, max_inline_bytes: int,
              entry: "GenerationLog", deadline: Deadline) -> Answer | None:
    """The configured fallback image as the answer to ``exc``, or None."""
    if not config.fallbacks:
        return None
    from .generate import render_fallback

    fallback = render_fallback(store, variant, config, exc.status, deadline)
    if fallback is None:
        return None
    body = fallback.data
    if len(body) > max_inline_bytes:
        fitted = _reencode(fallback, max_inline_bytes, deadline)
        if fitted is None or not fitted.fits:
            return None
        body = fitted.data
    status = config.fallback_status or exc.status
    reason = fallback.log["fallback_reason"]
    entry.update(fallback.log, outcome="fallback", status=status)
    return Answer(status, {**response_headers(fallback.content_type, config.fallback_cache_control),
                           FALLBACK_HEADER: reason}, body)


def _reencode(generated: Any, limit: int, deadline: Deadline) -> Any:
    """The generated variant encoded again at a lower quality to fit ``limit`` (``Fitted``), or None when
    it cannot be (lossless, or not rendered here)."""
    if generated.encoding is None:
        return None
    from .core.pipeline import reencode_within

    return reencode_within(generated.encoding, generated.data, limit, deadline)


#: For answers that must not be cached anywhere: a one-off inline copy, a redirect, a retry advice.
NO_STORE = "private, no-store"


def answer_variant(store: "Store", variant: "Variant", config: Config, *, viewer_url: str | None,
                   max_inline_bytes: int, entry: "GenerationLog", deadline: Deadline | None = None) -> Answer:
    """Generate ``variant`` (read once by the adapter) and decide the answer; fills ``entry`` (the log line).

    ``deadline``: the generation's budget, started by the adapter when the request arrived (a budget of
    ``config.max_generation_seconds`` from now when not given)."""
    from .generate import RememberedRefusal, generate_variant
    from .observability import server_timing

    started = time.perf_counter()
    deadline = deadline or Deadline(config.max_generation_seconds)
    try:
        generated = generate_variant(store, variant, config, deadline=deadline)
    except ImageEdgeError as exc:
        entry.update(outcome="refused", status=exc.status, reason=exc.message,
                     remembered=isinstance(exc, RememberedRefusal))
        answer = _fallback(store, variant, config, exc, max_inline_bytes, entry, deadline) or refusal(
            exc.status, exc.message, config)
    except Exception as exc:  # a bug: a briefly cached 500, never a stack trace
        entry.update(outcome="error", status=500, reason=type(exc).__name__)
        answer = refusal(500, "internal error", config)
    else:
        entry.update(generated.log, outcome=generated.outcome)
        answer = _answer_generated(generated, config, viewer_url, max_inline_bytes, entry, deadline)
    entry["total_ms"] = round((time.perf_counter() - started) * 1000, 2)
    if config.server_timing and (answer.headers.get(FALLBACK_HEADER) or answer.status in (200, 302)):
        answer.headers["Server-Timing"] = server_timing(entry.fields())  # rendered here: how long each stage took
    return answer


def _answer_generated(generated: Any, config: Config, viewer_url: str | None, max_inline_bytes: int,
                      entry: "GenerationLog", deadline: Deadline) -> Answer:
    """The answer for a variant just stored (or found stored, or stored and found stale)."""
    if generated.outcome == "stale":
        if not generated.original_exists:
            entry["status"] = 404
            return Answer(404, response_headers(TEXT, NO_STORE), b"no such image\n")
        cache_control = NO_STORE  # the original changed under us: these bytes are for this viewer only
    else:
        cache_control = config.variant_cache_control
    if len(generated.data) <= max_inline_bytes:
        entry["status"] = 200
        return Answer(200, response_headers(generated.content_type, cache_control), generated.data)
    location = safe_redirect_target(viewer_url or "")
    fitted = None
    if config.oversize_answer == "fit" or not location:
        fitted = _reencode(generated, max_inline_bytes, deadline)  # each pass only when the deadline allows it
        entry["inline_fit_attempts"] = fitted.attempts if fitted is not None else 0
    if fitted is not None and fitted.fits:
        entry.update(outcome=generated.outcome + "+inline-fit", status=200, inline_bytes=len(fitted.data))
        return Answer(200, {**response_headers(generated.content_type, NO_STORE), BUDGET_HEADER: "inline"},
                      fitted.data)
    if generated.outcome == "stale":
        entry["status"] = 503
        return Answer(503, {**response_headers(TEXT, NO_STORE), "Retry-After": "1"},
                      b"the original changed while this variant was made; retry the request\n")
    if location:
        entry.update(outcome=generated.outcome + "+redirect", status=302)
        return Answer(302, {**response_headers(TEXT, NO_STORE), "Location": location})
    entry.update(outcome=generated.outcome + "+too-large", status=502)
    return Answer(502, response_headers(TEXT, NO_STORE), b"variant stored; retry the request\n")
