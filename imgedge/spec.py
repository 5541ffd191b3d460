"""The request grammar: one parser from a query string to one validated struct, then one resolver to the
canonical ``VariantSpec``.

Two steps, because they answer different questions:

* ``parse_query`` — *is this URL well formed?* Syntax, ranges, and the options an unsigned URL may use
  (``Config.allowed_options``). Any mistake is a ``BadRequest`` naming the parameter and the allowed values.
* ``resolve`` — *which bytes does this viewer get?* Folds in the device class preset, ``dpr`` and the
  client hints, the negotiated format and default quality, and (for named variants) snaps sizes, quality,
  colour adjustments and byte budgets to their steps. The result holds exactly what changes the output
  bytes and nothing else (a parameter that cannot change them is dropped, e.g. a gravity without a crop),
  so two requests that would produce identical bytes resolve to equal specs, and so to one variant key.

Parameters (aliases in brackets; the README's table is the user-facing copy):

===============  =====================  =========================================================
``w``            width                  output width in px, 1..max_dimension
``h``            height                 output height in px, 1..max_dimension
``fit``                                 cover (crop) | contain (pad, letterbox) | fill (force,
                                        stretch, scale) | inside (clip, scale-down, max) | outside
``enlarge``      el, upscale            0 | 1: let the box exceed the original (default: never)
``rect``                                x,y,w,h: crop this rectangle of the original first (px)
``g``            gravity, crop          centre | north … northwest (n, no, top, top-left, …) |
                                        smart (sm, auto, entropy, edges, attention) | fp
``fp-x``/``fp-y``  fpx/fpy              focal point, 0..1 of the original (implies g=fp)
``rot``          rotate                 0 | 90 | 180 | 270 (clockwise)
``flip``                                h | v | hv
``bg``           background             RRGGBB[AA] | RGB[A] | transparent
``blur``                                1..250 (Gaussian, output px)
``sharpen``      sharp                  0.5..10 in steps of 0.5
``bri``/``con``/``sat``  brightness, contrast, saturation: -100..100
``gray``         grayscale, greyscale   0 | 1
``wm``           watermark              a name from the config's ``watermarks``
``meta``         metadata               none | copyright (EXIF Copyright and Artist kept)
``anim``         animated               1 | 0 (0: the first frame only)
``mb``           max_bytes, max-bytes   byte budget, >= 100
``q``            quality                1..100 (ignored for PNG and GIF)
``fmt``          format, f, fm          auto | jpeg (jpg) | webp | avif | png | gif | blurhash |
                                        lqip | json
``dpr``                                 device pixel ratio 1..4 (multiplies w and h)
``preset``                              a named preset from the config; explicit parameters win
===============  =====================  =========================================================
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import MISSING, dataclass, fields, replace
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import parse_qsl

from .config import ALL_OPTIONS, Config
from .errors import BadRequest, Forbidden, URITooLong

if TYPE_CHECKING:
    from .negotiate import ClientHints

FITS = ("cover", "contain", "fill", "inside", "outside")
_FIT_ALIASES = {
    "crop": "cover", "pad": "contain", "letterbox": "contain",
    "force": "fill", "stretch": "fill", "scale": "fill",
    "clip": "inside", "scale-down": "inside", "max": "inside",
}
#: Concrete output formats, plus ``legacy``: what ``fmt=auto`` means for a viewer that accepts neither
#: AVIF nor WebP — JPEG, PNG when the original has transparency, GIF when it is animated (only the
#: original can tell). ``blurhash`` and ``lqip`` are text placeholders, ``json`` the original's metadata.
FORMATS = ("jpeg", "png", "webp", "avif", "gif", "legacy", "blurhash", "lqip", "json")
REQUESTABLE_FORMATS = ("auto", "jpeg", "png", "webp", "avif", "gif", "blurhash", "lqip", "json")
LOSSY_FORMATS = ("jpeg", "webp", "avif", "legacy")
IMAGE_FORMATS = ("jpeg", "png", "webp", "avif", "gif", "legacy")
PLACEHOLDER_FORMATS = ("blurhash", "lqip")
#: Formats that can carry an animation (``legacy`` becomes GIF for an animated original).
ANIMATED_FORMATS = ("webp", "avif", "gif", "legacy")
#: Formats whose files carry EXIF (GIF cannot).
EXIF_FORMATS = ("jpeg", "png", "webp", "avif", "legacy")

#: Gravities, canonical names. ``None`` in a spec is the centre.
COMPASS = ("north", "northeast", "east", "southeast", "south", "southwest", "west", "northwest")
GRAVITIES = (*COMPASS, "smart", "fp")
_GRAVITY_ALIASES = {
    **{name: name for name in COMPASS},
    "centre": "centre", "center": "centre", "c": "centre", "ce": "centre", "middle": "centre", "mid": "centre",
    "n": "north", "no": "north", "top": "north", "t": "north",
    "s": "south", "so": "south", "bottom": "south", "b": "south",
    "e": "east", "ea": "east", "right": "east", "r": "east",
    "w": "west", "we": "west", "left": "west", "l": "west",
    "ne": "northeast", "noea": "northeast", "top-right": "northeast", "topright": "northeast",
    "nw": "northwest", "nowe": "northwest", "top-left": "northwest", "topleft": "northwest",
    "se": "southeast", "soea": "southeast", "bottom-right": "southeast", "bottomright": "southeast",
    "sw": "southwest", "sowe": "southwest", "bottom-left": "southwest", "bottomleft": "southwest",
    "smart": "smart", "sm": "smart", "auto": "smart", "entropy": "smart", "edges": "smart",
    "attention": "smart", "faces": "smart",
    "fp": "fp", "focalpoint": "fp", "focal": "fp",
}
#: Compass point → (x, y) anchor as a fraction of the free space (0 = left/top, 1 = right/bottom).
ANCHORS = {
    None: (0.5, 0.5), "north": (0.5, 0.0), "northeast": (1.0, 0.0), "east": (1.0, 0.5), "southeast": (1.0, 1.0),
    "south": (0.5, 1.0), "southwest": (0.0, 1.0), "west": (0.0, 0.5), "northwest": (0.0, 0.0),
}
_FROM_ANCHOR = {anchor: name for name, anchor in ANCHORS.items()}

_ALIASES = {
    "w": "w", "width": "w",
    "h": "h", "height": "h",
    "fit": "fit",
    "enlarge": "enlarge", "el": "enlarge", "upscale": "enlarge",
    "rect": "rect",
    "g": "g", "gravity": "g", "crop": "g",
    "fp-x": "fp-x", "fpx": "fp-x",
    "fp-y": "fp-y", "fpy": "fp-y",
    "rot": "rot", "rotate": "rot",
    "flip": "flip",
    "bg": "bg", "background": "bg",
    "blur": "blur",
    "sharpen": "sharpen", "sharp": "sharpen",
    "bri": "bri", "brightness": "bri",
    "con": "con", "contrast": "con",
    "sat": "sat", "saturation": "sat",
    "gray": "gray", "grayscale": "gray", "greyscale": "gray", "grey": "gray",
    "wm": "wm", "watermark": "wm",
    "meta": "meta", "metadata": "meta",
    "anim": "anim", "animated": "anim",
    "mb": "mb", "max_bytes": "mb", "max-bytes": "mb",
    "q": "q", "quality": "q",
    "fmt": "fmt", "format": "fmt", "f": "fmt", "fm": "fmt",
    "dpr": "dpr",
    "preset": "preset",
}
#: What a request may add to a preset when ``presets_only`` is on: neither changes the box's shape.
_PRESET_EXTRAS = {"fmt", "dpr"}
_FORMAT_ALIASES = {"jpg": "jpeg"}
_INT = re.compile(r"[0-9]{1,6}")
_SIGNED_INT = re.compile(r"-?[0-9]{1,3}")
_DECIMAL = re.compile(r"[0-9]{0,3}(?:\.[0-9]{1,4})?")
_DPR = re.compile(r"[0-9](?:\.[0-9]{1,3})?")
_HEX = re.compile(r"#?([0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
_TRUE, _FALSE = ("1", "true", "yes", "t", "y", "on"), ("0", "false", "no", "f", "n", "off")
MAX_DPR = 4.0
#: Largest coordinate ``rect`` accepts (JPEG's own limit; no original we decode is wider).
MAX_RECT = 65535
MAX_BLUR = 250
MAX_SHARPEN = 10.0
#: Named variants snap brightness/contrast/saturation to multiples of this (bounded key space).
ADJUST_STEP = 5
#: Longest side of the image a placeholder (blurhash, lqip) is computed from.
PLACEHOLDER_SIDE = 32
MIN_BUDGET = 100
MAX_BUDGET = 100_000_000


@dataclass(frozen=True)
class RequestParams:
    """What the URL says, validated, nothing resolved yet. ``None`` means "not given"."""

    width: int | None = None
    height: int | None = None
    fit: str | None = None
    quality: int | None = None
    format: str = "auto"
    dpr: float | None = None
    enlarge: bool = False
    rect: tuple[int, int, int, int] | None = None
    gravity: str | None = None  # canonical name, "centre", or None
    focal: tuple[int, int] | None = None  # percent of the original, when gravity is fp
    rotate: int = 0  # user rotation, clockwise, before flip
    flip: str | None = None  # h | v | hv
    background: str | None = None  # canonical hex (rrggbb or rrggbbaa)
    blur: int = 0
    sharpen: float = 0.0
    brightness: int = 0
    contrast: int = 0
    saturation: int = 0
    grayscale: bool = False
    watermark: str | None = None
    keep_copyright: bool = False
    animated: bool = True
    max_bytes: int | None = None


@dataclass(frozen=True)
class VariantSpec:
    """Exactly what determines the output bytes for one original.

    ``width``/``height`` are the box in output pixels (one may be ``None``: follow the aspect ratio);
    ``fit`` is set only when both are; ``quality`` only for the lossy formats. The options after
    ``format`` are at their defaults unless they change the bytes: ``rotate`` (clockwise) is applied
    before ``flip`` (a horizontal mirror), which together spell each of the 8 orientations once;
    ``gravity`` is None for the centre; ``focal`` (percent of the original) is set exactly for
    ``gravity == "fp"``; ``background`` is lowercase hex, alpha only when not ``ff``.
    """

    width: int | None
    height: int | None
    fit: str | None
    quality: int | None
    format: str
    enlarge: bool = False
    rect: tuple[int, int, int, int] | None = None
    gravity: str | None = None
    focal: tuple[int, int] | None = None
    rotate: int = 0
    flip: bool = False
    background: str | None = None
    brightness: int = 0
    contrast: int = 0
    saturation: int = 0
    grayscale: bool = False
    blur: int = 0
    sharpen: float = 0.0
    watermark: str | None = None
    keep_copyright: bool = False
    animated: bool = True
    max_bytes: int | None = None

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"unknown format {self.format!r}")
        if self.fit is not None and self.fit not in FITS:
            raise ValueError(f"unknown fit {self.fit!r}")
        if (self.fit is not None) != (self.width is not None and self.height is not None):
            raise ValueError("fit is set exactly when both width and height are")
        if (self.quality is None) == (self.format in LOSSY_FORMATS):
            raise ValueError("quality is set exactly for the lossy formats")
        if self.quality is not None and not 1 <= self.quality <= 100:
            raise ValueError("quality within 1..100")
        if self.gravity is not None and (self.gravity not in GRAVITIES or self.fit not in ("cover", "contain")
                                         or (self.fit == "contain" and self.gravity not in COMPASS)):
            raise ValueError("gravity only for cover (any) and contain (compass points)")
        if (self.focal is not None) != (self.gravity == "fp"):
            raise ValueError("focal is set exactly for gravity fp")
        if self.focal is not None and (not all(0 <= v <= 100 for v in self.focal) or self.focal == (50, 50)):
            raise ValueError("focal within 0..100 percent, and not the centre")
        if self.rotate not in (0, 90, 180, 270):
            raise ValueError("rotate is 0, 90, 180 or 270")
        if self.rect is not None and (len(self.rect) != 4 or not all(0 <= v <= MAX_RECT for v in self.rect)
                                      or min(self.rect[2:]) < 1):
            raise ValueError("rect is x, y, w, h within 0..65535, w and h >= 1")
        if self.background is not None and (not re.fullmatch(r"[0-9a-f]{6}(?:[0-9a-f]{2})?", self.background)
                                            or _canonical_hex(self.background) != self.background):
            raise ValueError("background is canonical lowercase hex")
        if not all(-100 <= v <= 100 for v in (self.brightness, self.contrast, self.saturation)):
            raise ValueError("adjustments within -100..100")
        if self.grayscale and self.saturation:
            raise ValueError("grayscale makes saturation irrelevant")
        if self.saturation == -100:
            raise ValueError("saturation -100 is spelled grayscale")
        if not 0 <= self.blur <= MAX_BLUR or not 0 <= self.sharpen <= MAX_SHARPEN or (self.sharpen * 2) % 1:
            raise ValueError("blur within 0..250, sharpen 0..10 in steps of 0.5")
        if self.max_bytes is not None and not MIN_BUDGET <= self.max_bytes <= MAX_BUDGET:
            raise ValueError("max_bytes within 100..100000000")
        if self.format == "json" and any(getattr(self, f.name) != _default(f) for f in fields(self) if f.name != "format"):
            raise ValueError("json describes the original: no other options")
        if self.format in PLACEHOLDER_FORMATS and (
            self.quality is not None or self.blur or self.sharpen or self.watermark or self.keep_copyright
            or not self.animated or self.max_bytes is not None or self.enlarge
            or (self.width is not None and self.fit in (None, "inside", "outside"))
            or (self.width is not None and max(self.width, self.height or 0) != PLACEHOLDER_SIDE)
        ):
            raise ValueError("placeholders keep only crop, orientation, background and colour options")
        if self.format not in ANIMATED_FORMATS and not self.animated:
            raise ValueError("still is only spelled for formats that can animate")
        if self.format not in EXIF_FORMATS and self.keep_copyright:
            raise ValueError("copyright is only spelled for formats that carry EXIF")

    @property
    def is_image(self) -> bool:
        return self.format in IMAGE_FORMATS

    @property
    def orientation(self) -> tuple[int, bool]:
        return self.rotate, self.flip


def parse_query(query: str, config: Config, *, trusted: bool = False) -> RequestParams:
    """Parse a raw query string (``w=640&fmt=auto``) into validated ``RequestParams``.

    Unknown or repeated parameters are refused rather than ignored: a typo such as ``widht=640`` must not
    silently serve the wrong size. Options outside ``config.allowed_options`` are refused too, unless
    ``trusted``: a valid signature vouches for them, and ``transform``/the CLI name no variant; otherwise a
    flood of invented URLs could mint variants without bound.
    """
    if len(query) > 2048:
        raise URITooLong("query string too long")
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=False, max_num_fields=32)
    except ValueError:
        raise BadRequest("too many query parameters") from None
    seen = _named_values(pairs)
    preset = seen.pop("preset", None)
    if config.presets_only and set(seen) - _PRESET_EXTRAS:
        raise Forbidden("only presets are allowed here: use preset=, fmt and dpr")
    if not trusted:
        _check_allowed(seen, preset, config)
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
        fit = _FIT_ALIASES.get(fit, fit)
        if fit not in FITS:
            raise BadRequest(f"fit must be one of {', '.join(FITS)} (or crop, pad, force, clip, scale-down)")
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
    if "enlarge" in seen:
        params["enlarge"] = _bool("enlarge", seen["enlarge"])
    if "rect" in seen:
        params["rect"] = _rect(seen["rect"])
    if "g" in seen:
        gravity, focal = _gravity(seen["g"])
        params["gravity"] = gravity
        if focal is not None:
            params["focal"] = focal
    if "fp-x" in seen or "fp-y" in seen:
        if params.get("gravity") not in (None, "fp") or "focal" in params:
            raise BadRequest("fp-x and fp-y need g=fp (or no g)")
        params["gravity"] = "fp"
        params["focal"] = (_fraction_percent("fp-x", seen.get("fp-x", "0.5")),
                           _fraction_percent("fp-y", seen.get("fp-y", "0.5")))
    elif params.get("gravity") == "fp" and "focal" not in params:
        params["focal"] = (50, 50)
    if "rot" in seen:
        raw = seen["rot"]
        if not re.fullmatch(r"-?[0-9]{1,3}", raw) or int(raw) % 90 or not -270 <= int(raw) <= 360:
            raise BadRequest("rot must be 0, 90, 180 or 270")
        params["rotate"] = int(raw) % 360
    if "flip" in seen:
        flip = {"h": "h", "v": "v", "hv": "hv", "vh": "hv", "x": "h", "y": "v", "xy": "hv"}.get(seen["flip"].lower())
        if flip is None:
            raise BadRequest("flip must be h, v or hv")
        params["flip"] = flip
    if "bg" in seen:
        params["background"] = _colour(seen["bg"])
    if "blur" in seen:
        value = _decimal("blur", seen["blur"], 0, MAX_BLUR)
        params["blur"] = max(1, round(value)) if value > 0 else 0
    if "sharpen" in seen:
        params["sharpen"] = round(_decimal("sharpen", seen["sharpen"], 0, MAX_SHARPEN) * 2) / 2
    for name, field_name in (("bri", "brightness"), ("con", "contrast"), ("sat", "saturation")):
        if name in seen:
            raw = seen[name]
            if not _SIGNED_INT.fullmatch(raw) or not -100 <= int(raw) <= 100:
                raise BadRequest(f"{name} must be an integer from -100 to 100")
            params[field_name] = int(raw)
    if "gray" in seen:
        params["grayscale"] = _bool("gray", seen["gray"])
    if "wm" in seen:
        if seen["wm"] not in config.watermarks:
            raise BadRequest(f"unknown watermark {_quote(seen['wm'])}")
        params["watermark"] = seen["wm"]
    if "meta" in seen:
        meta = seen["meta"].lower()
        if meta not in ("none", "copyright", "strip"):
            raise BadRequest("meta must be none or copyright (EXIF is never kept whole: it carries GPS)")
        params["keep_copyright"] = meta == "copyright"
    if "anim" in seen:
        params["animated"] = _bool("anim", seen["anim"])
    if "mb" in seen:
        raw = seen["mb"]
        if not re.fullmatch(r"[0-9]{1,9}", raw) or not MIN_BUDGET <= int(raw) <= MAX_BUDGET:
            raise BadRequest(f"mb must be an integer from {MIN_BUDGET} to {MAX_BUDGET}")
        params["max_bytes"] = int(raw)
    return RequestParams(**params)  # type: ignore[arg-type]


def _check_allowed(seen: dict[str, str], preset: str | None, config: Config) -> None:
    """Refuse the options this request names itself (not those its preset sets: the operator wrote them)
    that ``config.allowed_options`` leaves out. A focal point is the ``fp-x``/``fp-y`` option however it is
    spelled, so ``g=fp`` and ``g=0.3x0.7`` need both."""
    used = set(seen) | ({"preset"} if preset is not None else set())
    focal_in_g = "g" in seen and _gravity(seen["g"])[0] == "fp"
    if focal_in_g:
        used |= {"fp-x", "fp-y"}
    refused = [name for name in ALL_OPTIONS if name in used and name not in config.allowed_options]
    if refused:
        one = len(refused) == 1
        note = " (g=fp is the fp-x/fp-y focal point)" if focal_in_g and {"fp-x", "fp-y"} & set(refused) else ""
        raise BadRequest(f"{'option' if one else 'options'} {', '.join(refused)} {'is' if one else 'are'} not allowed "
                         f"in unsigned URLs: add {'it' if one else 'them'} to the config's allowed_options, or sign "
                         f"the URL{note}")


def _named_values(pairs: list[tuple[str, str]]) -> dict[str, str]:
    seen: dict[str, str] = {}
    for raw_name, value in pairs:
        name = _ALIASES.get(raw_name.lower())
        if name is None:
            raise BadRequest(f"unknown parameter {_quote(raw_name)}; known: {', '.join(ALL_OPTIONS)}")
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
    hints: "ClientHints | None" = None,
) -> VariantSpec:
    """Turn what the URL asked for into the canonical spec for this viewer.

    ``device`` picks the preset used when the URL names no size and no client hint gives one;
    ``negotiated_format`` is what ``fmt=auto`` becomes for this viewer (see ``negotiate.negotiate_format``);
    ``hints`` are the viewer's client hints (``negotiate.client_hints``): the width comes from, in order,
    ``w``/``h`` (times ``dpr``, or the ``Sec-CH-DPR`` hint when the URL gives no ``dpr``), then
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
    width, height = params.width, params.height
    if width is None and height is None:
        if hints is not None and hints.width:
            width = min(config.max_dimension, hints.width)
        elif hints is not None and hints.viewport_width:
            width = _scaled(hints.viewport_width, dpr, config)
        else:
            width = int(config.preset_for(device)["width"])
    else:
        width = _scaled(width, dpr, config)
        height = _scaled(height, dpr, config)
    both = width is not None and height is not None
    fit = (params.fit or "cover") if both else None

    if fmt in PLACEHOLDER_FORMATS:
        return _placeholder_spec(params, fmt, width, height, fit, snap, config)

    if snap:
        width, height = _snap_box(width, height, config)
    if width is not None and height is not None and width * height > config.max_output_pixels:
        raise BadRequest(f"requested size {width}x{height} exceeds the {config.max_output_pixels} pixel limit")

    quality: int | None = None
    if fmt in LOSSY_FORMATS:
        quality_key = "jpeg" if fmt == "legacy" else fmt
        if params.quality is not None:
            quality = params.quality
        else:
            quality = config.quality_for(quality_key, device, save_data=bool(hints is not None and hints.save_data))
        if snap:
            quality = snap_quality(quality, config.quality_step)

    max_bytes = params.max_bytes
    if max_bytes is not None and snap:
        max_bytes = snap_budget(max_bytes, config.byte_budgets)
    return VariantSpec(
        width=width, height=height, fit=fit, quality=quality, format=fmt,
        enlarge=params.enlarge,
        watermark=params.watermark,
        keep_copyright=params.keep_copyright and fmt in EXIF_FORMATS,
        animated=params.animated or fmt not in ANIMATED_FORMATS,
        max_bytes=max_bytes,
        blur=params.blur,
        sharpen=params.sharpen,
        **_shared_options(params, fit, snap),
    )


