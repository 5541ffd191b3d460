"""Watermarks and fallback images: read through the store under the source-size limit; an asset that cannot be
read is the operator's to fix (500), a store failure the store's."""

from __future__ import annotations

import pytest

from imgedge import refusals
from imgedge.config import DEFAULT_ALLOWED_OPTIONS, Config
from imgedge.errors import ImageEdgeError, UpstreamError
from imgedge.generate import Variant, generate_variant
from imgedge.store import DirectoryStore
from imgedge.store.assets import MissingAsset, read_asset
from imgedge.warm import ladder_keys
from tests.photos import photo

LIMIT = 1000


def test_an_asset_is_read_within_the_limit(tmp_path):
    store = DirectoryStore(tmp_path)
    store.put_original("brand/logo.png", b"x" * LIMIT)
    assert read_asset(store, "brand/logo.png", kind="watermark", max_bytes=LIMIT).data == b"x" * LIMIT


def test_a_missing_asset_is_a_500_that_says_which(tmp_path):
    with pytest.raises(MissingAsset) as raised:
        read_asset(DirectoryStore(tmp_path), "brand/logo.png", kind="watermark", max_bytes=LIMIT)
    assert raised.value.status == 500 and raised.value.message == "the watermark image is missing"


def test_an_oversized_asset_is_a_500_not_the_originals_413(tmp_path):
    store = DirectoryStore(tmp_path)
    store.put_original("fallbacks/x.png", b"x" * (LIMIT + 1))
    with pytest.raises(ImageEdgeError) as raised:
        read_asset(store, "fallbacks/x.png", kind="fallback", max_bytes=LIMIT)
    assert raised.value.status == 500 and not isinstance(raised.value, MissingAsset)
    assert raised.value.message == f"the fallback image exceeds {LIMIT} bytes"


def test_a_store_failure_stays_the_stores(tmp_path):
    class Failing(DirectoryStore):
        def get(self, key, *, max_bytes=None):
            raise UpstreamError("the image store is busy", status=503)

    with pytest.raises(UpstreamError) as raised:
        read_asset(Failing(tmp_path), "brand/logo.png", kind="watermark", max_bytes=LIMIT)
    assert raised.value.status == 503


def test_an_oversized_watermark_fails_the_variant_without_a_remembered_refusal(tmp_path):
    original = photo("lake-boats-4mp.jpg")
    store = DirectoryStore(tmp_path)
    store.put_original("photos/lake.jpg", original)
    store.put_original("brand/logo.png", b"x" * (len(original) + 1))
    config = Config(watermarks={"logo": {"key": "brand/logo.png"}}, allowed_options=(*DEFAULT_ALLOWED_OPTIONS, "wm"),
                    max_source_bytes=len(original))
    [key] = ladder_keys("photos/lake.jpg", config, widths=[], formats=["webp"], queries=["w=320&wm=logo"])
    with pytest.raises(ImageEdgeError) as raised:
        generate_variant(store, Variant.read(key, config), config)
    assert raised.value.status == 500 and raised.value.message == f"the watermark image exceeds {len(original)} bytes"
    assert store.head(refusals.marker_key(key)) is None and store.head(key) is None
