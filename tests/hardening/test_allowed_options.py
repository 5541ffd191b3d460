"""The options allow-list (``Config.allowed_options``, imgproxy's ALLOWED_PROCESSING_OPTIONS): unsigned viewer
URLs may use only the options whose values are few and fixed; the open-ended ones need the operator's
say-so or a valid signature; presets, ``transform`` and ``imgedge resize`` are not limited by it."""

from __future__ import annotations

import json

import pytest
from PIL import Image

import imgedge
from imgedge import cli
from imgedge.config import ALL_OPTIONS, DEFAULT_ALLOWED_OPTIONS, Config
from imgedge.edge.viewer_request import handle
from imgedge.local.server import LocalEdge, seed_samples
from imgedge.request.bounds import variant_bound, variant_bound_terms
from imgedge.request.options import ALIASES
from imgedge.request.signing import sign_url
from imgedge.store import DirectoryStore
from tests.events import viewer_request
from tests.photos import open_bytes, photo
from tooling import config_gen

KEY = "allow-list-key-0123456789"
WATERMARKS = {"logo": {"key": "brand/logo.png"}}
DEFAULT = Config(watermarks=WATERMARKS)
#: Each option refused by default: a query using it, and the token it puts in the variant key.
OPEN = {
    "rect": ("w=320&rect=10,20,300,200", "rect10_20_300_200-w320-q80.webp"),
    "bg": ("w=400&h=400&fit=pad&bg=1a73e8", "w480-h480-contain-bg1a73e8-q80.webp"),
    "fp-x": ("w=400&h=400&fp-x=0.3", "w480-h480-cover-fp30x50-q80.webp"),
    "fp-y": ("w=400&h=400&fpy=0.7", "w480-h480-cover-fp50x70-q80.webp"),
    "blur": ("w=320&blur=3", "w320-blur3-q80.webp"),
    "sharpen": ("w=320&sharp=1.5", "w320-sharpen1.5-q80.webp"),
    "bri": ("w=320&brightness=-20", "w320-bri-20-q80.webp"),
    "con": ("w=320&con=10", "w320-con10-q80.webp"),
    "sat": ("w=320&sat=35", "w320-sat35-q80.webp"),
    "wm": ("w=320&wm=logo", "w320-wm_logo-q80.webp"),
}


def call(query: str, config: Config, path: str = "/photos/cat.jpg") -> dict:
    return handle(viewer_request(path, query, accept="image/webp"), config)


def segment(result: dict) -> str:
    assert "status" not in result, result
    return result["uri"].rsplit("/", 1)[1]


def test_the_options_are_the_grammar_s_and_the_default_splits_them():
    assert set(ALIASES.values()) == set(ALL_OPTIONS)
    assert set(DEFAULT_ALLOWED_OPTIONS) == {"w", "h", "fit", "q", "fmt", "dpr", "preset", "enlarge", "g", "rot",
                                            "flip", "gray", "anim", "meta", "mb", "ar", "scale"}
    assert set(OPEN) == set(ALL_OPTIONS) - set(DEFAULT_ALLOWED_OPTIONS)
    assert Config().allowed_options == DEFAULT_ALLOWED_OPTIONS


@pytest.mark.parametrize("name", sorted(OPEN))
def test_each_open_option_is_a_400_naming_it_by_default(name):
    result = call(OPEN[name][0], DEFAULT)
    assert result["status"] == "400"
    assert result["body"] == (f"option {name} is not allowed in unsigned URLs: add it to the config's "
                              "allowed_options, or sign the URL\n")


@pytest.mark.parametrize("name", sorted(OPEN))
def test_each_open_option_works_once_listed(name):
    config = Config(watermarks=WATERMARKS, allowed_options=(*DEFAULT_ALLOWED_OPTIONS, name))
    assert segment(call(OPEN[name][0], config)) == OPEN[name][1]


@pytest.mark.parametrize("name", sorted(OPEN))
def test_a_valid_signature_vouches_for_every_option(name):
    config = Config(watermarks=WATERMARKS, signing_keys=(KEY,))
    query = OPEN[name][0]
    assert segment(call(sign_url("/photos/cat.jpg", query, KEY).partition("?")[2], config)) == OPEN[name][1]
    assert call(query, config)["status"] == "400"  # unsigned: the allow-list applies
    forged = sign_url("/photos/cat.jpg", query, "another-key-0123456789").partition("?")[2]
    assert call(forged, config)["status"] == "403"
    tampered = sign_url("/photos/cat.jpg", "w=320", KEY).partition("?")[2].replace("w=320", query)
    assert call(tampered, config)["status"] == "403"


def test_several_refused_options_are_named_together():
    result = call("w=320&blur=3&bg=fff&rect=0,0,10,10", DEFAULT)
    assert result["status"] == "400"
    assert result["body"].startswith("options rect, bg, blur are not allowed in unsigned URLs: add them to")


@pytest.mark.parametrize("gravity", ["fp", "focalpoint", "0.3x0.7", "fp:0.3:0.7"])
def test_a_focal_point_in_g_is_the_fp_option(gravity):
    result = call(f"w=400&h=400&g={gravity}", DEFAULT)
    assert result["status"] == "400"
    assert "options fp-x, fp-y are not allowed" in result["body"] and "g=fp is the fp-x/fp-y focal point" in \
        result["body"]
    focal = Config(allowed_options=(*DEFAULT_ALLOWED_OPTIONS, "fp-x", "fp-y"))
    assert segment(call(f"w=400&h=400&g={gravity}", focal)).startswith("w480-h480-cover")