def _shared_options(params: RequestParams, fit: str | None, snap: bool) -> dict[str, Any]:
    """The options images and placeholders share: crop, gravity, orientation, background, colour."""
    gravity, focal = params.gravity, params.focal
    if gravity == "centre" or fit not in ("cover", "contain"):
        gravity, focal = None, None
    elif fit == "contain" and gravity not in COMPASS:
        gravity, focal = None, None  # a letterbox has no crop to steer: smart and fp place it centred
    if gravity == "fp" and focal in (None, (50, 50)):
        gravity, focal = None, None
    rotate, flip = canonical_orientation(params.rotate, params.flip)
    step = ADJUST_STEP if snap else 1
    brightness, contrast, saturation = (step * round(v / step) for v in
                                        (params.brightness, params.contrast, params.saturation))
    grayscale = params.grayscale or saturation == -100
    return dict(
        rect=params.rect, gravity=gravity, focal=focal if gravity == "fp" else None,
        rotate=rotate, flip=flip, background=params.background,
        brightness=brightness, contrast=contrast, saturation=0 if grayscale else saturation, grayscale=grayscale,
    )


def _placeholder_spec(params: RequestParams, fmt: str, width: int | None, height: int | None, fit: str | None,
                      snap: bool, config: Config) -> VariantSpec:
    """A placeholder describes the image's shape and colours: only a box that shapes it (cover, contain,
    fill) is kept, scaled to ``PLACEHOLDER_SIDE`` on its longer side so every rung of one shape is one
    placeholder; quality, blur, sharpen, watermark, metadata, frames and budgets do not apply."""
    if width is None or height is None or fit in ("inside", "outside"):
        width = height = fit = None
    else:
        if snap:
            width, height = _snap_box(width, height, config)
        width, height = placeholder_box(width, height, config if snap else None)  # type: ignore[arg-type]
    return VariantSpec(width=width, height=height, fit=fit, quality=None, format=fmt,
                       **_shared_options(params, fit, snap))


