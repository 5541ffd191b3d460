"""Geometry: the numbers of a resize, no pixels.

Three coordinate spaces, each a rectangle of the same pixels:

* *stored*: the pixels as the file holds them;
* *displayed*: after the EXIF orientation, what every viewer and ``rect``/``fp-x``/``fp-y`` refer to;
* *output*: after the request's own ``rot`` (clockwise) and ``flip`` too, what ``w``/``h``, ``fit`` and
  ``g`` refer to (north is the top of the image the viewer gets).

An orientation is one of the 8 EXIF values; the EXIF one and the request's compose into one
(``compose``), so the expensive work runs on the stored pixels and only the small result is transposed
once. ``plan`` works in output space: given the size of the source there, the region to use (``rect``,
mapped there) and, for ``fp``/``smart``, the point to centre the crop on, it says which region of the
source to take (``crop``), what size to resample it to (``size``) and, for ``fit=contain``, the canvas
and where the image sits on it. Nothing is ever enlarged unless the spec says ``enlarge``: when the box
asks for more pixels than the source has, the box shrinks uniformly (keeping its shape) until it fits.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..errors import BadRequest
from ..request.spec import VariantSpec
from ..request.vocabulary import ANCHORS

Box = tuple[float, float, float, float]
Point = tuple[float, float]


@dataclass(frozen=True)
class Plan:
    crop: Box  # region of the source in output space, (left, top, right, bottom)
    size: tuple[int, int]  # resampled size of that region
    canvas: tuple[int, int] | None = None  # contain: final box
    offset: tuple[int, int] | None = None  # contain: where the resampled image sits on the canvas

    @property
    def output_size(self) -> tuple[int, int]:
        return self.canvas or self.size


def plan(source_size: tuple[int, int], spec: VariantSpec, *, region: Box | None = None,
         focus: Point | None = None, max_dimension: int | None = None) -> Plan:
    """The crop, size and canvas for ``spec`` from a source of ``source_size`` (output space).

    ``region``: the part of the source to work from (``rect``), default all of it. ``focus``: the point
    a ``cover`` crop is centred on (as near as the region allows), for ``fp`` and ``smart``; otherwise the
    crop sits by the spec's gravity (centre by default). ``max_dimension``: the longest side a relative
    size (``scale``) may reach; the named sizes are within it already.
    """
    left0, top0, right0, bottom0 = region or (0.0, 0.0, float(source_size[0]), float(source_size[1]))
    sw, sh = right0 - left0, bottom0 - top0
    full: Box = (left0, top0, right0, bottom0)
    if spec.scale is not None:
        return Plan(full, scaled_size((sw, sh), spec.scale, max_dimension))
    w, h = spec.width, spec.height
    grow = spec.enlarge
    if h is None:
        if w is None:
            return Plan(full, (_side(sw), _side(sh)))
        w = w if grow else min(w, _side(sw))
        return Plan(full, (w, _side(sh * w / sw)))
    if w is None:
        h = h if grow else min(h, _side(sh))
        return Plan(full, (_side(sw * h / sh), h))

    fit = spec.fit or "cover"
    if fit == "fill":
        shrink = 1.0 if grow else min(1.0, sw / w, sh / h)
        return Plan(full, (_side(w * shrink), _side(h * shrink)))
    if fit in ("inside", "contain", "outside"):
        scale = min(w / sw, h / sh) if fit != "outside" else max(w / sw, h / sh)
        if scale >= 1.0 and not grow:  # the original already fits: keep it; contain's box shrinks with it
            if fit != "contain":
                return Plan(full, (_side(sw), _side(sh)))
            size, box = (_side(sw), _side(sh)), (_side(w / scale), _side(h / scale))
        else:
            size, box = (_side(sw * scale), _side(sh * scale)), (w, h)
        if fit != "contain" or size == box:
            return Plan(full, size)
        ax, ay = ANCHORS[spec.gravity if spec.gravity in ANCHORS else None]
        offset = (int((box[0] - size[0]) * ax), int((box[1] - size[1]) * ay))
        return Plan(full, size, box, offset)
    # cover: fill the box, crop the overflow by gravity or around the focus
    scale = max(w / sw, h / sh)
    if scale > 1.0 and not grow:
        w, h, scale = _side(w / scale), _side(h / scale), 1.0
    crop_w, crop_h = min(sw, w / scale), min(sh, h / scale)
    if focus is not None:
        left = _clamp(focus[0] - crop_w / 2, left0, right0 - crop_w)
        top = _clamp(focus[1] - crop_h / 2, top0, bottom0 - crop_h)
    else:
        ax, ay = ANCHORS[spec.gravity if spec.gravity in ANCHORS else None]
        left, top = left0 + (sw - crop_w) * ax, top0 + (sh - crop_h) * ay
    return Plan((left, top, left + crop_w, top + crop_h), (w, h))


def scaled_size(size: tuple[float, float], percent: int, max_dimension: int | None = None) -> tuple[int, int]:
    """``percent`` of ``size``, shrunk (keeping its shape) until its longer side is within ``max_dimension``:
    a relative size is resolved only here, once the original's size is known."""
    factor = percent / 100
    if max_dimension is not None:
        factor = min(factor, max_dimension / max(size))
    return _side(size[0] * factor), _side(size[1] * factor)


