"""The generation line: one per generation, valid Embedded Metric Format, fields the Glue table knows, and
the Server-Timing header of the generated response."""

from __future__ import annotations

import json
import re

import pytest

from imgedge.config import Config
from imgedge.edge import origin_response
from imgedge.observability import LOG_FIELDS, STAGES, emf, log_line, server_timing
from imgedge.store import DirectoryStore
from tests.events import origin_response as origin_event
from tests.photos import photo

ENTRY = {"ts": "2026-11-24T01:22:53.123Z", "event": "generate", "variant": "_variants/a.jpg/w320-q60.avif",
         "original": "a.jpg", "device": "mobile", "edge_cache": "Miss", "origin_status": 404, "outcome": "generated",
         "status": 200, "format": "avif", "width": 320, "height": 200, "source_bytes": 100_000, "bytes": 9_000,
         "fetch_ms": 1.5, "decode_ms": 20.0, "resize_ms": 5.25, "encode_ms": 80.0, "store_ms": 3.0, "total_ms": 110.5}


def check_emf(doc: dict) -> list[str]:
    """Problems with ``doc`` as an EMF document (CloudWatch's specification, version 0)."""
    problems = []
    meta = doc.get("_aws")
    if not isinstance(meta, dict) or not isinstance(meta.get("Timestamp"), int):
        return ["_aws.Timestamp must be an integer (epoch milliseconds)"]
    directives = meta.get("CloudWatchMetrics")
    if not isinstance(directives, list) or not directives:
        return ["_aws.CloudWatchMetrics must be a non-empty list"]
    for directive in directives:
        if not isinstance(directive.get("Namespace"), str) or not directive["Namespace"]:
            problems.append("Namespace missing")
        metrics = directive.get("Metrics") or []
        if not 1 <= len(metrics) <= 100:
            problems.append("1..100 metrics per directive")
        for metric in metrics:
            value = doc.get(metric.get("Name"))
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                problems.append(f"metric {metric.get('Name')} has no numeric value at the root")
            if metric.get("Unit") not in ("Count", "Milliseconds", "Bytes"):
                problems.append(f"unexpected unit {metric.get('Unit')}")
        for dimension_set in directive.get("Dimensions") or []:
            if len(dimension_set) > 30:
                problems.append("more than 30 dimensions")
            for name in dimension_set:
                if not isinstance(doc.get(name), str):
                    problems.append(f"dimension {name} has no string value at the root")
    return problems


def test_a_full_generation_line_is_valid_emf_with_counts_and_latencies():
    doc = json.loads(log_line(ENTRY))
    assert check_emf(doc) == []
    directives = doc["_aws"]["CloudWatchMetrics"]
    assert [d["Dimensions"] for d in directives] == [[["outcome"], ["device"]], [["format"]]]
    assert {m["Name"] for d in directives for m in d["Metrics"]} == {
        "Generations", "GenerationTime", "OutputBytes", "FetchTime", "DecodeTime", "ResizeTime", "EncodeTime",
        "StoreTime"}
    assert (doc["Generations"], doc["GenerationTime"], doc["EncodeTime"]) == (1, 110.5, 80.0)
    assert {k: doc[k] for k in ENTRY} == ENTRY  # the log fields are untouched


def test_a_refusal_declares_only_the_metrics_it_has():
    refusal = {"ts": ENTRY["ts"], "event": "generate", "device": "desktop", "outcome": "refused", "status": 404,
               "reason": "no such image", "total_ms": 3.2}
    doc = emf(refusal)
    assert check_emf(doc) == []
    assert [m["Name"] for d in doc["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]] == [
        "Generations", "GenerationTime"]


def test_server_timing_names_every_stage():
    header = server_timing(ENTRY)
    assert header == ('fetch;dur=1.5, decode;dur=20.0, resize;dur=5.25, encode;dur=80.0, store;dur=3.0, '
                      'total;desc="imgedge generated";dur=110.5')
    # Server-Timing grammar (RFC 8941-ish): metric *( ";" param ) separated by commas.
    assert all(re.fullmatch(r'[a-z]+(;dur=[0-9.]+|;desc="[^"]*")+', part.strip()) for part in header.split(","))


@pytest.fixture
def store(tmp_path):
    store = DirectoryStore(tmp_path)
    store.put_original("photos/lake.jpg", photo("lake-boats-4mp.jpg"))
    return store


def test_the_origin_response_writes_one_line_with_every_field_and_times_its_response(store, capsys):
    uri = "/_variants/photos/lake.jpg/w640-q60.avif"
    response = origin_response.handle(origin_event(uri, "404", device="tablet"), lambda _r: store,
                                      Config(server_timing=True))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert check_emf(line) == []
    fields = {k for k in line if k != "_aws"} - {m["Name"] for d in line["_aws"]["CloudWatchMetrics"]
                                                for m in d["Metrics"]}
    assert fields <= set(LOG_FIELDS), fields - set(LOG_FIELDS)  # the Glue table has a column for each
    # every field filled on a plain success but those of refusals, options it did not use and other paths
    assert set(LOG_FIELDS) - fields == {"reason", "remembered", "smartcrop_ms", "watermark_ms", "inline_fit_attempts",
                                        "inline_bytes", "fallback", "fallback_reason", "mode"}
    assert (line["device"], line["outcome"], line["edge_cache"], line["origin_status"]) == ("tablet", "generated",
                                                                                            "Miss", 404)
    assert line["request_id"] == "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ=="
    assert all(line[f"{stage}_ms"] >= 0 for stage in STAGES) and line["total_ms"] >= line["encode_ms"]
    timing = response["headers"]["server-timing"][0]["value"]
    assert timing == server_timing(line)


def test_a_refusal_is_logged_and_not_timed_in_the_response(store, capsys):
    response = origin_response.handle(origin_event("/_variants/photos/nope.jpg/w640-q60.avif", "403"),
                                      lambda _r: store, Config())
    assert response["status"] == "404" and "server-timing" not in response["headers"]
    line = json.loads(capsys.readouterr().out)
    assert (line["outcome"], line["status"], line["reason"], line["origin_status"]) == ("refused", 404,
                                                                                       "no such image", 403)
    assert check_emf(line) == []


def test_the_log_line_refuses_a_field_it_does_not_declare():
    """A field the Glue table has no column for would be lost (or break the table): the line refuses it."""
    from imgedge.observability import GenerationLog

    entry = GenerationLog(event="generate")
    entry.update(status=200, outcome="generated")
    assert entry.fields() == {"event": "generate", "status": 200, "outcome": "generated"}
    with pytest.raises(AttributeError, match="budget_attempts_ms"):
        entry.update(budget_attempts_ms=3)
