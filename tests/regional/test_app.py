"""The regional generator as a plain HTTP app, its Function URL adapter, its settings, the origin-group failover
and the WSGI wrapper, on a directory store (the S3 servers are in test_regional_s3.py)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from wsgiref.simple_server import WSGIServer, make_server

import pytest
from PIL import Image

from imgedge.config import Config
from imgedge.local.origins import OriginGroup, S3Origin, regional_origin
from imgedge.regional import function_url
from imgedge.regional.app import FUNCTION_URL_MAX_INLINE_BYTES, LAMBDA_RESPONSE_LIMIT, GeneratorApp
from imgedge.regional.settings import SettingsError, load_settings
from imgedge.regional.wsgi import _QuietHandler, make_wsgi_app
from imgedge.store import DirectoryStore
from tests.regional.events import function_url_event

REPO_ROOT = Path(__file__).resolve().parents[2]
VARIANT = "/_variants/photos/cat.jpg/w640-q80.webp"


def jpeg(size=(1600, 1200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture
def store(tmp_path) -> DirectoryStore:
    s = DirectoryStore(tmp_path / "bucket")
    s.put_original("photos/cat.jpg", jpeg())
    return s


@pytest.fixture
def logs() -> list:
    return []


@pytest.fixture
def app(store, logs) -> GeneratorApp:
    return GeneratorApp(store, Config(), log=logs.append)


# -- the HTTP app ------------------------------------------------------------------------------------------


def test_get_renders_stores_and_returns_the_variant(app, store, logs):
    status, headers, body = app("GET", VARIANT, {"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac "
                                                  "OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"})
    assert status == 200
    assert headers["Content-Type"] == "image/webp"
    assert headers["Cache-Control"] == Config().variant_cache_control
    assert headers["ETag"] == '"%s"' % hashlib.md5(body).hexdigest()
    assert Image.open(io.BytesIO(body)).size == (640, 480)
    assert store.get(VARIANT[1:]).data == body
    (entry,) = logs
    assert entry["outcome"] == "generated" and entry["status"] == 200 and entry["mode"] == "regional"
    assert entry["device"] == "mobile" and entry["bytes"] == len(body)


def test_head_does_the_work_and_returns_no_body(app, store):
    status, headers, body = app("HEAD", VARIANT, {})
    assert (status, body) == (200, b"") and headers["Content-Type"] == "image/webp"
    assert store.get(VARIANT[1:]).data  # stored: the GET that follows is an S3 hit


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_are_405_and_write_nothing(app, store, method):
    status, headers, body = app(method, VARIANT, {}, b"x" if method in ("POST", "PUT", "PATCH") else b"")
    assert status == 405 and headers["Allow"] == "GET, HEAD"
    assert headers["Cache-Control"] == Config().error_cache_control
    assert not (store.root / VARIANT[1:]).exists()


@pytest.mark.parametrize("headers, body", [
    ({}, b"payload"),
    ({"Content-Length": "7"}, b""),
    ({"Transfer-Encoding": "chunked"}, b""),
])
def test_a_get_with_a_body_is_400(app, store, headers, body):
    status, out, text = app("GET", VARIANT, headers, body)
    assert status == 400 and b"body" in text
    assert not (store.root / VARIANT[1:]).exists()


@pytest.mark.parametrize("path, status", [
    ("/photos/cat.jpg", 400),                               # an original, not a variant
    ("/photos/cat.jpg?w=640", 400),                         # parameters: the viewer-request folds them away
    (VARIANT + "?w=320", 400),
    ("/_variants/photos/cat.jpg/w641-q80.webp", 400),       # not on the ladder
    ("/_variants/photos/cat.jpg/w640-q81.webp", 400),       # quality off its step
    ("/_variants/photos/cat.jpg/q80-w640.webp", 400),       # another spelling of a variant
    ("/_variants/photos/cat.jpg/w640-q80.gif", 400),        # no such format
    ("/_variants/_variants/x.jpg/w640-q80.webp", 403),      # a variant of a variant
    ("/_variants/photos/../cat.jpg/w640-q80.webp", 400),    # path tricks
    ("_variants/photos/cat.jpg/w640-q80.webp", 400),        # no leading slash
    ("/", 400),
])
def test_non_canonical_paths_are_refused_without_rendering(app, store, logs, path, status):
    code, headers, body = app("GET", path, {})
    assert code == status, body
    assert headers["Cache-Control"] == Config().error_cache_control
    assert headers["Content-Type"].startswith("text/plain") and "sandbox" in headers["Content-Security-Policy"]
    assert logs == []  # refused before the generator ran
    assert not (store.root / "_variants").exists()


def test_a_missing_original_is_404_with_the_short_ttl(app, store, logs):
    status, headers, body = app("GET", "/_variants/photos/none.jpg/w640-q80.webp", {})
    assert status == 404 and headers["Cache-Control"] == Config().error_cache_control
    assert logs[0]["outcome"] == "refused"
    assert not (store.root / "_variants").exists()


def test_a_corrupt_original_is_422(app, store):
    store.put_original("photos/broken.jpg", jpeg()[:2000])
    assert app("GET", "/_variants/photos/broken.jpg/w640-q80.webp", {})[0] == 422


def test_a_bug_is_a_500_with_the_short_ttl(store, logs, monkeypatch):
    import imgedge.core

    monkeypatch.setattr(imgedge.core, "render", lambda *a, **k: 1 / 0)
    status, headers, body = GeneratorApp(store, Config(), log=logs.append)("GET", VARIANT, {})
    assert (status, body) == (500, b"internal error\n") and headers["Cache-Control"] == Config().error_cache_control
    assert logs[0]["reason"] == "ZeroDivisionError"


def test_oversized_output_is_stored_and_redirected_to_the_viewer_url(store, logs):
    app = GeneratorApp(store, Config(), max_inline_bytes=10, log=logs.append)
    status, headers, body = app("GET", VARIANT, {"X-Imgedge-Viewer-Url": "/photos/cat.jpg?w=640&fmt=webp"})
    assert (status, body) == (302, b"")
    assert headers["Location"] == "/photos/cat.jpg?w=640&fmt=webp"
    assert headers["Cache-Control"] == "private, no-store"
    assert store.get(VARIANT[1:]).data  # the redirected request is an S3 hit
    assert logs[0]["outcome"] == "generated+redirect"


@pytest.mark.parametrize("viewer_url", [None, "//evil.example/x", "/\\evil.example/x", "https://evil.example/",
                                        "/photos/caf\u00e9.jpg", "/a\r\nSet-Cookie: x=1"])
def test_oversized_output_without_a_safe_viewer_url_is_a_short_502(store, viewer_url):
    app = GeneratorApp(store, Config(), max_inline_bytes=10, log=lambda e: None)
    headers = {"x-imgedge-viewer-url": viewer_url} if viewer_url is not None else {}
    status, out, body = app("GET", VARIANT, headers)
    assert status == 502 and "Location" not in out and out["Cache-Control"] == "private, no-store"
    assert store.get(VARIANT[1:]).data


def test_inline_limit_fits_the_lambda_response_once_base64_encoded():
    assert 4_400_000 < FUNCTION_URL_MAX_INLINE_BYTES < 4_500_000
    assert len(base64.b64encode(b"\0" * FUNCTION_URL_MAX_INLINE_BYTES)) < LAMBDA_RESPONSE_LIMIT - 30_000
    with pytest.raises(ValueError):
        GeneratorApp(None, Config(), max_inline_bytes=FUNCTION_URL_MAX_INLINE_BYTES + 1)


def test_refusing_imports_no_image_code():
    """A fresh interpreter answers a refusal without loading Pillow, numpy or the UA parser."""
    code = r"""
