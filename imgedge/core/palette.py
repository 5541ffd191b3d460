"""PNG outputs that never grow: never larger than a plain re-save of the source at the same size.

Users complain that PNGs grow after a resize: a 27 KB palette diagram comes back as a 190 KB truecolour
PNG at half the size, because resampling creates thousands of new colours (measured on
``fixtures/images/exiftool-overview-palette.png``: 192 KB ours against 26 KB for Pillow's plain
``resize().save()``, which keeps the palette by resampling it nearest-neighbour). So:

* a source with a palette (or at most 256 colours) is resampled in RGB(A) as usual, for quality, then
  quantised back to as many colours as the source used (median cut; fast octree when there is alpha),
  without dithering (dither noise costs bytes and is what diagrams and logos never had), and written with
  ``optimize``;
* then the *plain* re-save (the caller's ``plain`` image: the source in its own mode, resized with
  Pillow's default filter, nearest for palettes) is encoded too, and whenever ours is larger, the palette
  is halved (down to 32 colours) and, failing that, the plain bytes are what we serve. So the promise
  holds by construction, at the price of one extra encode of an output-sized image.

The comparison runs for plain resizes (crop, orientation, size); once the request adds effects,
padding or a watermark there is no "plain re-save" to compare with, and only the quantisation applies.
"""

from __future__ import annotations

import io

from PIL import Image

from ..request.spec import VariantSpec
from . import decode
from .geometry import Box
from .resize import band_extrema

#: Fewest colours tried before falling back to the plain re-save.
MIN_COLOURS = 32
#: zlib level 6: level 9 / optimize save 1 % for 2.5x the time; level 3 costs +7 % for 1/3 of it.
PNG_LEVEL = 6


def colour_count(image: Image.Image) -> int | None:
    """How many colours ``image`` uses when it has a palette or at most 256 colours, else None."""
    if image.mode in ("P", "PA"):
        colours = image.getcolors(256)
        return len(colours) if colours else 256
    if image.mode in ("RGB", "RGBA", "L", "LA"):
        colours = image.getcolors(256)
        return len(colours) if colours else None
    return None


def quantise(image: Image.Image, colours: int) -> Image.Image:
    """``image`` (RGB/RGBA/L/LA) as a palette image of at most ``colours`` colours, undithered."""
    if image.mode in ("L", "LA"):
        image = image.convert("RGBA" if image.mode == "LA" else "RGB")
    method = Image.Quantize.FASTOCTREE if image.mode == "RGBA" else Image.Quantize.MEDIANCUT
    return image.quantize(colors=max(2, min(256, colours)), method=method, dither=Image.Dither.NONE)


#: Largest change of any pixel's alpha a quantisation may make (octrees merge rare fully transparent
#: pixels into half-opaque clusters; such a palette is refused).
MAX_ALPHA_ERROR = 48


def _keeps_alpha(image: Image.Image, quantised: Image.Image) -> bool:
    if image.mode not in ("RGBA", "LA"):
        return True
    from PIL import ImageChops

    alpha = image.getchannel("A")
    _low, high = band_extrema(ImageChops.difference(quantised.convert("RGBA").getchannel("A"), alpha))[0]
    return high <= MAX_ALPHA_ERROR


def save_png(image: Image.Image, *, optimize: bool = False, exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    image.info = {}
    extra = {"exif": exif} if exif else {}
    image.save(out, "PNG", optimize=optimize, compress_level=PNG_LEVEL, **extra)
    return out.getvalue()


def plain_png(plain: Image.Image) -> bytes:
    """The reference: Pillow's plain PNG save of ``plain`` (default settings, its own mode)."""
    out = io.BytesIO()
    plain.info = {k: v for k, v in plain.info.items() if k == "transparency"}  # no ICC / EXIF / text
    plain.save(out, "PNG")
    return out.getvalue()


def plain_reference(pixels: Image.Image, crop: Box, size: tuple[int, int], orientation: int,
                    spec: VariantSpec) -> Image.Image | None:
    """Pillow's plain resize of the source in its own mode (the PNG size reference), for plain resizes;
    None once the request changes pixels beyond crop, orientation and size (nothing to compare with)."""
    if (spec.background is not None or spec.blur or spec.sharpen or spec.watermark or spec.brightness
            or spec.contrast or spec.saturation or spec.grayscale
            or pixels.mode not in ("P", "PA", "L", "LA", "RGB", "RGBA")):
        return None
    return decode.orient(pixels.resize(size, box=crop), orientation)


def encode_png(image: Image.Image, *, source_colours: int | None, plain: Image.Image | None = None,
               exif: bytes | None = None, truecolour: bytes | None = None) -> bytes:
    """The PNG to serve for ``image``: quantised when the source had few colours, never larger than
    ``plain``'s re-save when ``plain`` is given. ``truecolour``: an encoding of ``image`` already made."""
    if source_colours is not None and image.mode != "P" and _keeps_alpha(image, quantise(image, source_colours)):
        colours = source_colours
        data = save_png(quantise(image, colours), optimize=True, exif=exif)
    else:
        colours = None
        data = truecolour if truecolour is not None else save_png(image, exif=exif)
    if plain is None:
        return data
    reference = plain_png(plain)
    while len(data) > len(reference) and colours is not None and colours > MIN_COLOURS:
        colours //= 2
        fewer = quantise(image, colours)
        if _keeps_alpha(image, fewer):
            data = min(data, save_png(fewer, optimize=True, exif=exif), key=len)
    if len(data) > len(reference):
        return save_png(plain, exif=exif) if exif else reference
    return data
