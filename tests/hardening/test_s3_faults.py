"""S3 faults injected at the HTTP layer between the handler and a real S3 server: bounded retries, then a
short-lived 502/503; never a cached error for a year, never a partial object, never a changed original."""

from __future__ import annotations

import base64
import time

import boto3
import pytest
from botocore.exceptions import ClientError

from imgedge.config import Config
from imgedge.edge import origin_response
from imgedge.store import S3Store
from imgedge.store.s3 import client_config
from tests.events import origin_response as origin_event
from tests.faults import Fault, FaultProxy
from tests.photos import photo

ORIGINAL_KEY = "photos/lake.jpg"
VARIANT_URI = "/_variants/photos/lake.jpg/w320-q80.webp"
VARIANT_KEY = VARIANT_URI[1:]
ORIGINAL = photo("lake-boats-4mp.jpg")
#: The handler's production retry policy with its timeouts scaled down, so a timeout test takes seconds.
READ_TIMEOUT = 1.0


@pytest.fixture
def faulty(s3_bucket):
    server, bucket = s3_bucket
    direct = server.client()
    direct.put_object(Bucket=bucket, Key=ORIGINAL_KEY, Body=ORIGINAL, ContentType="image/jpeg")
    proxy = FaultProxy(server.endpoint_url)
    session = boto3.session.Session(aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key,
                                    region_name=server.region)
    config = client_config(connect_timeout=1.0, read_timeout=READ_TIMEOUT).merge(
        boto3.session.Config(s3={"addressing_style": "path"}))
    client = session.client("s3", endpoint_url=proxy.url, config=config)
    yield proxy, S3Store(client, bucket), direct, bucket
    proxy.close()


def run(store: S3Store) -> tuple[dict, dict]:
    entries: list[dict] = []
    response = origin_response.handle(origin_event(VARIANT_URI, "404"), lambda _r: store, Config(), log=entries.append)
    return response, entries[0]


def variant_exists(direct, bucket) -> bool:
    try:
        direct.head_object(Bucket=bucket, Key=VARIANT_KEY)
    except ClientError:
        return False
    return True


def assert_clean_failure(response, status, direct, bucket):
    assert response["status"] == status
    assert response["headers"]["cache-control"][0]["value"] == "public, max-age=60"
    body = base64.b64decode(response["body"]).decode()
    assert "injected" not in body and "Traceback" not in body and "127.0.0.1" not in body
    assert not variant_exists(direct, bucket)
    assert direct.get_object(Bucket=bucket, Key=ORIGINAL_KEY)["Body"].read() == ORIGINAL


def test_one_transient_500_is_retried(faulty):
    proxy, store, direct, bucket = faulty
    proxy.add(Fault("status", "GET", ORIGINAL_KEY, status=500, code="InternalError"))
    response, entry = run(store)
    assert response["status"] == "200" and entry["outcome"] == "generated"
    original_gets = [what for method, path, what in proxy.seen if method == "GET" and ORIGINAL_KEY in path]
    assert original_gets == ["status", "pass"]


def test_throttling_that_persists_is_a_short_lived_503(faulty):
    proxy, store, direct, bucket = faulty
    proxy.add(Fault("status", "GET", ORIGINAL_KEY, status=503, code="SlowDown", times=10))
    response, entry = run(store)
    assert_clean_failure(response, "503", direct, bucket)
    attempts = sum(1 for method, path, what in proxy.seen if method == "GET" and what == "status")
    assert attempts == 3  # bounded: the configured attempts, no more


def test_persistent_5xx_is_a_502(faulty):
    proxy, store, direct, bucket = faulty
    proxy.add(Fault("status", "GET", ORIGINAL_KEY, status=500, times=10))
    assert_clean_failure(run(store)[0], "502", direct, bucket)


def test_a_timeout_is_retried_then_a_502_within_the_budget(faulty):
    proxy, store, direct, bucket = faulty
    proxy.add(Fault("delay", "GET", ORIGINAL_KEY, seconds=READ_TIMEOUT * 2.5, times=10))
    started = time.monotonic()
    response, entry = run(store)
    elapsed = time.monotonic() - started
    assert_clean_failure(response, "502", direct, bucket)
    assert elapsed < 3 * (READ_TIMEOUT + 1) + 3  # attempts x (timeout + backoff): bounded


def test_connection_resets_are_retried(faulty):
    proxy, store, direct, bucket = faulty
    proxy.add(Fault("reset", "GET", ORIGINAL_KEY, times=2))
    response, entry = run(store)
    assert response["status"] == "200"


def test_a_truncated_original_body_is_never_rendered_as_an_image(faulty):
    proxy, store, direct, bucket = faulty
    proxy.add(Fault("truncate", "GET", ORIGINAL_KEY, times=10))
    response, entry = run(store)
    assert response["status"] in ("200", "502")  # retried to success, or refused; never a half image
    if response["status"] == "200":
        assert entry["source_bytes"] == len(ORIGINAL)
    else:
        assert not variant_exists(direct, bucket)


def test_a_slow_original_within_the_timeout_still_works(faulty):
    proxy, store, direct, bucket = faulty
    proxy.add(Fault("delay", "GET", ORIGINAL_KEY, seconds=READ_TIMEOUT * 0.5))
    assert run(store)[0]["status"] == "200"


def test_a_failing_put_leaves_no_partial_object_and_a_502(faulty):
    proxy, store, direct, bucket = faulty
    proxy.add(Fault("reset", "PUT", VARIANT_KEY, times=10))
    assert_clean_failure(run(store)[0], "502", direct, bucket)


def test_put_throttled_then_accepted(faulty):
    proxy, store, direct, bucket = faulty
    proxy.add(Fault("status", "PUT", VARIANT_KEY, status=503, code="SlowDown", times=1))
    response, entry = run(store)
    assert response["status"] == "200" and entry["outcome"] == "generated"
    assert direct.get_object(Bucket=bucket, Key=VARIANT_KEY)["Body"].read() == base64.b64decode(response["body"])
