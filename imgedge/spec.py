"""The request grammar: one parser from a query string to one validated struct, then one resolver to the
canonical ``VariantSpec``.

Two steps, because they answer different questions:

* ``parse_query`` — *is this URL well formed?* Pure syntax and ranges. Any mistake is a ``BadRequest``
  naming the parameter and the allowed values.
* ``resolve`` — *which bytes does this viewer get?* Folds in the device class preset, ``dpr``, the
  negotiated format and default quality, and (for named variants) snaps sizes and quality to the
  configured ladder. The result holds exactly what changes the output bytes and nothing else, so two
  requests that would produce identical bytes resolve to equal specs (and so to one variant key).

Parameters (aliases in brackets):

=========  ==========  ================================================================
``w``      [width]     output width in px, 1..max_dimension
``h``      [height]    output height in px, 1..max_dimension
``fit``                cover | contain | fill | inside (only matters when both w and h)
``q``      [quality]   1..100 (ignored for PNG)
``fmt``    [format,f]  auto | jpeg (jpg) | webp | avif | png
``dpr``                device pixel ratio 1..4 (multiplies w and h)
``preset``             a named preset from the config; explicit parameters override it
=========  ==========  ================================================================
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from .config import Config
from .errors import BadRequest, Forbidden

FITS = ("cover", "contain", "fill", "inside")
#: Concrete output formats, plus ``legacy``: what ``fmt=auto`` means for a viewer that accepts neither
#: AVIF nor WebP — JPEG, or PNG when the original has transparency (only the original can tell).
FORMATS = ("jpeg", "png", "webp", "avif", "legacy")
REQUESTABLE_FORMATS = ("auto", "jpeg", "png", "webp", "avif")
LOSSY_FORMATS = ("jpeg", "webp", "avif", "legacy")

_ALIASES = {
    "w": "w", "width": "w",
    "h": "h", "height": "h",
    "fit": "fit",
    "q": "q", "quality": "q",
    "fmt": "fmt", "format": "fmt", "f": "fmt",
    "dpr": "dpr",
    "preset": "preset",
}
#: What a request may add to a preset when ``presets_only`` is on: neither changes the box's shape.
_PRESET_EXTRAS = {"fmt", "dpr"}
_FORMAT_ALIASES = {"jpg": "jpeg"}
_INT = re.compile(r"[0-9]{1,6}")
_DPR = re.compile(r"[0-9](?:\.[0-9]{1,3})?")
MAX_DPR = 4.0


@dataclass(frozen=True)
class RequestParams:
    """What the URL says, validated, nothing resolved yet. ``None`` means "not given"."""

    width: int | None = None
    height: int | None = None
    fit: str | None = None
    quality: int | None = None
    format: str = "auto"
    dpr: float = 1.0


@dataclass(frozen=True)
class VariantSpec:
    """Exactly what determines the output bytes for one original.

    ``width``/``height`` are the box in output pixels (one may be ``None``: follow the aspect ratio);
    ``fit`` is set only when both are; ``quality`` is ``None`` for PNG.
    """

    width: int | None
    height: int | None
    fit: str | None
    quality: int | None
    format: str

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"unknown format {self.format!r}")
        if self.fit is not None and self.fit not in FITS:
            raise ValueError(f"unknown fit {self.fit!r}")
        if (self.fit is not None) != (self.width is not None and self.height is not None):
            raise ValueError("fit is set exactly when both width and height are")
        if (self.quality is None) != (self.format == "png"):
            raise ValueError("quality is set exactly for the lossy formats")


def parse_query(query: str, config: Config) -> RequestParams:
    """Parse a raw query string (``w=640&fmt=auto``) into validated ``RequestParams``.

    Unknown or repeated parameters are refused rather than ignored: a typo such as ``widht=640`` must not
    silently serve the wrong size.
    """
    if len(query) > 2048:
        raise BadRequest("query string too long")
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=False, max_num_fields=32)
    except ValueError:
        raise BadRequest("too many query parameters") from None
    seen = _named_values(pairs)
    preset = seen.pop("preset", None)
    if config.presets_only and set(seen) - _PRESET_EXTRAS:
        raise Forbidden("only presets are allowed here: use preset=, fmt and dpr")
    if preset is not None:
        if preset not in config.presets:
            raise BadRequest(f"unknown preset {_quote(preset)}")
        seen = {**_named_values(parse_qsl(config.presets[preset], keep_blank_values=True)), **seen}

    params: dict[str, object] = {}
    if "w" in seen:
        params["width"] = _dimension("w", seen["w"], config)
    if "h" in seen:
        params["height"] = _dimension("h", seen["h"], config)
    if "q" in seen:
        params["quality"] = _int_in("q", seen["q"], 1, 100)
    if "fit" in seen:
        fit = seen["fit"].lower()
        if fit not in FITS:
            raise BadRequest(f"fit must be one of {', '.join(FITS)}")
        params["fit"] = fit
    if "fmt" in seen:
        fmt = _FORMAT_ALIASES.get(seen["fmt"].lower(), seen["fmt"].lower())
        if fmt not in REQUESTABLE_FORMATS:
            raise BadRequest(f"fmt must be one of {', '.join(REQUESTABLE_FORMATS)}")
        params["format"] = fmt
    if "dpr" in seen:
        raw = seen["dpr"]
        if not _DPR.fullmatch(raw) or not 1.0 <= float(raw) <= MAX_DPR:
            raise BadRequest("dpr must be a number from 1 to 4")
        params["dpr"] = float(raw)
    return RequestParams(**params)  # type: ignore[arg-type]


def _named_values(pairs: list[tuple[str, str]]) -> dict[str, str]:
    seen: dict[str, str] = {}
    for raw_name, value in pairs:
        name = _ALIASES.get(raw_name.lower())
        if name is None:
            raise BadRequest(f"unknown parameter {_quote(raw_name)}; known: w, h, fit, q, fmt, dpr, preset")
        if name in seen:
            raise BadRequest(f"parameter {name} given more than once")
        seen[name] = value.strip()
    return seen


def resolve(
    params: RequestParams,
    config: Config,
    *,
    device: str = "desktop",
    negotiated_format: str = "legacy",
    snap: bool = True,
) -> VariantSpec:
    """Turn what the URL asked for into the canonical spec for this viewer.

    ``device`` picks the preset used when neither ``w`` nor ``h`` is given (and a preset quality);
    ``negotiated_format`` is what ``fmt=auto`` becomes for this viewer (see ``negotiate.negotiate_format``);
    ``snap`` is True for named variants (viewer-request, local edge) and False for ``transform``/CLI,
    which honour exact sizes.
    """
    width, height = params.width, params.height
    if width is None and height is None:
        width = int(config.preset_for(device)["width"])
    else:
        width = _scaled(width, params.dpr, config)
        height = _scaled(height, params.dpr, config)

    if snap:
        width, height = _snap_box(width, height, config)
    if width is not None and height is not None and width * height > config.max_output_pixels:
        raise BadRequest(f"requested size {width}x{height} exceeds the {config.max_output_pixels} pixel limit")

    fmt = negotiated_format if params.format == "auto" else params.format
    if fmt not in FORMATS:
        raise ValueError(f"negotiated format {fmt!r} is not a format")
    quality: int | None = None
    if fmt in LOSSY_FORMATS:
        quality_key = "jpeg" if fmt == "legacy" else fmt
        quality = params.quality if params.quality is not None else config.quality_for(quality_key, device)
        if snap:
            quality = snap_quality(quality, config.quality_step)

    fit = (params.fit or "cover") if width is not None and height is not None else None
    return VariantSpec(width=width, height=height, fit=fit, quality=quality, format=fmt)


def is_canonical(spec: VariantSpec, config: Config) -> bool:
    """True if the edge itself could have named ``spec``: on the ladder, quality on its step.

    The origin refuses anything else, so no URL (a crafted variant key, a bot walking sizes) can make it
    generate an image outside the ladder.
    """
    params = RequestParams(
        width=spec.width, height=spec.height, fit=spec.fit, quality=spec.quality,
        format="auto" if spec.format == "legacy" else spec.format,
    )
    if spec.width is None and spec.height is None:
        return False
    try:
        return resolve(params, config, negotiated_format="legacy", snap=True) == spec
    except BadRequest:
        return False


def variant_bound(config: Config) -> int:
    """How many distinct variants the edge can name for one original, whatever the URLs.

    Boxes: width-only and height-only rungs, plus rung x shape x fit when both sides are given (each
    aspect ratio in both orientations; a square has one). Encodings: JPEG, WebP, AVIF and legacy share
    the quality axis; PNG has none.
    """
    shapes = sum(1 if w == h else 2 for w, h in config.aspect_ratios)
    boxes = 2 * len(config.ladder) + len(config.ladder) * shapes * len(FITS)
    qualities = len(range(config.quality_step, 101, config.quality_step))
    return boxes * (4 * qualities + 1)


def snap_to_ladder(value: int, ladder: tuple[int, ...]) -> int:
    """The smallest rung >= value (never fewer pixels than asked), or the top rung."""
    for rung in ladder:
        if rung >= value:
            return rung
    return ladder[-1]


def snap_quality(quality: int, step: int) -> int:
    """Nearest multiple of ``step`` within step..100 (q=83 and q=84 share a variant at step 5)."""
    return max(step, min(100, step * round(quality / step)))


def _snap_box(width: int | None, height: int | None, config: Config) -> tuple[int | None, int | None]:
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
    wanted = math.log(long_side / short_side)
    ratio = min(config.aspect_ratios, key=lambda r: abs(math.log(r[0] / r[1]) - wanted))
    rung = snap_to_ladder(long_side, config.ladder)
    short = max(1, round(rung * ratio[1] / ratio[0]))
    return (rung, short) if width >= height else (short, rung)


def _scaled(value: int | None, dpr: float, config: Config) -> int | None:
    if value is None:
        return None
    return max(1, min(config.max_dimension, round(value * dpr)))


def _dimension(name: str, raw: str, config: Config) -> int:
    return _int_in(name, raw, 1, config.max_dimension)


def _int_in(name: str, raw: str, low: int, high: int) -> int:
    if not _INT.fullmatch(raw) or not low <= int(raw) <= high:
        raise BadRequest(f"{name} must be an integer from {low} to {high}")
    return int(raw)


def _quote(text: str) -> str:
    """A parameter name safe to echo in an error body (printable ASCII, bounded)."""
    cleaned = "".join(ch if 32 < ord(ch) < 127 else "?" for ch in text[:40])
    return repr(cleaned)
