"""The request grammar: URL query → RequestParams → canonical VariantSpec."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgedge.config import Config
from imgedge.errors import BadRequest
from imgedge.request.canonical import resolve, snap_to_ladder
from imgedge.request.grammar import parse_query
from imgedge.request.spec import RequestParams, VariantSpec

CONFIG = Config()


def spec_for(query: str, *, device: str = "desktop", fmt: str = "webp", snap: bool = True) -> VariantSpec:
    return resolve(parse_query(query, CONFIG), CONFIG, device=device, negotiated_format=fmt, snap=snap)


def test_parses_every_parameter_and_alias():
    params = parse_query("width=640&height=480&fit=contain&quality=75&format=jpg&dpr=2", CONFIG)
    assert params == RequestParams(width=640, height=480, fit="contain", quality=75, format="jpeg", dpr=2.0)
    assert parse_query("w=1&h=2&q=3&fmt=avif&f=avif"[:-7], CONFIG).format == "avif"


@pytest.mark.parametrize(
    "query, reason",
    [
        ("w=abc", "w must be an integer from 1 to 4096"),
        ("w=0", "w must be an integer from 1 to 4096"),
        ("w=-5", "w must be an integer from 1 to 4096"),
        ("w=4097", "w must be an integer from 1 to 4096"),
        ("w=6.5", "w must be an integer from 1 to 4096"),
        ("h=", "h must be an integer from 1 to 4096"),
        ("q=101", "q must be an integer from 1 to 100"),
        ("q=0", "q must be an integer from 1 to 100"),
        ("fit=banana", "fit must be one of cover, contain, fill, inside, outside"),
        ("fmt=bmp", "fmt must be one of auto, jpeg, png, webp, avif, gif, blurhash, lqip, json"),
        ("dpr=5", "dpr must be a number from 1 to 4"),
        ("dpr=0.5", "dpr must be a number from 1 to 4"),
        ("dpr=nan", "dpr must be a number from 1 to 4"),
        ("widht=640", "unknown parameter 'widht'; known: w, h, fit, enlarge, rect, g, fp-x, fp-y, rot, flip, bg"),
        ("w=640&width=320", "parameter w given more than once"),
    ],
)
def test_invalid_values_are_a_400_with_a_reason(query, reason):
    with pytest.raises(BadRequest) as err:
        parse_query(query, CONFIG)
    assert err.value.status == 400
    assert reason in err.value.message


def test_widths_snap_up_to_the_ladder_so_w641_makes_no_new_variant():
    assert spec_for("w=641").width == 750
    assert spec_for("w=641") == spec_for("w=700") == spec_for("w=750")
    assert spec_for("w=640").width == 640
    assert spec_for("w=4000").width == CONFIG.ladder[-1]  # beyond the top rung: the top rung


def test_exact_sizes_are_honoured_without_snapping():
    assert spec_for("w=641", snap=False).width == 641
    assert spec_for("w=641&h=333", snap=False) == VariantSpec(641, 333, "cover", 80, "webp")


def test_both_sides_keep_the_requested_aspect_ratio_when_snapped():
    spec = spec_for("w=400&h=300")
    assert (spec.width, spec.height, spec.fit) == (480, 360, "cover")


def test_dpr_multiplies_the_css_size_before_snapping():
    assert spec_for("w=320&dpr=2") == spec_for("w=640")
    assert spec_for("w=3000&dpr=2").width == CONFIG.ladder[-1]


def test_device_class_sets_the_default_width_only_when_no_size_is_given():
    assert spec_for("", device="mobile").width == 828
    assert spec_for("", device="desktop").width == 1920
    assert spec_for("", device="bot") == spec_for("", device="desktop")
    assert spec_for("w=640", device="mobile") == spec_for("w=640", device="desktop")


def test_quality_defaults_per_format_and_snaps_to_its_step():
    assert spec_for("", fmt="avif").quality == 60
    assert spec_for("", fmt="legacy").quality == 80
    assert spec_for("fmt=png").quality is None
    assert spec_for("q=83").quality == spec_for("q=84").quality == 85
    assert spec_for("q=83", snap=False).quality == 83


def test_fit_only_counts_when_both_sides_are_given():
    assert spec_for("w=640&fit=contain") == spec_for("w=640&fit=fill") == spec_for("w=640")
    assert spec_for("w=640&h=640&fit=contain").fit == "contain"


def test_explicit_format_wins_over_negotiation():
    assert spec_for("fmt=jpeg", fmt="avif").format == "jpeg"
    assert spec_for("fmt=auto", fmt="avif").format == "avif"


def test_output_pixel_limit():
    small = Config(max_output_pixels=1000 * 1000)
    with pytest.raises(BadRequest):
        resolve(parse_query("w=2000&h=2000", small), small, snap=False)


def test_snap_to_ladder():
    assert snap_to_ladder(1, (16, 32)) == 16
    assert snap_to_ladder(17, (16, 32)) == 32
    assert snap_to_ladder(99, (16, 32)) == 32


@settings(max_examples=2000, deadline=None)
@given(
    w=st.none() | st.integers(1, 4096),
    h=st.none() | st.integers(1, 4096),
    q=st.none() | st.integers(1, 100),
    dpr=st.sampled_from([1.0, 1.5, 2.0, 3.0]),
)
def test_snapping_is_idempotent_so_every_variant_key_is_a_fixed_point(w, h, q, dpr):
    """Resolving a resolved spec again gives itself: the origin can re-check a key it is asked for."""
    params = RequestParams(width=w, height=h, quality=q, dpr=dpr)
    try:
        first = resolve(params, CONFIG, negotiated_format="webp")
    except BadRequest:
        return
    again = resolve(RequestParams(width=first.width, height=first.height, fit=first.fit, quality=first.quality),
                    CONFIG, negotiated_format="webp")
    assert again == first
    assert first.width is None or first.width <= CONFIG.max_dimension
    assert first.height is None or first.height <= CONFIG.max_dimension