def placeholder_box(width: int, height: int, config: Config | None) -> tuple[int, int]:
    """The box of one shape at ``PLACEHOLDER_SIDE`` on its longer side; with ``config``, the shape is the
    nearest of its aspect ratios (so the box is a fixed point)."""
    long_side, short_side = max(width, height), min(width, height)
    if config is not None:
        wanted = math.log(long_side / short_side)
        ratio = min(config.aspect_ratios, key=lambda r: abs(math.log(r[0] / r[1]) - wanted))
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


def is_canonical(spec: VariantSpec, config: Config) -> bool:
    """True if the edge itself could have named ``spec``: on the ladder, quality and options on their steps.

    The origin refuses anything else, so no URL (a crafted variant key, a bot walking sizes) can make it
    generate an image outside the ladder.
    """
    if spec.format == "json":
        return True
    if spec.width is None and spec.height is None and spec.format not in PLACEHOLDER_FORMATS:
        return False
    if spec.watermark is not None and spec.watermark not in config.watermarks:
        return False
    params = RequestParams(
        width=spec.width, height=spec.height, fit=spec.fit, quality=spec.quality,
        format="auto" if spec.format == "legacy" else spec.format,
        enlarge=spec.enlarge, rect=spec.rect, gravity=spec.gravity, focal=spec.focal,
        rotate=spec.rotate, flip="h" if spec.flip else None, background=spec.background,
        blur=spec.blur, sharpen=spec.sharpen, brightness=spec.brightness, contrast=spec.contrast,
        saturation=spec.saturation, grayscale=spec.grayscale, watermark=spec.watermark,
        keep_copyright=spec.keep_copyright, animated=spec.animated, max_bytes=spec.max_bytes,
    )
    try:
        return resolve(params, config, negotiated_format="legacy", snap=True) == spec
    except BadRequest:
        return False


