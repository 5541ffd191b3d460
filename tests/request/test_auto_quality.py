"""``q=auto`` in the request layer: it parses, names one variant per target (``qauto<target>``), follows
Save-Data and the config's switch, and the variant bound counts its targets."""

from __future__ import annotations

import pytest

from imgedge.config import Config
from imgedge.errors import BadRequest
from imgedge.request.bounds import core_variant_bound, variant_bound_terms
from imgedge.request.canonical import is_canonical, resolve
from imgedge.request.grammar import parse_query
from imgedge.request.keys import parse_segment, segment_for
from imgedge.request.negotiate import ClientHints
from imgedge.request.spec import VariantSpec

CONFIG = Config()


def spec_for(query: str, config: Config = CONFIG, *, fmt: str = "webp", save_data: bool = False,
             device: str = "desktop") -> VariantSpec:
    return resolve(parse_query(query, config), config, device=device, negotiated_format=fmt,
                   hints=ClientHints(save_data=save_data))


def test_q_auto_parses_in_any_case_and_other_words_are_refused():
    assert parse_query("q=auto", CONFIG).quality == "auto"
    assert parse_query("quality=AUTO", CONFIG).quality == "auto"
    with pytest.raises(BadRequest, match="q must be an integer from 1 to 100"):
        parse_query("q=automatic", CONFIG)


@pytest.mark.parametrize("query, fmt, save_data, segment", [
    ("w=640&q=auto", "avif", False, f"w640-qauto{CONFIG.quality_target}.avif"),
    ("w=640&q=auto", "webp", True, f"w640-qauto{CONFIG.save_data_quality_target}.webp"),
    ("w=640&q=auto&fmt=jpeg", "avif", False, f"w640-qauto{CONFIG.quality_target}.jpg"),
    ("w=640&q=auto", "legacy", False, f"w640-qauto{CONFIG.quality_target}.legacy"),
    ("w=640&q=auto&fmt=png", "avif", False, "w640.png"),  # a format without quality has no target
])
def test_the_key_holds_the_target_and_reads_back(query, fmt, save_data, segment):
    spec = spec_for(query, fmt=fmt, save_data=save_data)
    assert segment_for(spec) == segment
    assert parse_segment(segment) == spec and is_canonical(spec, CONFIG)
    assert spec.quality is None or spec.format == "png"


def test_only_the_configured_targets_are_canonical():
    assert not is_canonical(parse_segment("w640-qauto71.webp"), CONFIG)
    assert is_canonical(parse_segment("w640-qauto71.webp"), Config(quality_target=71))
    with pytest.raises(BadRequest):
        parse_segment("w640-q80-qauto70.webp")  # a fixed quality and a target at once


def test_the_switch_makes_auto_the_default_of_fmt_auto_only():
    switched = Config(auto_quality=True)
    assert spec_for("w=640", switched).target == switched.quality_target
    assert spec_for("w=640", switched, save_data=True).target == switched.save_data_quality_target
    assert spec_for("w=640&q=75", switched).quality == 75  # an explicit quality wins
    assert spec_for("w=640&fmt=webp", switched).quality == 80  # a named format keeps its default
    assert spec_for("w=640", CONFIG).quality == 80  # off by default
    preset = Config(auto_quality=True, device_presets={"desktop": {"width": 1920, "quality": 70}})
    assert spec_for("", preset).quality == 70  # a device preset's quality wins


def test_targets_are_checked():
    with pytest.raises(ValueError, match="quality targets"):
        Config(quality_target=60, save_data_quality_target=65)
    with pytest.raises(ValueError, match="quality targets"):
        Config(quality_target=99)


def test_the_bound_counts_each_target_as_one_more_quality():
    qualities = len(range(CONFIG.quality_step, 101, CONFIG.quality_step))
    assert variant_bound_terms(CONFIG)["encoding"] == 4 * (qualities + 2) + 2
    one_target = Config(save_data_quality_target=CONFIG.quality_target)
    assert variant_bound_terms(one_target)["encoding"] == 4 * (qualities + 1) + 2
    assert core_variant_bound(one_target) < core_variant_bound(CONFIG)
