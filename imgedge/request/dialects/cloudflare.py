"""Cloudflare's path form, ``/cdn-cgi/image/<options>/<path>`` (``width=640,height=480,fit=cover,f=auto``), as
Cloudflare's docs and unpic's ``cloudflare`` provider write it.

The source after the options is a path of this host; an absolute URL (Cloudflare may fetch other origins) is
refused. Cloudflare's brightness, contrast and saturation are factors (1 = unchanged), the project's are
-100..100 (0 = unchanged): ``brightness=1.2`` is ``bri=20``. Without ``format`` the original's own format is
kept, as Cloudflare does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote

from ...errors import BadRequest
from ..values import quote
from .base import Dialect, Pairs, Reader, Translation, same_origin_path

if TYPE_CHECKING:
    from ...config import Config

PREFIX = "/cdn-cgi/image/"
#: Cloudflare fit → the project's (aspect ratio is always kept unless ``squeeze``; with no fit, inside).
FITS = {"scale-down": "inside", "contain": "inside", "cover": "cover", "crop": "cover", "pad": "contain",
        "squeeze": "fill"}
FORMATS = {"auto": "auto", "avif": "avif", "webp": "webp", "jpeg": "jpeg", "jpg": "jpeg", "baseline-jpeg": "jpeg",
           "png": "png", "gif": "gif", "json": "json"}
GRAVITY = {"auto": "smart", "face": "faces", "center": "centre", "left": "left", "right": "right", "top": "top",
           "bottom": "bottom"}
METADATA = {"keep": "copyright", "copyright": "copyright", "none": "none"}
#: Long names and the short ones Cloudflare also accepts.
ALIASES = {"w": "width", "h": "height", "q": "quality", "f": "format", "g": "gravity"}
#: Read and ignored: ``onerror=redirect`` (imgedge answers errors itself, fallback images included) and
#: ``compression=fast`` (a speed hint).
IGNORED = ("onerror", "compression")
NAMES = frozenset({"width", "height", "fit", "gravity", "quality", "format", "dpr", "metadata", "background",
                   "blur", "sharpen", "rotate", "flip", "anim", "brightness", "contrast", "saturation", *IGNORED,
                   *ALIASES})


def owns_path(uri: str) -> bool:
    return uri.startswith(PREFIX)


def translate(uri: str, pairs: Pairs, config: "Config") -> Translation:
    options, slash, source = uri[len(PREFIX):].partition("/")
    if not slash or not source:
        raise BadRequest("a cloudflare URL is /cdn-cgi/image/<options>/<path of the image>")
    given = []
    for item in options.split(","):
        name, equals, value = item.partition("=")
        if item and not equals:
            raise BadRequest(f"cloudflare options are name=value, not {quote(unquote(item))}")
        if item:
            given.append((ALIASES.get(name.lower(), name), unquote(value)))
    reader = Reader("cloudflare", given + pairs, NAMES, config)
    width, height = (reader.number(name, 1, 100_000) if reader.get(name) != "auto" else None
                     for name in ("width", "height"))
    reader.size(width, height, reader.number("dpr", 0.01, 10))
    fit = reader.choice("fit", FITS, "inside")
    if width is not None and height is not None:
        reader.emit("fit", fit)
    gravity = reader.get("gravity")
    if gravity is not None:
        reader.emit("g", GRAVITY.get(gravity.lower(), gravity))  # or a focal point, 0.5x0.3
    fmt = reader.choice("format", FORMATS)
    reader.emit("fmt", fmt)
    quality = reader.number("quality", 1, 100)
    reader.emit("q", None if quality is None else round(quality))
    reader.emit("meta", reader.choice("metadata", METADATA))
    reader.copy({"background": "bg", "blur": "blur", "sharpen": "sharpen", "rotate": "rot", "flip": "flip",
                 "anim": "anim"})
    for name, ours in (("brightness", "bri"), ("contrast", "con"), ("saturation", "sat")):
        factor = reader.number(name, 0, 100)
        if factor is not None and factor != 1:
            reader.emit(ours, max(-100, min(100, round((factor - 1) * 100))))
    path = same_origin_path(reader, "source", "/" + source)
    return Translation(path, reader.out, keep_format=fmt is None)


DIALECT = Dialect("cloudflare", translate, owns_path=owns_path)