def variant_bound_terms(config: Config) -> dict[str, int]:
    """How many values each independent axis of a named image variant can take (see ``variant_bound``).

    Sizes, fits, formats and qualities count in full whatever ``allowed_options`` says (client hints and
    device presets reach every rung); every other option counts its values only when allowed, else its
    default plus what the presets may set (``_option_values``).
    """
    values = _option_values(config)
    shapes = sum(1 if w == h else 2 for w, h in config.aspect_ratios)
    rungs = len(config.ladder)
    qualities = len(range(config.quality_step, 101, config.quality_step))
    cover, contain = _gravities(values)
    adjust = len(range(-100, 101, ADJUST_STEP))
    return {
        # width-only and height-only rungs, plus rung x shape x (fit, its gravities); each with enlarge or not
        "box": values("enlarge", 2) * (2 * rungs + rungs * shapes * (cover + contain + 3)),
        # JPEG, WebP, AVIF and legacy share the quality axis; PNG and GIF have none
        "encoding": 4 * qualities + 2,
        "rect": values("rect", MAX_RECT ** 4 + 1),  # x, y in 0..65534 and w, h in 1..65535 (exact), or none
        # rotations alone or flips alone (v is a 180 degree turn and a mirror) reach 4 orientations, both all 8
        "orientation": min(8, values("rot", 4) * values("flip", 4)),
        "background": values("bg", 2 ** 24 * 255 + 2),  # any colour with alpha 01..ff, transparent, or none
        # saturation -100 is grayscale, so sat and gray together take the adjust values
        "colour": values("bri", adjust) * values("con", adjust)
        * min(adjust, values("sat", adjust) + values("gray", 2) - 1),
        "blur": values("blur", MAX_BLUR + 1),
        "sharpen": values("sharpen", int(MAX_SHARPEN * 2) + 1),
        "watermark": values("wm", len(config.watermarks) + 1),
        "copyright": values("meta", 2),
        "still": values("anim", 2),
        "max_bytes": values("mb", len(config.byte_budgets) + 1),
    }


