"""Placeholders and metadata: ``fmt=blurhash``, ``fmt=lqip`` and ``fmt=json``.

* **blurhash** (https://blurha.sh, Wolt's algorithm, implemented here with numpy): the image as a few
  cosine components, 4x3 for landscape and square images, 3x4 for portrait ones, in 28 characters of
  base 83; served as ``text/plain``. Computed on the image reduced to at most 32 px, after the request's
  crop, orientation and colour options, so a placeholder matches the shape of the variant it stands for.
* **lqip**: a ``data:image/webp;base64,...`` URI of that 32 px image, lightly blurred, at WebP q40
  (~150-400 bytes): paste it into ``src`` or a CSS background while the real image loads. WebP because a
  data URI is pasted into HTML served to every browser, so it cannot be negotiated.
* **json**: the original's metadata: displayed width and height, format, frames, alpha, the EXIF
  orientation, whether it carries an ICC profile, its byte size and its dominant colour (the centre of the
  most populated cell of a 4-level-per-channel histogram of a 64 px thumbnail, as ``#rrggbb``).
"""

from __future__ import annotations

import base64
import io
import json
import math
from dataclasses import replace

from PIL import Image, ImageFilter

from ..config import Config
from ..request.spec import VariantSpec
from ..request.vocabulary import PLACEHOLDER_FORMATS, PLACEHOLDER_SIDE
from . import animate, colour, decode, effects, encode, resize

_BASE83 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"
LQIP_QUALITY = 40
LQIP_BLUR = 1.0


def planning_spec(spec: VariantSpec, region: tuple[float, float, float, float]) -> VariantSpec:
    """What to plan with: a whole-image placeholder is the image at ``PLACEHOLDER_SIDE`` on its longer
    side (``region``, output space, decides which side that is); any other spec plans as itself."""
    if spec.format not in PLACEHOLDER_FORMATS or spec.width is not None:
        return spec
    landscape = region[2] - region[0] >= region[3] - region[1]
    return replace(spec, format="png", width=PLACEHOLDER_SIDE if landscape else None,
                   height=None if landscape else PLACEHOLDER_SIDE)


def text(image: Image.Image, fmt: str) -> str:
    """The ``fmt`` (blurhash or lqip) placeholder of the finished, small image; alpha goes onto white."""
    flat = effects.flatten(image, "ffffff").convert("RGB")
    return blurhash(flat) if fmt == "blurhash" else lqip(flat)


def describe(source: decode.SourceImage, data: bytes, config: Config) -> bytes:
    """The ``fmt=json`` document of an opened original (``data``: its bytes). Decodes the pixels at 1/8
    scale for JPEG (the dominant colour needs no more), counts frames without decoding them, and makes
    no full-size copy: transparency is read from the histogram or the alpha channel's extrema, and the
    pixels are reduced before any mode or colour conversion."""
    image = source.image
    frames = animate.frame_count(image, config.max_frames)
    icc = bool(image.info.get("icc_profile"))
    pixels = decode.load_pixels(source, 1 if source.format == "JPEG" else 8)
    small = colour.to_srgb(resize.normalise_mode(_reduced(pixels, DESCRIBE_SIDE)), pixels.info.get("icc_profile"))
    width, height = source.oriented_size
    return info_json(width=width, height=height, fmt=source.format.lower(), frames=frames,
                     has_alpha=encode.has_transparency(pixels), orientation=source.orientation, icc=icc, size=len(data),
                     dominant=dominant_colour(small))


#: Longest side the dominant colour is taken from (a 64 px thumbnail of it, as before).
DESCRIBE_SIDE = 256


