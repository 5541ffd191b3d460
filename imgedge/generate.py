"""Generate one stored variant: read the original, render, store with a conditional create.

The one implementation of "a variant is missing, make it" — the Lambda@Edge origin-response adapter, the
regional generator and the local edge all call ``generate_variant``. It knows stores and specs, not
CloudFront events; the caller decides how to answer (inline body, redirect, error response).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from . import refusals
from .config import Config
from .deadline import Deadline
from .errors import BadRequest, ImageEdgeError
from .request.canonical import is_canonical
from .request.paths import parse_variant_key
from .request.paths import variant_key as key_for_variant
from .request.spec import VariantSpec
from .store.assets import MissingAsset, read_asset

if TYPE_CHECKING:
    from .store import Store


@dataclass
class GeneratedVariant:
    """The bytes to serve for a variant and what happened on the way (for the log line)."""

    data: bytes
    content_type: str
    #: "generated" (we stored it), "raced" (another writer stored it first; these are its bytes), "stale"
    #: (the original changed or went away while we rendered: the variant was deleted again), "fallback".
    outcome: str
    log: dict[str, Any] = field(default_factory=dict)
    #: How the bytes were encoded (``core.pipeline.Encoding``), so an answer too large to return inline can
    #: be encoded again at a lower quality (``imgedge.answers``). None when not lossy or not rendered here.
    encoding: Any = None
    #: For "stale": whether the original still exists (replaced) or not (deleted).
    original_exists: bool = True


class RememberedRefusal(ImageEdgeError):
    """A refusal answered from its marker (``imgedge.refusals``), without fetching the original."""


#: Why a fallback image is served, by the status of the original's refusal (``X-Imgedge-Fallback``).
FALLBACK_REASONS = {404: "missing-original", 413: "original-too-large", 415: "unsupported-original",
                    422: "unreadable-original"}


@dataclass(frozen=True)
class Variant:
    """A variant key read once: the key, its original and its spec. The adapter that receives the key
    makes it (``read``); everything after hands it down instead of parsing the key again."""

    key: str
    original_key: str
    spec: VariantSpec

    @classmethod
    def read(cls, key: str, config: Config) -> "Variant":
        """The variant ``key`` names; ``BadRequest`` when it is not a variant key."""
        original_key, spec = parse_variant_key(key, config.variants_prefix)
        return cls(key, original_key, spec)


def check_generatable(variant: Variant, config: Config) -> Variant:
    """``variant`` when the edge generates it (only the canonical ladder, whoever asks); ``BadRequest``
    otherwise."""
    if not is_canonical(variant.spec, config):
        raise BadRequest("not a variant this edge serves")
    return variant


def generate_variant(store: "Store", variant: Variant, config: Config, *,
                     deadline: Deadline | None = None) -> GeneratedVariant:
    """Render and store ``variant`` inside ``deadline`` (``config.max_generation_seconds`` from now when
    not given). Raises ``ImageEdgeError`` (never writes a variant on failure; a refusal that depends only
    on the original and the spec leaves its marker, ``imgedge.refusals``)."""
    deadline = deadline or Deadline(config.max_generation_seconds)
    variant_key, original_key, spec = check_generatable(variant, config).key, variant.original_key, variant.spec
    log: dict[str, Any] = {"variant": variant_key, "original": original_key}
    stamp = refusals.fingerprint(config)
    remembered = refusals.recall(store, variant_key, original_key, stamp)
    if remembered is not None:
        raise RememberedRefusal(remembered.message, status=remembered.status)
    mark = time.perf_counter()
    original = store.get(original_key, max_bytes=config.max_source_bytes)
    log["fetch_ms"] = _ms_since(mark)
    try:
        result = _render(store, original.data, spec, config, log, deadline)
    except ImageEdgeError as exc:
        refusals.remember(store, variant_key, exc, original.etag, stamp, config.error_cache_control)
        raise
    log.update({f"{stage}_ms": ms for stage, ms in result.timings_ms.items()})
    log.update(source_bytes=len(original.data), bytes=len(result.data), width=result.width,
               height=result.height, format=result.format, encode_passes=result.encode_passes,
               predicted_ms=round(result.predicted_seconds * 1000, 2),
               predicted_mb=round(result.predicted_bytes / 2**20, 1))
    mark = time.perf_counter()
    metadata = {"source-key": quote(original_key, safe="/-_.~ "), "source-etag": (original.etag or "").strip('"')}
    created = store.put_new(variant_key, result.data, content_type=result.content_type,
                            cache_control=config.variant_cache_control, metadata=metadata)
    log["store_ms"] = _ms_since(mark)
    made = GeneratedVariant(result.data, result.content_type, "generated", log, result.encoding)
    if not created:  # another request stored it first: serve exactly those bytes
        existing = store.get(variant_key)
        made.data, made.outcome = existing.data, "raced"
        made.content_type = existing.content_type or result.content_type
        return made
    current = store.head(original_key)
    if current is None or (current.etag or "").strip('"') != metadata["source-etag"]:
        # Replaced or deleted while we rendered (a takedown, a fix): what we stored is stale. Delete it so
        # the next request renders the original as it is now (or finds it gone).
        store.delete([variant_key])
        made.outcome, made.original_exists = "stale", current is not None
    return made


def render_fallback(store: "Store", variant: Variant, config: Config, status: int,
                    deadline: Deadline | None = None) -> GeneratedVariant | None:
    """The configured fallback image for ``variant``'s original, rendered to its spec, or None when no
    fallback applies (none configured, not an image format, or a status that is not about the original).

    The fallback is a variant of the fallback image like any other, stored under its own key
    (``_variants/<fallback key>/<same segment>``): rendered once per spec, then read back, however many
    missing originals ask for it. Failures of the fallback itself are None: the original refusal stands."""
    reason = FALLBACK_REASONS.get(status)
    if reason is None:
        return None
    try:
        spec = check_generatable(variant, config).spec
        fallback_key = config.fallback_for(variant.original_key)
        if fallback_key is None or not spec.is_image:
            return None
        stored_key = key_for_variant(fallback_key, spec, config.variants_prefix)
        try:
            stored = read_asset(store, stored_key, kind="fallback", max_bytes=config.max_source_bytes)
            made = GeneratedVariant(stored.data, stored.content_type or "application/octet-stream", "fallback")
        except MissingAsset:
            made = generate_variant(store, Variant(stored_key, fallback_key, spec), config, deadline=deadline)
    except ImageEdgeError:
        return None
    made.log = {"fallback": fallback_key, "fallback_reason": reason, "bytes": len(made.data),
                **{k: v for k, v in made.log.items() if k in ("width", "height", "format")}}
    made.outcome = "fallback"
    return made


def _render(store: "Store", data: bytes, spec: VariantSpec, config: Config, log: dict[str, Any],
            deadline: Deadline):
    """Render ``spec`` from ``data`` inside ``deadline``, reading the watermark it names through ``store``."""
    from .core import render  # Pillow loads with the first render, not with this module
    watermark = None
    if spec.watermark is not None:
        mark = time.perf_counter()
        watermark = read_asset(store, config.watermark(spec.watermark)["key"], kind="watermark",
                               max_bytes=config.max_source_bytes).data
        log["watermark_ms"] = _ms_since(mark)
    return render(data, spec, config, watermark=watermark, deadline=deadline)


def _ms_since(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
