"""Purge: delete every stored variant of one original, and say which CloudFront paths to invalidate.

The key layout makes one original's variants one "directory": ``_variants/<original key>/<segment>``.
Only the objects directly in it are deleted (listed through the store, then deleted in its batches: S3's
``DeleteObjects`` takes 1,000), so purging ``a/b.jpg`` leaves the variants of an original named
``a/b.jpg/c.jpg`` alone. Originals are never touched.

CloudFront caches each variant under its rewritten URI (the viewer-request makes the URI the variant key),
so the invalidation that matters is ``/_variants/<original key>/*``; ``/<original key>*`` also goes,
for anything cached before a viewer-request rewrote it (a behaviour without the function, say). Both are
wildcard paths: CloudFront allows 15 wildcard paths in progress at once per distribution, which bounds
how fast a bulk re-upload can be purged (see docs/observability.md, "Purge").

Used by ``imgedge purge`` (CLI), ``handlers/purge.py`` (S3 events) and the local edge.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable
from urllib.parse import unquote_plus

from .config import Config
from .errors import ImageEdgeError
from .request.paths import uri_for_key, validate_original_key
from .store import Store


@dataclass
class PurgeResult:
    original: str
    deleted: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    invalidation_id: str | None = None
    local_entries_removed: int | None = None


def variants_prefix(original_key: str, config: Config) -> str:
    """``_variants/<original key>/``: where every variant of ``original_key`` lives."""
    validate_original_key(original_key, config.variants_prefix)
    return f"{config.variants_prefix}/{original_key}/"


def invalidation_paths(original_key: str, config: Config) -> list[str]:
    """The CloudFront invalidation paths for one original (percent-encoded as CloudFront sees URIs)."""
    return [uri_for_key(original_key) + "*", uri_for_key(variants_prefix(original_key, config)) + "*"]


def delete_variants(store: Store, original_key: str, config: Config) -> list[str]:
    """Delete the variants of ``original_key`` from ``store``; returns the deleted keys (sorted).

    Keys further down (``<prefix><name>/...``) belong to other originals and are skipped."""
    prefix = variants_prefix(original_key, config)
    keys = [key for key in store.list(prefix) if "/" not in key[len(prefix):]]
    store.delete(keys)
    return sorted(keys)


def create_invalidation(cloudfront: Any, distribution_id: str, paths: list[str],
                        caller_reference: str | None = None) -> str:
    """Issue one CloudFront invalidation; returns its id."""
    answer = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={"Paths": {"Quantity": len(paths), "Items": paths},
                           "CallerReference": caller_reference or f"imgedge-{time.time_ns()}-{uuid.uuid4().hex[:8]}"},
    )
    return answer["Invalidation"]["Id"]


def purge(
    original_key: str,
    store: Store,
    config: Config,
    *,
    local_edge: Any = None,
    cloudfront: Any = None,
    distribution_id: str | None = None,
) -> PurgeResult:
    """Delete the variants of one original; invalidate a local edge's cache (in-process) and, with a
    CloudFront client and distribution id, the distribution's caches."""
    result = PurgeResult(original_key, paths=invalidation_paths(original_key, config))
    result.deleted = delete_variants(store, original_key, config)
    if local_edge is not None:
        result.local_entries_removed = local_edge.invalidate(result.paths)
    if cloudfront is not None and distribution_id:
        result.invalidation_id = create_invalidation(cloudfront, distribution_id, result.paths)
    return result


# -- S3 events ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OriginalChange:
    bucket: str
    key: str
    event_name: str  # ObjectCreated:Put, ObjectRemoved:Delete, ...


def originals_changed(event: Any, config: Config) -> tuple[list[OriginalChange], list[str]]:
    """The originals an S3 notification event created, overwrote or removed, and why other records were
    skipped. Keys arrive URL-encoded with ``+`` for a space (``unquote_plus``). Variants are skipped:
    the purge deletes variants, and S3 notifies those deletions too. Anything that is not an S3 notification
    (another service's event, a record of the wrong shape) is skipped with its reason, never raised on."""
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        return [], ["the event is not an S3 notification (no Records list)"]
    changes: list[OriginalChange] = []
    skipped: list[str] = []
    for record in records:
        try:
            change = _record_change(record)
        except ValueError as exc:
            skipped.append(str(exc))
            continue
        if change.key.startswith(config.variants_prefix + "/"):
            skipped.append(f"{change.key}: a variant")
            continue
        try:
            validate_original_key(change.key, config.variants_prefix)
        except ImageEdgeError as exc:
            skipped.append(f"{change.key}: {exc.message}")
            continue
        changes.append(change)
    return changes, skipped


def _record_change(record: Any) -> OriginalChange:
    """One notification record as an ``OriginalChange``; ``ValueError`` (the reason to skip it) otherwise."""
    if not isinstance(record, dict):
        raise ValueError("?: a record that is not an object")
    event_name = record.get("eventName")
    name = event_name if isinstance(event_name, str) else ""
    if record.get("eventSource") != "aws:s3" or not name.startswith(("ObjectCreated:", "ObjectRemoved:")):
        raise ValueError(f"{name or '?'}: not an object created/removed event")
    s3 = record.get("s3")
    obj = s3.get("object") if isinstance(s3, dict) else None
    bucket = s3.get("bucket") if isinstance(s3, dict) else None
    key = obj.get("key") if isinstance(obj, dict) else None
    bucket_name = bucket.get("name") if isinstance(bucket, dict) else None
    if not isinstance(key, str) or not isinstance(bucket_name, str) or not bucket_name:
        raise ValueError(f"{name}: a record without s3.bucket.name and s3.object.key")
    return OriginalChange(bucket_name, unquote_plus(key), name)


def handle_s3_event(
    event: dict[str, Any],
    config: Config,
    store_for: Callable[[str], Store],
    *,
    cloudfront: Any = None,
    distribution_id: str | None = None,
    invalidate: str = "always",
    log: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Purge every original an S3 event names; one CloudFront invalidation for all of them.

    ``invalidate``: ``always``, ``if-deleted`` (only when variants were stored: cheaper for bulk uploads
    of new originals, but misses copies CloudFront still holds after the variants expired from S3) or
    ``never``.
    """
    changes, skipped = originals_changed(event, config)
    results = []
    for change in _unique(changes):
        results.append(purge(change.key, store_for(change.bucket), config))
    paths = sorted({p for r in results for p in r.paths
                    if invalidate == "always" or (invalidate == "if-deleted" and r.deleted)})
    invalidation_id = None
    if paths and cloudfront is not None and distribution_id and invalidate != "never":
        invalidation_id = create_invalidation(cloudfront, distribution_id, paths)
    summary = {
        "event": "purge",
        "originals": [r.original for r in results],
        "deleted": sum(len(r.deleted) for r in results),
        "paths": paths,
        "invalidation_id": invalidation_id,
        "skipped": skipped,
    }
    if log is not None:
        log(summary)
    return summary


def _unique(changes: Iterable[OriginalChange]) -> list[OriginalChange]:
    seen, out = set(), []
    for change in changes:
        if (change.bucket, change.key) not in seen:
            seen.add((change.bucket, change.key))
            out.append(change)
    return out
