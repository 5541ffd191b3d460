"""The local edge's bucket holds what the README's examples name, small, and the demo config matches it."""

from __future__ import annotations

from PIL import Image

from imgedge.cli.exits import read_config
from imgedge.config import ALL_OPTIONS
from imgedge.local.examples import DEMO_CONFIG, seed_examples
from imgedge.store import DirectoryStore


def test_the_examples_originals_are_seeded_small_and_real(tmp_path):
    store = DirectoryStore(tmp_path / "bucket")
    keys = seed_examples(store)
    assert keys == ["brand/logo.png", "photos/anim.gif", "photos/cat.jpg", "photos/lake.jpg"]
    for key in keys:
        assert (store.root / key).stat().st_size < 400_000, key
    with Image.open(store.root / "photos/anim.gif") as anim:
        assert anim.is_animated and anim.n_frames == 8
    assert seed_examples(store) == keys  # seeding again leaves the bucket as it is


def test_the_demo_config_names_what_the_bucket_holds(tmp_path):
    config = read_config(str(DEMO_CONFIG))
    assert config.presets["thumb"] == "w=160&h=160&fit=cover"
    keys = seed_examples(DirectoryStore(tmp_path / "bucket"))
    assert {mark["key"] for mark in config.watermarks.values()} <= set(keys)
    assert sorted(config.allowed_options) == sorted(ALL_OPTIONS)  # the examples use every option unsigned
    assert config.signing_keys and not config.require_signature
