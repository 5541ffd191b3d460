"""Canonicalisation: ``RequestParams`` → the ``VariantSpec`` this viewer gets (*which bytes?*).

Folds in the device class preset, ``dpr`` and the client hints, the negotiated format and default quality,
and (for named variants) snaps sizes, quality, colour adjustments and byte budgets to their steps. The
result holds exactly what changes the output bytes and nothing else (a parameter that cannot change them
is dropped, e.g. a gravity without a crop), so two requests that would produce identical bytes resolve to
equal specs, and so to one variant key.
"""

from __future__ import annotations

import math
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from ..errors import BadRequest
from .spec import RequestParams, VariantSpec
from .vocabulary import (
    ADJUST_STEP,
    ANIMATED_FORMATS,
    AUTO_QUALITY,
    COMPASS,
    EXIF_FORMATS,
    FORMATS,
    LOSSY_FORMATS,
    PLACEHOLDER_FORMATS,
    PLACEHOLDER_SIDE,
    SCALE_STEP,
)

if TYPE_CHECKING:
    from ..config import Config
    from .negotiate import ClientHints


def resolve(
    params: RequestParams,
    config: "Config",
    *,
    device: str = "desktop",
    negotiated_format: str = "legacy",
    snap: bool = True,
    hints: "ClientHints | None" = None,
) -> VariantSpec:
    """Turn what the URL asked for into the canonical spec for this viewer.

    ``device`` picks the preset used when the URL names no size and no client hint gives one;
    ``negotiated_format`` is what ``fmt=auto`` becomes for this viewer (see ``negotiate.negotiate_format``);
    ``hints`` are the viewer's client hints (``negotiate.client_hints``): the size comes from, in order,
    ``scale`` (a fraction of the original times ``dpr``, snapped up to ``SCALE_STEP``; the origin resolves
    it), ``w``/``h`` (times ``dpr``, or the ``Sec-CH-DPR`` hint when the URL gives no ``dpr``), then
    ``Sec-CH-Width`` (physical px), then ``Sec-CH-Viewport-Width`` x DPR, then the device preset;
    ``Save-Data`` lowers the default quality. ``snap`` is True for named variants (viewer-request, local
    edge) and False for ``transform``/CLI, which honour exact sizes.
    """
    fmt = negotiated_format if params.format == "auto" else params.format
    if fmt not in FORMATS:
        raise ValueError(f"negotiated format {fmt!r} is not a format")
    if fmt == "json":
        return VariantSpec(None, None, None, None, "json")

    dpr = params.dpr if params.dpr is not None else (hints.dpr if hints is not None and hints.dpr else 1.0)
    scale = _relative(params.scale, dpr, snap)
    width, height = (None, None) if scale is not None else (params.width, params.height)
    if scale is None and width is None and height is None:
        if hints is not None and hints.width:
            width = min(config.max_dimension, hints.width)
        elif hints is not None and hints.viewport_width:
            width = _scaled(hints.viewport_width, dpr, config)
        else:
            width = int(config.preset_for(device)["width"])
    else:
        width = _scaled(width, dpr, config)
        height = _scaled(height, dpr, config)
    if params.aspect is not None and (width is None) != (height is None):
        width, height = aspect_box(width, height, params.aspect, config)
    both = width is not None and height is not None
    fit = (params.fit or "cover") if both else None

    if fmt in PLACEHOLDER_FORMATS:
        return _placeholder_spec(params, fmt, width, height, fit, snap, config)

    if snap:
        width, height = snap_box(width, height, config)
    if width is not None and height is not None and width * height > config.max_output_pixels:
        raise BadRequest(f"requested size {width}x{height} exceeds the {config.max_output_pixels} pixel limit")

    quality: int | None = None
    target: int | None = None
    save_data = bool(hints is not None and hints.save_data)
    if fmt in LOSSY_FORMATS and is_auto_quality(params, device, config):
        target = config.target_for(save_data)
    elif fmt in LOSSY_FORMATS:
        quality_key = "jpeg" if fmt == "legacy" else fmt
        if isinstance(params.quality, int):
            quality = params.quality
        else:
            quality = config.quality_for(quality_key, device, save_data=save_data)
        if snap:
            quality = snap_quality(quality, config.quality_step)

    max_bytes = params.max_bytes
    if max_bytes is not None and snap:
        max_bytes = snap_budget(max_bytes, config.byte_budgets)
    return VariantSpec(
        width=width, height=height, fit=fit, quality=quality, format=fmt,
        enlarge=params.enlarge and scale is None,
        scale=scale,
        watermark=params.watermark,
        keep_copyright=params.keep_copyright and fmt in EXIF_FORMATS,
        animated=params.animated or fmt not in ANIMATED_FORMATS,
        max_bytes=max_bytes,
        target=target,
        blur=params.blur,
        sharpen=params.sharpen,
        **_shared_options(params, fit, snap),
    )