@pytest.mark.parametrize("query, token", [
    ("w=400&h=300&g=north", "w480-h360-cover-north-q80.webp"),
    ("w=400&h=300&crop=top,left", "w480-h360-cover-northwest-q80.webp"),
    ("w=400&h=300&gravity=smart", "w480-h360-cover-smart-q80.webp"),
    ("w=320&rot=90&flip=h&gray=1&meta=copyright&anim=0&mb=60000&enlarge=1&dpr=2&q=70",
     "w640-enlarge-rot90-flip-gray-copyright-still-mb50k-q70.webp"),
])
def test_the_bounded_options_stay_open_by_default(query, token):
    assert segment(call(query, DEFAULT)) == token


def test_options_a_preset_sets_apply_and_the_request_cannot_add_them():
    config = Config(presets={"soft": "w=320&blur=4&bg=00000000"})
    assert segment(call("preset=soft", config)) == "w320-bg00000000-blur4-q80.webp"
    assert segment(call("preset=soft&w=640&fmt=png", config)) == "w640-bg00000000-blur4.png"
    assert call("preset=soft&blur=5", config)["status"] == "400"
    # preset is an option too: an operator may take every one but the presets away
    only_presets = Config(presets=config.presets, allowed_options=("preset", "fmt"))
    assert segment(call("preset=soft", only_presets)) == "w320-bg00000000-blur4-q80.webp"
    assert call("preset=soft&q=50", only_presets)["body"].startswith("option q is not allowed")


def test_presets_only_keeps_its_meaning():
    config = Config(presets={"hero": "w=1200&sharpen=1"}, presets_only=True, signing_keys=(KEY,))
    assert call("w=320", config)["status"] == "403"
    assert call(sign_url("/photos/cat.jpg", "w=320&blur=2", KEY).partition("?")[2], config)["status"] == "403"
    assert segment(call("preset=hero&fmt=avif", config)) == "w1200-sharpen1-q60.avif"


def test_the_config_names_options_canonically():
    with pytest.raises(ValueError, match="allowed_options: unknown option 'width'; options are w, h, fit"):
        Config(allowed_options=("w", "width"))
    with pytest.raises(ValueError, match="unknown option 'sig'"):
        Config.from_mapping({"allowed_options": ["sig"]})
    loaded = Config.from_mapping(json.loads('{"allowed_options": ["w", "fmt", "blur"]}'))
    assert loaded.allowed_options == ("w", "fmt", "blur")
    assert Config.from_mapping(json.loads(config_gen.render(loaded))) == loaded
    with pytest.raises(config_gen.ConfigError, match="allowed_options"):
        config_gen.build_config({"allowed_options": ["w", "blurr"]})


def test_an_operator_can_also_close_default_options():
    config = Config(allowed_options=("w", "fmt"))
    assert segment(call("w=320&fmt=webp", config)) == "w320-q80.webp"
    assert call("w=320&q=50", config)["body"].startswith("option q is not allowed in unsigned URLs")


def test_the_bound_counts_allowed_options_and_preset_values():
    terms = variant_bound_terms(Config())
    assert (terms["rect"], terms["background"], terms["blur"], terms["sharpen"], terms["colour"]) == (1, 1, 1, 1, 2)
    with_blur = Config(allowed_options=(*DEFAULT_ALLOWED_OPTIONS, "blur"))
    assert variant_bound_terms(with_blur)["blur"] == 251
    assert variant_bound(with_blur) > variant_bound(Config()) * 250
    # a preset's value is one more value of its axis, even when the option is closed to URLs
    presets = Config(presets={"soft": "w=320&blur=4", "wide": "w=1920&blur=9&g=0.2x0.4"})
    assert variant_bound_terms(presets)["blur"] == 3
    assert variant_bound_terms(presets)["box"] > variant_bound_terms(Config())["box"]
    assert variant_bound(Config(allowed_options=ALL_OPTIONS)) > 10 ** 48


def test_transform_and_the_cli_allow_every_option(tmp_path):
    query = "rect=0,0,400,300&w=64&bg=ff0000&blur=2&sharpen=1&bri=10&con=5&sat=20&fp-x=0.3&fmt=png"
    for config in (None, Config()):
        result = imgedge.transform(photo("lake-boats-4mp.jpg"), query, config=config)
        assert result.width == 64 and result.content_type == "image/png"
    source, out = tmp_path / "in.jpg", tmp_path / "out.png"
    source.write_bytes(photo("lake-boats-4mp.jpg"))
    assert cli.main(["resize", str(source), str(out), "--query", query]) == 0
    assert Image.open(out).width == 64


@pytest.mark.parametrize("mode", ["edge", "regional"])
def test_the_local_edge_refuses_unsigned_and_renders_signed(tmp_path, mode):
    store = DirectoryStore(tmp_path / "bucket")
    seed_samples(store)
    edge = LocalEdge(store, Config(signing_keys=(KEY,)), mode=mode)
    status, headers, body = edge.handle("GET", "/samples/cat.png?w=64&blur=2&fmt=png", {})
    assert status == 400 and body == (b"option blur is not allowed in unsigned URLs: add it to the config's "
                                      b"allowed_options, or sign the URL\n")
    status, headers, body = edge.handle("GET", sign_url("/samples/cat.png", "w=64&blur=2&fmt=png", KEY), {})
    assert status == 200 and open_bytes(body).width == 64
    assert (store.root / "_variants/samples/cat.png/w64-blur2.png").exists()
    allowed = LocalEdge(store, Config(allowed_options=(*DEFAULT_ALLOWED_OPTIONS, "blur")), mode=mode)
    assert allowed.handle("GET", "/samples/cat.png?w=64&blur=2&fmt=png", {})[0] == 200
