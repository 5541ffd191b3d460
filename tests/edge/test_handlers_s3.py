"""Both Lambda@Edge handlers, driven with CloudFront-shaped events, against real S3 servers over HTTP.

The S3 status an origin-response event carries is the one the real server answered for the rewritten key,
and the handler reaches the server through boto3's standard settings (``AWS_ENDPOINT_URL_S3``).
"""

from __future__ import annotations

import base64
import io
import json

import boto3
import pytest
from botocore.exceptions import ClientError
from PIL import Image

import handlers.origin_response as origin_handler
from handlers.viewer_request import handler as viewer_handler
from imgedge.config import Config
from imgedge.edge import origin_response
from imgedge.store import S3Store
from tests.events import CHROME_ACCEPT, IPHONE_UA, viewer_request
from tests.events import origin_response as origin_event
from tests.photos import photo

ORIGINAL_KEY = "photos/summer holiday/lake boats ünï+1.jpg"
ORIGINAL = photo("lake-boats-4mp.jpg")


@pytest.fixture
def edge(s3_bucket, monkeypatch):
    """The bucket with one original, and the process environment pointing boto3 at the server."""
    server, bucket = s3_bucket
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    origin_handler._client.cache_clear()
    client = server.client()
    client.put_object(Bucket=bucket, Key=ORIGINAL_KEY, Body=ORIGINAL, ContentType="image/jpeg")
    yield client, bucket
    origin_handler._client.cache_clear()


def s3_status(client, bucket: str, key: str) -> str:
    """What S3 answers CloudFront for ``key``: "200", or the 403/404 of a miss."""
    try:
        client.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        return str(exc.response["ResponseMetadata"]["HTTPStatusCode"])
    return "200"


def key_of(uri: str) -> str:
    from imgedge.request.paths import key_for_uri

    return key_for_uri(uri)


def test_viewer_rewrite_then_miss_generates_stores_and_then_hits(edge, capsys):
    client, bucket = edge
    request = viewer_handler(viewer_request("/photos/summer%20holiday/lake%20boats%20%C3%BCn%C3%AF%2B1.jpg",
                                            "w=640", user_agent=IPHONE_UA, accept=CHROME_ACCEPT), None)
    uri = request["uri"]
    assert uri == "/_variants/photos/summer%20holiday/lake%20boats%20%C3%BCn%C3%AF%2B1.jpg/w640-q60.avif"
    variant = key_of(uri)

    status = s3_status(client, bucket, variant)
    assert status in ("403", "404")
    response = origin_handler.handler(origin_event(uri, status, bucket=bucket, device="mobile"), None)

    assert response["status"] == "200" and response["bodyEncoding"] == "base64"
    body = base64.b64decode(response["body"])
    assert Image.open(io.BytesIO(body)).size == (640, 400)
    headers = response["headers"]
    assert headers["content-type"][0]["value"] == "image/avif"
    assert headers["cache-control"][0]["value"] == "public, max-age=31536000, immutable"
    assert headers["transfer-encoding"][0]["value"] == "chunked"  # read-only: kept as S3 sent it
    assert "via" not in headers or headers["via"]  # never touched

    stored = client.get_object(Bucket=bucket, Key=variant)
    assert stored["Body"].read() == body
    assert stored["ContentType"] == "image/avif"
    assert stored["CacheControl"] == "public, max-age=31536000, immutable"
    assert stored["Metadata"]["source-etag"]
    assert client.get_object(Bucket=bucket, Key=ORIGINAL_KEY)["Body"].read() == ORIGINAL

    log = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert log["device"] == "mobile" and log["outcome"] == "generated" and log["bytes"] == len(body)

    # The next request for the same variant: S3 has it, the origin-response passes S3's answer through.
    assert s3_status(client, bucket, variant) == "200"
    passthrough = origin_event(uri, "200", bucket=bucket)
    before = json.dumps(passthrough["Records"][0]["cf"]["response"], sort_keys=True)
    after = origin_handler.handler(passthrough, None)
    assert json.dumps(after, sort_keys=True) == before


def test_missing_original_is_a_404_with_a_short_ttl_and_writes_nothing(edge):
    client, bucket = edge
    uri = viewer_handler(viewer_request("/photos/nope.jpg", "w=320&fmt=webp"), None)["uri"]
    response = origin_handler.handler(origin_event(uri, s3_status(client, bucket, key_of(uri)), bucket=bucket), None)
    assert response["status"] == "404"
    assert response["headers"]["cache-control"][0]["value"] == "public, max-age=60"
    assert s3_status(client, bucket, key_of(uri)) in ("403", "404")


