"""Signed URLs (with key rotation), preset allow-lists and what client hints may do to them, through the
viewer-request handler."""

import pytest

from imgedge.config import Config
from imgedge.edge.viewer_request import handle
from imgedge.request.signing import sign_url
from tests.events import viewer_request

OLD_KEY, NEW_KEY = "old-key-0123456789abcdef", "new-key-fedcba9876543210"
SIGNED = Config(signing_keys=(NEW_KEY, OLD_KEY), require_signature=True)


def call(url: str, config: Config) -> dict:
    path, _, query = url.partition("?")
    return handle(viewer_request(path, query), config)


def test_urls_signed_with_any_active_key_pass_and_lose_their_signature():
    for key in (NEW_KEY, OLD_KEY):
        result = call(sign_url("/photos/cat.jpg", "w=640&fmt=webp", key), SIGNED)
        assert result["uri"] == "/_variants/photos/cat.jpg/w640-q80.webp" and result["querystring"] == ""


@pytest.mark.parametrize("url", [
    "/photos/cat.jpg?w=640&fmt=webp",  # unsigned
    sign_url("/photos/cat.jpg", "w=640&fmt=webp", "retired-key-0123456789"),  # a removed key
    sign_url("/photos/cat.jpg", "w=640&fmt=webp", NEW_KEY).replace("w=640", "w=1920"),  # tampered query
    sign_url("/photos/cat.jpg", "w=640&fmt=webp", NEW_KEY).replace("cat", "dog"),  # another original
    sign_url("/photos/cat.jpg", "w=640", NEW_KEY) + "&sig=AAAA",  # two signatures
])
def test_unsigned_wrong_or_tampered_urls_are_403(url):
    result = call(url, SIGNED)
    assert result["status"] == "403"


def test_optional_signing_accepts_unsigned_but_checks_signed():
    optional = Config(signing_keys=(NEW_KEY,))
    assert "uri" in call("/cat.jpg?w=640", optional)
    assert call("/cat.jpg?w=640&sig=forged", optional)["status"] == "403"


PRESETS = Config(presets={"thumb": "w=160&h=160&fit=cover", "hero": "w=1920&q=70"}, presets_only=True)


def test_presets_expand_and_allow_format_and_dpr():
    assert call("/cat.jpg?preset=thumb&fmt=webp", PRESETS)["uri"] == "/_variants/cat.jpg/w160-h160-cover-q80.webp"
    assert call("/cat.jpg?preset=thumb&fmt=webp&dpr=2", PRESETS)["uri"] == \
        "/_variants/cat.jpg/w320-h320-cover-q80.webp"


@pytest.mark.parametrize("query", ["w=640", "preset=thumb&w=2000", "preset=hero&q=100", "h=10&fmt=webp"])
def test_presets_only_refuses_free_sizes(query):
    assert call(f"/cat.jpg?{query}", PRESETS)["status"] == "403"


def test_unknown_preset_is_400():
    assert call("/cat.jpg?preset=huge", PRESETS)["status"] == "400"


def test_presets_and_signing_together():
    both = Config(presets=PRESETS.presets, presets_only=True, signing_keys=(NEW_KEY,), require_signature=True)
    assert "uri" in call(sign_url("/cat.jpg", "preset=hero", NEW_KEY), both)
    assert call("/cat.jpg?preset=hero", both)["status"] == "403"


def test_config_refuses_weak_or_inconsistent_signing():
    with pytest.raises(ValueError):
        Config(signing_keys=("short",))
    with pytest.raises(ValueError):
        Config(require_signature=True)


# -- client hints: headers cannot be signed, so they never scale a signed or preset box ---------------------

HINTS = {"sec-ch-dpr": "3", "sec-ch-width": "2400", "sec-ch-viewport-width": "1500"}


def call_with_hints(url: str, config: Config, hints: dict[str, str]) -> dict:
    path, _, query = url.partition("?")
    event = viewer_request(path, query, accept="image/webp")
    headers = event["Records"][0]["cf"]["request"]["headers"]
    headers.update({name: [{"key": name, "value": value}] for name, value in hints.items()})
    return handle(event, config)


def segment(result: dict) -> str:
    assert "status" not in result, result
    return result["uri"].rsplit("/", 1)[1]


@pytest.mark.parametrize("hints", [{"sec-ch-dpr": "3"}, {"dpr": "2"}, {"sec-ch-width": "2400"},
                                   {"sec-ch-viewport-width": "1500", "sec-ch-dpr": "2"}, HINTS])
def test_size_hints_do_not_scale_a_signed_url(hints):
    signed_w = sign_url("/photos/cat.jpg", "w=640&fmt=webp", NEW_KEY)
    signed_bare = sign_url("/photos/cat.jpg", "fmt=webp", NEW_KEY)  # no size: the device preset, as signed
    assert segment(call_with_hints(signed_w, SIGNED, hints)) == "w640-q80.webp"
    assert segment(call_with_hints(signed_bare, SIGNED, hints)) == "w1920-q80.webp"


def test_size_hints_do_not_scale_a_preset_or_the_device_default_under_presets_only():
    assert segment(call_with_hints("/cat.jpg?preset=thumb&fmt=webp", PRESETS, HINTS)) == "w160-h160-cover-q80.webp"
    assert segment(call_with_hints("/cat.jpg?fmt=webp", PRESETS, HINTS)) == "w1920-q80.webp"
    # the URL's own dpr is one of the preset extras: it still applies, the header's does not
    assert segment(call_with_hints("/cat.jpg?preset=thumb&fmt=webp&dpr=2", PRESETS, HINTS)) == \
        "w320-h320-cover-q80.webp"


def test_save_data_still_lowers_the_quality_of_signed_and_preset_requests():
    signed = sign_url("/photos/cat.jpg", "w=640&fmt=webp", NEW_KEY)
    assert segment(call_with_hints(signed, SIGNED, {**HINTS, "save-data": "on"})) == "w640-q60.webp"
    assert segment(call_with_hints("/cat.jpg?preset=thumb&fmt=webp", PRESETS, {"save-data": "on"})) == \
        "w160-h160-cover-q60.webp"
    # a quality the URL or the preset names is kept
    assert segment(call_with_hints(sign_url("/c.jpg", "w=640&q=90&fmt=webp", NEW_KEY), SIGNED,
                                   {"save-data": "on"})) == "w640-q90.webp"


def test_unsigned_urls_keep_their_hints_and_the_flag_restores_them_for_signed_ones():
    optional = Config(signing_keys=(NEW_KEY,))
    assert segment(call_with_hints("/cat.jpg?w=640&fmt=webp", optional, {"sec-ch-dpr": "2"})) == "w1440-q80.webp"
    opted_in = Config(signing_keys=(NEW_KEY,), require_signature=True, client_hints_on_signed=True)
    signed = sign_url("/photos/cat.jpg", "w=640&fmt=webp", NEW_KEY)
    assert segment(call_with_hints(signed, opted_in, {"sec-ch-dpr": "2"})) == "w1440-q80.webp"
    presets_opted_in = Config(presets=PRESETS.presets, presets_only=True, client_hints_on_signed=True)
    assert segment(call_with_hints("/cat.jpg?preset=thumb&fmt=webp", presets_opted_in, {"sec-ch-dpr": "2"})) == \
        "w320-h320-cover-q80.webp"