def variant_bound(config: Config) -> int:
    """How many distinct variants the edge can name for one original, whatever the URLs: the product of
    ``variant_bound_terms`` for images, plus the placeholders (a shape or the whole image, times the
    crop, orientation, background and colour axes, for blurhash and lqip) and the one ``info.json``.

    ``core_variant_bound`` is the part sizes, fits, formats and qualities alone can reach; every allowed
    option multiplies it by its own count. With the default ``allowed_options`` the product stays within
    a few thousand times the core bound; allowing ``rect`` or ``bg`` (exact by nature) makes it astronomical,
    which is why they need a signed URL or the operator's explicit say-so.
    """
    terms = variant_bound_terms(config)
    images = math.prod(terms.values())
    shapes = sum(1 if w == h else 2 for w, h in config.aspect_ratios)
    cover, contain = _gravities(_option_values(config))
    placeholder_boxes = 1 + shapes * (cover + contain + 1)
    placeholders = 2 * placeholder_boxes * terms["rect"] * terms["orientation"] * terms["background"] * terms["colour"]
    return images + placeholders + 1


def _option_values(config: Config) -> Callable[[str, int], int]:
    """``values(option, full)``: how many of its ``full`` values (not given included) ``option`` can take on
    a named variant. An allowed option may take any; another only its default, or what a preset sets (at
    most one value per preset; a preset's ``g`` may be a focal point)."""
    set_by_presets: Counter[str] = Counter()
    for query in config.presets.values():
        names = {_ALIASES.get(name.lower(), "") for name, _ in parse_qsl(query, keep_blank_values=True)}
        set_by_presets.update(names | ({"fp-x", "fp-y"} if "g" in names else set()))

    def values(option: str, full: int) -> int:
        return full if option in config.allowed_options else min(full, 1 + set_by_presets[option])

    return values


