"""50 concurrent misses for one variant: one complete object, and all 50 answers carry exactly its bytes."""

from __future__ import annotations

import base64
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from imgedge.config import Config
from imgedge.edge import origin_response
from imgedge.store import DirectoryStore, S3Store
from tests.events import origin_response as origin_event
from tests.photos import photo

MISSES = 50
ORIGINAL_KEY = "photos/lake.jpg"
VARIANT_URI = "/_variants/photos/lake.jpg/w640-q80.webp"
ORIGINAL = photo("lake-boats-4mp.jpg")


def stampede(store) -> tuple[list[dict], Counter]:
    barrier = threading.Barrier(MISSES)
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def one(_):
        def log(entry):
            with lock:
                outcomes[entry["outcome"]] += 1

        barrier.wait()
        return origin_response.handle(origin_event(VARIANT_URI, "404"), lambda _r: store, Config(), log=log)

    with ThreadPoolExecutor(MISSES) as pool:
        return list(pool.map(one, range(MISSES))), outcomes


def check(responses, outcomes, stored: bytes):
    assert all(r["status"] == "200" for r in responses)
    bodies = {base64.b64decode(r["body"]) for r in responses}
    assert bodies == {stored}
    assert outcomes["generated"] == 1 and outcomes["raced"] == MISSES - 1, outcomes
    print(f"{MISSES} concurrent misses: {dict(outcomes)}")


def test_fifty_concurrent_misses_on_s3(s3_bucket):
    server, bucket = s3_bucket
    client = server.client(max_pool_connections=MISSES)
    client.put_object(Bucket=bucket, Key=ORIGINAL_KEY, Body=ORIGINAL, ContentType="image/jpeg")
    responses, outcomes = stampede(S3Store(client, bucket))
    stored = client.get_object(Bucket=bucket, Key=VARIANT_URI[1:])["Body"].read()
    check(responses, outcomes, stored)
    assert client.get_object(Bucket=bucket, Key=ORIGINAL_KEY)["Body"].read() == ORIGINAL
    listed = client.list_objects_v2(Bucket=bucket, Prefix="_variants/")["Contents"]
    assert [obj["Key"] for obj in listed] == [VARIANT_URI[1:]]


def test_fifty_concurrent_misses_on_the_directory_store(tmp_path):
    store = DirectoryStore(tmp_path)
    store.put_original(ORIGINAL_KEY, ORIGINAL)
    responses, outcomes = stampede(store)
    check(responses, outcomes, (tmp_path / VARIANT_URI[1:]).read_bytes())
    assert not [p for p in (tmp_path / "_variants").rglob(".tmp-*")]  # no temp files left behind
    assert (tmp_path / ORIGINAL_KEY).read_bytes() == ORIGINAL
