"""Resize: bring the decoded pixels into a resample-friendly mode, then resample the planned region.

Modes are normalised *before* resampling so every later step sees one of L, LA, RGB, RGBA (or CMYK, which
resamples channel by channel like RGB and is converted to sRGB on the small result): palette and 1-bit
images would otherwise be resampled as indices, and 16-bit greyscale would be clipped (Pillow's
``convert("L")`` saturates values above 255 instead of scaling). Each conversion happens once, at the
decoded size: a palette image expands once, to RGB unless it has transparency; an alpha channel that is
opaque everywhere is dropped before any resampling (no premultiply / unpremultiply round trip).

Resampling is LANCZOS (alpha premultiplied by Pillow for LA/RGBA) on the exact region. After a JPEG
DCT-scaled decode the region is 1.1-2.5x the output (``decode.choose_jpeg_scale``); other sources get an
integer box ``reduce`` by ``int(factor / 2)`` first from 4x on (the trade Pillow's ``thumbnail`` makes).
BICUBIC, HAMMING and box-reduce-then-LANCZOS were measured against it (benchmarks/RESULTS.md): each saved
a few ms and lost 0.2-0.6 dB on some photo.

Pillow's resampler is scalar: a downscale costs about six multiply-adds per *input* pixel and band per
pass, whatever the factor, so the wins come from resampling fewer pixels (the DCT scale) and fewer bands
at full size. Hence the luma/chroma path (``resample_luma_chroma``): when the variant is a JPEG with 4:2:0
chroma anyway (below q90), a YCbCr-coded JPEG is decoded to its YCbCr planes, luma gets
the full LANCZOS, and the two chroma planes are resampled at a quarter of the pixels — the resolution the
encoder keeps of them — instead of three RGB bands at full size (measured in benchmarks/RESULTS.md).
"""

from __future__ import annotations

from PIL import Image

from .geometry import Box

#: Pillow's ``reduce`` (integer box average) by ``int(factor / REDUCING_GAP)`` before LANCZOS. Pillow's
#: ``thumbnail`` uses 2.0. Measured per case in benchmarks/RESULTS.md: see ``reducing_gap_for``.
REDUCING_GAP = 2.0
#: When the region is at most this many times the output (what a JPEG DCT scale leaves), a plain LANCZOS
#: is cheap enough and keeps the most quality; above it, ``REDUCING_GAP`` applies.
DIRECT_LANCZOS_BELOW = 4.0
#: The resampling filter.
FILTER = Image.Resampling.LANCZOS
#: Whether the pipeline takes the luma/chroma path where it applies (``pipeline._luma_chroma``); off only
#: to measure against (benchmarks/tune_resize.py).
LUMA_CHROMA = True
#: The luma/chroma path's chroma filter, at half the output size (``resample_luma_chroma``).
CHROMA_FILTER = Image.Resampling.LANCZOS
#: ... after a box ``reduce`` of the chroma planes by ``max(2, int(factor / CHROMA_REDUCING_GAP))``.
#: Measured on the nine case photos: 1.25 saved 10 % on 12-13 MP -> 2048 px (a reduce by 3 instead of 2
#: before the LANCZOS) at +0.00 dB; 1.0 lost up to 0.06 dB; 2.0 is a plain halving.
CHROMA_REDUCING_GAP = 1.25


def normalise_mode(image: Image.Image) -> Image.Image:
    """Return the image in L, LA, RGB or RGBA, preserving transparency and 16-bit range."""
    mode = image.mode
    if mode in ("LA", "RGBA"):
        return drop_opaque_alpha(image)
    if mode in ("L", "RGB", "CMYK", "YCbCr"):  # YCbCr only when the pipeline asked libjpeg for its planes
        return image
    if mode == "P":
        return drop_opaque_alpha(image.convert("RGBA")) if "transparency" in image.info else image.convert("RGB")
    if mode == "PA":
        return drop_opaque_alpha(image.convert("RGBA"))
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        return _sixteen_bit_to_l(image)
    if mode == "1" or mode == "F":
        return image.convert("L")
    if mode == "La":
        return image.convert("LA")
    if mode == "RGBa":
        return image.convert("RGBA")
    return image.convert("RGB")  # YCbCr, LAB, HSV, RGBX


