"""Watermarks (``wm=<name>``): a configured image laid over the output.

``Config.watermarks`` names each one: ``{"logo": {"key": "brand/logo.png", "position": "southeast",
"opacity": 0.5, "scale": 0.25, "margin": 0.03}}``. The image is an object in the originals' bucket, read
through the same store (``imgedge.generate`` fetches it) and decoded under the same limits as an
original. It is scaled to ``scale`` x the output's width (never taller than ``scale`` x its height,
never enlarged past 1:1 unless that is needed to reach 8 px), its alpha multiplied by ``opacity``, and
placed at ``position`` (a compass point or ``centre``) ``margin`` x the output's shorter side from the
edges. Changing a watermark's image means new variant names (rename it or purge): variants are immutable.
"""

from __future__ import annotations

from typing import Any, Mapping

from PIL import Image

from ..config import Config
from ..request.vocabulary import ANCHORS
from . import colour, decode, resize

MIN_SIDE = 8


def load(data: bytes | None, config: Config) -> Image.Image | None:
    """The watermark image (its bytes, read by the caller) decoded like an original — same limits,
    sRGB, its own EXIF orientation applied — as RGBA; None without bytes."""
    if not data:
        return None
    source = decode.open_source(data, config)
    image = decode.load_pixels(source)
    image = colour.to_srgb(resize.normalise_mode(image), image.info.get("icc_profile"))
    return prepare(decode.orient(image, source.orientation))


def prepare(mark: Image.Image) -> Image.Image:
    """The decoded watermark as RGBA."""
    return mark if mark.mode == "RGBA" else mark.convert("RGBA")


def apply(image: Image.Image, mark: Image.Image | None, settings: Mapping[str, Any] | None) -> Image.Image:
    """``image`` with ``mark`` (RGBA) laid over it as ``settings`` say; the mode of ``image`` is kept
    (plus alpha if it had some). No mark: ``image`` itself."""
    if mark is None or settings is None:
        return image
    width, height = image.size
    scale = float(settings["scale"])
    factor = min(scale * width / mark.width, scale * height / mark.height)
    size = (max(MIN_SIDE, round(mark.width * factor)), max(MIN_SIDE, round(mark.height * factor)))
    size = (min(size[0], width), min(size[1], height))
    layer = resize.resample(mark, (0, 0, mark.width, mark.height), size) if size != mark.size else mark.copy()
    opacity = float(settings["opacity"])
    if opacity < 1:
        alpha = layer.getchannel("A").point(lambda v: round(v * opacity))
        layer.putalpha(alpha)
    margin = round(float(settings["margin"]) * min(width, height))
    position = settings["position"]
    ax, ay = ANCHORS[None if position == "centre" else position]
    x = round(margin + (width - 2 * margin - size[0]) * ax)
    y = round(margin + (height - 2 * margin - size[1]) * ay)
    x, y = max(0, min(x, width - size[0])), max(0, min(y, height - size[1]))
    base = image.convert("RGBA")
    base.alpha_composite(layer, (x, y))
    if image.mode in ("RGBA", "LA"):
        return base if image.mode == "RGBA" else base.convert("LA")
    return base.convert("RGB") if image.mode != "L" else base.convert("RGB")
