"""imgedge: an image-resizing edge for CloudFront + S3.

Public API:

* ``transform(data, query, *, accept=None, user_agent=None)`` → ``TransformResult`` (``.data``,
  ``.content_type``, ``.width``, ``.height``): the one call the handlers, the CLI and the benchmarks use.
* ``device_class(user_agent, headers=None)`` → one of mobile, tablet, desktop, smarttv, bot.
* The error types in ``imgedge.errors``; each carries the HTTP ``status`` to answer with.

This module stays light on import: the viewer-request Lambda imports ``imgedge`` but must not load
Pillow or numpy (1 MB package limit, 5 s timeout), so the image core is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config import Config, load_config
from .errors import (
    BadRequest,
    Forbidden,
    ImageEdgeError,
    NotFound,
    PayloadTooLarge,
    UnprocessableImage,
    UnsupportedMediaType,
    UpstreamError,
)

if TYPE_CHECKING:
    from .core import TransformResult


def transform(
    data: bytes,
    query: str,
    *,
    accept: str | None = None,
    user_agent: str | None = None,
    config: Config | None = None,
    headers: dict[str, str] | None = None,
    watermark: bytes | None = None,
) -> "TransformResult":
    """Transform one image as the URL query ``query`` asks, at exactly the size asked for.

    ``accept`` drives ``fmt=auto`` (AVIF > WebP > JPEG/PNG); ``user_agent`` picks the device preset used
    when neither ``w`` nor ``h`` is given; ``headers`` (lowercase names) may carry the client hints
    ``sec-ch-dpr``, ``sec-ch-width``, ``sec-ch-viewport-width`` and ``save-data``; ``watermark`` is the
    image ``wm=`` names (the edge reads it from the store). Unlike the edge, no size is snapped to the
    ladder and every option is allowed, whatever ``config.allowed_options`` says: nothing is cached under a
    name here, so there is no variant space to protect. Refusals raise ``ImageEdgeError`` subclasses carrying
    their HTTP status.
    """
    from .core import render
    from .request.canonical import resolve
    from .request.grammar import parse_query
    from .request.negotiate import client_hints, negotiate_format

    config = config or load_config()
    params = parse_query(query, config, trusted=True)
    device = device_class(user_agent) if user_agent is not None else "desktop"
    hints = client_hints(headers) if headers and config.client_hints else None
    spec = resolve(params, config, device=device, negotiated_format=negotiate_format(accept, config), snap=False,
                   hints=hints)
    return render(data, spec, config, watermark=watermark)


def device_class(user_agent: str | None, headers: dict[str, str] | None = None) -> str:
    """The device class of a viewer: mobile, tablet, desktop, smarttv or bot (see ``imgedge.device``)."""
    from .device import device_class as classify

    return classify(user_agent, headers)


def __getattr__(name: str):  # lazy: ``from imgedge import TransformResult`` without importing Pillow early
    if name == "TransformResult":
        from .core import TransformResult

        return TransformResult
    raise AttributeError(name)


__all__ = [
    "transform",
    "device_class",
    "TransformResult",
    "Config",
    "load_config",
    "ImageEdgeError",
    "BadRequest",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "UnprocessableImage",
    "UnsupportedMediaType",
    "UpstreamError",
]
