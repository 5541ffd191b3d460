"""Signed URLs (with key rotation) and preset allow-lists, through the viewer-request handler."""

import pytest

from imgedge.config import Config
from imgedge.edge.viewer_request import handle
from imgedge.signing import sign_url
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