def drop_opaque_alpha(image: Image.Image) -> Image.Image:
    """LA/RGBA whose alpha is 255 everywhere → L/RGB (one cheap extrema pass saves the premultiplied
    resample and every later alpha check)."""
    if image.mode in ("LA", "RGBA") and image.getchannel("A").getextrema()[0] == 255:
        return image.convert(image.mode[:-1])
    return image


def reducing_gap_for(region: Box, size: tuple[int, int]) -> float | None:
    """``None`` (plain LANCZOS) when the region is under ``DIRECT_LANCZOS_BELOW`` x the output, else
    ``REDUCING_GAP``."""
    factor = max((region[2] - region[0]) / size[0], (region[3] - region[1]) / size[1])
    return None if factor < DIRECT_LANCZOS_BELOW else REDUCING_GAP


def resample(image: Image.Image, region: Box, size: tuple[int, int]) -> Image.Image:
    """Resample ``region`` (in ``image``'s own pixel coordinates, fractional) to ``size``."""
    full = (0, 0, image.width, image.height)
    if size == image.size and tuple(round(v) for v in region) == full:
        return image
    if size == (round(region[2] - region[0]), round(region[3] - region[1])) and all(v == round(v) for v in region):
        return image.crop(tuple(int(v) for v in region))  # a pure crop: no filter pass
    if image.mode == "YCbCr":
        return resample_luma_chroma(image, region, size)
    return image.resize(size, FILTER, box=region, reducing_gap=reducing_gap_for(region, size))


def resample_luma_chroma(image: Image.Image, region: Box, size: tuple[int, int]) -> Image.Image:
    """A YCbCr image resampled for a 4:2:0 encoder: Y with ``FILTER`` at ``size``; Cb and Cr box-reduced
    at the source (by 2, or more while ``CHROMA_REDUCING_GAP`` is left), resampled to half of ``size``
    with ``CHROMA_FILTER`` and doubled by pixel repetition, so the encoder's 2x2 chroma average gets back
    exactly the half-size planes.

    About 40 % of a three-band LANCZOS at full size. Too small to halve: all three planes as one image.
    """
    half = ((size[0] + 1) // 2, (size[1] + 1) // 2)
    if min(image.size) < 4 or min(region[2] - region[0], region[3] - region[1]) < 4 or min(size) < 2:
        return image.resize(size, FILTER, box=region)
    luma, blue, red = image.split()
    luma = luma.resize(size, FILTER, box=region, reducing_gap=reducing_gap_for(region, size))
    factor = max((region[2] - region[0]) / half[0], (region[3] - region[1]) / half[1])
    by = max(2, int(factor / CHROMA_REDUCING_GAP))
    reduced = tuple(value / by for value in region)
    chroma = [
        plane.reduce(by).resize(half, CHROMA_FILTER, box=reduced).resize(size, Image.Resampling.NEAREST)
        for plane in (blue, red)
    ]
    return Image.merge("YCbCr", (luma, *chroma))


def _sixteen_bit_to_l(image: Image.Image) -> Image.Image:
    """16-bit (I;16*) or 32-bit (I) greyscale → 8-bit L by scaling 0..65535 onto 0..255 (not clipping).

    Two full-size Pillow passes (``point`` with a linear scale, then ``convert``) instead of numpy, whose
    import alone costs ~60 ms of cold start. An ``I`` image whose values stay within 0..255 is kept as is.
    """
    if image.mode.startswith("I;16"):
        scale = 255 / 65535
    else:
        _low, high = image.getextrema()
        scale = 255 / 65535 if high > 255 else 1.0
    wide = image if image.mode == "I" else image.convert("I")
    return wide.point(lambda value: value * scale).convert("L")
