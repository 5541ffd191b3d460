"""The per-frame steps of the pipeline, as data: an ordered tuple of ``(image, frame) -> image``.

Each step is small, reads what it needs from the ``Frame`` (the plan for this image, fixed before the
first pixel is decoded) and hands its input back untouched when its option is off, so a plain resize
costs what it always did. A still runs them once; an animation once per frame (each frame with its own
copy of the ``Frame``, since normalising may reduce and so move the region). Adding a pixel option is
adding a step here and its row in the request layer's option table.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping

from PIL import Image

from ..request.spec import VariantSpec
from . import colour, decode, effects, geometry, resize
from . import watermark as watermarks


@dataclass
class Frame:
    """What the steps of one frame share: where its pixels come from and go, and the request."""

    region: geometry.Box  # in the decoded image's pixels (fractional); moved by a strip-wise reduce
    size: tuple[int, int]  # the resampled size, in stored orientation
    icc: bytes | None  # the decoded image's ICC profile (None for animation frames: already sRGB)
    orientation: int  # stored → output (EXIF, then the request's rotation and mirror)
    spec: VariantSpec
    plan: geometry.Plan
    mark: Image.Image | None = None  # the watermark image, when the request names one
    mark_settings: Mapping[str, Any] | None = None
    #: The image the next step gets belongs to the steps (made by an earlier one, or handed over by the
    #: caller), so a step may change it in place rather than make another output-sized image.
    owned: bool = False


Step = Callable[[Image.Image, Frame], Image.Image]


def normalise(image: Image.Image, frame: Frame) -> Image.Image:
    """One of L, LA, RGB, RGBA (or CMYK), box-reduced strip by strip when it must convert a large image."""
    image, frame.region = resize.normalise_reduced(image, frame.region, frame.size)
    return image


def resample(image: Image.Image, frame: Frame) -> Image.Image:
    return resize.resample(image, frame.region, frame.size)


def to_srgb(image: Image.Image, frame: Frame) -> Image.Image:
    return colour.to_srgb(image, frame.icc, in_place=frame.owned)


def orient(image: Image.Image, frame: Frame) -> Image.Image:
    """EXIF orientation and the request's rotation and mirror, as one transpose of the small image."""
    return decode.orient(image, frame.orientation)


def adjust(image: Image.Image, frame: Frame) -> Image.Image:
    spec = frame.spec
    return effects.adjust(image, brightness=spec.brightness, contrast=spec.contrast, saturation=spec.saturation,
                          grayscale=spec.grayscale)


def blur(image: Image.Image, frame: Frame) -> Image.Image:
    return effects.blur(image, frame.spec.blur)


def sharpen(image: Image.Image, frame: Frame) -> Image.Image:
    return effects.sharpen(image, frame.spec.sharpen)


def flatten(image: Image.Image, frame: Frame) -> Image.Image:
    """``bg``: transparency onto the background colour."""
    return effects.flatten(image, frame.spec.background)


def pad(image: Image.Image, frame: Frame) -> Image.Image:
    """``fit=contain``: the image on its canvas."""
    return effects.pad(image, frame.plan.canvas, frame.plan.offset, frame.spec.background)


def watermark(image: Image.Image, frame: Frame) -> Image.Image:
    return watermarks.apply(image, frame.mark, frame.mark_settings)


#: The order matters: resample before anything per-pixel (it is the only step at the source's size),
#: colour and orientation on the small image, effects on the oriented output, padding and the watermark
#: last so neither is blurred, sharpened or recoloured.
FRAME_STEPS: tuple[Step, ...] = (normalise, resample, to_srgb, orient, adjust, blur, sharpen, flatten, pad, watermark)


def process(image: Image.Image, frame: Frame, *, owned: bool = False) -> Image.Image:
    """``image`` through every step, with its own copy of ``frame``. ``owned``: the caller keeps no other
    reference to ``image`` (nor does anything else), so the steps may write into it and each image is
    freed as soon as the next step has made its own."""
    own = replace(frame, owned=owned)
    for step in FRAME_STEPS:
        made = step(image, own)
        own.owned = own.owned or made is not image
        image = made
    return image
