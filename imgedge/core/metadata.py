"""Metadata kept on request (``meta=copyright``): the EXIF Copyright and Artist tags, nothing else.

Every variant is stripped by default (camera, GPS and software data must not leak through a CDN; the
orientation is already in the pixels). ``meta=copyright`` writes a minimal EXIF block holding only the
original's Copyright (0x8298) and Artist (0x013B) when it has them (imgproxy's ``kcr``, Cloudflare's
``metadata=copyright``). JPEG, PNG, WebP and AVIF carry it; GIF cannot. The ICC profile is never written:
``colour.to_srgb`` has already brought the pixels to sRGB.
"""

from __future__ import annotations

from PIL import Image

COPYRIGHT = 0x8298
ARTIST = 0x013B
KEPT_TAGS = (ARTIST, COPYRIGHT)


def copyright_exif(source: Image.Image) -> bytes | None:
    """A minimal EXIF block with the original's Copyright and Artist, or None when it has neither."""
    try:
        exif = source.getexif()
    except Exception:  # a broken EXIF block keeps nothing rather than failing the variant
        return None
    kept = Image.Exif()
    for tag in KEPT_TAGS:
        value = exif.get(tag)
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str) and value.strip("\x00 "):
            kept[tag] = value.strip("\x00")[:512]
    return kept.tobytes() if len(kept) else None
