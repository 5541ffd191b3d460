"""The cost promise, case by case: any unsigned request is served or refused with a precise status,
cheaply when repeated; never a crash, never a half-written variant, never a change to an original.

Every case of ``tests/hardening/costly.py`` goes through the deployable path as CloudFront drives it:
the viewer-request rewrites the URL to its variant, then the origin-response handles S3's 404 for it
against a real S3 server (moto). The config is the default one with a small time budget (``ci_config``),
so a case that would run for tens of seconds in production is cut, or refused up front, in seconds; how
long each case takes under the default config is the benchmark's business
(``benchmarks/bounded_generation.py``), not this file's.

Refusals are remembered: a refusal that depends only on the original and the spec leaves a small
marker at ``<variant key>.refused`` (a text body; metadata with the status and the original's ETag), and
the next request for that variant is answered from it without decoding a pixel.
"""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import uuid
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import imgedge.core
from imgedge.config import Config
from imgedge.core import decode, pipeline
from imgedge.edge import origin_response
from imgedge.store import S3Store
from tests.hardening.costly import (
    CASES,
    DESCRIBED,
    ORIGINALS,
    SERVED,
    UP_FRONT_422,
    Case,
    OriginalCache,
    edge_request,
    origin_event,
    variant_key,
)
from tests.s3servers import shared_s3_server

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "bounded_generation.py"

#: Seconds one miss may take in CI. The only change from the default config (see ``ci_config``).
CI_BUDGET_SECONDS = 2.0
#: Budget fields the config may have: the generation-wide one, and the older render-only one.
BUDGET_FIELDS = ("max_generation_seconds", "max_render_seconds")
MARKER_SUFFIX = ".refused"
#: A refusal marker is a status and a reason, not a copy of anything.
MAX_MARKER_BYTES = 4096


def ci_config() -> Config:
    """The default config with every time budget it has set to ``CI_BUDGET_SECONDS``: the one place to
    change when the budgets change."""
    names = {f.name for f in fields(Config)}
    return Config(**{name: CI_BUDGET_SECONDS for name in BUDGET_FIELDS if name in names})


@dataclass
class Exchange:
    """One request's answer as CloudFront would see it, and the origin-response's log entry."""

    status: int
    headers: dict[str, str]
    body: bytes
    entry: dict[str, Any] | None


@dataclass
class Outcome:
    """Everything a case did to the bucket: first answer, the bucket afterwards, and the repeat."""

    case: Case
    variant: str
    original: bytes
    original_etag: str
    first: Exchange
    objects: dict[str, dict[str, Any]]
    original_after: tuple[bytes, str]
    repeat: Exchange | None = None
    repeat_pixel_work: list[str] = field(default_factory=list)
    objects_after_repeat: dict[str, dict[str, Any]] = field(default_factory=dict)


@pytest.fixture(scope="session")
def originals(tmp_path_factory) -> OriginalCache:
    """The costly originals, each built once per session (the 100 MP ones take seconds)."""
    return OriginalCache(tmp_path_factory.mktemp("costly-originals"))


@pytest.fixture(scope="module")
def moto_server(tmp_path_factory):
    with shared_s3_server("moto", tmp_path_factory) as server:
        yield server


def answer(response: dict, entries: list[dict]) -> Exchange:
    """The CloudFront response dict as status, plain headers and decoded body."""
    body = response.get("body", "")
    raw = base64.b64decode(body) if response.get("bodyEncoding") == "base64" else body.encode()
    headers = {name: values[0]["value"] for name, values in response.get("headers", {}).items()}
    return Exchange(int(response["status"]), headers, raw, entries[-1] if entries else None)


def ask(request: dict, store: S3Store, bucket: str, config: Config) -> Exchange:
    """S3 has no such variant: run the origin-response as CloudFront would."""
    entries: list[dict] = []
    response = origin_response.handle(origin_event(request, bucket), lambda _r: store, config, log=entries.append)
    return answer(response, entries)


def listing(client, bucket: str) -> dict[str, dict[str, Any]]:
    """Every object under the variants prefix, with its body, type and metadata."""
    objects = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="_variants/"):
        for item in page.get("Contents", []):
            got = client.get_object(Bucket=bucket, Key=item["Key"])
            objects[item["Key"]] = {"body": got["Body"].read(), "content_type": got.get("ContentType", ""),
                                    "metadata": dict(got.get("Metadata") or {})}
    return objects


def read_original(client, bucket: str, key: str) -> tuple[bytes, str]:
    got = client.get_object(Bucket=bucket, Key=key)
    return got["Body"].read(), got["ETag"].strip('"')


