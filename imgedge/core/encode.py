"""Encode: a resampled image → bytes in the requested format, with per-format settings.

Metadata policy: EXIF (camera, GPS) is dropped — orientation is already applied to the pixels, and
location data must not leak through a CDN. The ICC profile is kept so wide-gamut photos (Display P3
from phones) keep their colours.
"""

from __future__ import annotations

import io

from PIL import Image

CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "avif": "image/avif"}
#: Background for formats without alpha (JPEG), and for ``fit=contain`` padding when there is no alpha.
BACKGROUND = (255, 255, 255)


def has_transparency(image: Image.Image) -> bool:
    """True when some pixel is not fully opaque (an all-opaque alpha channel does not count)."""
    if image.mode not in ("LA", "RGBA"):
        return False
    low, _high = image.getchannel("A").getextrema()
    return low < 255


def choose_format(fmt: str, image: Image.Image) -> str:
    """Resolve ``legacy`` (JPEG, or PNG for transparent images) to a concrete format."""
    if fmt == "legacy":
        return "png" if has_transparency(image) else "jpeg"
    return fmt


def encode(image: Image.Image, fmt: str, quality: int | None, icc_profile: bytes | None = None) -> bytes:
    """Encode ``image`` (L, LA, RGB or RGBA) as ``fmt`` (jpeg, png, webp, avif)."""
    out = io.BytesIO()
    extra = {"icc_profile": icc_profile} if icc_profile else {}
    if fmt == "jpeg":
        image = flatten(image)
        q = quality or 80
        image.save(out, "JPEG", quality=q, optimize=True, subsampling="4:4:4" if q >= 90 else "4:2:0", **extra)
    elif fmt == "webp":
        image = _drop_opaque_alpha(image)
        image.save(out, "WEBP", quality=quality or 80, method=4, **extra)
    elif fmt == "avif":
        image = _drop_opaque_alpha(image)
        image.save(out, "AVIF", quality=quality or 60, speed=6, **extra)
    elif fmt == "png":
        image = _drop_opaque_alpha(image)
        image.save(out, "PNG", optimize=False, compress_level=6, **extra)
    else:
        raise ValueError(f"cannot encode {fmt!r}")
    return out.getvalue()


def flatten(image: Image.Image) -> Image.Image:
    """Composite transparent pixels onto the background (for formats without alpha)."""
    if image.mode not in ("LA", "RGBA"):
        return image
    if not has_transparency(image):
        return image.convert(image.mode[:-1])
    rgba = image.convert("RGBA")
    base = Image.new("RGB", image.size, BACKGROUND)
    base.paste(rgba, mask=rgba.getchannel("A"))
    return base


def _drop_opaque_alpha(image: Image.Image) -> Image.Image:
    """An alpha channel that is opaque everywhere only costs bytes."""
    if image.mode in ("LA", "RGBA") and not has_transparency(image):
        return image.convert(image.mode[:-1])
    return image
