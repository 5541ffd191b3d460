"""Hostile URLs: any query string and any percent-encoded path → a rewrite or a precise 4xx, never a crash;
no path can address anything outside the originals or name a variant off the ladder; and with the default
``allowed_options`` a flood of invented URLs, every option name included, names a bounded number of variants
per original (``variant_bound``), none of them carrying an open-ended option."""

from __future__ import annotations

import random
from collections import Counter
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.viewer_request import handler
from imgedge.config import ALL_OPTIONS, Config
from imgedge.request.bounds import core_variant_bound, variant_bound, variant_bound_terms
from imgedge.request.canonical import is_canonical
from imgedge.request.options import ALIASES
from imgedge.request.paths import key_for_uri, parse_variant_key
from imgedge.request.spec import VariantSpec
from tests.events import viewer_request

CONFIG = Config()
#: Every spelling of every option, allowed by default or not, plus a few that are no option at all.
NAMES = [*ALIASES, "sig", "W", "x", ""]
VALUES = st.one_of(
    st.integers(-10, 10_000).map(str),
    st.sampled_from(["cover", "contain", "fill", "inside", "auto", "jpeg", "jpg", "webp", "avif", "png", "1.5",
                     "2", "4.0", "nan", "inf", "1e3", "0x10", " 640", "640 ", "６４０", "%00", "", "-0",
                     "fff", "1a73e880", "transparent", "0,0,100,100", "0.3", "0.3x0.7", "fp:0.2:0.4", "fp", "smart",
                     "north", "top,left", "h", "hv", "-50", "copyright", "logo", "50000"]),
    st.text(max_size=12),
)
QUERY = st.lists(st.tuples(st.sampled_from(NAMES) | st.text(max_size=6), VALUES), max_size=6).map(
    lambda pairs: "&".join(f"{quote(n, safe='')}={quote(v, safe='')}" for n, v in pairs))
RAW_QUERY = st.text(max_size=80)
SEGMENT = st.one_of(st.sampled_from(["..", ".", "", "_variants", "%2e%2e", "%2F", "%00", "a%2Fb", "%ZZ", "%C0%AE"]),
                    st.text(min_size=1, max_size=10).map(lambda s: quote(s, safe="")))
PATH = st.lists(SEGMENT, min_size=1, max_size=5).map(lambda segs: "/" + "/".join(segs))


def check(uri: str, query: str) -> None:
    result = handler(viewer_request(uri, query), None)
    if "status" in result:
        assert result["status"] in ("400", "403"), result
        assert result["body"] and "Traceback" not in result["body"]
        return
    key = key_for_uri(result["uri"])
    original, spec = parse_variant_key(key, CONFIG.variants_prefix)
    assert is_canonical(spec, CONFIG)
    assert open_options(spec) == open_options(PLAIN), f"an unsigned URL named an open option: {spec}"
    assert ".." not in original.split("/") and "" not in original.split("/")
    assert not original.startswith(CONFIG.variants_prefix + "/")
    assert result["querystring"] == ""


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=QUERY | RAW_QUERY)
def test_any_query_string(query):
    check("/photos/cat.jpg", query)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=PATH, query=QUERY)
def test_any_percent_encoded_path(path, query):
    check(path, query)


def test_overlong_urls_are_refused():
    assert handler(viewer_request("/" + "a" * 9000, ""), None)["status"] == "414"
    assert handler(viewer_request("/cat.jpg", "w=1&" * 3000), None)["status"] == "414"


def open_options(spec: VariantSpec) -> tuple:
    """What the options refused by default (rect, bg, fp-x/fp-y, blur, sharpen, bri/con/sat, wm) set in a spec."""
    return (spec.rect, spec.background, spec.focal, spec.blur, spec.sharpen, spec.brightness, spec.contrast,
            spec.saturation, spec.watermark)


PLAIN = VariantSpec(320, None, None, 80, "webp")


