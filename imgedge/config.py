"""Configuration: one frozen dataclass with documented defaults, loaded from a bundled JSON file.

Lambda@Edge has no environment variables, so the deployed functions read ``imgedge/config.json``
(generated from the SAM template's parameters at package time). Locally, ``IMGEDGE_CONFIG`` may point
at another file. Every key is optional: a missing key keeps its default, an unknown key is an error
(a typo in a deploy parameter must not silently do nothing).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from .request.dialects import DIALECTS, UNKNOWN_POLICIES
from .request.options import ALL_OPTIONS, DEFAULT_ALLOWED_OPTIONS
from .request.vocabulary import MAX_TARGET, MIN_TARGET

#: Widths (and heights) a named variant may have. Requests snap *up* to the next rung, so a viewer never
#: gets fewer pixels than asked for; beyond the top rung they get the top rung. Next.js' device and image
#: sizes, plus a few rungs common in responsive layouts.
DEFAULT_LADDER: tuple[int, ...] = (
    16, 32, 48, 64, 96, 128, 160, 256, 320, 384, 480, 640, 750, 828,
    1080, 1200, 1440, 1920, 2048, 2560, 3840,
)

#: Aspect ratios a named variant with both ``w`` and ``h`` may have (landscape; portrait is the inverse).
#: A box snaps to the nearest one, so ``w`` x ``h`` floods cannot mint unbounded variants.
DEFAULT_ASPECT_RATIOS: tuple[tuple[int, int], ...] = (
    (1, 1), (5, 4), (4, 3), (3, 2), (16, 10), (16, 9), (2, 1), (21, 9), (3, 1), (4, 1),
)

#: Per-format default quality: chosen so the three lossy encoders land at similar visual quality
#: (AVIF's scale is harsher than JPEG's; q60 AVIF ~ q80 JPEG in SSIM on photos).
DEFAULT_QUALITY: Mapping[str, int] = {"jpeg": 80, "webp": 80, "avif": 60}

#: What each device class gets when the request names neither ``w`` nor ``h``. A preset may also set
#: ``quality``. Bots get the desktop preset (see ``Config.preset_for``).
DEFAULT_DEVICE_PRESETS: Mapping[str, Mapping[str, int]] = {
    "mobile": {"width": 828},
    "tablet": {"width": 1200},
    "desktop": {"width": 1920},
    "smarttv": {"width": 1920},
}

#: Quality a viewer that sends ``Save-Data: on`` gets when the URL names none: a step below the defaults,
#: never above a quality the URL or a preset names (tests/edge/test_generation.py).
DEFAULT_SAVE_DATA_QUALITY: Mapping[str, int] = {"jpeg": 60, "webp": 60, "avif": 45}

#: ``q=auto``'s SSIMULACRA2 targets: everyone, and ``Save-Data: on`` viewers.
DEFAULT_QUALITY_TARGET = 70
DEFAULT_SAVE_DATA_QUALITY_TARGET = 60

#: Byte budgets a named variant's ``max_bytes`` snaps *down* to (so a variant never exceeds what was asked).
DEFAULT_BYTE_BUDGETS: tuple[int, ...] = (
    1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000, 5_000_000,
)

#: Where a watermark may sit: the gravity names (``centre`` included).
WATERMARK_POSITIONS = ("centre", "north", "northeast", "east", "southeast", "south", "southwest", "west",
                       "northwest")
#: A watermark's defaults; ``key`` (an S3 key, read through the same store as originals) is required.
WATERMARK_DEFAULTS: Mapping[str, Any] = {"position": "southeast", "opacity": 0.5, "scale": 0.25, "margin": 0.03}


@dataclass(frozen=True)
class Config:
    """Everything an operator may change. Defaults are the documented product defaults."""

    ladder: tuple[int, ...] = DEFAULT_LADDER
    aspect_ratios: tuple[tuple[int, int], ...] = DEFAULT_ASPECT_RATIOS
    #: Largest width or height any output may have, snapped or exact.
    max_dimension: int = 4096
    #: Largest output area; protects memory when both w and h are large.
    max_output_pixels: int = 4096 * 4096
    default_quality: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_QUALITY))
    #: Named variants snap quality to multiples of this step (bounded key space).
    quality_step: int = 5
    #: Output formats the edge may negotiate for ``fmt=auto`` (order is preference).
    auto_formats: tuple[str, ...] = ("avif", "webp")
    device_presets: Mapping[str, Mapping[str, int]] = field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_DEVICE_PRESETS.items()}
    )
    #: Key prefix under which variants are stored; originals live everywhere else in the bucket.
    variants_prefix: str = "_variants"
    #: Cache-Control for stored and returned variants (they never change: the key names the bytes).
    variant_cache_control: str = "public, max-age=31536000, immutable"
    #: Cache-Control for refusals and missing originals: short, so a fixed original shows up soon.
    error_cache_control: str = "public, max-age=60"
    #: Source limits, checked before pixels are decoded.
    max_source_bytes: int = 50 * 1024 * 1024
    max_source_pixels: int = 100_000_000
    #: HMAC keys for signed URLs (see ``imgedge.request.signing``); several at once for rotation. Empty: off.
    signing_keys: tuple[str, ...] = ()
    #: With keys set: refuse unsigned URLs (403). Without it, unsigned URLs pass and signed ones are checked.
    require_signature: bool = False
    #: Named presets, ``?preset=thumb`` → their query (e.g. ``{"thumb": "w=160&h=160&fit=cover"}``).
    presets: Mapping[str, str] = field(default_factory=dict)
    #: Refuse any size/quality/fit not given by a preset (``fmt`` and ``dpr`` stay allowed).
    presets_only: bool = False
    #: Options (canonical names, ``ALL_OPTIONS``) an unsigned viewer URL may use; any other is a 400 naming
    #: it. A valid signature vouches for every option, options a preset sets always apply, and
    #: ``transform``/``imgedge resize`` (which name no variant) allow all of them.
    allowed_options: tuple[str, ...] = DEFAULT_ALLOWED_OPTIONS
    #: Largest body an origin-response may return inline (Lambda@Edge caps generated responses at
    #: 1 MB including headers and base64; 1 MB / 1.34 minus headroom).
    max_inline_bytes: int = 700 * 1024
    #: What the generator answers when a variant is over ``max_inline_bytes``. Either way the full variant
    #: is stored, so the next request is an S3 hit for it. ``fit``: a lossy variant (JPEG, WebP, AVIF) is
    #: answered inline once with a copy re-encoded at a lower quality (never a smaller size) that fits,
    #: ``Cache-Control: private, no-store`` and ``X-Imgedge-Budget: inline``; PNG and GIF (lossless), and
    #: lossy variants no quality fits, get the redirect. ``redirect``: always a 302 to the viewer's own URL.
    #: Without a safe viewer URL, ``fit`` is tried in both modes before the short-lived 502.
    oversize_answer: str = "fit"
    #: Animated originals (GIF, WebP) become animated outputs (WebP, GIF, AVIF) within these limits, checked
    #: from the container before any frame past the first is decoded; over either is a 413.
    #: ``max_animated_pixels`` counts width x height x frames of the original.
    max_frames: int = 1000
    #: Wall-clock budget of one generation, from the handler's entry to its answer: fetching the original,
    #: decoding, every encode (byte budgets, the inline limit) and storing. The cost model refuses (422)
    #: what it predicts cannot finish inside it before decoding anything; 10 s stay free under the origin's
    #: 30 s timeout for what no prediction sees. 0 = no limit.
    max_generation_seconds: float = 20.0
    #: Memory (MB) of the function generating variants. None: Lambda's own figure
    #: (``AWS_LAMBDA_FUNCTION_MEMORY_SIZE``), else the template's default of 1536. A generation may reach
    #: 80 % of it; the cost model refuses (413) what it predicts would not fit.
    memory_limit_mb: int | None = None
    #: Add ``Server-Timing`` (each stage's milliseconds) to generated answers: a debugging aid that tells
    #: anyone how long a variant took, so off unless asked for (the local edge turns it on).
    server_timing: bool = False
    max_animated_pixels: int = 100_000_000
    #: Budgets ``max_bytes`` snaps down to for named variants (``transform`` honours any value).
    byte_budgets: tuple[int, ...] = DEFAULT_BYTE_BUDGETS
    #: Read the client hints ``Sec-CH-DPR``, ``Sec-CH-Width``, ``Sec-CH-Viewport-Width`` and ``Save-Data``.
    client_hints: bool = True
    #: Let the size hints (DPR, width, viewport width) scale signed URLs and ``presets_only`` requests too.
    #: Off: those get exactly the box that was signed or that the preset gives (headers cannot be signed);
    #: ``Save-Data`` still lowers their default quality, which only ever makes the answer cheaper.
    client_hints_on_signed: bool = False
    #: Quality for ``Save-Data: on`` viewers when the URL names none.
    save_data_quality: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_SAVE_DATA_QUALITY))
    #: ``q=auto``: the SSIMULACRA2 score (90 visually lossless, 70 high, 50 medium) each output must reach,
    #: with the lowest quality that reaches it (``imgedge.core.autoquality``). The default keeps the
    #: lowest score well above 65 on photos (benchmarks/RESULTS.md, "Auto quality").
    quality_target: int = DEFAULT_QUALITY_TARGET
    #: The target for ``Save-Data: on`` viewers (at most ``quality_target``).
    save_data_quality_target: int = DEFAULT_SAVE_DATA_QUALITY_TARGET
    #: Make ``q=auto`` the default of ``fmt=auto`` requests that name no quality (a device preset's quality
    #: still wins; an explicit ``q`` always does).
    auto_quality: bool = False
    #: ``q=auto``'s search (its probe encodes and scores) may spend this many times the CPU a fixed
    #: quality costs (the generation before it and the output's encode at the cost model's rate, at the
    #: pace this process encodes): with the compiled measure (``imgedge.core.native``, in every x86_64
    #: zip) 0.85, the default, keeps ``q=auto`` at a median 1.5-1.8x a fixed-quality generation on the
    #: validation photos with its bytes at 0.75-0.79x B, as 1.0 did on the numpy measure at 1.50-2.04x
    #: (benchmarks/RESULTS.md, "Auto quality"); fewer probes on smaller samples, one on the smallest for
    #: a small, fast output, and a sample's choice checked on the whole output where that fits. 0: no
    #: probe, the seed quality. None: no limit but the generation budget (three probes on the whole output
    #: or the larger sample), 3-4.5x a fixed quality at 640 px.
    auto_quality_allowance: float | None = 0.85
    #: Named watermarks for ``wm=<name>``: ``{"logo": {"key": "brand/logo.png", "position": "southeast",
    #: "opacity": 0.5, "scale": 0.25, "margin": 0.03}}``. ``scale`` is the watermark's width as a fraction
    #: of the output's, ``margin`` the gap to the edges as a fraction of the output's shorter side.
    watermarks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: Fallback images: key prefix -> S3 key of the image rendered, to the requested box and format, when
    #: the original under that prefix is missing or unusable (the longest matching prefix wins; ``""``
    #: matches every key). Answered with the error's own status (or ``fallback_status``), the short
    #: ``fallback_cache_control`` and ``X-Imgedge-Fallback: <reason>``; never stored as the variant.
    fallbacks: Mapping[str, str] = field(default_factory=dict)
    fallback_status: int | None = None
    fallback_cache_control: str = "public, max-age=60"
    #: URL dialects read besides the project's own grammar (``imgedge.request.dialects``): ``imgix``,
    #: ``cloudflare`` (``/cdn-cgi/image/<options>/<path>``), ``nextjs`` (``/_next/image?url=…``) and ``photon``
    #: (WordPress). Each names the same variants the grammar does, so the variant bound holds with all of them.
    dialects: tuple[str, ...] = tuple(DIALECTS)
    #: What a dialect does with a parameter it does not know: ``refuse`` (a 400 naming it) or ``ignore``.
    dialect_unknown_parameters: str = "refuse"

    def __post_init__(self) -> None:
        if not self.ladder or list(self.ladder) != sorted(set(self.ladder)):
            raise ValueError("ladder must be a non-empty strictly increasing list of widths")
        if self.ladder[0] < 1 or self.ladder[-1] > self.max_dimension:
            raise ValueError("ladder rungs must lie within 1..max_dimension")
        for fmt in self.auto_formats:
            if fmt not in ("avif", "webp"):
                raise ValueError(f"auto_formats may hold avif and webp, not {fmt!r}")
        if not self.aspect_ratios or any(len(r) != 2 or min(r) < 1 or r[0] < r[1] for r in self.aspect_ratios):
            raise ValueError("aspect_ratios must be (width, height) pairs with width >= height >= 1")
        if self.require_signature and not self.signing_keys:
            raise ValueError("require_signature needs signing_keys")
        if any(len(key) < 16 for key in self.signing_keys):
            raise ValueError("signing keys must be at least 16 characters")
        unknown = [name for name in self.allowed_options if name not in ALL_OPTIONS]
        if unknown:
            raise ValueError(f"allowed_options: unknown option {unknown[0]!r}; options are {', '.join(ALL_OPTIONS)}")
        for name, query in self.presets.items():
            if not name.isidentifier() or "preset=" in query:
                raise ValueError(f"preset {name!r}: names are identifiers and presets cannot nest")
        if not 1 <= self.quality_step <= 50:
            raise ValueError("quality_step must be within 1..50")
        if not self.variants_prefix or "/" in self.variants_prefix.strip("/") or self.variants_prefix.startswith("."):
            raise ValueError("variants_prefix must be a single path segment")
        if self.oversize_answer not in ("fit", "redirect"):
            raise ValueError("oversize_answer must be fit or redirect")
        if self.max_generation_seconds < 0 or (self.memory_limit_mb is not None and self.memory_limit_mb < 128):
            raise ValueError("max_generation_seconds must be >= 0 and memory_limit_mb >= 128 (or null)")
        if self.max_frames < 1 or self.max_animated_pixels < 1:
            raise ValueError("max_frames and max_animated_pixels must be positive")
        budgets = list(self.byte_budgets)
        if not budgets or budgets != sorted(set(budgets)) or budgets[0] < 100:
            raise ValueError("byte_budgets must be a non-empty increasing list of sizes >= 100 bytes")
        for fmt, quality in self.save_data_quality.items():
            if fmt not in DEFAULT_QUALITY or not 1 <= int(quality) <= 100:
                raise ValueError("save_data_quality maps jpeg/webp/avif to 1..100")
        if not MIN_TARGET <= self.save_data_quality_target <= self.quality_target <= MAX_TARGET:
            raise ValueError(f"quality targets within {MIN_TARGET}..{MAX_TARGET}, the Save-Data one at most "
                             "quality_target")
        allowance = self.auto_quality_allowance
        if allowance is not None and (not isinstance(allowance, (int, float)) or not allowance >= 0):
            raise ValueError("auto_quality_allowance must be a non-negative number (or null: no limit)")
        for name, mark in self.watermarks.items():
            _check_watermark(name, mark, self.variants_prefix)
        for prefix, key in self.fallbacks.items():
            if not isinstance(key, str) or not key or key.split("/")[0] == self.variants_prefix:
                raise ValueError(f"fallback for {prefix!r}: an original key outside the variants prefix")
        if set(self.dialects) - set(DIALECTS) or len(set(self.dialects)) != len(self.dialects):
            raise ValueError(f"dialects: each of {', '.join(DIALECTS)} at most once")
        if self.dialect_unknown_parameters not in UNKNOWN_POLICIES:
            raise ValueError(f"dialect_unknown_parameters must be {' or '.join(UNKNOWN_POLICIES)}")
        if self.fallback_status is not None and self.fallback_status not in (200, 404, 410, 413, 415, 422):
            raise ValueError("fallback_status must be 200, 404, 410, 413, 415 or 422 (or null: the error's own)")

    def preset_for(self, device: str) -> Mapping[str, int]:
        """The preset of a device class; bots (and unknown classes) get the desktop one."""
        return self.device_presets.get(device) or self.device_presets.get("desktop", {})

    def quality_for(self, fmt: str, device: str, save_data: bool = False) -> int:
        if save_data:
            return int(self.save_data_quality.get(fmt, DEFAULT_SAVE_DATA_QUALITY[fmt]))
        return int(self.preset_for(device).get("quality", self.default_quality[fmt]))

    def target_for(self, save_data: bool = False) -> int:
        """``q=auto``'s SSIMULACRA2 target for this viewer."""
        return self.save_data_quality_target if save_data else self.quality_target

    @property
    def quality_targets(self) -> tuple[int, ...]:
        """Every target a variant key can hold."""
        return tuple(sorted({self.quality_target, self.save_data_quality_target}))

    def watermark(self, name: str) -> Mapping[str, Any]:
        """A named watermark with its defaults filled in."""
        return {**WATERMARK_DEFAULTS, **self.watermarks[name]}

    def fallback_for(self, original_key: str) -> str | None:
        """The fallback image key for ``original_key``: the longest configured prefix it starts with."""
        matches = [prefix for prefix in self.fallbacks if original_key.startswith(prefix)]
        return self.fallbacks[max(matches, key=len)] if matches else None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> "Config":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown config keys: {', '.join(unknown)}")
        values = dict(data)
        for name in ("ladder", "auto_formats", "signing_keys", "byte_budgets", "allowed_options", "dialects"):
            if name in values:
                values[name] = tuple(values[name])
        if "aspect_ratios" in values:
            values["aspect_ratios"] = tuple(tuple(pair) for pair in values["aspect_ratios"])
        if "default_quality" in values:
            values["default_quality"] = {**DEFAULT_QUALITY, **values["default_quality"]}
        if "save_data_quality" in values:
            values["save_data_quality"] = {**DEFAULT_SAVE_DATA_QUALITY, **values["save_data_quality"]}
        return cls(**values)


