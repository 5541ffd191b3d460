"""The grammar: every parameter, its aliases, its canonical form, its key token; round trips."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgedge.config import ALL_OPTIONS, Config
from imgedge.errors import BadRequest, Forbidden
from imgedge.request.canonical import is_canonical, resolve
from imgedge.request.grammar import parse_query
from imgedge.request.paths import parse_variant_key, variant_key
from imgedge.request.spec import RequestParams, VariantSpec

# every option allowed in unsigned URLs: the grammar itself is under test here (test_fuzz_urls has the default)
CONFIG = Config(watermarks={"logo": {"key": "brand/logo.png"}}, allowed_options=ALL_OPTIONS)


def spec_for(query: str, fmt: str = "webp", snap: bool = True, config: Config = CONFIG) -> VariantSpec:
    return resolve(parse_query(query, config), config, negotiated_format=fmt, snap=snap)


def segment(query: str, fmt: str = "webp") -> str:
    return variant_key("cat.jpg", spec_for(query, fmt), "_variants").rsplit("/", 1)[1]


@pytest.mark.parametrize("query, expected", [
    ("w=640", "w640-q80.webp"),  # the plainest keys
    ("w=400&h=300", "w480-h360-cover-q80.webp"),
    ("w=400&h=300&fit=crop&g=top", "w480-h360-cover-north-q80.webp"),
    ("w=400&h=400&gravity=sowe", "w480-h480-cover-southwest-q80.webp"),
    ("w=400&h=400&crop=bottom,right", "w480-h480-cover-southeast-q80.webp"),
    ("w=400&h=400&g=smart", "w480-h480-cover-smart-q80.webp"),
    ("w=400&h=400&fp-x=0.3&fp-y=0.7", "w480-h480-cover-fp30x70-q80.webp"),
    ("w=400&h=400&g=0.3x0.7", "w480-h480-cover-fp30x70-q80.webp"),
    ("w=400&h=400&fit=pad&bg=1A73E8", "w480-h480-contain-bg1a73e8-q80.webp"),
    ("w=400&h=400&fit=outside&enlarge=1", "w480-h480-outside-enlarge-q80.webp"),
    ("rect=10,20,300,200&w=320", "rect10_20_300_200-w320-q80.webp"),
    ("w=320&rot=90&flip=h", "w320-rot90-flip-q80.webp"),
    ("w=320&bri=-20&con=10&sat=33&blur=3&sharpen=1.4", "w320-bri-20-con10-sat35-blur3-sharpen1.5-q80.webp"),
    ("w=320&sat=-100", "w320-gray-q80.webp"),
    ("w=320&wm=logo&meta=copyright&anim=0&mb=60000", "w320-wm_logo-copyright-still-mb50k-q80.webp"),
    ("w=320&fmt=gif", "w320.gif"),
    ("scale=0.5", "scale50-q80.webp"),  # a fraction of the original, snapped up to 5 %
    ("scale=0.33&dpr=2", "scale70-q80.webp"),
    ("scale=0.5&rot=90&enlarge=1", "scale50-rot90-q80.webp"),  # a fraction never enlarges
    ("scale=0.5&fmt=blurhash", "blurhash.txt"),  # a placeholder is the whole image's shape
    ("w=400&h=300&fmt=blurhash", "w32-h24-cover-blurhash.txt"),
    ("w=1920&h=1080&fmt=lqip", "w32-h18-cover-lqip.txt"),
    ("w=640&fmt=lqip&q=90&blur=5", "lqip.txt"),  # one side keeps the image's own shape; no quality
    ("w=640&fmt=json&rot=90", "info.json"),  # the original's metadata, whatever else is asked
])
def test_every_option_has_one_readable_token(query, expected):
    assert segment(query) == expected


@pytest.mark.parametrize("a, b", [
    ("w=320&flip=v", "w=320&rot=180&flip=h"),  # a vertical flip is a half turn and a mirror
    ("w=320&flip=hv", "w=320&rot=180"),
    ("w=320&rot=-90", "w=320&rot=270"),
    ("w=320&rot=360", "w=320"),
    ("w=320&g=north", "w=320"),  # no crop: gravity cannot change the bytes
    ("w=400&h=400&fit=fill&g=north", "w=400&h=400&fit=fill"),
    ("w=400&h=400&fit=contain&g=smart", "w=400&h=400&fit=contain"),  # a letterbox has no crop to steer
    ("w=400&h=400&fp-x=0.5&fp-y=0.5", "w=400&h=400"),
    ("w=400&h=400&g=centre", "w=400&h=400"),
    ("w=320&bg=ff0000ff", "w=320&bg=f00"),
    ("w=320&bg=12345600", "w=320&bg=transparent"),
    ("w=320&sat=-98&gray=1", "w=320&gray=1"),
    ("w=320&meta=copyright&fmt=gif", "w=320&fmt=gif"),  # GIF carries no EXIF
    ("w=320&anim=0&fmt=jpeg", "w=320&fmt=jpeg"),  # JPEG never animates
    ("w=320&mb=54321", "w=320&mb=50000"),  # budgets snap down
    ("w=320&bri=12", "w=320&bri=10"),
    ("scale=0.46", "scale=0.5"),  # relative sizes snap up
    ("scale=0.999", "scale=1"),
    ("scale=0.5&ar=16:9", "scale=0.5"),  # a fraction keeps the original's shape
])
def test_spellings_with_the_same_bytes_share_one_variant(a, b):
    assert spec_for(a) == spec_for(b)


def test_a_relative_size_wins_over_its_presets_box():
    config = Config(presets={"thumb": "w=160&h=160&fit=cover"}, allowed_options=ALL_OPTIONS)
    assert spec_for("preset=thumb&scale=0.5", config=config) == spec_for("scale=0.5")


def test_exact_requests_keep_exact_values():
    assert spec_for("w=320&bri=12&mb=54321", snap=False).brightness == 12
    assert spec_for("w=320&bri=12&mb=54321", snap=False).max_bytes == 54321
    assert spec_for("scale=0.333", snap=False).scale == 34  # whole percent, rounded up


@pytest.mark.parametrize("query, reason", [
    ("rot=45", "rot must be 0, 90, 180 or 270"),
    ("flip=x2", "flip must be h, v or hv"),
    ("bg=zzz", "bg must be a hex colour"),
    ("blur=300", "blur must be a number from 0 to 250"),
    ("sharpen=11", "sharpen must be a number from 0 to 10"),
    ("bri=101", "bri must be an integer from -100 to 100"),
    ("g=sideways", "g must be centre, a compass point"),
    ("g=north&fp-x=0.2", "fp-x and fp-y need g=fp"),
    ("fp-x=1.5", "fp-x must be a number from 0 to 1"),
    ("rect=1,2,3", "rect must be x,y,w,h"),
    ("rect=0,0,0,10", "rect must be x,y,w,h with w and h >= 1"),
    ("wm=nope", "unknown watermark 'nope'"),
    ("meta=keep", "meta must be none or copyright"),
    ("anim=maybe", "anim must be 1 or 0"),
    ("mb=10", "mb must be an integer from 100 to 100000000"),
    ("enlarge=2", "enlarge must be 1 or 0"),
    ("fit=banana", "fit must be one of cover, contain, fill, inside, outside"),
    ("scale=0", "scale must be a fraction of the original's size above 0"),
    ("scale=1.5", "scale must be a number from 0 to 1"),
    ("scale=50%", "scale must be a number from 0 to 1"),
    ("scale=0.5&w=320", "scale is a size of its own (a fraction of the original): give it or w/h"),
])
def test_invalid_options_are_a_400_with_a_reason(query, reason):
    with pytest.raises(BadRequest) as err:
        parse_query(query, CONFIG)
    assert reason in err.value.message


def test_presets_only_keeps_the_new_options_in_the_presets():
    config = Config(presets={"hero": "w=1200&h=600&g=smart&sharpen=1"}, presets_only=True)
    with pytest.raises(Forbidden):
        parse_query("preset=hero&blur=5", config)
    spec = resolve(parse_query("preset=hero&fmt=avif", config), config, negotiated_format="webp")
    assert (spec.gravity, spec.sharpen, spec.format) == ("smart", 1.0, "avif")


@pytest.mark.parametrize("query, expected", [
    ("w=640&ar=16:9", "w640-h360-cover-q80.webp"),
    ("h=400&aspect-ratio=1x1", "w480-h480-cover-q80.webp"),  # snapped like any box
    ("w=600&ar=1.91:1&fit=contain", "w640-h320-contain-q80.webp"),  # 1.91 is nearest to 2:1
    ("w=600&h=100&ar=1:1", "w640-h160-cover-q80.webp"),  # both sides given: ar has nothing to set
    ("ar=4:3", "w1920-h1440-cover-q80.webp"),  # the device preset's width is the one side
])
def test_ar_gives_a_one_sided_box_its_other_side(query, expected):
    assert segment(query) == expected


def test_ar_is_exact_outside_named_variants():
    spec = spec_for("w=641&ar=2:1", snap=False)
    assert (spec.width, spec.height, spec.fit) == (641, 320, "cover")
    assert spec_for("h=300&ar=4:3&dpr=2", snap=False).width == 800


@pytest.mark.parametrize("raw", ["16", "0:1", "16:0", "a:b", "-4:3", "16:9:1"])
def test_ar_refuses_what_is_not_a_ratio(raw):
    with pytest.raises(BadRequest) as err:
        parse_query(f"w=640&ar={raw}", CONFIG)
    assert "ar must be width:height" in err.value.message


SPEC_QUERIES = st.fixed_dictionaries({}, optional={
    "w": st.integers(1, 4096).map(str), "h": st.integers(1, 4096).map(str),
    "fit": st.sampled_from(["cover", "contain", "fill", "inside", "outside", "pad", "crop", "clip"]),
    "enlarge": st.sampled_from(["0", "1"]),
    "rect": st.tuples(st.integers(0, 5000), st.integers(0, 5000), st.integers(1, 5000), st.integers(1, 5000)).map(
        lambda r: ",".join(map(str, r))),
    "g": st.sampled_from(["north", "se", "top-left", "smart", "auto", "centre", "fp", "0.2x0.9"]),
    "rot": st.sampled_from(["0", "90", "180", "270", "-90"]),
    "flip": st.sampled_from(["h", "v", "hv"]),
    "bg": st.sampled_from(["fff", "000000", "1a73e880", "transparent", "ABCDEF00"]),
    "blur": st.integers(0, 250).map(str), "sharpen": st.sampled_from(["0", "0.3", "1", "2.5", "10"]),
    "bri": st.integers(-100, 100).map(str), "con": st.integers(-100, 100).map(str),
    "sat": st.integers(-100, 100).map(str), "gray": st.sampled_from(["0", "1"]),
    "wm": st.just("logo"), "meta": st.sampled_from(["none", "copyright"]), "anim": st.sampled_from(["0", "1"]),
    "mb": st.integers(100, 10_000_000).map(str), "q": st.integers(1, 100).map(str),
    "dpr": st.sampled_from(["1", "1.5", "2", "3"]), "ar": st.sampled_from(["16:9", "1:1", "3x4", "1.91:1"]),
    "fmt": st.sampled_from(["auto", "jpeg", "png", "webp", "avif", "gif", "blurhash", "lqip", "json"]),
})


@settings(max_examples=1500, deadline=None)
@given(query=SPEC_QUERIES, negotiated=st.sampled_from(["avif", "webp", "legacy"]))
def test_every_named_variant_round_trips_and_is_a_fixed_point(query, negotiated):
    params = parse_query("&".join(f"{k}={v}" for k, v in query.items()), CONFIG)
    try:
        spec = resolve(params, CONFIG, negotiated_format=negotiated)
    except BadRequest:
        return
    key = variant_key("photos/cat.jpg", spec, CONFIG.variants_prefix)
    assert parse_variant_key(key, CONFIG.variants_prefix) == ("photos/cat.jpg", spec)
    assert is_canonical(spec, CONFIG), key
    assert len(key.rsplit("/", 1)[1]) < 200


def test_specs_off_the_steps_are_not_canonical():
    base = spec_for("w=320")
    from dataclasses import replace

    assert is_canonical(base, CONFIG)
    assert not is_canonical(replace(base, brightness=12), CONFIG)  # not on the 5-step
    assert not is_canonical(replace(base, max_bytes=54321), CONFIG)  # not a configured budget
    assert not is_canonical(replace(base, watermark="gone"), CONFIG)
    relative = spec_for("scale=0.5")
    assert is_canonical(relative, CONFIG) and not is_canonical(replace(relative, scale=47), CONFIG)


@pytest.mark.parametrize("key", [
    "_variants/cat.jpg/w320-flip-rot90-q80.webp",  # tokens out of order
    "_variants/cat.jpg/w320-north-q80.webp",  # gravity without a crop
    "_variants/cat.jpg/w320-sat-100-q80.webp",  # spelled gray
    "_variants/cat.jpg/w320-bgFFFFFF-q80.webp",
    "_variants/cat.jpg/w320-bgffffffff-q80.webp",  # alpha ff is omitted
    "_variants/cat.jpg/w320-mb50000-q80.webp",  # spelled mb50k
    "_variants/cat.jpg/w320-q80.txt",
    "_variants/cat.jpg/w320-q80-blurhash.txt",
    "_variants/cat.jpg/w320-copyright.gif",
    "_variants/cat.jpg/w320-still.jpg",
    "_variants/cat.jpg/info-w320.json",
    "_variants/cat.jpg/scale0-q80.webp",
    "_variants/cat.jpg/scale101-q80.webp",
    "_variants/cat.jpg/scale50-w320-q80.webp",  # a fraction or a box, not both
    "_variants/cat.jpg/scale50-blurhash.txt",
])
def test_other_spellings_of_a_key_are_refused(key):
    with pytest.raises(BadRequest):
        parse_variant_key(key, "_variants")


def test_request_params_default_to_no_option():
    assert RequestParams().dpr is None and RequestParams().animated
