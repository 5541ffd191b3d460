"""The bundled config.json: generated from the operator's deploy config, accepted by Config.from_mapping."""

from __future__ import annotations

import json

import pytest

from imgedge.config import DEFAULT_QUALITY, Config, load_config
from tooling import config_gen


def test_defaults_round_trip_through_from_mapping():
    config, data = config_gen.generate(None)
    assert config == Config()
    assert Config.from_mapping(json.loads(data)) == Config()
    assert set(json.loads(data)) == set(Config.__dataclass_fields__)


def test_operator_overrides_reach_the_bundled_file(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"ladder": [320, 640, 1280], "default_quality": {"avif": 50}, "auto_formats": ["webp"]}))
    config, data = config_gen.generate(path)
    bundled = tmp_path / "bundled.json"
    bundled.write_bytes(data)
    loaded = load_config(str(bundled))  # what the functions do with imgedge/config.json
    assert loaded == config
    assert loaded.ladder == (320, 640, 1280) and loaded.auto_formats == ("webp",)
    assert loaded.default_quality == {**DEFAULT_QUALITY, "avif": 50}


def test_output_is_canonical(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps({"quality_step": 10, "ladder": [100, 200]}))
    b.write_text(json.dumps({"ladder": [100, 200], "quality_step": 10}, indent=4))
    assert config_gen.generate(a)[1] == config_gen.generate(b)[1]


@pytest.mark.parametrize(
    "data, message",
    [
        ({"ladders": [100]}, "unknown config keys: ladders"),
        ({"ladder": [640, 320]}, "strictly increasing"),
        ({"auto_formats": ["jxl"]}, "auto_formats"),
        ({"variants_prefix": "variants"}, "template.yaml"),
        ([1, 2], "JSON object"),
    ],
)
def test_bad_configs_are_refused(tmp_path, data, message):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    with pytest.raises(config_gen.ConfigError, match=message):
        config_gen.generate(path)


def test_invalid_json_is_refused(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("{ladder: [1]}")
    with pytest.raises(config_gen.ConfigError, match="not valid JSON"):
        config_gen.generate(path)
