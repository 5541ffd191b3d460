"""Remembered refusals: a variant refused for what its original and its spec are is refused again for
the price of two HEAD requests, not another generation.

CloudFront caches only some error statuses (not 413 or 422), and even those only at one edge for a while; a
URL that makes the generator spend its whole budget before a 422 would otherwise cost that budget on every
request. So when a generation is refused with a status that depends on nothing but the original's bytes, the
spec and the configuration (400 an output over the pixel limit for this original's shape, 413 too large, 415
not an image we decode, 422 unreadable or too costly), the generator stores a small marker object next to
where the variant would be, ``<variant key>.refused``: its metadata hold the status, the public reason, the
original's ETag and a fingerprint of the configuration and cost model. The next miss for that variant finds
the marker, checks the original's ETag and the fingerprint still match, and answers the same refusal without
fetching the original. A replaced original (new ETag), a changed configuration or a new release (new
fingerprint) makes the marker void; purging an original's variants (``imgedge.purge``) deletes its markers
with them, since they share its prefix. Markers are never served: viewers cannot address ``_variants/`` keys,
and ``.refused`` is no variant key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from typing import TYPE_CHECKING

from .config import Config
from .errors import ImageEdgeError

if TYPE_CHECKING:
    from .store import Store

MARKER_SUFFIX = ".refused"
#: Refusals that depend only on the original, the spec and the configuration. (A 400 for a key that is
#: not a canonical variant is decided before the original is read, and costs nothing to repeat.)
REMEMBERED_STATUSES = (400, 413, 415, 422)
#: Changes whenever what decides a refusal changes in code (the cost model's rates, limits' meaning).
RULES_VERSION = "1"


def marker_key(variant_key: str) -> str:
    return variant_key + MARKER_SUFFIX


def fingerprint(config: Config) -> str:
    """What a remembered refusal was decided under: the configuration, the function's memory (Lambda's
    own figure, when it runs there) and the rules."""
    memory = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
    document = json.dumps([RULES_VERSION, memory, dataclasses.asdict(config)], sort_keys=True, default=list)
    return hashlib.sha256(document.encode()).hexdigest()[:32]


def recall(store: "Store", variant_key: str, original_key: str, stamp: str) -> ImageEdgeError | None:
    """The refusal remembered for ``variant_key``, if it still holds for the original as it is now and for
    the configuration ``stamp`` (``fingerprint``) describes; None otherwise (a void marker is deleted)."""
    marker = store.head(marker_key(variant_key))
    if marker is None:
        return None
    meta = marker.metadata
    original = store.head(original_key)
    try:
        status = int(meta.get("status", ""))
    except ValueError:
        status = 0
    valid = (original is not None and status in REMEMBERED_STATUSES and meta.get("fingerprint") == stamp
             and meta.get("source-etag") == _etag(original.etag))
    if not valid:
        store.delete([marker_key(variant_key)])
        return None
    return ImageEdgeError(meta.get("reason") or "this variant cannot be generated", status=status)


def remember(store: "Store", variant_key: str, refusal: ImageEdgeError, source_etag: str | None, stamp: str,
             cache_control: str) -> bool:
    """Store the marker for ``refusal`` when it is one worth remembering; True if one was written."""
    if refusal.status not in REMEMBERED_STATUSES or not source_etag:
        return False
    reason = refusal.message.encode("ascii", "replace").decode("ascii")[:512]
    metadata = {"status": str(refusal.status), "reason": reason, "source-etag": _etag(source_etag),
                "fingerprint": stamp}
    return store.put_new(marker_key(variant_key), reason.encode() + b"\n", content_type="text/plain; charset=utf-8",
                         cache_control=cache_control, metadata=metadata)


def _etag(value: str | None) -> str:
    return (value or "").strip('"')