import sys, json
from imgedge.config import Config
from imgedge.regional.app import GeneratorApp
app = GeneratorApp(None, Config(), log=lambda e: None)
codes = [app("POST", "/x", {}, b"1")[0], app("GET", "/photos/cat.jpg", {})[0],
         app("GET", "/_variants/photos/cat.jpg/w641-q80.webp", {})[0]]
print(json.dumps({"codes": codes, "heavy": sorted({m.split(".")[0] for m in sys.modules}
                                                  & {"PIL", "numpy", "user_agents", "boto3", "botocore"})}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"codes": [405, 400, 400], "heavy": []}


# -- the Function URL adapter ------------------------------------------------------------------------------


def test_function_url_event_in_base64_response_out(app):
    result = function_url.handle(function_url_event("GET", VARIANT), app)
    assert result["statusCode"] == 200 and result["isBase64Encoded"] is True
    assert result["headers"]["Content-Type"] == "image/webp"
    assert Image.open(io.BytesIO(base64.b64decode(result["body"]))).size == (640, 480)


def test_function_url_percent_encoded_raw_path_reaches_the_key(store, app):
    store.put_original("photos/summer holiday/ünï+1.jpg", jpeg((800, 600)))
    raw = "/_variants/photos/summer%20holiday/%C3%BCn%C3%AF%2B1.jpg/w640-q80.webp"
    result = function_url.handle(function_url_event("GET", raw), app)
    assert result["statusCode"] == 200, base64.b64decode(result["body"])
    assert store.get("_variants/photos/summer holiday/ünï+1.jpg/w640-q80.webp").data


@pytest.mark.parametrize("event, status", [
    (function_url_event("POST", VARIANT, body=b"\x89PNG...", base64_body=True), 405),
    (function_url_event("GET", VARIANT, body="hello"), 400),
    (function_url_event("GET", VARIANT, body=b"\x00\x01", base64_body=True), 400),
    (function_url_event("GET", VARIANT, "w=320"), 400),
    (function_url_event("DELETE", VARIANT), 405),
])
def test_function_url_refusals(app, store, event, status):
    result = function_url.handle(event, app)
    assert result["statusCode"] == status
    assert not (store.root / "_variants").exists()


def test_function_url_head_has_an_empty_body(app):
    result = function_url.handle(function_url_event("HEAD", VARIANT), app)
    assert result["statusCode"] == 200 and result["body"] == ""


def test_function_url_never_returns_more_than_lambda_allows():
    huge = lambda *a: (200, {"Content-Type": "image/png"}, b"\0" * 4_600_000)  # noqa: E731
    result = function_url.handle(function_url_event("GET", VARIANT), huge)
    assert result["statusCode"] == 502 and len(result["body"]) < 100


# -- settings ----------------------------------------------------------------------------------------------


def test_settings_from_the_environment(tmp_path):
    settings = load_settings({"IMGEDGE_BUCKET": "images"})
    assert settings.bucket == "images" and settings.max_inline_bytes == FUNCTION_URL_MAX_INLINE_BYTES
    settings = load_settings({"IMGEDGE_BUCKET": "images", "IMGEDGE_CONFIG_JSON": '{"ladder": [320, 640]}',
                              "IMGEDGE_MAX_INLINE_BYTES": "1000000"})
    assert settings.config.ladder == (320, 640) and settings.max_inline_bytes == 1_000_000
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"quality_step": 10}))
    assert load_settings({"IMGEDGE_BUCKET": "b", "IMGEDGE_CONFIG": str(path)}).config.quality_step == 10