def test_a_random_flood_stays_within_the_ladder_bound():
    rng = random.Random(7)
    uris = set()
    for _ in range(20_000):
        params = []
        if rng.random() < 0.8:
            params.append(f"w={rng.randint(1, 4096)}")
        if rng.random() < 0.5:
            params.append(f"h={rng.randint(1, 4096)}")
        if rng.random() < 0.5:
            params.append(f"q={rng.randint(1, 100)}")
        params.append(f"fmt={rng.choice(['auto', 'jpeg', 'webp', 'avif', 'png'])}")
        params.append(f"fit={rng.choice(['cover', 'contain', 'fill', 'inside'])}")
        if rng.random() < 0.3:
            params.append(f"dpr={rng.choice(['1', '1.5', '2', '3', '4'])}")
        result = handler(viewer_request("/photos/cat.jpg", "&".join(params)), None)
        if "status" not in result:
            uris.add(result["uri"])
    widths_only = {u for u in uris if "-h" not in u and "/h" not in u}
    # the figures the README documents: sizes, fits, formats and qualities alone; and every option allowed
    assert core_variant_bound(CONFIG) == 185_130
    assert variant_bound(Config(allowed_options=ALL_OPTIONS)) == \
        8_755_440_961_540_381_340_181_341_241_761_879_291_765_288_008_513
    assert len(uris) <= core_variant_bound(CONFIG)
    # w-only requests collapse onto the ladder: at most rungs x formats x qualities
    assert len(widths_only) <= len(CONFIG.ladder) * 5 * 20
    print(f"20000 random requests -> {len(uris)} distinct variants "
          f"({len(widths_only)} width-only); core bound {core_variant_bound(CONFIG)}")


#: A random value for each option, mostly valid (so most requests get past the syntax), sometimes not.
FLOOD_VALUES = {
    "w": lambda r: str(r.randint(1, 4096)),
    "h": lambda r: str(r.randint(1, 4096)),
    "scale": lambda r: r.choice([f"{r.random():.3f}", "1", "0", "1.5", "50"]),
    "fit": lambda r: r.choice(["cover", "contain", "fill", "inside", "outside", "crop", "pad", "clip", "max", "x"]),
    "enlarge": lambda r: r.choice(["0", "1", "true", "2"]),
    "rect": lambda r: ",".join(str(r.randint(0, 3000)) for _ in range(4)),
    "g": lambda r: r.choice(["centre", "north", "se", "top-left", "top,left", "smart", "attention", "fp",
                             "focalpoint", f"{r.random():.2f}x{r.random():.2f}", f"fp:{r.random():.2f}:0.5", "z"]),
    "fp-x": lambda r: f"{r.random():.3f}",
    "fp-y": lambda r: f"{r.random():.3f}",
    "rot": lambda r: r.choice(["0", "90", "180", "270", "-90", "360", "45"]),
    "flip": lambda r: r.choice(["h", "v", "hv", "vh", "x", "y", "xy", "q"]),
    "bg": lambda r: r.choice([f"{r.getrandbits(24):06x}", f"{r.getrandbits(32):08x}", "transparent"]),
    "blur": lambda r: str(r.randint(0, 250)),
    "sharpen": lambda r: f"{r.uniform(0, 10):.1f}",
    "bri": lambda r: str(r.randint(-100, 100)),
    "con": lambda r: str(r.randint(-100, 100)),
    "sat": lambda r: str(r.randint(-100, 100)),
    "gray": lambda r: r.choice(["0", "1", "yes"]),
    "wm": lambda r: r.choice(["logo", "x"]),
    "meta": lambda r: r.choice(["none", "copyright", "strip", "all"]),
    "anim": lambda r: r.choice(["0", "1"]),
    "mb": lambda r: str(r.randint(50, 10_000_000)),
    "q": lambda r: str(r.randint(1, 100)) if r.random() < 0.9 else r.choice(["auto", "AUTO", "auto70"]),
    "fmt": lambda r: r.choice(["auto", "jpeg", "jpg", "webp", "avif", "png", "gif", "blurhash", "lqip", "json"]),
    "dpr": lambda r: r.choice(["1", "1.5", "2", "2.625", "3", "4", "5"]),
    "ar": lambda r: r.choice(["16:9", "1:1", "3x4", "1.91:1", "0:1", "21"]),
    "preset": lambda r: r.choice(["thumb", "hero"]),
}
SPELLINGS = {name: [alias for alias, canonical in ALIASES.items() if canonical == name] for name in ALL_OPTIONS}
#: Which part of a spec each term of ``variant_bound_terms`` counts.
AXES = {
    "box": lambda s: (s.width, s.height, s.fit, s.gravity, s.focal, s.enlarge, s.scale),
    "encoding": lambda s: (s.format, s.quality, s.target),
    "rect": lambda s: s.rect,
    "orientation": lambda s: (s.rotate, s.mirror),
    "background": lambda s: s.background,
    "colour": lambda s: (s.brightness, s.contrast, s.saturation, s.grayscale),
    "blur": lambda s: s.blur,
    "sharpen": lambda s: s.sharpen,
    "watermark": lambda s: s.watermark,
    "copyright": lambda s: s.keep_copyright,
    "still": lambda s: s.animated,
    "max_bytes": lambda s: s.max_bytes,
}
DEFAULT_BOUND = 1_322_392_993
#: The options an unsigned URL may not use with the default config.
OPEN = set(ALL_OPTIONS) - set(CONFIG.allowed_options)
#: Chosen seldom: the open options (each refuses its URL) and ``scale`` (a 400 beside ``w`` or ``h``).
RARE = OPEN | {"scale"}


