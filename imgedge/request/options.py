"""The option table: every URL option once, with everything the request layer needs to know about it.

One ``Option`` row says how the option is spelled (name, aliases), which ``RequestParams`` field it sets
and how its value is parsed, how the variant key spells the result (``token``), whether unsigned URLs may
use it by default (``open``), how many canonical values it can take on a named variant (``count``, for the
variant bound) and which term of the bound counts it (``axis``), whether it paints pixels beyond crop,
orientation and size (``paints``), and what the README says about it (``values``, ``default``).

Derived from the table: the alias map the parser reads, ``ALL_OPTIONS`` and ``DEFAULT_ALLOWED_OPTIONS``,
the variant key's token order (``KEY_TOKENS``, used both ways by ``keys``), the bound's per-option terms
(``bounds``), ``VariantSpec.paints`` and the README's parameter table (``reference``). The rules that
join several options (presets, gravity vs focal point, orientation, snapping) are explicit functions in
``grammar`` and ``canonical``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from . import values as v
from .tokens import NUM, POS, SIGNED, Token, budget_text, budget_value, flag, number, word
from .vocabulary import (
    ADJUST_STEP,
    COMPASS,
    FIT_ALIASES,
    FITS,
    FLIPS,
    FORMAT_ALIASES,
    MAX_BLUR,
    MAX_BUDGET,
    MAX_DPR,
    MAX_RECT,
    MAX_SHARPEN,
    METADATA,
    MIN_BUDGET,
    PLACEHOLDER_FORMATS,
    REQUESTABLE_FORMATS,
    SCALE_STEP,
)

if TYPE_CHECKING:
    from ..config import Config


@dataclass(frozen=True)
class Option:
    name: str
    aliases: tuple[str, ...]
    #: The ``RequestParams`` field the parsed value goes to (None: read by a cross-field rule only).
    field: str | None
    parse: v.Parser | None
    token: Token | None
    #: Allowed in unsigned URLs by default: its values on a named variant are few and fixed.
    open: bool
    #: How many values (not given included) it can take on a named variant; None: the box and encoding
    #: terms count it in full, whatever ``allowed_options`` says.
    count: Callable[["Config"], int] | None
    #: The ``variant_bound_terms`` entry that counts it (None: it names no bytes of its own).
    axis: str | None
    #: Changes pixels beyond crop, orientation and size.
    paints: bool
    #: README: the values it takes, and what it is when not given.
    values: str
    default: str
    #: Spec fields the option sets besides ``token``'s, each with its own token (``q=auto``'s target).
    more_tokens: tuple[Token, ...] = ()


def _code(*words: str) -> str:
    return ", ".join(f"`{w}`" for w in words)


def _fit_doc(fit: str, what: str = "") -> str:
    aliases = [alias for alias, name in FIT_ALIASES.items() if name == fit]
    inner = _code(*aliases) + (f": {what}" if what and aliases else what)
    return f"`{fit}` ({inner})" if inner else f"`{fit}`"


def _fixed(n: int) -> Callable[["Config"], int]:
    return lambda config: n


_ADJUST = len(range(-100, 101, ADJUST_STEP))
_UNSIGNED_FOCAL = "the focal point: unsigned URLs need `fp-x`, `fp-y` allowed"
_FOCAL = Token("focal", rf"fp{NUM}x{NUM}", lambda p: "fp{}x{}".format(*p), lambda g: (int(g[0]), int(g[1])))

OPTIONS: tuple[Option, ...] = (
    Option("w", ("width",), "width", v.dimension, number("width", "w"), True, None, "box", False,
           "output width in px, 1–4096", "device preset (see below) when neither `w` nor `h`"),
    Option("h", ("height",), "height", v.dimension, number("height", "h"), True, None, "box", False,
           "output height in px, 1–4096", "follows the aspect ratio"),
    Option("fit", (), "fit",
           v.choice({**{f: f for f in FITS}, **FIT_ALIASES},
                    f"one of {', '.join(FITS)} (or {', '.join(FIT_ALIASES)})"),
           word("fit", FITS), True, None, "box", False,
           ", ".join((_fit_doc("cover", "fill the box, crop the overflow at the gravity"),
                      _fit_doc("contain", "fit inside, pad to the box with `bg`"), _fit_doc("fill"),
                      _fit_doc("inside", "fit inside, no padding"),
                      _fit_doc("outside", "cover the box without cropping"))),
           "`cover`; only matters when both `w` and `h` are given"),
    Option("enlarge", ("el", "upscale"), "enlarge", v.boolean, flag("enlarge", "enlarge"), True, _fixed(2), "box",
           False, "`1`/`0`: let the output be larger than the original", "`0` (never enlarge)"),
    Option("rect", (), "rect", v.rect,
           Token("rect", rf"rect{NUM}_{NUM}_{POS}_{POS}", lambda r: "rect{}_{}_{}_{}".format(*r),
                 lambda g: tuple(int(x) for x in g)),
           False, _fixed(MAX_RECT ** 4 + 1), "rect", False,  # x, y in 0..65534, w, h in 1..65535, or none
           "`x,y,w,h` in px of the displayed original, cropped first", "none"),
    Option("g", ("gravity", "crop"), "gravity", v.gravity, word("gravity", (*COMPASS, "smart")), True,
           _fixed(len(COMPASS) + 2), "box", False,
           f"`centre`; `north` … `northwest` (`n`, `no`, `top`, `top-left`, imgix `top,left`); `smart` "
           f"({_code(*v.aliases_of('smart'))}: saliency on the reduced image); `fp` and `0.3x0.7` "
           f"({_UNSIGNED_FOCAL})", "`centre`"),
    Option("fp-x", ("fpx",), "focal", v.fraction_percent, _FOCAL, False, _fixed(101), "box", False,
           "focal point, 0–1 fractions of the original (implies `g=fp`)", "0.5"),
    Option("fp-y", ("fpy",), "focal", v.fraction_percent, _FOCAL, False, _fixed(101), "box", False,
           "focal point, 0–1 fractions of the original (implies `g=fp`)", "0.5"),
    Option("rot", ("rotate",), "rotate", v.rotation,
           Token("rotate", "rot(90|180|270)", lambda r: f"rot{r}", lambda g: int(g[0])), True, _fixed(4),
           "orientation", False, "0, 90, 180, 270 (clockwise)", "0"),
    Option("flip", (), "flip", v.choice(FLIPS, "h, v or hv"), flag("mirror", "flip"), True, _fixed(4),
           "orientation", False, "`h`, `v`, `hv`", "none"),
    Option("bg", ("background",), "background", v.colour,
           Token("background", "bg([0-9a-f]{6}(?:[0-9a-f]{2})?)", lambda c: f"bg{c}", lambda g: g[0]), False,
           _fixed(2 ** 24 * 255 + 2), "background", True,  # any colour with alpha 01..ff, transparent, or none
           "`RRGGBB[AA]`, `RGB[A]`, `transparent`: fills transparency and padding",
           "white, or transparent for images with alpha"),
    Option("blur", (), "blur", v.radius(MAX_BLUR), number("blur", "blur"), False, _fixed(MAX_BLUR + 1), "blur",
           True, "1–250 (Gaussian sigma in output px)", "none"),
    Option("sharpen", ("sharp",), "sharpen", v.decimal(0, MAX_SHARPEN, step=0.5),
           Token("sharpen", r"sharpen((?:[1-9]|10)(?:\.5)?|0\.5)", lambda s: f"sharpen{s:g}", lambda g: float(g[0])),
           False, _fixed(int(MAX_SHARPEN * 2) + 1), "sharpen", True, "0.5–10 in 0.5 steps", "none"),
    Option("bri", ("brightness",), "brightness", v.integer(-100, 100), number("brightness", "bri", SIGNED), False,
           _fixed(_ADJUST), "colour", True, "−100 … 100 (snapped to 5 on named variants)", "0"),
    Option("con", ("contrast",), "contrast", v.integer(-100, 100), number("contrast", "con", SIGNED), False,
           _fixed(_ADJUST), "colour", True, "−100 … 100 (snapped to 5 on named variants)", "0"),
    Option("sat", ("saturation",), "saturation", v.integer(-100, 100), number("saturation", "sat", SIGNED), False,
           _fixed(_ADJUST), "colour", True, "−100 … 100 (snapped to 5 on named variants)", "0"),
    Option("gray", ("grayscale", "greyscale", "grey"), "grayscale", v.boolean, flag("grayscale", "gray"), True,
           _fixed(2), "colour", True, "`1`/`0`", "`0`"),
    Option("wm", ("watermark",), "watermark", v.watermark,
           Token("watermark", r"wm_([A-Za-z_][A-Za-z0-9_]{0,31})", lambda n: f"wm_{n}", lambda g: g[0]), False,
           lambda config: len(config.watermarks) + 1, "watermark", True,
           "a name in the config's `watermarks` (S3 key, position, opacity, scale)", "none"),
    Option("meta", ("metadata",), "keep_copyright",
           v.choice(METADATA, "none or copyright (EXIF is never kept whole: it carries GPS)"),
           flag("keep_copyright", "copyright"), True, _fixed(2), "copyright", False,
           "`none`, `copyright` (keeps EXIF Copyright and Artist)", "`none` (all metadata stripped)"),
    Option("anim", ("animated",), "animated", v.boolean, flag("animated", "still", False), True, _fixed(2), "still",
           False, "`1`/`0` (`0` = first frame only)", "`1`"),
    Option("mb", ("max_bytes", "max-bytes"), "max_bytes", v.budget(MIN_BUDGET, MAX_BUDGET),
           Token("max_bytes", r"mb([1-9][0-9]{0,8})([km]?)", lambda b: "mb" + budget_text(b),
                 lambda g: budget_value(*g)),
           True, lambda config: len(config.byte_budgets) + 1, "max_bytes", False,
           "byte budget 100–100,000,000: quality, then size, step down until it fits (snapped down to the "
           "config's budgets on named variants)", "none"),
    Option("q", ("quality",), "quality", v.quality, number("quality", "q"), True, None, "encoding", False,
           "1–100 (ignored for PNG); `auto`: the lowest quality whose output meets the config's perceptual "
           "target (see [Auto quality](#auto-quality-qauto))", "JPEG 80, WebP 80, AVIF 60",
           (Token("target", r"qauto([1-9][0-9]?)", lambda t: f"qauto{t}", lambda g: int(g[0])),)),
    Option("fmt", ("format", "f", "fm"), "format",
           v.choice({**{f: f for f in REQUESTABLE_FORMATS}, **FORMAT_ALIASES},
                    f"one of {', '.join(REQUESTABLE_FORMATS)}"),
           word("format", PLACEHOLDER_FORMATS), True, None, "encoding", False,
           f"`auto`, `jpeg` ({_code(*FORMAT_ALIASES)}), `webp`, `avif`, `png`, `gif`, `blurhash` (text), "
           "`lqip` (tiny image), `json` (dimensions, format, dominant colour, alpha, frames)", "`auto`"),
    Option("dpr", (), "dpr", v.dpr(MAX_DPR), None, True, None, None, False,
           "1–4, multiplies `w` and `h`", "1, or the `Sec-CH-DPR` hint"),
    Option("ar", ("aspect-ratio", "aspect_ratio"), "aspect", v.ratio, None, True, None, "box", False,
           "`W:H` (`16:9`, `1.91:1`): with one side only (`w`, `h` or the device preset's width), the other "
           "follows this ratio, then the box snaps like any other; ignored when both are given", "none"),
    Option("scale", (), "scale", v.scale,
           Token("scale", r"scale([1-9][0-9]?|100)", lambda s: f"scale{s}", lambda g: int(g[0])), True,
           _fixed(100 // SCALE_STEP + 1), "box", False,
           f"a fraction of the original's size (or of its `rect`), above 0 and at most 1: `0.5` is half its "
           f"width and height, resolved when the original is read, never enlarged; snapped up to steps of "
           f"{SCALE_STEP / 100:g} on named variants; instead of `w`/`h` (the project's `w`/`h` are pixels: "
           f"`w=0.5` is imgix's spelling of `scale=0.5`, read by its dialect)", "none"),
    Option("preset", (), None, None, None, True, None, None, False,
           "a name from the config's `presets` (e.g. `thumb` → `w=160&h=160&fit=cover`); explicit parameters "
           "override it", "none"),
)

OPTION: dict[str, Option] = {option.name: option for option in OPTIONS}
#: Every spelling (lowercase) → its option's name.
ALIASES: dict[str, str] = {spelling: o.name for o in OPTIONS for spelling in (o.name, *o.aliases)}
#: The options by canonical name, in table order (the order refusals list them in).
ALL_OPTIONS: tuple[str, ...] = tuple(OPTION)
#: What an unsigned viewer URL may use by default: the options whose values on a named variant are few and
#: fixed, so a flood of invented URLs mints a bounded number of variants per original
#: (``bounds.variant_bound``). The open-ended ones need a signed URL or the operator's say-so (imgproxy's
#: ``ALLOWED_PROCESSING_OPTIONS``).
DEFAULT_ALLOWED_OPTIONS: tuple[str, ...] = tuple(o.name for o in OPTIONS if o.open)
#: The variant key's tokens, in the order they are written; options sharing a token (the focal point) name
#: it once. ``keys`` encodes and decodes with this one sequence.
KEY_ORDER = ("rect", "scale", "w", "h", "fit", "enlarge", "g", "fp-x", "rot", "flip", "bg", "bri", "con", "sat", "gray",
             "blur", "sharpen", "wm", "meta", "anim", "mb", "q", "fmt")
KEY_TOKENS: tuple[Token, ...] = tuple(token for name in KEY_ORDER  # type: ignore[misc]
                                      for token in (OPTION[name].token, *OPTION[name].more_tokens))
#: ``VariantSpec`` fields whose values paint pixels beyond crop, orientation and size.
PAINTING_FIELDS: tuple[str, ...] = tuple(o.token.field for o in OPTIONS if o.paints and o.token is not None)
