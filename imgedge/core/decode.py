"""Decode: bytes → a Pillow image, refusing what we must not decode before any pixel is spent.

Order matters: sniff the container from its magic bytes (never trust the key's extension or a
Content-Type), read only the header, check the limits, and only then let the decoder allocate. For
JPEG the caller passes the size it needs so ``draft`` can decode at 1/2, 1/4 or 1/8 scale in the DCT
itself — the single biggest saving for camera photos.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from ..config import Config
from ..errors import PayloadTooLarge, UnprocessableImage, UnsupportedMediaType

#: Container signatures we decode, mapped to the Pillow plugin that reads them. Restricting Pillow to
#: these plugins means a polyglot or an exotic format (EPS, PSD, ICO, ...) is never handed to a
#: decoder we did not choose.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "JPEG"),
    (b"\x89PNG\r\n\x1a\n", 0, "PNG"),
    (b"GIF87a", 0, "GIF"),
    (b"GIF89a", 0, "GIF"),
    (b"WEBP", 8, "WEBP"),
    (b"ftypavif", 4, "AVIF"),
    (b"ftypavis", 4, "AVIF"),
    (b"II*\x00", 0, "TIFF"),
    (b"MM\x00*", 0, "TIFF"),
    (b"BM", 0, "BMP"),
)

#: Pillow's own orientation transposes, keyed by the EXIF Orientation value (1 = as stored).
ORIENTATION_TRANSPOSE: dict[int, Image.Transpose] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_EXIF_ORIENTATION = 0x0112


@dataclass
class SourceImage:
    """An opened (header-only) original: the lazy Pillow image plus what we learned from its header."""

    image: Image.Image
    format: str
    orientation: int
    stored_size: tuple[int, int]  # full-resolution size as stored (``draft`` later shrinks image.size)

    @property
    def oriented_size(self) -> tuple[int, int]:
        """Width and height as displayed, after EXIF orientation."""
        width, height = self.stored_size
        return (height, width) if self.orientation in (5, 6, 7, 8) else (width, height)


def sniff_format(data: bytes) -> str:
    """The container format from magic bytes, or ``UnsupportedMediaType``."""
    for magic, offset, fmt in _SIGNATURES:
        if data[offset:offset + len(magic)] == magic:
            if fmt == "WEBP" and data[:4] != b"RIFF":
                continue
            return fmt
    raise UnsupportedMediaType("the original is not a supported image format (JPEG, PNG, GIF, WebP, AVIF, TIFF, BMP)")


def open_source(data: bytes, config: Config) -> SourceImage:
    """Open the header and enforce byte and pixel limits. No pixel data is decoded here."""
    if len(data) > config.max_source_bytes:
        raise PayloadTooLarge(f"the original exceeds {config.max_source_bytes} bytes")
    if not data:
        raise UnprocessableImage("the original is empty")
    fmt = sniff_format(data)
    try:
        with warnings.catch_warnings():
            # Our own pixel limit below is the one that decides; Pillow's global guard only backs it up.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[fmt])
    except Image.DecompressionBombError:
        raise PayloadTooLarge(f"the original exceeds {config.max_source_pixels} pixels") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise UnprocessableImage("the original could not be read as an image") from exc
    width, height = image.size
    if width < 1 or height < 1:
        raise UnprocessableImage("the original has no pixels")
    if width * height > config.max_source_pixels:
        raise PayloadTooLarge(f"the original exceeds {config.max_source_pixels} pixels")
    return SourceImage(image=image, format=fmt, orientation=_orientation(image), stored_size=(width, height))


def load_pixels(source: SourceImage, needed_raw_size: tuple[int, int] | None) -> Image.Image:
    """Decode the pixels, at a reduced JPEG scale when ``needed_raw_size`` (in stored orientation) allows.

    ``draft`` keeps the decoded image at least as large as ``needed_raw_size``; the caller asks for a
    margin above its output size so the following resample still has pixels to filter.
    """
    image = source.image
    try:
        if needed_raw_size is not None and source.format == "JPEG":
            image.draft(None, needed_raw_size)
        image.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise UnprocessableImage("the original is truncated or corrupt") from exc
    return image


def _orientation(image: Image.Image) -> int:
    try:
        value = int(image.getexif().get(_EXIF_ORIENTATION, 1))
    except Exception:  # a broken EXIF block must not sink an otherwise fine image
        return 1
    return value if value in ORIENTATION_TRANSPOSE else 1