def _gravities(values: Callable[[str, int], int]) -> tuple[int, int]:
    """How many gravities a cover box and a contain box can have: centre, the compass and smart from ``g``,
    plus, for cover, the focal points (whole percents; the centre is no focal point)."""
    named = values("g", len(COMPASS) + 2)
    focal_points = values("fp-x", 101) * values("fp-y", 101) - 1
    return named + focal_points, min(named, len(COMPASS) + 1)


def core_variant_bound(config: Config) -> int:
    """Variants from sizes, fits, formats and qualities alone (no options, no placeholders)."""
    shapes = sum(1 if w == h else 2 for w, h in config.aspect_ratios)
    boxes = 2 * len(config.ladder) + len(config.ladder) * shapes * len(FITS)
    qualities = len(range(config.quality_step, 101, config.quality_step))
    return boxes * (4 * qualities + 2)


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


def _decimal(name: str, raw: str, low: float, high: float) -> float:
    if not _DECIMAL.fullmatch(raw) or raw in ("", ".") or not low <= float(raw) <= high:
        raise BadRequest(f"{name} must be a number from {low:g} to {high:g}")
    return float(raw)


def _fraction_percent(name: str, raw: str) -> int:
    """A 0..1 fraction as whole percent (the focal point's precision: 1 % of the original)."""
    return round(_decimal(name, raw, 0, 1) * 100)