def test_a_flood_using_every_option_stays_within_the_default_bound():
    """Every option name (any spelling, allowed or not) with random values against the default config: only
    rewrites and 400/403, every URL naming an open option refused, and the variants named stay within
    ``variant_bound``, axis by axis."""
    assert variant_bound(CONFIG) == DEFAULT_BOUND  # the figure the README documents
    assert set(FLOOD_VALUES) == set(ALL_OPTIONS) and set(AXES) == set(variant_bound_terms(CONFIG))
    rng = random.Random(6)
    outcomes: Counter[str] = Counter()
    keys: set[str] = set()
    for _ in range(30_000):
        chosen = {name: FLOOD_VALUES[name](rng) for name in ALL_OPTIONS
                  if rng.random() < (0.04 if name in RARE else 0.35)}
        query = "&".join(f"{rng.choice(SPELLINGS[name])}={quote(value)}" for name, value in chosen.items())
        result = handler(viewer_request("/photos/cat.jpg", query), None)
        if "status" in result:
            assert result["status"] in ("400", "403"), result
            outcomes[result["status"]] += 1
            continue
        assert not set(chosen) & OPEN, f"an unsigned URL used an open option: {query}"
        assert chosen.get("g", "").partition(":")[0] not in ("fp", "focalpoint") and "x" not in chosen.get("g", "")
        outcomes["rewritten"] += 1
        keys.add(key_for_uri(result["uri"]))
    specs = [parse_variant_key(key, CONFIG.variants_prefix)[1] for key in keys]
    assert all(is_canonical(spec, CONFIG) and open_options(spec) == open_options(PLAIN) for spec in specs)
    images = [spec for spec in specs if spec.is_image]
    terms = variant_bound_terms(CONFIG)
    for axis, value in AXES.items():
        assert len({value(spec) for spec in images}) <= terms[axis], axis
    assert len(keys) <= DEFAULT_BOUND
    assert outcomes["rewritten"] > 5_000 and outcomes["400"] > 5_000  # the flood reached both sides
    print(f"30000 random requests over every option -> {dict(outcomes)}, {len(keys)} distinct variants; "
          f"default bound {DEFAULT_BOUND}")

