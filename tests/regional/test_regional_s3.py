"""The regional handler (handlers/regional.py), driven with Function URL events, against real S3 servers.

The viewer-request function names the variant exactly as it does in edge mode; the origin group
(``imgedge.local.origins``) asks the S3 server first and the handler only when S3 answers 403/404, as
CloudFront's origin group does in a ``Mode=regional`` stack. The handler reaches the server through boto3's
standard settings (``AWS_ENDPOINT_URL_S3``), with ``IMGEDGE_BUCKET`` from the environment.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from PIL import Image

from handlers.viewer_request import handler as viewer_handler
from imgedge.local.origins import OriginGroup, S3Origin
from imgedge.request.paths import key_for_uri
from imgedge.store import S3Store
from imgedge.transport import Response
from tests.events import CHROME_ACCEPT, IPHONE_UA, viewer_request
from tests.photos import photo
from tests.regional.events import function_url_event

REPO_ROOT = Path(__file__).resolve().parents[2]
ORIGINAL_KEY = "photos/summer holiday/lake boats ünï+1.jpg"
ORIGINAL_PATH = "/photos/summer%20holiday/lake%20boats%20%C3%BCn%C3%AF%2B1.jpg"
ORIGINAL = photo("lake-boats-4mp.jpg")


@pytest.fixture
def regional(s3_bucket, monkeypatch, capsys):
    """handlers.regional imported afresh (as a new Lambda container would) with the server's environment."""
    server, bucket = s3_bucket
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("IMGEDGE_BUCKET", bucket)
    for name in ("IMGEDGE_CONFIG_JSON", "IMGEDGE_MAX_INLINE_BYTES", "IMGEDGE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    import handlers.regional

    module = importlib.reload(handlers.regional)
    client = server.client()
    client.put_object(Bucket=bucket, Key=ORIGINAL_KEY, Body=ORIGINAL, ContentType="image/jpeg")
    capsys.readouterr()
    return module, client, bucket


class FunctionUrlOrigin:
    """The Function URL origin: CloudFront's origin request becomes a payload 2.0 event for the handler."""

    def __init__(self, handler):
        self.handler, self.events = handler, []

    def __call__(self, method, path, headers=None, body=b""):
        raw_path, _, query = path.partition("?")
        event = function_url_event(method, raw_path, query, headers=headers,
                                   body=body or None, base64_body=True)
        self.events.append(event)
        result = self.handler(event, None)
        data = base64.b64decode(result["body"]) if result["isBase64Encoded"] else result["body"].encode()
        return Response(result["statusCode"], result["headers"], data)


def viewer(path: str, query: str, **kwargs) -> dict:
    """The origin request CloudFront sends after the viewer-request function (same in both modes)."""
    request = viewer_handler(viewer_request(path, query, **kwargs), None)
    assert "status" not in request, request
    return request


def cloudfront_headers(request: dict) -> dict:
    """What the origin request policy forwards: device headers, User-Agent, the viewer URL."""
    return {entries[0]["key"]: entries[0]["value"] for name, entries in request["headers"].items()
            if name in ("user-agent", "x-imgedge-viewer-url") or name.startswith("cloudfront-is-")}


def s3_status(client, bucket: str, key: str) -> int:
    try:
        client.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        return exc.response["ResponseMetadata"]["HTTPStatusCode"]
    return 200


def test_miss_generates_stores_returns_then_s3_answers_first(regional, capsys):
    module, client, bucket = regional
    request = viewer(ORIGINAL_PATH, "w=640", user_agent=IPHONE_UA, accept=CHROME_ACCEPT)
    uri = request["uri"]
    key = key_for_uri(uri)
    assert uri.startswith("/_variants/photos/summer%20holiday/") and uri.endswith(".avif")
    assert s3_status(client, bucket, key) in (403, 404)

    generator = FunctionUrlOrigin(module.handler)
    s3 = S3Origin(S3Store(client, bucket))
    group = OriginGroup(s3, generator)

    first = group("GET", uri, cloudfront_headers(request))
    assert first.status == 200 and len(generator.events) == 1
    assert first.headers["Content-Type"] == "image/avif"
    assert first.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert Image.open(io.BytesIO(first.body)).size == (640, 400)
    stored = client.get_object(Bucket=bucket, Key=key)
    assert stored["Body"].read() == first.body
    assert stored["ContentType"] == "image/avif" and stored["CacheControl"] == first.headers["Cache-Control"]
    assert stored["ETag"] == first.headers["ETag"] == '"%s"' % hashlib.md5(first.body).hexdigest()
    assert client.get_object(Bucket=bucket, Key=ORIGINAL_KEY)["Body"].read() == ORIGINAL
    log = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert log["outcome"] == "generated" and log["mode"] == "regional" and log["bytes"] == len(first.body)

    second = group("GET", viewer(ORIGINAL_PATH, "w=640", user_agent=IPHONE_UA, accept=CHROME_ACCEPT)["uri"],
                   cloudfront_headers(request))
    assert len(generator.events) == 1  # S3 answered; the generator was not called
    assert (second.status, second.body) == (200, first.body)
    assert second.headers["ETag"] == first.headers["ETag"]


def test_an_output_over_1_mb_is_served_whole(regional):
    """3.7 MB of PNG: over Lambda@Edge's 1 MB generated-response limit, within the Function URL's 6 MB."""
    module, client, bucket = regional
    request = viewer(ORIGINAL_PATH, "w=1920&fmt=png")
    result = module.handler(function_url_event("GET", request["uri"], headers=cloudfront_headers(request)), None)
    assert result["statusCode"] == 200 and result["isBase64Encoded"] is True
    body = base64.b64decode(result["body"])
    assert 1_000_000 < len(body) < 4_475_424
    assert Image.open(io.BytesIO(body)).size == (1920, 1200)
    assert client.get_object(Bucket=bucket, Key=key_for_uri(request["uri"]))["Body"].read() == body


def test_an_output_over_the_inline_limit_is_stored_and_redirected(regional):
    """5.7 MB of PNG does not fit a Lambda response once base64-encoded: stored, then a 302 to the viewer URL,
    and that URL, asked again, is an S3 hit."""
    module, client, bucket = regional
    request = viewer(ORIGINAL_PATH, "w=2560&fmt=png")
    generator = FunctionUrlOrigin(module.handler)
    group = OriginGroup(S3Origin(S3Store(client, bucket)), generator)
    first = group("GET", request["uri"], cloudfront_headers(request))
    assert (first.status, first.body) == (302, b"")
    assert first.headers["Location"] == f"{ORIGINAL_PATH}?w=2560&fmt=png"
    assert first.headers["Cache-Control"] == "private, no-store"
    again = viewer(*first.headers["Location"].split("?"))
    second = group("GET", again["uri"], cloudfront_headers(again))
    assert second.status == 200 and len(second.body) > 4_475_424 and len(generator.events) == 1
    assert Image.open(io.BytesIO(second.body)).size == (2560, 1600)


def test_missing_original_is_a_short_lived_404_and_writes_nothing(regional):
    module, client, bucket = regional
    request = viewer("/photos/nope.jpg", "w=320&fmt=webp")
    result = module.handler(function_url_event("GET", request["uri"]), None)
    assert result["statusCode"] == 404 and result["headers"]["Cache-Control"] == "public, max-age=60"
    assert s3_status(client, bucket, key_for_uri(request["uri"])) in (403, 404)


@pytest.mark.parametrize("method, body", [("POST", b"<image bytes>"), ("PUT", b"x"), ("GET", b"x"), ("DELETE", None)])
def test_bodies_and_other_methods_are_refused_and_write_nothing(regional, method, body):
    module, client, bucket = regional
    uri = viewer(ORIGINAL_PATH, "w=320&fmt=webp")["uri"]
    result = module.handler(function_url_event(method, uri, body=body, base64_body=True), None)
    assert result["statusCode"] == (400 if method == "GET" else 405)
    assert s3_status(client, bucket, key_for_uri(uri)) in (403, 404)


@pytest.mark.parametrize("raw_path, query", [
    ("/_variants/photos/summer%20holiday/lake%20boats%20%C3%BCn%C3%AF%2B1.jpg/w641-q80.webp", ""),
    ("/_variants/photos/summer%20holiday/lake%20boats%20%C3%BCn%C3%AF%2B1.jpg/q80-w640.webp", ""),
    (ORIGINAL_PATH, ""),
    (ORIGINAL_PATH, "w=640"),
])
def test_non_canonical_keys_are_refused_and_write_nothing(regional, raw_path, query):
    module, client, bucket = regional
    result = module.handler(function_url_event("GET", raw_path, query), None)
    assert result["statusCode"] == 400
    listed = client.list_objects_v2(Bucket=bucket, Prefix="_variants/")
    assert listed.get("KeyCount", 0) == 0


HANDLER_RUN = r"""
import json, sys, time
started = time.perf_counter()
import handlers.regional as module
imported = time.perf_counter()
heavy_after_import = sorted({m.split(".")[0] for m in sys.modules} & {"PIL", "numpy", "user_agents"})
event = json.loads(sys.argv[1])
result = module.handler(event, None)
print(json.dumps({"status": result["statusCode"], "import_ms": (imported - started) * 1000,
                  "heavy_after_import": heavy_after_import}))
"""


def test_the_handler_module_loads_no_image_code_at_import(regional):
    """A fresh interpreter, as a Lambda container starts: boto3 and the client at init, Pillow at the first render."""
    module, client, bucket = regional
    uri = viewer(ORIGINAL_PATH, "w=320&fmt=webp")["uri"]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([sys.executable, "-c", HANDLER_RUN, json.dumps(function_url_event("GET", uri))],
                          capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["status"] == 200 and report["heavy_after_import"] == []
