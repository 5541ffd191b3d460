"""Geometry: the numbers of a resize, no pixels.

Given the displayed size of the original and a spec, ``plan`` says which region of the original to take
(``crop``, in displayed coordinates), what size to resample it to (``size``) and, for ``fit=contain``,
the canvas to centre it on (``canvas``). Nothing is ever enlarged: when the box asks for more pixels
than the original has, the box shrinks uniformly (keeping its shape) until it fits.

``to_stored`` maps a displayed-coordinate box back onto the stored (pre-EXIF-orientation) pixels, so the
expensive work runs on the stored image and only the small result is transposed.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..spec import VariantSpec

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Plan:
    crop: Box  # region of the displayed original, (left, top, right, bottom)
    size: tuple[int, int]  # resampled size of that region
    canvas: tuple[int, int] | None = None  # contain: final box, image centred on it

    @property
    def output_size(self) -> tuple[int, int]:
        return self.canvas or self.size


def plan(source_size: tuple[int, int], spec: VariantSpec) -> Plan:
    sw, sh = source_size
    full: Box = (0.0, 0.0, float(sw), float(sh))
    w, h = spec.width, spec.height
    if w is None and h is None:
        return Plan(full, (sw, sh))
    if h is None:
        w = min(w, sw)  # type: ignore[type-var]
        return Plan(full, (w, _side(sh * w / sw)))
    if w is None:
        h = min(h, sh)
        return Plan(full, (_side(sw * h / sh), h))

    fit = spec.fit or "cover"
    if fit == "fill":
        shrink = min(1.0, sw / w, sh / h)
        return Plan(full, (_side(w * shrink), _side(h * shrink)))
    if fit in ("inside", "contain"):
        scale = min(w / sw, h / sh)
        if scale >= 1.0:  # the original already fits: keep it; contain's box shrinks with it
            box = (_side(w / scale), _side(h / scale)) if fit == "contain" else None
            return Plan(full, (sw, sh), box)
        size = (_side(sw * scale), _side(sh * scale))
        return Plan(full, size, (w, h) if fit == "contain" and size != (w, h) else None)
    # cover: fill the box, crop the overflow around the centre
    scale = max(w / sw, h / sh)
    if scale > 1.0:
        w, h, scale = _side(w / scale), _side(h / scale), 1.0
    crop_w, crop_h = w / scale, h / scale
    left, top = (sw - crop_w) / 2, (sh - crop_h) / 2
    return Plan((left, top, left + crop_w, top + crop_h), (w, h))


def to_stored(box: Box, displayed_size: tuple[int, int], orientation: int) -> Box:
    """Map a box in displayed coordinates to stored coordinates for an EXIF orientation (1–8)."""
    l, t, r, b = box
    W, H = displayed_size
    return {
        1: (l, t, r, b),
        2: (W - r, t, W - l, b),
        3: (W - r, H - b, W - l, H - t),
        4: (l, H - b, r, H - t),
        5: (t, l, b, r),
        6: (t, W - r, b, W - l),
        7: (H - b, W - r, H - t, W - l),
        8: (H - b, l, H - t, r),
    }[orientation]


def _side(value: float) -> int:
    return max(1, round(value))