def pixel_work_spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every render and every pixel decode from now on (the calls still happen)."""
    calls: list[str] = []

    def spy(name, fn):
        def wrapper(*args, **kwargs):
            calls.append(name)
            return fn(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(imgedge.core, "render", spy("render", imgedge.core.render))
    monkeypatch.setattr(pipeline, "render", spy("render", pipeline.render))
    monkeypatch.setattr(decode, "load_pixels", spy("load_pixels", decode.load_pixels))
    return calls


def empty_bucket(client, bucket: str) -> None:
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)


@pytest.fixture(scope="module", params=CASES, ids=[case.name for case in CASES])
def outcome(request, moto_server, originals) -> Outcome:
    """Run one case once in a fresh bucket (first request, then the repeat of a refusal); the tests
    below each check one part of the promise on what it recorded."""
    case: Case = request.param
    config = ci_config()
    client = moto_server.client()
    bucket = f"imgedge-cost-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    try:
        source = ORIGINALS[case.original]
        data = originals.data(case.original)
        etag = client.put_object(Bucket=bucket, Key=source.key, Body=data,
                                 ContentType=source.content_type)["ETag"].strip('"')
        rewritten = edge_request(case, config)
        assert "status" not in rewritten, f"the viewer-request refused {case.query}: {rewritten.get('body')}"
        store = S3Store(client, bucket)
        first = ask(rewritten, store, bucket, config)
        result = Outcome(case, variant_key(rewritten), data, etag, first, listing(client, bucket),
                         read_original(client, bucket, source.key))
        if first.status not in SERVED:
            with pytest.MonkeyPatch.context() as monkeypatch:
                result.repeat_pixel_work = pixel_work_spy(monkeypatch)
                result.repeat = ask(rewritten, store, bucket, config)
            result.objects_after_repeat = listing(client, bucket)
        yield result
    finally:
        empty_bucket(client, bucket)


def assert_complete_variant(key: str, stored: dict[str, Any]) -> None:
    """A stored variant parses to its end: the last frame of an image decodes, a document parses."""
    body = stored["body"]
    assert body, f"{key} is empty"
    if key.endswith(".json"):
        assert isinstance(json.loads(body), dict)
    elif key.endswith(".txt"):
        assert body.decode("ascii").strip()
    else:
        image = Image.open(io.BytesIO(body))
        image.load()
        if getattr(image, "n_frames", 1) > 1:
            image.seek(image.n_frames - 1)
            image.load()
        assert stored["content_type"] == Image.MIME[image.format]


def test_answer_is_served_or_precisely_refused(outcome):
    first = outcome.first
    assert first.status in outcome.case.expect, (first.status, first.body[:200], first.entry)
    assert first.entry is not None and first.entry.get("outcome") != "error", first.entry
    if first.status not in SERVED:
        assert first.entry["outcome"] == "refused" and first.entry["status"] == first.status
        assert first.headers["cache-control"] == Config().error_cache_control
        reason = first.body.decode().strip()
        assert reason and reason != "internal error" and "Traceback" not in reason
        if outcome.case.expect == DESCRIBED and first.status == 422:
            assert UP_FRONT_422 in reason, reason  # refused before decoding, not after spending the budget


def test_only_complete_variants_are_written(outcome):
    """The bucket holds the whole variant or nothing, plus a refusal marker only beside a refusal."""
    allowed = {outcome.variant} if outcome.first.status in SERVED else {outcome.variant + MARKER_SUFFIX}
    assert set(outcome.objects) <= allowed, sorted(outcome.objects)
    if outcome.first.status in SERVED:
        assert outcome.variant in outcome.objects, "a served variant is stored, so the next request is an S3 hit"
        stored = outcome.objects[outcome.variant]
        assert_complete_variant(outcome.variant, stored)
        if outcome.first.status == 200 and "x-imgedge-budget" not in outcome.first.headers:
            assert outcome.first.body == stored["body"]


def test_original_is_unchanged(outcome):
    data, etag = outcome.original_after
    assert etag == outcome.original_etag
    assert data == outcome.original


def test_refusal_leaves_a_marker(outcome):
    """Depends on remembered refusals (the marker object)."""
    if outcome.first.status in SERVED:
        pytest.skip(f"served ({outcome.first.status}): nothing to remember")
    marker = outcome.objects.get(outcome.variant + MARKER_SUFFIX)
    assert marker is not None, f"no {outcome.variant}{MARKER_SUFFIX} after a {outcome.first.status}"
    assert len(marker["body"]) <= MAX_MARKER_BYTES and marker["content_type"].startswith("text/")
    values = {str(value).strip('"') for value in marker["metadata"].values()}
    assert str(outcome.first.status) in values and outcome.original_etag in values, marker["metadata"]


def test_refusal_is_answered_again_without_pixel_work(outcome):
    """Depends on remembered refusals: the repeat is the same answer, from the marker, decoding nothing."""
    if outcome.first.status in SERVED:
        pytest.skip(f"served ({outcome.first.status}): the next request is an S3 hit")
    repeat = outcome.repeat
    assert (repeat.status, repeat.body) == (outcome.first.status, outcome.first.body)
    assert repeat.headers["cache-control"] == outcome.first.headers["cache-control"]
    assert repeat.entry is not None and repeat.entry.get("outcome") == "refused", repeat.entry
    assert repeat.entry.get("remembered") is True, repeat.entry
    assert outcome.repeat_pixel_work == [], outcome.repeat_pixel_work
    assert outcome.objects_after_repeat.keys() == outcome.objects.keys()


def test_every_case_names_its_own_variant():
    """Two cases on one variant key would test one thing twice and hide the other."""
    config = ci_config()
    keys = [variant_key(edge_request(case, config)) for case in CASES]
    assert len(set(keys)) == len(keys), [k for k in keys if keys.count(k) > 1]


def test_benchmark_runs_standalone(originals, tmp_path):
    """The benchmark of these cases under the default config cannot rot: one case, no pinning."""
    out = tmp_path / "bounded.md"
    originals.path("palette-png-100mp")
    cmd = [sys.executable, str(BENCHMARK), "--cases", "json-palette-100mp", "--no-pin", "--repeat", "1",
           "--cache-dir", str(originals.directory), "--out", str(out)]
    result = subprocess.run(cmd, cwd=BENCHMARK.parents[1], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = out.read_text()
    sys.path.insert(0, str(BENCHMARK.parent))
    try:
        import bounded_generation
    finally:
        sys.path.remove(str(BENCHMARK.parent))
    limits = bounded_generation.template_limits()
    assert f"Timeout {limits['timeout_s']} s" in report and f"MinValue {limits['memory_min_mib']} MB" in report
    row = next(line for line in report.splitlines() if line.startswith("| json-palette-100mp |"))
    assert "CRASH" not in row and "`fmt=json`" in row
