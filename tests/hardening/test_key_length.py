"""S3 keys are at most 1,024 bytes of UTF-8. A URL whose variant key would be longer is refused where it is
named, with 414 (URI Too Long, which CloudFront caches), instead of being rendered and then refused by S3; the
origin-response and the regional generator refuse such keys too, whoever sends them."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from imgedge.config import ALL_OPTIONS, Config
from imgedge.edge import origin_response
from imgedge.edge.viewer_request import handle as viewer_handle
from imgedge.errors import BadRequest, URITooLong
from imgedge.regional.app import GeneratorApp
from imgedge.request.keys import segment_for
from imgedge.request.paths import MAX_KEY_BYTES, check_key_length, parse_variant_key, variant_key
from imgedge.request.spec import VariantSpec
from imgedge.store import DirectoryStore
from tests.events import origin_response as origin_event
from tests.events import viewer_request

#: Every option allowed, so one unsigned URL can spell a long segment.
OPEN = Config(allowed_options=ALL_OPTIONS)
#: A segment of 118 bytes: rect, box, orientation, background, colour, blur, sharpen, budget, quality.
RICH_QUERY = ("rect=1000,2000,3000,4000&w=640&h=480&fit=cover&g=north&rot=90&flip=h&bg=1a73e880"
              "&bri=-20&con=15&sat=35&blur=3&sharpen=1.5&mb=50000&q=75&fmt=webp")
RICH = VariantSpec(640, 480, "cover", 75, "webp", rect=(1000, 2000, 3000, 4000), gravity="north", rotate=90,
                   mirror=True, background="1a73e880", brightness=-20, contrast=15, saturation=35, blur=3,
                   sharpen=1.5, max_bytes=50_000)
#: 298 three-byte characters: 898 bytes (under the 900-byte original limit), but only 302 characters.
CAT = "猫" * 298 + ".jpg"


def rich_key(original: str) -> str:
    return f"_variants/{original}/{segment_for(RICH)}"


def test_the_figures_the_cases_rely_on():
    assert len(CAT.encode()) == 898 and len(CAT) == 302
    assert len(rich_key(CAT).encode()) > MAX_KEY_BYTES > len(rich_key(CAT))  # too long only in bytes
    assert len(rich_key("a" * 870 + ".jpg").encode()) <= MAX_KEY_BYTES


def test_a_variant_key_over_1024_utf8_bytes_is_a_414_at_the_viewer_request():
    result = viewer_handle(viewer_request("/" + quote(CAT), RICH_QUERY), OPEN)
    assert result["status"] == "414"
    assert result["headers"]["cache-control"][0]["value"] == OPEN.error_cache_control
    assert "1024 bytes" in result["body"]


def test_the_same_options_on_a_shorter_path_still_rewrite():
    result = viewer_handle(viewer_request("/" + "a" * 870 + ".jpg", RICH_QUERY), OPEN)
    assert "status" not in result, result
    assert result["uri"] == "/" + rich_key("a" * 870 + ".jpg")


def test_an_overlong_url_or_original_key_is_a_414_too():
    assert viewer_handle(viewer_request("/" + "a" * 9000, ""), OPEN)["status"] == "414"
    assert viewer_handle(viewer_request("/" + "a" * 901, "w=320"), OPEN)["status"] == "414"


def test_the_key_functions_refuse_what_s3_cannot_store():
    with pytest.raises(URITooLong):
        variant_key(CAT, RICH, "_variants")
    with pytest.raises(URITooLong) as refused:
        parse_variant_key(rich_key(CAT), "_variants")
    assert isinstance(refused.value, BadRequest) and refused.value.status == 414
    assert check_key_length("x" * MAX_KEY_BYTES) == "x" * MAX_KEY_BYTES


def test_the_regional_generator_refuses_an_overlong_key_with_414(tmp_path):
    app = GeneratorApp(DirectoryStore(tmp_path), OPEN, log=lambda entry: None)
    status, headers, body = app("GET", "/" + quote(rich_key(CAT)), {})
    assert status == 414 and b"1024 bytes" in body


def test_the_origin_response_leaves_s3s_answer_for_an_overlong_key(tmp_path):
    event = origin_event("/" + quote(rich_key(CAT)))
    before = dict(event["Records"][0]["cf"]["response"])
    result = origin_response.handle(event, lambda request: DirectoryStore(tmp_path), OPEN, log=lambda entry: None)
    assert result == before
    assert not any(tmp_path.rglob("*.webp"))