def _bool(name: str, raw: str) -> bool:
    value = raw.lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise BadRequest(f"{name} must be 1 or 0")


def _rect(raw: str) -> tuple[int, int, int, int]:
    parts = raw.split(",")
    if len(parts) != 4 or not all(_INT.fullmatch(p) for p in parts):
        raise BadRequest("rect must be x,y,w,h in whole pixels")
    x, y, w, h = (int(p) for p in parts)
    if max(x, y, w, h) > MAX_RECT or x >= MAX_RECT or y >= MAX_RECT or w < 1 or h < 1:
        raise BadRequest(f"rect must be x,y,w,h with w and h >= 1, all within 0..{MAX_RECT}")
    return x, y, w, h


def _gravity(raw: str) -> tuple[str, tuple[int, int] | None]:
    """A gravity (canonical name or ``centre``) and, for ``fp:x:y`` / ``0.3x0.6``, its focal point."""
    value = raw.lower()
    match = re.fullmatch(r"(?:fp:)?([0-9.]{1,6})[x:]([0-9.]{1,6})", value)
    if match:
        return "fp", (_fraction_percent("g", match[1]), _fraction_percent("g", match[2]))
    if value in _GRAVITY_ALIASES:
        return _GRAVITY_ALIASES[value], None
    if "," in value:  # imgix: crop=top,left / crop=faces,entropy / crop=focalpoint
        names = [_GRAVITY_ALIASES.get(part.strip()) for part in value.split(",")]
        if None not in names:
            for special in ("fp", "smart"):
                if special in names:
                    return special, None
            x = [ANCHORS[n][0] for n in names if n in ("east", "west")]
            y = [ANCHORS[n][1] for n in names if n in ("north", "south")]
            if len(x) <= 1 and len(y) <= 1 and len(x) + len(y) == len([n for n in names if n != "centre"]):
                return _FROM_ANCHOR[(x[0] if x else 0.5, y[0] if y else 0.5)] or "centre", None
    raise BadRequest("g must be centre, a compass point (north, ne, top-left, ...), smart, fp or x:y")