def _reduced(image: Image.Image, side: int) -> Image.Image:
    """``image`` at most about ``side`` px on its longer side, in its own mode: a box reduce where Pillow
    has one that makes no full-size copy, nearest-neighbour otherwise (palettes stay indexed; Pillow's
    reduce of an image with alpha premultiplies a full-size copy first)."""
    factor = max(image.size) // side
    if factor < 2:
        return image
    if image.mode in ("L", "RGB", "CMYK", "I", "F"):
        return image.reduce(factor)
    size = (max(1, image.width // factor), max(1, image.height // factor))
    return image.resize(size, Image.Resampling.NEAREST)


def blurhash(image: Image.Image, components: tuple[int, int] | None = None) -> str:
    """The blurhash of ``image`` (RGB; alpha must be flattened first)."""
    import numpy as np

    cx, cy = components or ((4, 3) if image.width >= image.height else (3, 4))
    rgb = np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    height, width = linear.shape[:2]
    xs = np.cos(np.pi * np.outer(np.arange(cx), np.arange(width)) / width)  # cx x W
    ys = np.cos(np.pi * np.outer(np.arange(cy), np.arange(height)) / height)  # cy x H
    # factors[j, i, c] = sum_y sum_x ys[j, y] xs[i, x] linear[y, x, c] / (W H), x2 except for the DC term
    factors = np.einsum("jy,ix,yxc->jic", ys, xs, linear) / (width * height)
    factors[1:, :, :] *= 2
    factors[0, 1:, :] *= 2
    flat = factors.reshape(-1, 3)
    dc, ac = flat[0], flat[1:]
    text = _b83((cx - 1) + (cy - 1) * 9, 1)
    if len(ac):
        quantised_max = int(max(0, min(82, math.floor(float(np.abs(ac).max()) * 166 - 0.5))))
        maximum = (quantised_max + 1) / 166
        text += _b83(quantised_max, 1)
    else:
        maximum = 1.0
        text += _b83(0, 1)
    text += _b83((_to_srgb(dc[0]) << 16) + (_to_srgb(dc[1]) << 8) + _to_srgb(dc[2]), 4)
    for r, g, b in ac:
        quant = [int(max(0, min(18, math.floor(_sign_pow(v / maximum, 0.5) * 9 + 9.5)))) for v in (r, g, b)]
        text += _b83(quant[0] * 19 * 19 + quant[1] * 19 + quant[2], 2)
    return text


def decode_blurhash(text: str, width: int, height: int) -> Image.Image:
    """An RGB image from a blurhash (the reference decoder; used by the tests and for previews)."""
    import numpy as np

    size_flag = _un83(text[0])
    cx, cy = size_flag % 9 + 1, size_flag // 9 + 1
    maximum = (_un83(text[1]) + 1) / 166
    value = _un83(text[2:6])
    colours = [[_to_linear(value >> 16), _to_linear((value >> 8) & 255), _to_linear(value & 255)]]
    for index in range(1, cx * cy):
        packed = _un83(text[4 + index * 2:6 + index * 2])
        quantised = (packed // 361, (packed // 19) % 19, packed % 19)
        colours.append([_sign_pow((q - 9) / 9, 2.0) * maximum for q in quantised])
    factors = np.array(colours).reshape(cy, cx, 3)
    xs = np.cos(np.pi * np.outer(np.arange(width), np.arange(cx)) / width)
    ys = np.cos(np.pi * np.outer(np.arange(height), np.arange(cy)) / height)
    linear = np.einsum("yj,xi,jic->yxc", ys, xs, factors)
    srgb = np.vectorize(_to_srgb)(linear).astype(np.uint8)
    return Image.fromarray(srgb, "RGB")


def lqip(image: Image.Image) -> str:
    """A ``data:image/webp;base64,`` URI of ``image`` (already small), lightly blurred."""
    small = image.filter(ImageFilter.GaussianBlur(LQIP_BLUR)) if min(image.size) > 4 else image
    out = io.BytesIO()
    small.save(out, "WEBP", quality=LQIP_QUALITY, method=6)
    return "data:image/webp;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def dominant_colour(image: Image.Image) -> str:
    """``#rrggbb``: the mean colour of the most populated cell of a coarse (4 levels per channel) histogram
    of a 64 px thumbnail; transparent pixels do not count."""
    small = image.copy()
    small.thumbnail((64, 64), Image.Resampling.BOX)
    rgba = small.convert("RGBA")
    data = list(rgba.get_flattened_data() if hasattr(rgba, "get_flattened_data") else rgba.getdata())
    pixels = [p for p in data if p[3] >= 128] or data
    cells: dict[tuple[int, int, int], list[int]] = {}
    for r, g, b, _a in pixels:
        cell = cells.setdefault((r >> 6, g >> 6, b >> 6), [0, 0, 0, 0])
        cell[0] += r
        cell[1] += g
        cell[2] += b
        cell[3] += 1
    r, g, b, n = max(cells.values(), key=lambda c: c[3])
    return "#{:02x}{:02x}{:02x}".format(round(r / n), round(g / n), round(b / n))


def info_json(*, width: int, height: int, fmt: str, frames: int, has_alpha: bool, orientation: int,
              icc: bool, size: int, dominant: str) -> bytes:
    """The ``fmt=json`` document (stable key order, ends with a newline)."""
    document = {
        "width": width, "height": height, "format": fmt, "frames": frames, "animated": frames > 1,
        "has_alpha": has_alpha, "orientation": orientation, "icc_profile": icc, "bytes": size,
        "dominant_colour": dominant,
    }
    return (json.dumps(document, sort_keys=True) + "\n").encode()


def _b83(value: int, length: int) -> str:
    return "".join(_BASE83[(value // 83 ** (length - i - 1)) % 83] for i in range(length))


def _un83(text: str) -> int:
    value = 0
    for ch in text:
        value = value * 83 + _BASE83.index(ch)
    return value


def _to_srgb(value: float) -> int:
    v = max(0.0, min(1.0, float(value)))
    if v <= 0.0031308:
        return int(v * 12.92 * 255 + 0.5)
    return int((1.055 * v ** (1 / 2.4) - 0.055) * 255 + 0.5)


def _to_linear(value: int) -> float:
    v = value / 255
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def _sign_pow(value: float, exponent: float) -> float:
    return math.copysign(abs(value) ** exponent, value)