def is_auto_quality(params: RequestParams, device: str, config: "Config") -> bool:
    """``q=auto``, or no quality at all for ``fmt=auto`` when the config makes auto quality its default (a
    device preset's own quality still wins)."""
    if params.quality == AUTO_QUALITY:
        return True
    return (params.quality is None and params.format == "auto" and config.auto_quality
            and "quality" not in config.preset_for(device))


def _shared_options(params: RequestParams, fit: str | None, snap: bool) -> dict[str, Any]:
    """The options images and placeholders share: crop, gravity, orientation, background, colour."""
    gravity, focal = params.gravity, params.focal
    if gravity == "centre" or fit not in ("cover", "contain"):
        gravity, focal = None, None
    elif fit == "contain" and gravity not in COMPASS:
        gravity, focal = None, None  # a letterbox has no crop to steer: smart and fp place it centred
    if gravity == "fp" and focal in (None, (50, 50)):
        gravity, focal = None, None
    rotate, mirror = canonical_orientation(params.rotate, params.flip)
    step = ADJUST_STEP if snap else 1
    brightness, contrast, saturation = (step * round(v / step) for v in
                                        (params.brightness, params.contrast, params.saturation))
    grayscale = params.grayscale or saturation == -100
    return dict(
        rect=params.rect, gravity=gravity, focal=focal if gravity == "fp" else None,
        rotate=rotate, mirror=mirror, background=params.background,
        brightness=brightness, contrast=contrast, saturation=0 if grayscale else saturation, grayscale=grayscale,
    )


def _placeholder_spec(params: RequestParams, fmt: str, width: int | None, height: int | None, fit: str | None,
                      snap: bool, config: "Config") -> VariantSpec:
    """A placeholder describes the image's shape and colours: only a box that shapes it (cover, contain,
    fill) is kept, scaled to ``PLACEHOLDER_SIDE`` on its longer side so every rung of one shape is one
    placeholder; quality, blur, sharpen, watermark, metadata, frames and budgets do not apply."""
    if width is None or height is None or fit in ("inside", "outside"):
        width = height = fit = None
    else:
        if snap:
            width, height = snap_box(width, height, config)
        width, height = placeholder_box(width, height, config if snap else None)  # type: ignore[arg-type]
    return VariantSpec(width=width, height=height, fit=fit, quality=None, format=fmt,
                       **_shared_options(params, fit, snap))


def placeholder_box(width: int, height: int, config: "Config | None") -> tuple[int, int]:
    """The box of one shape at ``PLACEHOLDER_SIDE`` on its longer side; with ``config``, the shape is the
    nearest of its aspect ratios (so the box is a fixed point)."""
    long_side, short_side = max(width, height), min(width, height)
    if config is not None:
        ratio = nearest_ratio(long_side, short_side, config)
        short = max(1, round(PLACEHOLDER_SIDE * ratio[1] / ratio[0]))
    else:
        short = max(1, round(PLACEHOLDER_SIDE * short_side / long_side))
    return (PLACEHOLDER_SIDE, short) if width >= height else (short, PLACEHOLDER_SIDE)


def canonical_orientation(rotate: int, flip: str | None) -> tuple[int, bool]:
    """(clockwise rotation, mirror) for "rotate, then flip": a vertical flip is a 180° turn and a mirror,
    both flips a 180° turn, so the 16 spellings name the 8 orientations once."""
    if flip in ("v", "hv"):
        rotate = (rotate + 180) % 360
    return rotate, flip in ("h", "v")


#: The fields a spec and a request share by name: what ``is_canonical`` hands back to ``resolve`` as is.
_SHARED_FIELDS = tuple(f.name for f in fields(RequestParams) if f.name in {g.name for g in fields(VariantSpec)}
                       and f.name != "format")


