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

from .config import Config
from .errors import BadRequest
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


def parse_generatable(variant_key: str, config: Config) -> tuple[str, VariantSpec]:
    """(original key, spec) for a variant key the edge may generate; ``BadRequest`` otherwise."""
    original_key, spec = parse_variant_key(variant_key, config.variants_prefix)
    if not is_canonical(spec, config):  # only the ladder is ever generated, whoever asks
        raise BadRequest("not a variant this edge serves")
    return original_key, spec


def generate_variant(store: "Store", variant_key: str, config: Config) -> GeneratedVariant:
    """Render and store ``variant_key``. Raises ``ImageEdgeError`` (never writes on failure)."""
    from .core import render  # Pillow loads with the first render, not with this module
    original_key, spec = parse_generatable(variant_key, config)
    log: dict[str, Any] = {"variant": variant_key, "original": original_key}
    mark = time.perf_counter()
    original = store.get(original_key, max_bytes=config.max_source_bytes)
    log["fetch_ms"] = _ms_since(mark)
    result = render(original.data, spec, config)
    log.update({f"{stage}_ms": ms for stage, ms in result.timings_ms.items()})
    log.update(source_bytes=len(original.data), bytes=len(result.data), width=result.width,
               height=result.height, format=result.format)
    mark = time.perf_counter()
    metadata = {"source-key": quote(original_key, safe="/-_.~ "), "source-etag": (original.etag or "").strip('"')}
    created = store.put_new(variant_key, result.data, content_type=result.content_type,
                            cache_control=config.variant_cache_control, metadata=metadata)
    log["store_ms"] = _ms_since(mark)
    if created:
        return GeneratedVariant(result.data, result.content_type, "generated", log)
    existing = store.get(variant_key)  # another request stored it first: serve exactly those bytes
    return GeneratedVariant(existing.data, existing.content_type or result.content_type, "raced", log)


def _ms_since(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
