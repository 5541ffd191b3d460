"""The two values the request layer hands on: what a URL asks (``RequestParams``) and exactly what
determines one variant's bytes (``VariantSpec``)."""

from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, fields
from typing import Any

from .options import PAINTING_FIELDS
from .vocabulary import (
    ANIMATED_FORMATS,
    COMPASS,
    EXIF_FORMATS,
    FITS,
    FORMATS,
    GRAVITIES,
    IMAGE_FORMATS,
    LOSSY_FORMATS,
    MAX_BLUR,
    MAX_BUDGET,
    MAX_RECT,
    MAX_SHARPEN,
    MAX_TARGET,
    MIN_BUDGET,
    MIN_TARGET,
    PLACEHOLDER_FORMATS,
    PLACEHOLDER_SIDE,
    canonical_hex,
)


@dataclass(frozen=True)
class RequestParams:
    """What the URL says, validated, nothing resolved yet. ``None`` means "not given"."""

    width: int | None = None
    height: int | None = None
    fit: str | None = None
    quality: int | str | None = None  # 1..100, or AUTO_QUALITY
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
    aspect: tuple[float, float] | None = None  # width:height for a box given one side
    scale: int | None = None  # percent of the original's size (1..100), instead of width and height


@dataclass(frozen=True)
class VariantSpec:
    """Exactly what determines the output bytes for one original.

    ``width``/``height`` are the box in output pixels (one may be ``None``: follow the aspect ratio);
    ``fit`` is set only when both are; for the lossy formats either ``quality`` or ``target`` (``q=auto``:
    the SSIMULACRA2 score the encode must reach with the lowest quality that does). The options after
    ``format`` are at their defaults unless they change the bytes: ``rotate`` (clockwise) is applied
    before ``mirror`` (left-right), which together spell each of the 8 orientations once;
    ``gravity`` is None for the centre; ``focal`` (percent of the original) is set exactly for
    ``gravity == "fp"``; ``background`` is lowercase hex, alpha only when not ``ff``. ``scale`` (percent
    of the original, or of its ``rect``) stands for the box when the size is relative: only the original
    says how many pixels that is, so the origin resolves it (``geometry.plan``).
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
    mirror: bool = False
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
    target: int | None = None
    scale: int | None = None

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"unknown format {self.format!r}")
        if self.fit is not None and self.fit not in FITS:
            raise ValueError(f"unknown fit {self.fit!r}")
        if (self.fit is not None) != (self.width is not None and self.height is not None):
            raise ValueError("fit is set exactly when both width and height are")
        if (self.quality is None and self.target is None) == (self.format in LOSSY_FORMATS):
            raise ValueError("quality (or a target) is set exactly for the lossy formats")
        if self.quality is not None and self.target is not None:
            raise ValueError("a fixed quality or a target, not both")
        if self.quality is not None and not 1 <= self.quality <= 100:
            raise ValueError("quality within 1..100")
        if self.target is not None and not MIN_TARGET <= self.target <= MAX_TARGET:
            raise ValueError(f"target within {MIN_TARGET}..{MAX_TARGET}")
        if self.scale is not None and (not 1 <= self.scale <= 100 or self.width is not None
                                       or self.height is not None or self.enlarge
                                       or self.format in PLACEHOLDER_FORMATS):
            raise ValueError("scale within 1..100 percent, for images, instead of a box (never enlarged)")
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
                                            or canonical_hex(self.background) != self.background):
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
        if self.format == "json" and any(getattr(self, f.name) != default(f)
                                         for f in fields(self) if f.name != "format"):
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
    def paints(self) -> bool:
        """True when an option changes pixels beyond crop, orientation and size (the options the table marks
        ``paints``): the output is no plain resize of the original."""
        return any(getattr(self, name) != SPEC_DEFAULTS[name] for name in PAINTING_FIELDS)


def default(field: Any) -> Any:
    """A dataclass field's default; None for the fields every spec names."""
    return None if field.default is MISSING else field.default


#: Each ``VariantSpec`` field's default (None for those without one): a key token is written only off it.
SPEC_DEFAULTS: dict[str, Any] = {f.name: default(f) for f in fields(VariantSpec)}