def _colour(raw: str) -> str:
    if raw.lower() == "transparent":
        return "00000000"
    match = _HEX.fullmatch(raw)
    if not match:
        raise BadRequest("bg must be a hex colour: RRGGBB, RRGGBBAA, RGB or RGBA (or transparent)")
    digits = match[1].lower()
    if len(digits) in (3, 4):
        digits = "".join(ch * 2 for ch in digits)
    return _canonical_hex(digits)


def _canonical_hex(digits: str) -> str:
    if len(digits) == 8 and digits.endswith("ff"):
        return digits[:6]
    if len(digits) == 8 and digits.endswith("00"):
        return "00000000"  # fully transparent: the colour underneath does not matter
    return digits


def _quote(text: str) -> str:
    """A parameter name safe to echo in an error body (printable ASCII, bounded)."""
    cleaned = "".join(ch if 32 < ord(ch) < 127 else "?" for ch in text[:40])
    return repr(cleaned)


def _default(field: Any) -> Any:
    return None if field.default is MISSING else field.default


def spec_fields() -> tuple[str, ...]:
    return tuple(f.name for f in fields(VariantSpec))


__all__ = ["RequestParams", "VariantSpec", "parse_query", "resolve", "is_canonical", "variant_bound",
           "core_variant_bound", "variant_bound_terms", "replace"]
