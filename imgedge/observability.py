"""One JSON line per variant generation: the log line, its CloudWatch metrics and its Server-Timing header.

The origin-response (Lambda@Edge), the local edge and ``imgedge warm`` all write the same line, so the
Athena queries in ``docs/observability.md`` run unchanged over the Firehose output in S3 and over the
local edge's ``--log-file`` (``tests/observability`` runs them with DuckDB). One line serves three readers:

* **people and Athena**: the fields of ``LOG_FIELDS`` (the Glue table in template.yaml has exactly these
  columns, checked by a test): per-stage timings, sizes, device class, outcome, cache outcome;
* **CloudWatch metrics**: the ``_aws`` member makes the line an Embedded Metric Format document, so
  CloudWatch turns it into metrics with no API call and no extra line (namespace ``imgedge``):
  ``Generations`` (Count), ``GenerationTime`` and ``OutputBytes`` by ``outcome`` and by ``device``;
  the per-stage times (``FetchTime`` … ``StoreTime``) by ``format``;
* **the browser**: ``server_timing(entry)`` is the ``Server-Timing`` header of a generated response, which
  DevTools and ``PerformanceResourceTiming.serverTiming`` show.

Nothing here imports Pillow or boto3: the viewer-request bundle may carry this module.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from typing import Any, Mapping

NAMESPACE = "imgedge"

def _column(hive: str, about: str = "") -> Any:
    """A log field: None until a step fills it (NULL in the table), with its Athena/Glue (Hive) type."""
    return field(default=None, metadata={"hive": hive, "about": about})


@dataclass
class GenerationLog:
    """One generation's log line, every field declared: the adapter that receives the request creates it,
    the steps fill what they know (``update`` refuses a name that is not a field), and ``fields()`` is the
    line. ``LOG_FIELDS`` (and template.yaml's Glue table, checked by a test) are these fields, in order."""

    ts: str | None = _column("string", "ISO 8601 UTC, milliseconds: 2026-11-24T01:22:53.123Z")
    event: str | None = _column("string", 'always "generate"')
    request_id: str | None = _column("string", "CloudFront's request id (x-edge-request-id in its own logs)")
    variant: str | None = _column("string", "_variants/photos/cat.jpg/w640-q60.avif")
    original: str | None = _column("string", "photos/cat.jpg")
    device: str | None = _column("string", "mobile, tablet, desktop, smarttv, bot")
    edge_cache: str | None = _column("string", "the CloudFront cache result that led here: Miss, warm")
    origin_status: int | None = _column("int", "what S3 answered for the variant (403/404: missing)")
    outcome: str | None = _column("string", "generated, raced, generated+redirect, refused, error, ...")
    status: int | None = _column("int", "HTTP status returned to CloudFront")
    reason: str | None = _column("string", "public message of a refusal, exception type of an error")
    format: str | None = _column("string", "avif, webp, jpeg, png")
    width: int | None = _column("int")
    height: int | None = _column("int")
    source_bytes: int | None = _column("bigint", "size of the original")
    bytes: int | None = _column("bigint", "size of the variant")
    fetch_ms: float | None = _column("double", "read the original from the store")
    decode_ms: float | None = _column("double")
    resize_ms: float | None = _column("double")
    encode_ms: float | None = _column("double")
    store_ms: float | None = _column("double", "conditional create of the variant")
    encode_passes: int | None = _column("int", "encodes made (1; more for a byte budget, or q=auto's probes)")
    remembered: bool | None = _column("boolean", "a refusal answered from its marker, without the original")
    predicted_ms: float | None = _column("double", "the cost model's estimate of decode..encode, before decoding")
    predicted_mb: float | None = _column("double", "the memory it expected the work to add (MiB)")
    smartcrop_ms: float | None = _column("double", "g=smart: the saliency map and the re-plan")
    watermark_ms: float | None = _column("double", "wm=: reading the watermark image")
    inline_fit_attempts: int | None = _column("int", "re-encodes tried to fit the inline limit")
    inline_bytes: int | None = _column("bigint", "the inline answer's size, when it was re-encoded to fit")
    fallback: str | None = _column("string", "the fallback image answered instead (its key)")
    fallback_reason: str | None = _column("string", "why: missing-original, unreadable-original, ...")
    mode: str | None = _column("string", "regional for the Function URL generator, else none")
    total_ms: float | None = _column("double", "the whole origin-response handling")

    def update(self, values: Mapping[str, Any] | None = None, /, **more: Any) -> None:
        for name, value in {**(values or {}), **more}.items():
            if name not in LOG_FIELDS:
                raise AttributeError(f"{name!r} is not a field of the generation log line (observability.py)")
            setattr(self, name, value)

    def __setitem__(self, name: str, value: Any) -> None:
        self.update({name: value})

    def get(self, name: str, default: Any = None) -> Any:
        value = getattr(self, name, None) if name in LOG_FIELDS else None
        return default if value is None else value

    def fields(self) -> dict[str, Any]:
        """The line's fields that are set (a missing one is NULL in the table)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


#: Every field a generation line may carry, with its Athena/Glue (Hive) type (template.yaml's Glue table
#: lists exactly these, in this order).
LOG_FIELDS: dict[str, str] = {f.name: f.metadata["hive"] for f in fields(GenerationLog)}

STAGES = ("fetch", "decode", "resize", "encode", "store")
_STAGE_METRICS = {f"{stage}_ms": f"{stage.capitalize()}Time" for stage in STAGES}


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def server_timing(entry: Mapping[str, Any]) -> str:
    """``Server-Timing`` for a generated response: each stage and the total, in milliseconds."""
    parts = [f"{stage};dur={entry[f'{stage}_ms']}" for stage in STAGES if entry.get(f"{stage}_ms") is not None]
    if entry.get("total_ms") is not None:
        parts.append(f'total;desc="imgedge {entry.get("outcome", "")}";dur={entry["total_ms"]}')
    return ", ".join(parts)


def emf(entry: Mapping[str, Any], namespace: str = NAMESPACE) -> dict[str, Any]:
    """``entry`` plus the members that make it a CloudWatch Embedded Metric Format document.

    Only metrics whose values are present are declared (a declared metric without a value is invalid).
    Dimensions stay few and low-cardinality: every distinct dimension value is a billed custom metric,
    in every Region where the edge function runs.
    """
    doc: dict[str, Any] = dict(entry)
    doc["Generations"] = 1
    directives = []
    by_outcome = [{"Name": "Generations", "Unit": "Count"}]
    if entry.get("total_ms") is not None:
        doc["GenerationTime"] = entry["total_ms"]
        by_outcome.append({"Name": "GenerationTime", "Unit": "Milliseconds"})
    if entry.get("bytes") is not None:
        doc["OutputBytes"] = entry["bytes"]
        by_outcome.append({"Name": "OutputBytes", "Unit": "Bytes"})
    dimensions = [[name] for name in ("outcome", "device") if isinstance(entry.get(name), str)]
    if dimensions:
        directives.append({"Namespace": namespace, "Dimensions": dimensions, "Metrics": by_outcome})
    stages = []
    for name, metric in _STAGE_METRICS.items():
        if entry.get(name) is not None:
            doc[metric] = entry[name]
            stages.append({"Name": metric, "Unit": "Milliseconds"})
    if stages and isinstance(entry.get("format"), str):
        directives.append({"Namespace": namespace, "Dimensions": [["format"]], "Metrics": stages})
    doc["_aws"] = {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": directives}
    return doc


def log_line(entry: Mapping[str, Any]) -> str:
    """The one line written per generation (EMF included), compact JSON without a newline."""
    return json.dumps(emf(entry), separators=(",", ":"), ensure_ascii=False)


def report_malformed(handler: str, reason: str, answer: str, *, event: str = "malformed-event") -> dict[str, Any]:
    """Write the one line a handler logs when it cannot read its event (or, ``event="handler-error"``, fails
    on one): which handler, why, and what it answered instead of raising. Plain JSON without metrics: it is
    not a generation, and the log pipeline's filter (``event = "generate"``) leaves it out. Returns the entry."""
    entry = {"ts": utc_now(), "event": event, "handler": handler, "reason": reason[:300], "answer": answer}
    sys.stdout.write(json.dumps(entry, separators=(",", ":"), ensure_ascii=False) + "\n")
    return entry


def fields_only(line: Mapping[str, Any]) -> dict[str, Any]:
    """The ``LOG_FIELDS`` part of a parsed line (what the Glue table sees)."""
    return {name: line[name] for name in LOG_FIELDS if name in line}
