"""Image quality metrics (PSNR, SSIM) used by the tests and the benchmarks to keep speed honest.

A faster resize that blurs is a regression; these put a number on "blurs". Both compare two images of
the same size, in RGB, as float64, after alpha is flattened the same way on both sides.
"""

from __future__ import annotations

import math

from PIL import Image


def _arrays(a: Image.Image, b: Image.Image):
    import numpy as np

    if a.size != b.size:
        raise ValueError(f"sizes differ: {a.size} vs {b.size}")
    return (np.asarray(a.convert("RGB"), dtype=np.float64), np.asarray(b.convert("RGB"), dtype=np.float64))


def psnr(a: Image.Image, b: Image.Image) -> float:
    """Peak signal-to-noise ratio in dB over RGB (inf for identical images)."""
    x, y = _arrays(a, b)
    mse = float(((x - y) ** 2).mean())
    return math.inf if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)


def ssim(a: Image.Image, b: Image.Image) -> float:
    """Mean SSIM on luma with an 8x8 uniform window (Wang et al. constants): cheap, monotone enough."""
    import numpy as np

    x, y = _arrays(a, b)
    weights = np.array([0.299, 0.587, 0.114])
    x, y = x @ weights, y @ weights
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def box(img):
        k = 8
        s = np.cumsum(np.cumsum(np.pad(img, ((1, 0), (1, 0))), axis=0), axis=1)
        return (s[k:, k:] - s[:-k, k:] - s[k:, :-k] + s[:-k, :-k]) / (k * k)

    mx, my = box(x), box(y)
    vx, vy, cxy = box(x * x) - mx * mx, box(y * y) - my * my, box(x * y) - mx * my
    ssim_map = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(ssim_map.mean())


def reference_resize(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The quality reference: full-resolution, orientation applied, float LANCZOS straight to ``size``."""
    from PIL import ImageOps

    image = ImageOps.exif_transpose(image) or image
    return image.convert("RGB").resize(size, Image.Resampling.LANCZOS, reducing_gap=None)


def over(image: Image.Image, grey: int) -> Image.Image:
    """``image`` composited over an opaque grey background (0 black, 255 white), as a viewer shows it."""
    flat = Image.new("RGB", image.size, (grey,) * 3)
    flat.paste(image.convert("RGB"), mask=image.convert("RGBA").getchannel("A"))
    return flat