def _check_watermark(name: str, mark: Any, prefix: str) -> None:
    if not isinstance(name, str) or not name.isidentifier() or not name.isascii() or len(name) > 32:
        raise ValueError(f"watermark {name!r}: names are ASCII identifiers of at most 32 characters")
    if not isinstance(mark, Mapping) or set(mark) - {"key", *WATERMARK_DEFAULTS}:
        raise ValueError(f"watermark {name!r}: an object with key, position, opacity, scale, margin")
    key = mark.get("key")
    if not isinstance(key, str) or not key or key.split("/")[0] == prefix:
        raise ValueError(f"watermark {name!r}: key must name an object outside the variants prefix")
    merged = {**WATERMARK_DEFAULTS, **mark}
    if merged["position"] not in WATERMARK_POSITIONS:
        raise ValueError(f"watermark {name!r}: position must be one of {', '.join(WATERMARK_POSITIONS)}")
    if (not 0 < float(merged["opacity"]) <= 1 or not 0 < float(merged["scale"]) <= 1
            or not 0 <= float(merged["margin"]) < 0.5):
        raise ValueError(f"watermark {name!r}: opacity and scale within (0, 1], margin within [0, 0.5)")


BUNDLED_CONFIG = Path(__file__).with_name("config.json")


@lru_cache(maxsize=None)
def load_config(path: str | None = None) -> Config:
    """Config from ``path``, else ``$IMGEDGE_CONFIG``, else the bundled file, else defaults. Cached."""
    chosen = path or os.environ.get("IMGEDGE_CONFIG") or (str(BUNDLED_CONFIG) if BUNDLED_CONFIG.exists() else None)
    if not chosen:
        return Config()
    with open(chosen, encoding="utf-8") as fh:
        return Config.from_mapping(json.load(fh))