# --- orientations ---------------------------------------------------------------------------------------


def forward_point(point: Point, stored_size: tuple[float, float], orientation: int) -> Point:
    """Where a point of the stored image lands once ``orientation`` (an EXIF value, 1–8) is applied."""
    x, y = point
    W, H = stored_size
    return {
        1: (x, y),
        2: (W - x, y),
        3: (W - x, H - y),
        4: (x, H - y),
        5: (y, x),
        6: (H - y, x),
        7: (H - y, W - x),
        8: (y, W - x),
    }[orientation]


def oriented_size(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    return (size[1], size[0]) if orientation in (5, 6, 7, 8) else size


def forward_box(box: Box, stored_size: tuple[float, float], orientation: int) -> Box:
    """A stored-space box in displayed space (``to_stored``'s inverse)."""
    a = forward_point((box[0], box[1]), stored_size, orientation)
    b = forward_point((box[2], box[3]), stored_size, orientation)
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1]))


def to_stored(box: Box, displayed_size: tuple[int, int], orientation: int) -> Box:
    """Map a box in displayed coordinates to stored coordinates for an EXIF orientation (1–8)."""
    left, top, right, bottom = box
    W, H = displayed_size
    return {
        1: (left, top, right, bottom),
        2: (W - right, top, W - left, bottom),
        3: (W - right, H - bottom, W - left, H - top),
        4: (left, H - bottom, right, H - top),
        5: (top, left, bottom, right),
        6: (top, W - right, bottom, W - left),
        7: (H - bottom, W - right, H - top, W - left),
        8: (H - bottom, left, H - top, right),
    }[orientation]


def to_stored_plan(layout: Plan, space: tuple[int, int], orientation: int) -> tuple[Box, tuple[int, int]]:
    """``layout``'s crop and resampled size in stored space: the resample runs on the stored pixels and
    only its small result is transposed."""
    crop = to_stored(layout.crop, space, orientation)
    size = (layout.size[1], layout.size[0]) if orientation in (5, 6, 7, 8) else layout.size
    return crop, size


def scale_box(box: Box, scale: tuple[float, float], size: tuple[int, int]) -> Box:
    """A stored-space box in the decoded image's pixels (``scale`` from ``decode.decoded_scale``),
    clipped to its ``size`` (the DCT-scaled size is rounded up, so the scaled box may overrun)."""
    fx, fy = scale
    return (max(0.0, box[0] * fx), max(0.0, box[1] * fy),
            min(float(size[0]), box[2] * fx), min(float(size[1]), box[3] * fy))


#: The request's (clockwise rotation, mirror) as an EXIF orientation value: rotate, then mirror.
USER_ORIENTATION = {(0, False): 1, (0, True): 2, (90, False): 6, (90, True): 5, (180, False): 3, (180, True): 4,
                    (270, False): 8, (270, True): 7}


@lru_cache(maxsize=None)
def compose(first: int, then: int) -> int:
    """The one orientation equal to applying ``first``, then ``then``."""
    size = (3.0, 2.0)  # not square, so every orientation moves these points differently
    probes = ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0))
    mid = oriented_size(size, first)  # type: ignore[arg-type]
    want = [forward_point(forward_point(p, size, first), mid, then) for p in probes]
    for candidate in range(1, 9):
        if [forward_point(p, size, candidate) for p in probes] == want:
            return candidate
    raise AssertionError("orientations form a group")


def output_orientation(exif_orientation: int, spec: VariantSpec) -> int:
    """Stored → output: the EXIF orientation, then the request's rotation and mirror."""
    return compose(exif_orientation, USER_ORIENTATION[(spec.rotate, spec.mirror)])


def output_region(spec: VariantSpec, displayed_size: tuple[int, int]) -> Box | None:
    """``rect`` (displayed space, clipped to the image) in output space; None without a rect.
    ``BadRequest`` when the rectangle lies outside the image."""
    if spec.rect is None:
        return None
    x, y, w, h = spec.rect
    W, H = displayed_size
    box = (float(min(x, W)), float(min(y, H)), float(min(x + w, W)), float(min(y + h, H)))
    if box[2] - box[0] < 1 or box[3] - box[1] < 1:
        raise BadRequest(f"rect lies outside the {W}x{H} image")
    return forward_box(box, displayed_size, USER_ORIENTATION[(spec.rotate, spec.mirror)])


def output_focus(spec: VariantSpec, displayed_size: tuple[int, int]) -> Point | None:
    """The focal point (``fp-x``/``fp-y``, percent of the displayed original) in output space."""
    if spec.gravity != "fp" or spec.focal is None:
        return None
    point = (displayed_size[0] * spec.focal[0] / 100, displayed_size[1] * spec.focal[1] / 100)
    return forward_point(point, displayed_size, USER_ORIENTATION[(spec.rotate, spec.mirror)])


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(value, high))


def _side(value: float) -> int:
    return max(1, round(value))
