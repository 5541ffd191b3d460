"""Resize: bring the decoded pixels into a resample-friendly mode, then resample the planned region.

Modes are normalised *before* resampling so every later step sees one of L, LA, RGB, RGBA: palette and
1-bit images would otherwise be resampled as indices, CMYK would reach encoders that cannot take it, and
16-bit greyscale would be clipped (Pillow's ``convert("L")`` saturates values above 255 instead of scaling).
"""

from __future__ import annotations

from PIL import Image

from .geometry import Box

#: Pillow's ``reduce`` (integer box average) before LANCZOS when the factor is at least this: the same
#: trade Pillow's own ``thumbnail`` makes; a larger gap is closer to a pure LANCZOS.
REDUCING_GAP = 3.0


def normalise_mode(image: Image.Image) -> Image.Image:
    """Return the image in L, LA, RGB or RGBA, preserving transparency and 16-bit range."""
    mode = image.mode
    if mode in ("L", "LA", "RGB", "RGBA"):
        return image
    if mode == "P":
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if mode == "PA":
        return image.convert("RGBA")
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        return _sixteen_bit_to_l(image)
    if mode == "1" or mode == "F":
        return image.convert("L")
    if mode == "La":
        return image.convert("LA")
    if mode == "RGBa":
        return image.convert("RGBA")
    return image.convert("RGB")  # CMYK, YCbCr, LAB, HSV, RGBX


def resample(image: Image.Image, region: Box, size: tuple[int, int]) -> Image.Image:
    """Resample ``region`` (in ``image``'s own pixel coordinates) to ``size``."""
    full = (0, 0, image.width, image.height)
    if size == image.size and tuple(round(v) for v in region) == full:
        return image
    return image.resize(size, Image.Resampling.LANCZOS, box=region, reducing_gap=REDUCING_GAP)


def _sixteen_bit_to_l(image: Image.Image) -> Image.Image:
    import numpy as np  # only 16-bit greyscale needs it; keep it off the common path's import cost

    values = np.asarray(image, dtype=np.int64)
    peak = 65535 if image.mode.startswith("I;16") or values.max(initial=0) > 255 else 255
    scaled = np.clip(values * 255 // peak, 0, 255).astype(np.uint8)
    return Image.fromarray(scaled, mode="L")
