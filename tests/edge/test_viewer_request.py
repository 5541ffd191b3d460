"""The viewer-request handler on CloudFront-shaped events: rewrite to the canonical variant, or refuse."""

import subprocess
import sys

import pytest

from handlers.viewer_request import handler
from tests.events import CHROME_ACCEPT, CHROME_UA, IPHONE_UA, event, viewer_request


def rewritten(uri, query="", **kw):
    result = handler(viewer_request(uri, query, **kw), None)
    assert "status" not in result, result
    assert result["querystring"] == ""
    return result["uri"]


def test_fixture_events_rewrite_to_variant_keys():
    desktop = handler(event("viewer-request-desktop-chrome.json"), None)
    phone = handler(event("viewer-request-iphone-safari.json"), None)
    assert desktop["uri"] == "/_variants/photos/cat.jpg/w640-q60.avif"  # ?w=640&fmt=auto
    assert phone["uri"] == "/_variants/photos/cat.jpg/w828-q60.avif"
    assert desktop["querystring"] == phone["querystring"] == ""


def test_mobile_and_desktop_differ_without_w_and_share_with_an_explicit_w():
    assert rewritten("/cat.jpg", user_agent=IPHONE_UA) != rewritten("/cat.jpg", user_agent=CHROME_UA)
    assert rewritten("/cat.jpg", "w=640", user_agent=IPHONE_UA) == rewritten("/cat.jpg", "w=640", user_agent=CHROME_UA)


def test_a_bot_gets_the_desktop_variant():
    googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    assert rewritten("/cat.jpg", user_agent=googlebot, accept="*/*") == rewritten("/cat.jpg", user_agent=CHROME_UA,
                                                                                  accept="*/*")


def test_accept_negotiates_the_format():
    assert rewritten("/cat.jpg", "w=640", accept=CHROME_ACCEPT).endswith(".avif")
    assert rewritten("/cat.jpg", "w=640", accept="image/webp,*/*").endswith(".webp")
    assert rewritten("/cat.jpg", "w=640", accept="*/*").endswith("/w640-q80.legacy")


def test_w641_snaps_to_the_same_variant_as_w750():
    assert rewritten("/cat.jpg", "w=641&fmt=webp") == rewritten("/cat.jpg", "w=750&fmt=webp") \
        == "/_variants/cat.jpg/w750-q80.webp"


def test_percent_encoded_unicode_and_spaces_survive():
    uri = rewritten("/photos/summer%20holiday/%E7%8C%AB%2B1.jpg", "w=320&fmt=jpeg")
    assert uri == "/_variants/photos/summer%20holiday/%E7%8C%AB%2B1.jpg/w320-q80.jpg"


@pytest.mark.parametrize(
    "uri, query, status",
    [
        ("/cat.jpg", "w=abc", "400"),
        ("/cat.jpg", "bogus=1", "400"),
        ("/a/../cat.jpg", "w=320", "400"),
        ("/a%2F..%2Fb.jpg", "w=320", "400"),
        ("/cat%00.jpg", "w=320", "400"),
        ("/_variants/cat.jpg/w640-q80.webp", "", "403"),  # variants are reached through the grammar only
        ("/_variants/cat.jpg/w641-q80.webp", "", "403"),
        ("/_variants/x.jpg", "w=10", "403"),
        ("/", "", "400"),
    ],
)
def test_refusals_are_generated_responses_with_a_short_ttl(uri, query, status):
    result = handler(viewer_request(uri, query), None)
    assert result["status"] == status
    headers = result["headers"]
    assert headers["cache-control"][0]["value"] == "public, max-age=60"
    assert headers["content-type"][0]["value"].startswith("text/plain")
    assert headers["x-content-type-options"][0]["value"] == "nosniff"
    assert headers["content-security-policy"][0]["value"].startswith("default-src 'none'")
    assert result["body"] and len(result["body"]) < 1000


def test_the_viewer_url_travels_to_the_origin_in_a_header():
    result = handler(viewer_request("/photos/cat%20x.jpg", "w=640&fmt=webp", user_agent="x-imgedge-viewer-url"), None)
    assert result["headers"]["x-imgedge-viewer-url"] == [
        {"key": "X-Imgedge-Viewer-Url", "value": "/photos/cat%20x.jpg?w=640&fmt=webp"}]


def test_a_viewer_cannot_forge_the_viewer_url_header():
    event = viewer_request("/cat.jpg", "w=320")
    event["Records"][0]["cf"]["request"]["headers"]["x-imgedge-viewer-url"] = [
        {"key": "X-Imgedge-Viewer-Url", "value": "//evil.example/"}]
    assert handler(event, None)["headers"]["x-imgedge-viewer-url"][0]["value"] == "/cat.jpg?w=320"


def test_the_viewer_path_never_imports_pillow_numpy_or_boto3():
    code = ("import sys, json; from handlers.viewer_request import handler; "
            "from tests.events import event; handler(event('viewer-request-iphone-safari.json'), None); "
            "print(json.dumps(sorted(m for m in ('PIL', 'numpy', 'boto3', 'botocore') if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
