"""Vary on what negotiated a variant, as viewers of the local edge get it from the template's response headers
policy: on a fresh render, on a stored variant read from the bucket, and on a cache hit. The same URL with
another Accept gets other bytes, and says so, so a shared cache downstream keeps them apart."""

from __future__ import annotations

import copy

import pytest

from imgedge.answers import VARY
from imgedge.config import Config
from imgedge.local.behaviour import distribution_from_template
from imgedge.local.server import LocalEdge, seed_samples
from imgedge.store import DirectoryStore
from tests.events import CHROME_UA
from tooling.template import TEMPLATE_PATH, load_template

CAT = "/samples/cat.png?w=320"
AVIF = {"User-Agent": CHROME_UA, "Accept": "image/avif,image/webp,*/*"}
JPEG_ONLY = {"User-Agent": CHROME_UA, "Accept": "image/jpeg,*/*;q=0.1"}


@pytest.fixture(scope="module")
def template() -> dict:
    return load_template(TEMPLATE_PATH)


def edge_for(store: DirectoryStore, template: dict) -> LocalEdge:
    return LocalEdge(store, Config(), distribution=distribution_from_template(template))


def test_negotiated_answers_carry_vary_rendered_stored_and_cached(template, tmp_path):
    store = DirectoryStore(tmp_path / "bucket")
    seed_samples(store)
    status, rendered, avif = edge_for(store, template).handle("GET", CAT, AVIF)
    assert (status, rendered["Content-Type"], rendered["Vary"]) == (200, "image/avif", VARY)
    fresh = edge_for(store, template)  # another edge location: the variant now comes from the bucket
    status, from_bucket, _ = fresh.handle("GET", CAT, AVIF)
    assert (status, from_bucket["X-Cache"], from_bucket["Vary"]) == (200, "Miss from cloudfront", VARY)
    status, from_cache, _ = fresh.handle("GET", CAT, AVIF)
    assert (status, from_cache["X-Cache"], from_cache["Vary"]) == (200, "Hit from cloudfront", VARY)
    status, other, jpeg = fresh.handle("GET", CAT, JPEG_ONLY)
    assert (other["Content-Type"], other["Vary"]) == ("image/jpeg", VARY) and jpeg != avif


def test_vary_comes_from_the_policy(template, tmp_path):
    """The control: without the policy's custom header a stored variant reaches viewers with no Vary (S3
    cannot store one), which is why the template, not only the generators, sends it."""
    changed = copy.deepcopy(template)
    policy = changed["Resources"]["VariantResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    del policy["CustomHeadersConfig"]
    store = DirectoryStore(tmp_path / "bucket")
    seed_samples(store)
    edge_for(store, changed).handle("GET", CAT, AVIF)
    status, from_bucket, _ = edge_for(store, changed).handle("GET", CAT, AVIF)
    assert status == 200 and "Vary" not in from_bucket