def test_corrupt_original_is_a_422_and_writes_nothing(edge):
    client, bucket = edge
    client.put_object(Bucket=bucket, Key="broken.jpg", Body=ORIGINAL[:5000])
    uri = viewer_handler(viewer_request("/broken.jpg", "w=320&fmt=webp"), None)["uri"]
    response = origin_handler.handler(origin_event(uri, "404", bucket=bucket), None)
    assert response["status"] == "422"
    assert s3_status(client, bucket, key_of(uri)) in ("403", "404")
    assert client.get_object(Bucket=bucket, Key="broken.jpg")["Body"].read() == ORIGINAL[:5000]


def test_a_response_over_the_inline_limit_is_stored_and_redirected(edge):
    client, bucket = edge
    viewer_url = "/photos/summer%20holiday/lake%20boats%20%C3%BCn%C3%AF%2B1.jpg?w=1920&fmt=png"
    path, _, query = viewer_url.partition("?")
    request = viewer_handler(viewer_request(path, query), None)
    uri = request["uri"]
    assert request["headers"]["x-imgedge-viewer-url"][0]["value"] == viewer_url
    store = S3Store(client, bucket)
    response = origin_response.handle(origin_event(uri, "404", bucket=bucket, viewer_url=viewer_url),
                                      lambda _r: store, Config(max_inline_bytes=100_000), log=lambda entry: None)
    assert response["status"] == "302"
    assert response["headers"]["location"][0]["value"] == viewer_url  # the same URL: next time an S3 hit
    assert response["headers"]["cache-control"][0]["value"] == "private, no-store"
    assert base64.b64decode(response["body"]) == b""
    stored = client.get_object(Bucket=bucket, Key=key_of(uri))["Body"].read()
    assert Image.open(io.BytesIO(stored)).size[0] == 1920
    assert viewer_handler(viewer_request(path, query), None)["uri"] == uri  # and it names the stored variant


def test_an_oversized_variant_without_a_viewer_url_is_a_short_lived_502_but_stored(edge):
    client, bucket = edge
    uri = viewer_handler(viewer_request("/photos/summer%20holiday/lake%20boats%20%C3%BCn%C3%AF%2B1.jpg",
                                        "w=1920&fmt=png"), None)["uri"]
    response = origin_response.handle(origin_event(uri, "404", bucket=bucket), lambda _r: S3Store(client, bucket),
                                      Config(max_inline_bytes=100_000), log=lambda entry: None)
    assert response["status"] == "502"
    assert response["headers"]["cache-control"][0]["value"] == "private, no-store"  # a cached 502 defeats its advice
    assert s3_status(client, bucket, key_of(uri)) == "200"


def test_losing_a_race_serves_the_stored_object(edge):
    client, bucket = edge
    uri = viewer_handler(viewer_request(f"/{ORIGINAL_KEY.replace(' ', '%20')}", "w=320&fmt=webp"), None)["uri"]
    winner = b"RIFF....WEBP bytes stored by the concurrent winner"
    client.put_object(Bucket=bucket, Key=key_of(uri), Body=winner, ContentType="image/webp")
    entries = []
    store = S3Store(client, bucket)
    response = origin_response.handle(origin_event(uri, "404", bucket=bucket), lambda _r: store, Config(),
                                      log=entries.append)
    assert base64.b64decode(response["body"]) == winner
    assert entries[0]["outcome"] == "raced"
    assert client.get_object(Bucket=bucket, Key=key_of(uri))["Body"].read() == winner


def test_a_403_miss_generates_too(edge):
    client, bucket = edge
    uri = viewer_handler(viewer_request(f"/{ORIGINAL_KEY.replace(' ', '%20')}", "w=160&fmt=jpeg"), None)["uri"]
    response = origin_handler.handler(origin_event(uri, "403", bucket=bucket), None)
    assert response["status"] == "200"
    assert Image.open(io.BytesIO(base64.b64decode(response["body"]))).width == 160


def test_a_plain_miss_on_a_non_variant_path_passes_through(edge):
    client, bucket = edge
    event = origin_event("/photos/nothing-here.jpg", "404", bucket=bucket)
    assert origin_handler.handler(event, None)["status"] == "404"
    assert "body" not in origin_handler.handler(origin_event("/photos/x.jpg", "404", bucket=bucket), None)
