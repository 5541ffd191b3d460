"""Generate one stored variant: read the original, render, store with a conditional create.

The one implementation of "a variant is missing, make it" — the Lambda@Edge origin-response adapter, the
regional generator and the local edge all call ``generate_variant``. It knows stores and specs, not
CloudFront events; the caller decides how to answer (inline body, redirect, error response).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import quote

from .config import Config
from .errors import BadRequest, ImageEdgeError, NotFound
from .keys import parse_variant_key
from .spec import VariantSpec, is_canonical

if TYPE_CHECKING:
    from .store import Store


@dataclass
class GeneratedVariant:
    """The bytes to serve for a variant and what happened on the way (for the log line)."""

    data: bytes
    content_type: str
    outcome: str  # "generated" (we stored it) or "raced" (another writer stored it first; these are its bytes)
    log: dict[str, Any] = field(default_factory=dict)
    #: Re-encodes the rendered image within a byte budget (``core.budget.fit``): how an answer too large
    #: to return inline can still be answered inline (see ``imgedge.answers``). None when not available.
    refit: Callable[[int], Any] | None = None


#: Why a fallback image is served, by the status of the original's refusal (``X-Imgedge-Fallback``).
FALLBACK_REASONS = {404: "missing-original", 413: "original-too-large", 415: "unsupported-original",
                    422: "unreadable-original"}


def parse_generatable(variant_key: str, config: Config) -> tuple[str, VariantSpec]:
    """(original key, spec) for a variant key the edge may generate; ``BadRequest`` otherwise."""
    original_key, spec = parse_variant_key(variant_key, config.variants_prefix)
    if not is_canonical(spec, config):  # only the ladder is ever generated, whoever asks
        raise BadRequest("not a variant this edge serves")
    return original_key, spec


def generate_variant(store: "Store", variant_key: str, config: Config) -> GeneratedVariant:
    """Render and store ``variant_key``. Raises ``ImageEdgeError`` (never writes on failure)."""
    original_key, spec = parse_generatable(variant_key, config)
    log: dict[str, Any] = {"variant": variant_key, "original": original_key}
    mark = time.perf_counter()
    original = store.get(original_key, max_bytes=config.max_source_bytes)
    log["fetch_ms"] = _ms_since(mark)
    result = _render(store, original.data, spec, config, log)
    log.update({f"{stage}_ms": ms for stage, ms in result.timings_ms.items()})
    log.update(source_bytes=len(original.data), bytes=len(result.data), width=result.width,
               height=result.height, format=result.format)
    mark = time.perf_counter()
    metadata = {"source-key": quote(original_key, safe="/-_.~ "), "source-etag": (original.etag or "").strip('"')}
    created = store.put_new(variant_key, result.data, content_type=result.content_type,
                            cache_control=config.variant_cache_control, metadata=metadata)
    log["store_ms"] = _ms_since(mark)
    if created:
        return GeneratedVariant(result.data, result.content_type, "generated", log, result.refit)
    existing = store.get(variant_key)  # another request stored it first: serve exactly those bytes
    return GeneratedVariant(existing.data, existing.content_type or result.content_type, "raced", log, result.refit)


def render_fallback(store: "Store", variant_key: str, config: Config, status: int) -> GeneratedVariant | None:
    """The configured fallback image for ``variant_key``'s original, rendered to its spec (not stored), or
    None when no fallback applies (none configured, not an image format, or a status that is not about
    the original). Failures of the fallback itself are None too: the original refusal then stands."""
    reason = FALLBACK_REASONS.get(status)
    if reason is None:
        return None
    try:
        original_key, spec = parse_generatable(variant_key, config)
        fallback_key = config.fallback_for(original_key)
        if fallback_key is None or not spec.is_image:
            return None
        log: dict[str, Any] = {"fallback": fallback_key, "fallback_reason": reason}
        image = store.get(fallback_key, max_bytes=config.max_source_bytes)
        result = _render(store, image.data, spec, config, log)
    except ImageEdgeError:
        return None
    log.update(bytes=len(result.data), width=result.width, height=result.height, format=result.format)
    return GeneratedVariant(result.data, result.content_type, "fallback", log, result.refit)


def _render(store: "Store", data: bytes, spec: VariantSpec, config: Config, log: dict[str, Any]):
    """Render ``spec`` from ``data``, reading the watermark it names through ``store``."""
    from .core import render  # Pillow loads with the first render, not with this module
    watermark = None
    if spec.watermark is not None:
        mark = time.perf_counter()
        try:
            watermark = store.get(config.watermark(spec.watermark)["key"], max_bytes=config.max_source_bytes).data
        except NotFound:
            raise ImageEdgeError("the watermark image is missing", status=500) from None
        log["watermark_ms"] = _ms_since(mark)
    return render(data, spec, config, watermark=watermark)


def _ms_since(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