def is_canonical(spec: VariantSpec, config: "Config") -> bool:
    """True if the edge itself could have named ``spec``: on the ladder, quality and options on their steps.

    The origin refuses anything else, so no URL (a crafted variant key, a bot walking sizes) can make it
    generate an image outside the ladder. The spec is asked for again as a request (``legacy`` as ``auto``,
    the mirror as ``flip=h``) and must resolve to itself.
    """
    if spec.format == "json":
        return True
    if spec.width is None and spec.height is None and spec.scale is None and spec.format not in PLACEHOLDER_FORMATS:
        return False
    if spec.watermark is not None and spec.watermark not in config.watermarks:
        return False
    shared = {name: getattr(spec, name) for name in _SHARED_FIELDS}
    if spec.target is not None:
        shared["quality"] = AUTO_QUALITY
    params = RequestParams(format="auto" if spec.format == "legacy" else spec.format,
                           flip="h" if spec.mirror else None, **shared)
    from .negotiate import ClientHints  # the one target Save-Data names is canonical too

    try:
        return any(resolve(params, config, negotiated_format="legacy", snap=True,
                           hints=ClientHints(save_data=save_data)) == spec for save_data in (False, True))
    except BadRequest:
        return False


def snap_to_ladder(value: int, ladder: tuple[int, ...]) -> int:
    """The smallest rung >= value (never fewer pixels than asked), or the top rung."""
    for rung in ladder:
        if rung >= value:
            return rung
    return ladder[-1]


def snap_quality(quality: int, step: int) -> int:
    """Nearest multiple of ``step`` within step..100 (q=83 and q=84 share a variant at step 5)."""
    return max(step, min(100, step * round(quality / step)))


def snap_budget(max_bytes: int, budgets: tuple[int, ...]) -> int:
    """The largest budget <= ``max_bytes`` (a variant never exceeds what was asked), or the smallest."""
    fitting = [b for b in budgets if b <= max_bytes]
    return fitting[-1] if fitting else budgets[0]


def nearest_ratio(long_side: int, short_side: int, config: "Config") -> tuple[int, int]:
    """The allowed aspect ratio nearest (in log terms) to ``long_side:short_side``."""
    wanted = math.log(long_side / short_side)
    return min(config.aspect_ratios, key=lambda r: abs(math.log(r[0] / r[1]) - wanted))


def snap_box(width: int | None, height: int | None, config: "Config") -> tuple[int | None, int | None]:
    """Snap a box to the ladder and, when both sides are given, to the nearest allowed aspect ratio.

    The longer side snaps up to a rung and the shorter follows the ratio, so crops keep (nearly) the
    requested shape: 400x300 becomes 480x360, 300x170 becomes 320x180 (16:9). Snapped boxes are fixed
    points (resolving one again gives itself), so the origin can re-check any key it is asked for, and one
    original has at most rungs x ratios boxes per fit.
    """
    if width is None and height is None:
        return None, None
    if height is None:
        return snap_to_ladder(width, config.ladder), None  # type: ignore[arg-type]
    if width is None:
        return None, snap_to_ladder(height, config.ladder)
    long_side, short_side = max(width, height), min(width, height)
    ratio = nearest_ratio(long_side, short_side, config)
    rung = snap_to_ladder(long_side, config.ladder)
    short = max(1, round(rung * ratio[1] / ratio[0]))
    return (rung, short) if width >= height else (short, rung)


def aspect_box(width: int | None, height: int | None, aspect: tuple[float, float],
               config: "Config") -> tuple[int, int]:
    """A one-sided box completed by ``ar`` (width:height), its new side within 1..max_dimension."""
    ratio = aspect[0] / aspect[1]
    if height is None:
        return width, max(1, min(config.max_dimension, round(width / ratio)))  # type: ignore[return-value,operator]
    return max(1, min(config.max_dimension, round(height * ratio))), height


def snap_scale(percent: int) -> int:
    """Up to the next multiple of ``SCALE_STEP`` (never fewer pixels than asked), at most the whole original."""
    return min(100, SCALE_STEP * -(-percent // SCALE_STEP))


def _relative(percent: int | None, dpr: float, snap: bool) -> int | None:
    """``scale`` times ``dpr``, in whole percent of the original: never more than all of it."""
    if percent is None:
        return None
    scaled = min(100, math.ceil(round(percent * dpr, 6)))
    return snap_scale(scaled) if snap else scaled


def _scaled(value: int | None, dpr: float, config: "Config") -> int | None:
    if value is None:
        return None
    return max(1, min(config.max_dimension, round(value * dpr)))
