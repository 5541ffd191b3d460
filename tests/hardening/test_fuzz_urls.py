"""Hostile URLs: any query string and any percent-encoded path → a rewrite or a precise 4xx, never a crash;
no path can address anything outside the originals or name a variant off the ladder."""

from __future__ import annotations

import random
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.viewer_request import handler
from imgedge.config import Config
from imgedge.keys import key_for_uri, parse_variant_key
from imgedge.spec import core_variant_bound, is_canonical, variant_bound
from tests.events import viewer_request

CONFIG = Config()
NAMES = ["w", "h", "q", "fit", "fmt", "dpr", "width", "height", "quality", "format", "f", "W", "x", ""]
VALUES = st.one_of(
    st.integers(-10, 10_000).map(str),
    st.sampled_from(["cover", "contain", "fill", "inside", "auto", "jpeg", "jpg", "webp", "avif", "png", "1.5",
                     "2", "4.0", "nan", "inf", "1e3", "0x10", " 640", "640 ", "６４０", "%00", "", "-0"]),
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
    assert handler(viewer_request("/" + "a" * 9000, ""), None)["status"] == "400"
    assert handler(viewer_request("/cat.jpg", "w=1&" * 3000), None)["status"] == "400"


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
    # the figures the README documents: sizes, fits, formats and qualities alone; and every option too
    assert core_variant_bound(CONFIG) == 167_034
    assert variant_bound(CONFIG) == 7_977_159_985_760_787_085_713_029_019_091_536_177_124_899_262_273
    assert len(uris) <= core_variant_bound(CONFIG)
    # w-only requests collapse onto the ladder: at most rungs x formats x qualities
    assert len(widths_only) <= len(CONFIG.ladder) * 5 * 20
    print(f"20000 random requests -> {len(uris)} distinct variants "
          f"({len(widths_only)} width-only); bound {variant_bound(CONFIG)}")
