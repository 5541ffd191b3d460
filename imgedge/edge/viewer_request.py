"""viewer-request: normalise the request into its canonical variant, so the cache key is the variant.

Runs on every request, cache hits included, in 128 MB with a 5 s limit and a 1 MB package: no Pillow,
no numpy, no boto3. ``/photos/cat.jpg?w=641&fmt=auto`` from Chrome on a phone becomes
``/_variants/photos/cat.jpg/w750-q60.avif`` with an empty query string. The URL the viewer sent travels on
to the origin in ``X-Imgedge-Viewer-Url`` (forwarded by the origin request policy, not in the cache key),
so the origin-response can redirect an oversized variant back to it. Variant keys themselves are never
addressable by viewers: every variant is reached through the grammar, its signing and its presets.
"""

from __future__ import annotations

from typing import Any

from ..answers import refusal
from ..config import Config, load_config
from ..errors import BadRequest, ImageEdgeError, MalformedEvent, URITooLong
from ..observability import report_malformed
from ..request.canonical import resolve
from ..request.device import device_class
from ..request.dialects import read_url
from ..request.negotiate import HINT_HEADERS, LEGACY_HINT_HEADERS, ClientHints, client_hints, negotiate_format
from ..request.paths import key_for_uri, uri_for_key, validate_original_key, variant_key
from ..request.signing import verify
from .cloudfront import (
    VIEWER_URL_HEADER,
    cloudfront_headers,
    first_record,
    header,
    read_request,
    set_header,
    status_line,
)

#: URI + query string limit for Lambda@Edge functions that read them.
MAX_URL_CHARS = 8192
#: How this handler names itself in its log lines.
HANDLER = "viewer-request"


def handle(event: dict[str, Any], config: Config | None = None) -> dict[str, Any]:
    """The rewritten request, or a generated refusal. Never raises: an event it cannot read is a 400, a
    failure of its own a 500, each with one JSON log line (``observability.report_malformed``)."""
    config = config or load_config()
    try:
        request = read_request(first_record(event))
    except MalformedEvent as exc:
        report_malformed(HANDLER, str(exc), "400")
        return refused(BadRequest("malformed request"), config)
    try:
        return _rewrite(request, config)
    except Exception as exc:  # a bug must not become a Lambda error (a 503 with no line of ours)
        report_malformed(HANDLER, f"{type(exc).__name__}: {exc}", "500", event="handler-error")
        return refused(ImageEdgeError("internal error"), config)


def _rewrite(request: dict[str, Any], config: Config) -> dict[str, Any]:
    """``request`` rewritten to its canonical variant (the viewer's URL kept in a header), or a refusal."""
    headers = request.get("headers", {})
    uri, query = request["uri"], request.get("querystring", "")
    try:
        variant_uri = canonical_uri(
            uri,
            query,
            user_agent=header(headers, "user-agent"),
            accept=header(headers, "accept"),
            config=config,
            hints=client_hints({name: header(headers, name) for name in _HINT_NAMES}) if config.client_hints else None,
        )
    except ImageEdgeError as exc:
        return refused(exc, config)
    set_header(request.setdefault("headers", {}), VIEWER_URL_HEADER, uri + (f"?{query}" if query else ""))
    request["uri"] = variant_uri
    request["querystring"] = ""
    return request


_HINT_NAMES = tuple(name.lower() for name in (*HINT_HEADERS, *LEGACY_HINT_HEADERS))


def canonical_uri(uri: str, query: str, *, user_agent: str | None, accept: str | None, config: Config,
                  hints: ClientHints | None = None) -> str:
    """The variant URI for a viewer URL; the one place that decides what a viewer gets.

    A URL over Lambda@Edge's 8,192 characters, or one naming a variant key over S3's 1,024 bytes, is a
    ``URITooLong`` (414, cached by CloudFront) before any key reaches S3.
    """
    if len(uri) + len(query) > MAX_URL_CHARS:
        raise URITooLong("the URL is too long")
    validate_original_key(key_for_uri(uri), config.variants_prefix)
    query, signed = verify(uri, query, config)
    asked = read_url(uri, query, config, trusted=signed)  # a valid signature vouches for every option
    original_key = validate_original_key(key_for_uri(asked.uri), config.variants_prefix)
    hints = usable_hints(hints, signed=signed, config=config)
    spec = resolve(
        asked.params,
        config,
        device=device_class(user_agent),
        negotiated_format="legacy" if asked.keep_format else negotiate_format(accept, config),
        snap=True,
        hints=hints,
    )
    return uri_for_key(variant_key(original_key, spec, config.variants_prefix))


def usable_hints(hints: ClientHints | None, *, signed: bool, config: Config) -> ClientHints | None:
    """The client hints allowed to shape this request's variant.

    A signature vouches for the URL, not for headers, and ``presets_only`` means the operator's boxes only: for
    both, DPR, width and viewport hints are dropped (unless ``client_hints_on_signed``), so no header scales
    the output past what was signed or preset. ``Save-Data`` stays: it only lowers the default quality.
    """
    if hints is None or config.client_hints_on_signed or not (signed or config.presets_only):
        return hints
    return hints.without_sizes()


def refused(exc: ImageEdgeError, config: Config) -> dict[str, Any]:
    """A generated error response (viewer events allow 40 KB: the public message is far below)."""
    answer = refusal(exc.status, exc.message, config)
    return {**status_line(answer.status), "headers": cloudfront_headers(answer.headers),
            "body": answer.body.decode()}
