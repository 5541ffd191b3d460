"""imgix's query parameters (``?w=640&h=480&fit=crop&auto=format,compress``), as ``@imgix/js-core``, imgix's
components and unpic's ``imgix`` provider write them.

What each parameter becomes is the README's "Moving from imgix / Cloudflare / Next.js" table. The choices
that need a word: imgedge never enlarges, so ``clip``/``crop``/``scale`` on a small original and ``max``/``min``
give the same box (the original's size, keeping the box's shape); fits imgedge lacks map to the nearest it has
(``facearea`` a smart crop, ``fill``/``fillmax``/``clamp`` a padded box); without ``fm`` or ``auto=format`` the
original's own format is kept, as imgix does. ``w``/``h`` below 1 (a fraction of the original) become the
project's ``scale``, a size of its own in the variant key that the origin resolves against the original.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..values import gravity
from .base import Dialect, Pairs, Reader, Translation, claimed_by, is_fraction, pixels

if TYPE_CHECKING:
    from ...config import Config

#: imgix fit → the project's fit (imgix's default is ``clip``).
FITS = {"clip": "inside", "max": "inside", "crop": "cover", "min": "cover", "facearea": "cover",
        "scale": "fill", "fill": "contain", "fillmax": "contain", "clamp": "contain"}
#: imgix ``fm`` → the project's format (progressive and palette variants become the plain format).
FORMATS = {"jpg": "jpeg", "jpeg": "jpeg", "pjpg": "jpeg", "png": "png", "png8": "png", "png32": "png",
           "webp": "webp", "avif": "avif", "gif": "gif", "json": "json", "blurhash": "blurhash", "auto": "auto"}
#: ``auto`` words: ``format`` and ``compress`` act; ``enhance``, ``redeye`` and ``true`` are accepted and ignored.
AUTO = ("format", "compress", "enhance", "redeye", "true")
#: Read and ignored: the library's version tag, which client hints to use (imgedge reads them per its config),
#: the colour space (every variant is sRGB).
IGNORED = ("ixlib", "ch", "cs")
NAMES = frozenset({"w", "h", "ar", "fit", "crop", "auto", "fm", "q", "dpr", "bg", "fill", "fill-color", "blur",
                   "sharp", "rot", "flip", "rect", "fp-x", "fp-y", "bri", "con", "sat", *IGNORED})


def translate(uri: str, pairs: Pairs, config: "Config") -> Translation:
    reader = Reader("imgix", pairs, NAMES, config)
    fit = reader.choice("fit", {name: name for name in FITS}, "clip")
    assert fit is not None
    dpr = reader.number("dpr", 0.01, 10)
    scale = _relative(reader, fit, dpr)
    if scale is None:
        width, height = pixels(reader, "w"), pixels(reader, "h")
        reader.size(width, height, dpr)
        if width is not None and height is not None:
            reader.emit("fit", FITS[fit])
    crop = reader.get("crop")
    if crop is not None:
        gravity("crop", crop, config)  # checked even where imgix ignores it: crop=1 is no imgix URL
    if fit in ("crop", "facearea"):
        if scale is not None and reader.get("ar") is not None:
            raise reader.refuse("ar", "needs w or h in pixels: a fraction of the original has its shape")
        reader.copy({"ar": "ar"})  # imgix reads ar only with fit=crop
    if fit == "facearea":
        reader.emit("g", "faces")
    elif fit in ("crop", "min") and crop is not None:
        reader.emit("g", crop)
        if "focalpoint" in crop.lower().split(","):
            reader.copy({"fp-x": "fp-x", "fp-y": "fp-y"})
    reader.choice("fill", {"solid": "solid"})  # fill=blur and fill=gen paint what imgedge cannot
    _format_and_quality(reader)
    background = reader.get("bg") or (reader.get("fill-color") if fit in ("fill", "fillmax") else None)
    if background is not None:
        reader.emit("bg", argb_to_rgba(background))
    blur = reader.number("blur", 0, 2000)
    if blur:
        reader.emit("blur", min(250, max(1, round(blur))))
    sharp = reader.number("sharp", 0, 100)
    if sharp:
        reader.emit("sharpen", max(0.5, round(sharp / 5) / 2))  # 0..100 onto 0.5..10 in 0.5 steps
    reader.copy({name: name for name in ("rot", "flip", "rect", "bri", "con", "sat")})
    auto = _auto(reader)
    if "compress" in auto and reader.get("q") is None:
        reader.emit("q", "auto")  # the fewest bytes that keep the perceptual target: imgix's own promise
    return Translation(uri, reader.out, keep_format=reader.get("fm") is None and "format" not in auto)


def _relative(reader: Reader, fit: str, dpr: float | None) -> float | None:
    """``w``/``h`` below 1, a fraction of the original, as the project's ``scale`` (times ``dpr``, at most the
    whole original); None when the sides are pixels. Both fractions must agree, except for the fits that
    fit inside the box (``clip``, ``max``: the smaller one decides); a fraction and pixels together are
    refused, since the box's shape would depend on the original's."""
    sides = {name: reader.number(name, 0, 100_000) for name in ("w", "h")}
    fractions = {name: value for name, value in sides.items() if value is not None and value < 1}
    if not fractions:
        return None
    for name, value in sides.items():
        if value is not None and name not in fractions:
            raise reader.refuse(name, "must be a fraction too when the other side is one (or both in pixels)")
        if value == 0:
            raise reader.refuse(name, "must be above 0")
    if len(set(fractions.values())) > 1 and FITS[fit] != "inside":
        raise reader.refuse("w", f"and h must be the same fraction of the original with fit={fit}")
    scale = min(1.0, min(fractions.values()) * (dpr or 1.0))
    reader.emit("scale", round(scale, 4))
    return scale


def _auto(reader: Reader) -> set[str]:
    words = {word.strip().lower() for word in (reader.get("auto") or "").split(",") if word.strip()}
    if words - set(AUTO):
        raise reader.refuse("auto", f"must be a list of {', '.join(AUTO)}")
    return words


def _format_and_quality(reader: Reader) -> None:
    fm = reader.choice("fm", FORMATS)
    reader.emit("fmt", fm if fm is not None or "format" not in _auto(reader) else "auto")
    quality = reader.number("q", 0, 100)
    reader.emit("q", None if quality is None else max(1, round(quality)))


def argb_to_rgba(raw: str) -> str:
    """imgix colours put alpha first (``ARGB``, ``AARRGGBB``); the project's put it last."""
    digits = raw.lstrip("#")
    if len(digits) == 4:
        return digits[1:] + digits[0]
    if len(digits) == 8:
        return digits[2:] + digits[:2]
    return digits


#: What only imgix says: parameters the grammar does not know, and values it has no use for.
CLAIMS = claimed_by({"auto", "ixlib", "ch", "cs", "fill", "fill-color"},
                    {"fit": lambda v: v in ("min", "fillmax", "facearea", "clamp"),
                     "fm": lambda v: v in ("pjpg", "png8", "png32"), "w": is_fraction, "h": is_fraction})
DIALECT = Dialect("imgix", translate, claims=CLAIMS)
