"""The request grammar: a query string → validated ``RequestParams`` (*is this URL well formed?*).

Syntax, ranges and the options an unsigned URL may use (``Config.allowed_options``) are checked here; any
mistake is a ``BadRequest`` naming the parameter and what it takes. Each option is parsed by its row of the
option table; the rules that join options (presets, the gravity and the focal point) are the functions
below. Which bytes the viewer gets is ``canonical.resolve``'s question.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from ..errors import BadRequest, Forbidden, URITooLong
from .options import ALIASES, ALL_OPTIONS, OPTION, OPTIONS
from .spec import RequestParams
from .values import gravity, quote

if TYPE_CHECKING:
    from ..config import Config

MAX_QUERY_CHARS = 2048
#: What a request may add to a preset when ``presets_only`` is on: neither changes the box's shape.
PRESET_EXTRAS = {"fmt", "dpr"}
#: The options the gravity rule reads together.
_FOCAL_OPTIONS = ("g", "fp-x", "fp-y")


def parse_query(query: str, config: "Config", *, trusted: bool = False) -> RequestParams:
    """Parse a raw query string (``w=640&fmt=auto``) into validated ``RequestParams``.

    Unknown or repeated parameters are refused rather than ignored: a typo such as ``widht=640`` must not
    silently serve the wrong size. Options outside ``config.allowed_options`` are refused too, unless
    ``trusted``: a valid signature vouches for them, and ``transform``/the CLI name no variant; otherwise a
    flood of invented URLs could mint variants without bound.
    """
    if len(query) > MAX_QUERY_CHARS:
        raise URITooLong("query string too long")
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=False, max_num_fields=32)
    except ValueError:
        raise BadRequest("too many query parameters") from None
    seen = named_values(pairs)
    if "scale" in seen and {"w", "h"} & set(seen):
        raise BadRequest("scale is a size of its own (a fraction of the original): give it or w/h, not both")
    seen = with_preset(seen, config, trusted=trusted)

    parsed = {option.name: option.parse(option.name, seen[option.name], config)
              for option in OPTIONS if option.name in seen and option.parse is not None}
    params = {OPTION[name].field: value for name, value in parsed.items() if name not in _FOCAL_OPTIONS}
    params.update(gravity_and_focal(parsed))
    return RequestParams(**params)  # type: ignore[arg-type]


def with_preset(seen: dict[str, str], config: "Config", *, trusted: bool) -> dict[str, str]:
    """The request's own options over its preset's (explicit parameters win), once ``presets_only`` and the
    allow-list have had their say about what the request names itself."""
    preset = seen.pop("preset", None)
    if config.presets_only and set(seen) - PRESET_EXTRAS:
        raise Forbidden("only presets are allowed here: use preset=, fmt and dpr")
    if not trusted:
        check_allowed(seen, preset, config)
    if preset is None:
        return seen
    if preset not in config.presets:
        raise BadRequest(f"unknown preset {quote(preset)}")
    return {**named_values(parse_qsl(config.presets[preset], keep_blank_values=True)), **seen}


def gravity_and_focal(parsed: dict[str, Any]) -> dict[str, Any]:
    """``gravity`` and ``focal`` from the parsed ``g``, ``fp-x`` and ``fp-y``: a focal point, however it is
    spelled (``g=0.3x0.7``, or ``fp-x``/``fp-y`` with ``g=fp`` or no ``g``), is ``gravity="fp"`` with
    percents; a missing coordinate is the centre."""
    out: dict[str, Any] = {}
    if "g" in parsed:
        out["gravity"], focal = parsed["g"]
        if focal is not None:
            out["focal"] = focal
    if "fp-x" in parsed or "fp-y" in parsed:
        if out.get("gravity") not in (None, "fp") or "focal" in out:
            raise BadRequest("fp-x and fp-y need g=fp (or no g)")
        out["gravity"] = "fp"
        out["focal"] = (parsed.get("fp-x", 50), parsed.get("fp-y", 50))
    elif out.get("gravity") == "fp" and "focal" not in out:
        out["focal"] = (50, 50)
    return out


def check_allowed(seen: dict[str, str], preset: str | None, config: "Config") -> None:
    """Refuse the options this request names itself (not those its preset sets: the operator wrote them)
    that ``config.allowed_options`` leaves out. A focal point is the ``fp-x``/``fp-y`` option however it is
    spelled, so ``g=fp`` and ``g=0.3x0.7`` need both."""
    used = set(seen) | ({"preset"} if preset is not None else set())
    focal_in_g = "g" in seen and gravity("g", seen["g"], config)[0] == "fp"
    if focal_in_g:
        used |= {"fp-x", "fp-y"}
    refused = [name for name in ALL_OPTIONS if name in used and name not in config.allowed_options]
    if refused:
        one = len(refused) == 1
        note = " (g=fp is the fp-x/fp-y focal point)" if focal_in_g and {"fp-x", "fp-y"} & set(refused) else ""
        raise BadRequest(f"{'option' if one else 'options'} {', '.join(refused)} {'is' if one else 'are'} not allowed "
                         f"in unsigned URLs: add {'it' if one else 'them'} to the config's allowed_options, or sign "
                         f"the URL{note}")


def named_values(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """``{option name: raw value}``; an unknown or repeated parameter (in any spelling) is a 400."""
    seen: dict[str, str] = {}
    for raw_name, value in pairs:
        name = ALIASES.get(raw_name.lower())
        if name is None:
            raise BadRequest(f"unknown parameter {quote(raw_name)}; known: {', '.join(ALL_OPTIONS)}")
        if name in seen:
            raise BadRequest(f"parameter {name} given more than once")
        seen[name] = value.strip()
    return seen
