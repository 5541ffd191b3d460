"""The image pipeline: original bytes + a resolved ``VariantSpec`` → encoded variant.

decode header (limits) → plan (numbers) → decode pixels (JPEG at a DCT scale) → normalise mode → resample
on the stored orientation → colour to sRGB → transpose the small result → pad (contain) → encode. Each
step is one function in its own module; this one only orders them and times them. Every full-size step
is avoided or done once: no full-size orientation copy, no full-size colour conversion, no second
palette expansion.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from PIL import Image

from ..config import Config
from ..spec import VariantSpec
from . import colour, decode, encode, geometry, resize


@dataclass
class TransformResult:
    """An encoded variant and what the edge needs to serve and log it."""

    data: bytes
    content_type: str
    width: int
    height: int
    format: str
    source_format: str = ""
    source_size: tuple[int, int] = (0, 0)
    timings_ms: dict[str, float] = field(default_factory=dict)


def render(data: bytes, spec: VariantSpec, config: Config) -> TransformResult:
    """Produce the variant ``spec`` describes from the original ``data``. Raises ``ImageEdgeError``."""
    timings: dict[str, float] = {}
    started = time.perf_counter()

    source = decode.open_source(data, config)
    displayed = source.oriented_size
    layout = geometry.plan(displayed, spec)
    swap = source.orientation in (5, 6, 7, 8)
    stored_crop = geometry.to_stored(layout.crop, displayed, source.orientation)
    stored_out = (layout.size[1], layout.size[0]) if swap else layout.size

    eighths = decode.choose_jpeg_scale(source.stored_size, stored_crop, stored_out) if source.format == "JPEG" else 8
    image = decode.load_pixels(source, eighths)
    icc_profile = image.info.get("icc_profile")
    timings["decode"] = _ms_since(started)

    mark = time.perf_counter()
    image = resize.normalise_mode(image)
    fx, fy = _decoded_scale(image.size, source.stored_size, eighths)
    region = (
        max(0.0, stored_crop[0] * fx), max(0.0, stored_crop[1] * fy),
        min(float(image.width), stored_crop[2] * fx), min(float(image.height), stored_crop[3] * fy),
    )
    image = resize.resample(image, region, stored_out)
    image = colour.to_srgb(image, icc_profile)
    if source.orientation != 1:
        image = image.transpose(decode.ORIENTATION_TRANSPOSE[source.orientation])
    if layout.canvas is not None:
        image = _pad(image, layout.canvas)
    timings["resize"] = _ms_since(mark)

    mark = time.perf_counter()
    fmt = encode.choose_format(spec.format, image)
    body = encode.encode(image, fmt, spec.quality)
    timings["encode"] = _ms_since(mark)
    return TransformResult(
        data=body,
        content_type=encode.CONTENT_TYPES[fmt],
        width=image.width,
        height=image.height,
        format=fmt,
        source_format=source.format.lower(),
        source_size=displayed,
        timings_ms=timings,
    )


def _decoded_scale(decoded: tuple[int, int], stored: tuple[int, int], eighths: int) -> tuple[float, float]:
    """Stored → decoded coordinate factors: exactly eighths/8 after a DCT-scaled decode (libjpeg rounds
    the size up, the geometry is still eighths/8), else the size ratio."""
    if eighths != 8 and decoded == (-(-stored[0] * eighths // 8), -(-stored[1] * eighths // 8)):
        return eighths / 8, eighths / 8
    return decoded[0] / stored[0], decoded[1] / stored[1]


def _pad(image: Image.Image, canvas: tuple[int, int]) -> Image.Image:
    """Centre ``image`` on a canvas: transparent if the image has alpha, else the encoder's background."""
    fill = (0, 0, 0, 0) if image.mode in ("RGBA", "LA") else encode.BACKGROUND
    mode = "RGBA" if image.mode in ("RGBA", "LA") else "RGB"
    board = Image.new(mode, canvas, fill)
    board.paste(image if image.mode == mode else image.convert(mode), ((canvas[0] - image.width) // 2, (canvas[1] - image.height) // 2))
    return board


def _ms_since(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
