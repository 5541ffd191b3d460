"""One parser per kind of option value: ``(option name, raw text, config) -> value``, or ``BadRequest``
naming the option and what it takes.

The option table (``options``) points each option at one of these, so a range or a spelling is checked in
one place and every refusal reads the same way.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..errors import BadRequest
from .vocabulary import ANCHORS, AUTO_QUALITY, FROM_ANCHOR, GRAVITY_ALIASES, MAX_RECT, canonical_hex

if TYPE_CHECKING:
    from ..config import Config

#: ``(option name, raw value, config) -> parsed value``
Parser = Callable[[str, str, "Config"], Any]

_INT = re.compile(r"[0-9]{1,6}")
_SIGNED_INT = re.compile(r"-?[0-9]{1,3}")
_DECIMAL = re.compile(r"[0-9]{0,3}(?:\.[0-9]{1,4})?")
_DPR = re.compile(r"[0-9](?:\.[0-9]{1,3})?")
_HEX = re.compile(r"#?([0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
_RATIO = re.compile(r"([0-9]{1,4}(?:\.[0-9]{1,3})?)[:x]([0-9]{1,4}(?:\.[0-9]{1,3})?)")
_FOCAL = re.compile(r"(?:fp:)?([0-9.]{1,6})[x:]([0-9.]{1,6})")
_TRUE, _FALSE = ("1", "true", "yes", "t", "y", "on"), ("0", "false", "no", "f", "n", "off")


def integer(low: int, high: int) -> Parser:
    """A whole number within ``low..high`` (``low`` may be negative)."""
    pattern = _SIGNED_INT if low < 0 else _INT

    def parse(name: str, raw: str, config: "Config") -> int:
        if not pattern.fullmatch(raw) or not low <= int(raw) <= high:
            raise BadRequest(f"{name} must be an integer from {low} to {high}")
        return int(raw)

    return parse


def quality(name: str, raw: str, config: "Config") -> int | str:
    """An encoder quality 1..100, or ``auto`` (``AUTO_QUALITY``: the config's perceptual target)."""
    if raw.lower() == AUTO_QUALITY:
        return AUTO_QUALITY
    return integer(1, 100)(name, raw, config)


def dimension(name: str, raw: str, config: "Config") -> int:
    """A side in output pixels, 1..``config.max_dimension``."""
    return integer(1, config.max_dimension)(name, raw, config)


def budget(low: int, high: int) -> Parser:
    """A byte count within ``low..high`` (up to nine digits)."""

    def parse(name: str, raw: str, config: "Config") -> int:
        if not re.fullmatch(r"[0-9]{1,9}", raw) or not low <= int(raw) <= high:
            raise BadRequest(f"{name} must be an integer from {low} to {high}")
        return int(raw)

    return parse


def decimal(low: float, high: float, *, step: float | None = None) -> Parser:
    """A plain decimal within ``low..high``, rounded to ``step`` when given."""

    def parse(name: str, raw: str, config: "Config") -> float:
        value = _decimal(name, raw, low, high)
        return round(value / step) * step if step else value

    return parse


def _decimal(name: str, raw: str, low: float, high: float) -> float:
    if not _DECIMAL.fullmatch(raw) or raw in ("", ".") or not low <= float(raw) <= high:
        raise BadRequest(f"{name} must be a number from {low:g} to {high:g}")
    return float(raw)


def radius(high: int) -> Parser:
    """A blur radius: 0 (none) or a whole number of pixels within 1..``high`` (any positive value is >= 1)."""

    def parse(name: str, raw: str, config: "Config") -> int:
        value = _decimal(name, raw, 0, high)
        return max(1, round(value)) if value > 0 else 0

    return parse


def fraction_percent(name: str, raw: str, config: "Config | None" = None) -> int:
    """A 0..1 fraction as whole percent (the focal point's precision: 1 % of the original)."""
    return round(_decimal(name, raw, 0, 1) * 100)


def scale(name: str, raw: str, config: "Config | None" = None) -> int:
    """A fraction of the original's size, above 0 and at most 1, as whole percent rounded up (never fewer
    pixels than asked): ``0.5`` is 50, ``0.333`` is 34."""
    value = _decimal(name, raw, 0, 1)
    if value <= 0:
        raise BadRequest(f"{name} must be a fraction of the original's size above 0 and at most 1")
    return max(1, math.ceil(round(value * 100, 6)))


def dpr(high: float) -> Parser:
    def parse(name: str, raw: str, config: "Config") -> float:
        if not _DPR.fullmatch(raw) or not 1.0 <= float(raw) <= high:
            raise BadRequest(f"{name} must be a number from 1 to {high:g}")
        return float(raw)

    return parse


def ratio(name: str, raw: str, config: "Config") -> tuple[float, float]:
    """An aspect ratio ``width:height`` (``16:9``, ``1.91:1``; ``x`` may stand for ``:``), both sides > 0."""
    match = _RATIO.fullmatch(raw)
    if not match or not float(match[1]) > 0 < float(match[2]):
        raise BadRequest(f"{name} must be width:height, e.g. 16:9 or 1.91:1")
    return float(match[1]), float(match[2])


def boolean(name: str, raw: str, config: "Config") -> bool:
    value = raw.lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise BadRequest(f"{name} must be 1 or 0")


def choice(words: Mapping[str, Any], message: str) -> Parser:
    """One of ``words`` (case-insensitive) → its value; anything else is ``message``."""

    def parse(name: str, raw: str, config: "Config") -> Any:
        value = raw.lower()
        if value not in words:
            raise BadRequest(f"{name} must be {message}")
        return words[value]

    return parse


def rotation(name: str, raw: str, config: "Config") -> int:
    """Quarter turns, clockwise, as 0, 90, 180 or 270 (``-90`` and ``360`` are spellings of them)."""
    if not re.fullmatch(r"-?[0-9]{1,3}", raw) or int(raw) % 90 or not -270 <= int(raw) <= 360:
        raise BadRequest(f"{name} must be 0, 90, 180 or 270")
    return int(raw) % 360


def rect(name: str, raw: str, config: "Config") -> tuple[int, int, int, int]:
    parts = raw.split(",")
    if len(parts) != 4 or not all(_INT.fullmatch(p) for p in parts):
        raise BadRequest(f"{name} must be x,y,w,h in whole pixels")
    x, y, w, h = (int(p) for p in parts)
    if max(x, y, w, h) > MAX_RECT or x >= MAX_RECT or y >= MAX_RECT or w < 1 or h < 1:
        raise BadRequest(f"{name} must be x,y,w,h with w and h >= 1, all within 0..{MAX_RECT}")
    return x, y, w, h


def colour(name: str, raw: str, config: "Config") -> str:
    """Canonical lowercase hex (``rrggbb``, or ``rrggbbaa`` when not opaque)."""
    if raw.lower() == "transparent":
        return "00000000"
    match = _HEX.fullmatch(raw)
    if not match:
        raise BadRequest(f"{name} must be a hex colour: RRGGBB, RRGGBBAA, RGB or RGBA (or transparent)")
    digits = match[1].lower()
    if len(digits) in (3, 4):
        digits = "".join(ch * 2 for ch in digits)
    return canonical_hex(digits)


def aliases_of(canonical: str) -> list[str]:
    """The spellings of a gravity other than its own name (for messages and the README)."""
    return [alias for alias, name in GRAVITY_ALIASES.items() if name == canonical and alias != canonical]


GRAVITY_MESSAGE = (f"centre, a compass point (north, ne, top-left, ...), smart ({', '.join(aliases_of('smart'))}), "
                   "fp or x:y")


def gravity(name: str, raw: str, config: "Config") -> tuple[str, tuple[int, int] | None]:
    """A gravity (canonical name or ``centre``) and, for ``fp:x:y`` / ``0.3x0.6``, its focal point."""
    value = raw.lower()
    match = _FOCAL.fullmatch(value)
    if match:
        return "fp", (fraction_percent(name, match[1]), fraction_percent(name, match[2]))
    if value in GRAVITY_ALIASES:
        return GRAVITY_ALIASES[value], None
    if "," in value:  # imgix: crop=top,left / crop=faces,entropy / crop=focalpoint
        names = [GRAVITY_ALIASES.get(part.strip()) for part in value.split(",")]
        if None not in names:
            for special in ("fp", "smart"):
                if special in names:
                    return special, None
            x = [ANCHORS[n][0] for n in names if n in ("east", "west")]
            y = [ANCHORS[n][1] for n in names if n in ("north", "south")]
            if len(x) <= 1 and len(y) <= 1 and len(x) + len(y) == len([n for n in names if n != "centre"]):
                return FROM_ANCHOR[(x[0] if x else 0.5, y[0] if y else 0.5)] or "centre", None
    raise BadRequest(f"{name} must be {GRAVITY_MESSAGE}")


def watermark(name: str, raw: str, config: "Config") -> str:
    if raw not in config.watermarks:
        raise BadRequest(f"unknown watermark {quote(raw)}")
    return raw


def quote(text: str) -> str:
    """A name safe to echo in an error body (printable ASCII, bounded)."""
    cleaned = "".join(ch if 32 < ord(ch) < 127 else "?" for ch in text[:40])
    return repr(cleaned)