@pytest.mark.parametrize("environ, message", [
    ({}, "IMGEDGE_BUCKET"),
    ({"IMGEDGE_BUCKET": "b", "IMGEDGE_CONFIG_JSON": "{ladder"}, "IMGEDGE_CONFIG_JSON"),
    ({"IMGEDGE_BUCKET": "b", "IMGEDGE_CONFIG_JSON": "[1]"}, "JSON object"),
    ({"IMGEDGE_BUCKET": "b", "IMGEDGE_CONFIG_JSON": '{"ladders": [1]}'}, "unknown config keys"),
    ({"IMGEDGE_BUCKET": "b", "IMGEDGE_MAX_INLINE_BYTES": "9000000"}, "IMGEDGE_MAX_INLINE_BYTES"),
    ({"IMGEDGE_BUCKET": "b", "IMGEDGE_MAX_INLINE_BYTES": "lots"}, "IMGEDGE_MAX_INLINE_BYTES"),
])
def test_bad_settings_are_refused(environ, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(environ)


# -- the origin group --------------------------------------------------------------------------------------


class Counting:
    def __init__(self, origin):
        self.origin, self.calls = origin, []

    def __call__(self, method, path, headers=None, body=b""):
        self.calls.append((method, path, dict(headers or {})))
        return self.origin(method, path, headers, body)


def test_origin_group_asks_s3_first_and_the_generator_only_on_a_miss(store):
    primary = Counting(S3Origin(store))
    secondary = Counting(GeneratorApp(store, Config(), log=lambda e: None))
    group = OriginGroup(primary, secondary)
    first = group("GET", VARIANT, {"Host": "d111.cloudfront.net", "User-Agent": "UA"})
    assert first.status == 200 and len(primary.calls) == 1 and len(secondary.calls) == 1
    assert "Host" not in secondary.calls[0][2] and secondary.calls[0][2]["User-Agent"] == "UA"
    second = group("GET", VARIANT, {})
    assert second.status == 200 and second.body == first.body
    assert len(primary.calls) == 2 and len(secondary.calls) == 1  # the hit never reached the generator


def test_origin_group_fails_over_only_on_its_statuses_and_methods():
    answers = {"primary": (503, {}, b"busy"), "secondary": (200, {}, b"gen")}
    group = OriginGroup(lambda *a: answers["primary"], lambda *a: answers["secondary"])
    assert group("GET", "/x").status == 503  # a 5xx from S3 is not a miss
    answers["primary"] = (403, {}, b"")
    assert group("GET", "/x").body == b"gen" and group("HEAD", "/x").body == b"gen"
    assert group("POST", "/x").status == 403  # CloudFront fails over for GET, HEAD and OPTIONS only


def test_origin_group_fetch_takes_a_cloudfront_request(store):
    group = regional_origin(store, Config(), log=lambda e: None)
    request = {"method": "GET", "uri": VARIANT, "querystring": "",
               "headers": {"user-agent": [{"key": "User-Agent", "value": "UA"}]}}
    status, headers, body = group.fetch(request)
    assert status == 200 and headers["Content-Type"] == "image/webp"
    assert group.fetch(request).headers["Content-Type"] == "image/webp"  # now from the store


# -- WSGI --------------------------------------------------------------------------------------------------


def test_wsgi_server_serves_the_app(store, app):
    server = make_server("127.0.0.1", 0, make_wsgi_app(app), server_class=WSGIServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        store.put_original("photos/a b.jpg", jpeg((800, 600)))
        with urllib.request.urlopen(base + "/_variants/photos/a%20b.jpg/w640-q80.webp", timeout=30) as response:
            assert response.status == 200 and response.headers["Content-Type"] == "image/webp"
            assert Image.open(io.BytesIO(response.read())).size == (640, 480)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(base + VARIANT, data=b"x", method="POST"), timeout=30)
        assert refused.value.code == 405
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
