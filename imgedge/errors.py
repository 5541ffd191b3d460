"""One error hierarchy for everything imgedge refuses.

Every refusal carries the HTTP status the edge answers with and a short public message (safe to show a
viewer: no paths, no stack, no internal names). The edge adapters turn these into responses with a short
cache TTL; anything that is *not* an ``ImageEdgeError`` is a bug and becomes a 500.
"""

from __future__ import annotations


class ImageEdgeError(Exception):
    """Base class: ``status`` is the HTTP status to answer with, ``message`` the public reason."""

    status: int = 500

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class BadRequest(ImageEdgeError):
    """The request itself is malformed: unknown or invalid parameter, unsafe path."""

    status = 400


class URITooLong(BadRequest):
    """The URL, or the S3 key it would name, is longer than CloudFront or S3 carry. A ``BadRequest`` (callers
    that refuse malformed keys refuse these too) answered with 414, which CloudFront caches like a 400."""

    status = 414


class Forbidden(ImageEdgeError):
    """The request addresses something viewers may not reach (e.g. the variants prefix directly)."""

    status = 403


class NotFound(ImageEdgeError):
    """The original does not exist."""

    status = 404


class PayloadTooLarge(ImageEdgeError):
    """The original exceeds a configured limit (bytes, pixels, frames)."""

    status = 413


class UnsupportedMediaType(ImageEdgeError):
    """The original is not a raster format we decode (SVG, PDF, HTML, unknown bytes)."""

    status = 415


class UnprocessableImage(ImageEdgeError):
    """The original claims to be an image but cannot be decoded (truncated, corrupt)."""

    status = 422


class UpstreamError(ImageEdgeError):
    """The store failed in a way that retrying later may fix (S3 5xx, timeouts)."""

    status = 502


class MalformedEvent(ValueError):
    """A Lambda event a handler cannot read (not the shape of its trigger, or a field of the wrong type). Not an
    ``ImageEdgeError``: each handler decides its own answer (a 400, or passing a response through). The message
    names the field, never its value."""
