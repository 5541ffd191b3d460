"""Variant keys: pure, deterministic, readable, reversible, safe for any original key."""

import pytest

from imgedge.errors import BadRequest, Forbidden
from imgedge.request.paths import key_for_uri, parse_variant_key, uri_for_key, validate_original_key, variant_key
from imgedge.request.spec import VariantSpec

PREFIX = "_variants"
SPECS = [
    VariantSpec(640, None, None, 80, "webp"),
    VariantSpec(480, 360, "cover", 60, "avif"),
    VariantSpec(None, 320, None, None, "png"),
    VariantSpec(1920, None, None, 80, "legacy"),
    VariantSpec(750, 1000, "contain", 85, "jpeg"),
]
ORIGINAL_KEYS = [
    "cat.jpg",
    "photos/2024/summer holiday/IMG 0001.JPG",
    "ünïcødé/猫.jpeg",
    "100%/real+plus&amp;=?.png",
    "a/b/c/d/e/f/g.webp",
    "no-extension",
    "w640-q80.webp",  # an original named like a segment
]


def test_layout_is_readable():
    assert variant_key("photos/cat.jpg", SPECS[0], PREFIX) == "_variants/photos/cat.jpg/w640-q80.webp"
    assert variant_key("cat.jpg", SPECS[1], PREFIX) == "_variants/cat.jpg/w480-h360-cover-q60.avif"
    assert variant_key("cat.jpg", SPECS[2], PREFIX) == "_variants/cat.jpg/h320.png"


@pytest.mark.parametrize("original", ORIGINAL_KEYS)
@pytest.mark.parametrize("spec", SPECS)
def test_round_trip_through_key_and_uri(original, spec):
    key = variant_key(original, spec, PREFIX)
    assert parse_variant_key(key, PREFIX) == (original, spec)
    uri = uri_for_key(key)
    assert uri.isascii() and "+" not in uri and " " not in uri
    assert key_for_uri(uri) == key


def test_all_variants_of_an_original_share_one_prefix():
    keys = {variant_key("photos/cat.jpg", spec, PREFIX) for spec in SPECS}
    assert all(k.startswith("_variants/photos/cat.jpg/") for k in keys)
    assert len(keys) == len(SPECS)


@pytest.mark.parametrize(
    "key",
    ["", "dir/", "a/../b.jpg", "./a.jpg", "a//b.jpg", "a\x00b.jpg", "a\nb.jpg", "x" * 901],
)
def test_unsafe_original_keys_are_refused(key):
    with pytest.raises(BadRequest):
        validate_original_key(key, PREFIX)


def test_the_variants_prefix_is_not_an_original():
    with pytest.raises(Forbidden):
        validate_original_key("_variants/cat.jpg/w640-q80.webp", PREFIX)


@pytest.mark.parametrize(
    "key",
    [
        "_variants/cat.jpg/w0640-q80.webp",  # leading zero: not the canonical spelling
        "_variants/cat.jpg/q80-w640.webp",  # wrong order
        "_variants/cat.jpg/w640-q80.gif",
        "_variants/cat.jpg/w640-cover-q80.webp",  # fit without both sides
        "_variants/w640-q80.webp",  # no original
        "other/cat.jpg/w640-q80.webp",
        "_variants/../secret.jpg/w640-q80.webp",
    ],
)
def test_non_canonical_variant_keys_are_refused(key):
    with pytest.raises(BadRequest):
        parse_variant_key(key, PREFIX)
