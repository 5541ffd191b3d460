"""The proven bound: how many distinct variants the edge can name for one original, whatever the URLs.

Each option's own count comes from its row of the option table (``count``), limited to its default plus
what the presets set when unsigned URLs may not use it. The axes where options combine (the box, the
encoding, the orientation, the colour) are the explicit products below; every other option is an axis of
its own.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING, Callable
from urllib.parse import parse_qsl

from .options import ALIASES, OPTION, OPTIONS
from .vocabulary import COMPASS, FITS

if TYPE_CHECKING:
    from ..config import Config


def variant_bound_terms(config: "Config") -> dict[str, int]:
    """How many values each independent axis of a named image variant can take (see ``variant_bound``).

    Sizes, fits, formats and qualities count in full whatever ``allowed_options`` says (client hints and
    device presets reach every rung); every other option counts its values only when allowed, else its
    default plus what the presets may set (``option_values``).
    """
    values = option_values(config)
    shapes = _shapes(config)
    rungs = len(config.ladder)
    qualities = _qualities(config)
    cover, contain = _gravities(values)
    adjust = OPTION["sat"].count(config)  # type: ignore[misc]
    terms = {
        # width-only and height-only rungs, plus rung x shape x (fit, its gravities); each with enlarge or not;
        # plus the relative sizes (``scale``), which never enlarge
        "box": values("enlarge") * (2 * rungs + rungs * shapes * (cover + contain + 3)) + values("scale") - 1,
        # JPEG, WebP, AVIF and legacy share the quality axis (fixed qualities and q=auto's targets); PNG and
        # GIF have none
        "encoding": 4 * qualities + 2,
        # rotations alone or flips alone (v is a 180 degree turn and a mirror) reach 4 orientations, both all 8
        "orientation": min(8, values("rot") * values("flip")),
        # saturation -100 is grayscale, so sat and gray together take the adjust values
        "colour": values("bri") * values("con") * min(adjust, values("sat") + values("gray") - 1),
    }
    for option in OPTIONS:
        if option.axis is not None and option.axis not in terms:
            terms[option.axis] = values(option.name)
    return terms


def variant_bound(config: "Config") -> int:
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
    cover, contain = _gravities(option_values(config))
    placeholder_boxes = 1 + _shapes(config) * (cover + contain + 1)
    placeholders = 2 * placeholder_boxes * terms["rect"] * terms["orientation"] * terms["background"] * terms["colour"]
    return images + placeholders + 1


def core_variant_bound(config: "Config") -> int:
    """Variants from sizes (the ladder's boxes and the relative ``scale`` steps), fits, formats and qualities
    alone (no options, no placeholders)."""
    scales = OPTION["scale"].count(config) - 1  # type: ignore[misc]
    boxes = 2 * len(config.ladder) + len(config.ladder) * _shapes(config) * len(FITS) + scales
    return boxes * (4 * _qualities(config) + 2)


def _qualities(config: "Config") -> int:
    """A lossy variant's quality values: the snapped fixed qualities and ``q=auto``'s targets."""
    return len(range(config.quality_step, 101, config.quality_step)) + len(config.quality_targets)


def option_values(config: "Config") -> Callable[[str], int]:
    """``values(option)``: how many of its values (not given included) ``option`` can take on a named
    variant. An allowed option may take all its table ``count``; another only its default, or what a
    preset sets (at most one value per preset; a preset's ``g`` may be a focal point)."""
    set_by_presets: Counter[str] = Counter()
    for query in config.presets.values():
        names = {ALIASES.get(name.lower(), "") for name, _ in parse_qsl(query, keep_blank_values=True)}
        set_by_presets.update(names | ({"fp-x", "fp-y"} if "g" in names else set()))

    def values(name: str) -> int:
        full = OPTION[name].count(config)  # type: ignore[misc]
        return full if name in config.allowed_options else min(full, 1 + set_by_presets[name])

    return values


def _shapes(config: "Config") -> int:
    return sum(1 if w == h else 2 for w, h in config.aspect_ratios)


def _gravities(values: Callable[[str], int]) -> tuple[int, int]:
    """How many gravities a cover box and a contain box can have: centre, the compass and smart from ``g``,
    plus, for cover, the focal points (whole percents; the centre is no focal point)."""
    named = values("g")
    focal_points = values("fp-x") * values("fp-y") - 1
    return named + focal_points, min(named, len(COMPASS) + 1)
