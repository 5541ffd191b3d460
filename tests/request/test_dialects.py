"""URL dialects (imgix, Cloudflare, Next.js, Photon) read into the project's grammar: each URL names the variant
the project's own URL for the same bytes names, refusals say why, and the variant bound holds with every
dialect on."""

from __future__ import annotations

import random

import pytest

from imgedge.config import DEFAULT_ALLOWED_OPTIONS, Config
from imgedge.edge.viewer_request import canonical_uri
from imgedge.errors import BadRequest, Forbidden
from imgedge.request.bounds import variant_bound
from imgedge.request.canonical import is_canonical
from imgedge.request.dialects import DIALECTS
from imgedge.request.paths import parse_variant_key
from imgedge.request.signing import sign_url

ACCEPT = "image/avif,image/webp,*/*"
CONFIG = Config()


def variant(url: str, config: Config = CONFIG, accept: str = ACCEPT) -> str:
    path, _, query = url.partition("?")
    return canonical_uri(path, query, user_agent=None, accept=accept, config=config)


def refusal(url: str, config: Config = CONFIG) -> str:
    with pytest.raises(BadRequest) as caught:
        variant(url, config)
    return caught.value.message


@pytest.mark.parametrize("url, key", [
    ("/p/cat.jpg?w=640&h=480&fit=crop&auto=format%2Ccompress", "w640-h480-cover-qauto70.avif"),
    ("/p/cat.jpg?auto=format&w=116", "w128-q60.avif"),
    ("/p/cat.jpg?fm=webp&w=640&h=480&q=70&fit=min", "w640-h480-cover-q70.webp"),
    ("/cdn-cgi/image/width=640,height=480,quality=70,f=webp,fit=cover/p/cat.jpg", "w640-h480-cover-q70.webp"),
    ("/_next/image?w=640&q=70&url=%2Fp%2Fcat.jpg", "w640-q70.avif"),
    ("/p/cat.jpg?format=webp&quality=70&w=640&h=480&crop=1", "w640-h480-cover-q70.webp"),
    ("/p/cat.jpg?ar=16:9&w=800&fit=crop&auto=format", "w828-h466-cover-q60.avif"),
    ("/p/cat.jpg?w=800&h=600&fit=max&fm=pjpg", "w828-h621-inside-q80.jpg"),
    ("/p/cat.jpg?w=800&h=600&fit=facearea&fm=png8", "w828-h621-cover-smart.png"),
    ("/p/cat.jpg?w=800&h=600&fit=fillmax&fm=webp", "w828-h621-contain-q80.webp"),
    ("/p/cat.jpg?w=800&h=600&fit=scale&fm=webp", "w828-h621-fill-q80.webp"),
    ("/p/cat.jpg?w=640&ixlib=js-3.8.0&ch=Width,DPR", "w640-q80.legacy"),  # no fm, no auto=format: its own format
    ("/p/cat.jpg?w=640&auto=format&dpr=5&q=20", "w3840-q20.avif"),  # dpr multiplied in, onto the ladder
    ("/p/cat.jpg?w=8192&auto=format", "w3840-q60.avif"),  # buildSrcSet's largest candidates: the top rung
    ("/p/cat.jpg?w=640&h=480&fit=crop&crop=top,left&fm=webp", "w640-h480-cover-northwest-q80.webp"),
    ("/p/cat.jpg?w=640&rot=90&flip=h&fm=webp", "w640-rot90-flip-q80.webp"),
    ("/cdn-cgi/image/w=640,h=480,fit=pad,gravity=top,format=auto,metadata=keep/p/cat.jpg",
     "w640-h480-contain-north-copyright-q60.avif"),
    ("/cdn-cgi/image/width=640,fit=scale-down,onerror=redirect,rotate=180,anim=false/p/cat.jpg",
     "w640-rot180-still-q80.legacy"),
    ("/cdn-cgi/image/width=auto,dpr=2,f=webp/p/cat.jpg", "w1920-q80.webp"),  # width from hints or the device
    ("/p/cat.jpg?resize=640,480&quality=90", "w640-h480-cover-q90.avif"),
    ("/p/cat.jpg?fit=640,480&zoom=2&format=webp", "w1440-h1080-inside-q80.webp"),
    ("/p/cat.jpg?w=640&h=480&crop=0&format=webp", "w640-h480-inside-q80.webp"),
    # imgix's relative sizes: a fraction of the original, snapped up to 5 % steps, resolved by the origin
    ("/p/cat.jpg?w=0.5&fm=webp", "scale50-q80.webp"),
    ("/p/cat.jpg?h=0.33&auto=format", "scale35-q60.avif"),
    ("/p/cat.jpg?w=0.25&h=0.5&fm=webp", "scale25-q80.webp"),  # clip fits inside: the smaller fraction
    ("/p/cat.jpg?w=0.4&h=0.4&fit=crop&fm=webp", "scale40-q80.webp"),
    ("/p/cat.jpg?w=0.3&dpr=2&fm=webp", "scale60-q80.webp"),  # dpr multiplied in
    ("/p/cat.jpg?w=0.75&dpr=3&fm=webp", "scale100-q80.webp"),  # never more than the whole original
])
def test_dialect_urls_name_the_projects_variants(url, key):
    assert variant(url) == "/_variants/p/cat.jpg/" + key


def test_the_same_bytes_in_any_dialect_are_one_variant():
    urls = ["/p/cat.jpg?w=640&h=480&fit=cover&q=70&fmt=webp",
            "/p/cat.jpg?fm=webp&w=640&h=480&q=70&fit=min",
            "/p/cat.jpg?w=320&h=240&dpr=2&fit=crop&q=70&fm=webp&ixlib=js-3.8.0",
            "/cdn-cgi/image/width=640,height=480,quality=70,f=webp,fit=cover/p/cat.jpg",
            "/cdn-cgi/image/width=320,height=240,dpr=2,quality=70,format=webp,fit=crop/p/cat.jpg",
            "/p/cat.jpg?format=webp&quality=70&w=640&h=480&crop=1",
            "/p/cat.jpg?resize=640,480&quality=70&format=webp"]
    assert {variant(url) for url in urls} == {"/_variants/p/cat.jpg/w640-h480-cover-q70.webp"}
    assert variant("/_next/image?url=/p/cat.jpg&w=640&q=70") == variant("/p/cat.jpg?w=640&q=70")


def test_a_url_the_grammar_reads_means_what_the_grammar_says():
    # imgix's default fit is clip; the project's is cover, and a URL in its own words keeps its meaning
    assert variant("/p/cat.jpg?w=640&h=480") == "/_variants/p/cat.jpg/w640-h480-cover-q60.avif"
    assert variant("/p/cat.jpg?w=640&h=480&ixlib=js-3.8.0") == "/_variants/p/cat.jpg/w640-h480-inside-q80.legacy"


def test_a_relative_size_is_the_projects_scale_and_shares_its_variant():
    """imgix's ``w=0.5`` and the project's ``scale=0.5`` (or any fraction that snaps to it) name one variant."""
    keys = {variant(url) for url in ("/p/cat.jpg?w=0.5&fm=webp", "/p/cat.jpg?scale=0.5&fmt=webp",
                                     "/p/cat.jpg?scale=0.47&fmt=webp", "/p/cat.jpg?w=0.46&h=0.5&fm=webp")}
    assert keys == {"/_variants/p/cat.jpg/scale50-q80.webp"}


def test_auto_compress_is_auto_quality_unless_q_is_given():
    assert variant("/p/cat.jpg?w=640&auto=compress&fm=webp").endswith("w640-qauto70.webp")
    assert variant("/p/cat.jpg?w=640&auto=compress&fm=webp&q=90").endswith("w640-q90.webp")
    assert variant("/p/cat.jpg?w=640&auto=compress,format", accept="image/webp").endswith("w640-qauto70.webp")


def test_refusals_say_what_is_wrong():
    assert "must be a fraction too" in refusal("/p/cat.jpg?w=0.5&h=300&auto=format")
    assert "same fraction of the original with fit=crop" in refusal("/p/cat.jpg?w=0.5&h=0.25&fit=crop&fm=webp")
    assert "needs w or h in pixels" in refusal("/p/cat.jpg?w=0.5&ar=16:9&fit=crop&fm=webp")
    assert "above 0" in refusal("/p/cat.jpg?w=0.5&h=0&fm=webp")
    assert "fraction of the original" in refusal("/_next/image?url=%2Fp%2Fcat.jpg&w=0.5&q=75")
    assert "no other origin" in refusal("/_next/image?url=https%3A%2F%2Fevil.example%2Fa.jpg&w=640&q=75")
    assert "no other origin" in refusal("/_next/image?url=%2F%2Fevil.example%2Fa.jpg&w=640&q=75")
    assert "needs url" in refusal("/_next/image?url=%2Fp%2Fcat.jpg")
    assert "without a query" in refusal("/_next/image?url=%2Fp%2Fcat.jpg%3Fv%3D2&w=640")
    assert "no other origin" in refusal("/cdn-cgi/image/width=640/https:/evil.example/a.jpg")
    assert "/cdn-cgi/image/<options>/<path" in refusal("/cdn-cgi/image/width=640")
    assert refusal("/p/cat.jpg?w=640&auto=format&txt=hi").startswith("unknown imgix parameter 'txt'")
    assert refusal("/cdn-cgi/image/width=640,trim=10/p/cat.jpg").startswith("unknown cloudflare parameter 'trim'")
    assert "imgix fit: must be one of clip" in refusal("/p/cat.jpg?w=640&fit=bogus&auto=format")
    # a name no dialect knows: the grammar's own refusal
    assert refusal("/p/cat.jpg?widht=640").startswith("unknown parameter 'widht'; known: w, h")


def test_unknown_parameters_may_be_ignored_instead():
    lenient = Config(dialect_unknown_parameters="ignore")
    assert variant("/p/cat.jpg?w=640&auto=format&txt=hi&mark-scale=20", lenient).endswith("w640-q60.avif")
    assert variant("/cdn-cgi/image/width=640,trim=10,f=webp/p/cat.jpg", lenient).endswith("w640-q80.webp")


def test_dialect_options_follow_allowed_options_and_signing():
    assert "not allowed in unsigned URLs" in refusal("/p/cat.jpg?w=640&blur=40&auto=format")
    assert "not allowed in unsigned URLs" in refusal("/cdn-cgi/image/width=640,background=%23ff0000/p/cat.jpg")
    key = "k" * 16
    signed = Config(signing_keys=(key,))
    path, _, query = sign_url("/p/cat.jpg", "w=640&blur=40&fm=webp", key).partition("?")
    assert variant(f"{path}?{query}", signed).endswith("w640-blur40-q80.webp")
    with pytest.raises(Forbidden):
        variant("/p/cat.jpg?w=640&auto=format", Config(presets=({"thumb": "w=160"}), presets_only=True))


def test_dialects_are_switched_on_by_the_config():
    only_own = Config(dialects=())
    assert refusal("/p/cat.jpg?w=640&auto=format", only_own).startswith("unknown parameter 'auto'")
    assert refusal("/_next/image?url=%2Fp%2Fcat.jpg&w=640", only_own).startswith("unknown parameter 'url'")
    # with Cloudflare off, /cdn-cgi/image/... is only a path
    assert variant("/cdn-cgi/image/w=640/p/cat.jpg?w=640", only_own) == \
        "/_variants/cdn-cgi/image/w%3D640/p/cat.jpg/w640-q60.avif"
    with pytest.raises(ValueError, match="dialects"):
        Config(dialects=("imgix", "akamai"))
    with pytest.raises(ValueError, match="dialect_unknown_parameters"):
        Config(dialect_unknown_parameters="maybe")
    assert Config.from_mapping({"dialects": ["nextjs"]}).dialects == ("nextjs",)


def _random_dialect_url(rng: random.Random) -> str:
    """A URL any library might write, in one of the dialects, with values in and out of range."""
    width = str(rng.choice([rng.randint(1, 9000), rng.random(), 0]))
    height = str(rng.randint(1, 5000))
    quality, dpr = str(rng.randint(0, 110)), rng.choice(["1", "1.5", "2", "3.7", "5", "0.5"])
    pick = rng.choice
    kind = rng.randrange(4)
    if kind == 0:
        params = {"w": width, "h": height, "fit": pick(["clip", "crop", "max", "min", "scale", "fill", "fillmax",
                                                         "facearea", "clamp", "bogus"]),
                  "crop": pick(["faces", "entropy", "top,left", "focalpoint", "bottom"]), "q": quality, "dpr": dpr,
                  "fm": pick(["webp", "avif", "pjpg", "png8", "jpg", "gif", "blurhash", "json"]),
                  "auto": pick(["format", "compress", "format,compress", "enhance"]), "ar": pick(["16:9", "4:3"]),
                  "rot": pick(["90", "180", "45"]), "flip": pick(["h", "v", "hv"]), "ixlib": "js-3.8.0",
                  "blur": str(rng.randint(0, 2000)), "bg": "ff0000", "fp-x": "0.3", "fp-y": "0.6"}
        chosen = rng.sample(sorted(params), rng.randint(1, 6))
        return "/p/cat.jpg?" + "&".join(f"{name}={params[name]}" for name in chosen)
    if kind == 1:
        params = {"width": width, "height": height, "quality": quality, "dpr": dpr,
                  "fit": pick(["scale-down", "contain", "cover", "crop", "pad", "squeeze"]),
                  "gravity": pick(["auto", "left", "top", "face", "0.3x0.4"]), "f": pick(["auto", "avif", "webp"]),
                  "metadata": pick(["keep", "none"]), "rotate": pick(["90", "270"]), "anim": pick(["true", "false"]),
                  "brightness": str(rng.random() * 2), "sharpen": str(rng.random() * 10)}
        chosen = rng.sample(sorted(params), rng.randint(1, 6))
        return "/cdn-cgi/image/" + ",".join(f"{name}={params[name]}" for name in chosen) + "/p/cat.jpg"
    if kind == 2:
        return f"/_next/image?url=%2Fp%2Fcat.jpg&w={width}&q={quality}"
    params = {"w": width, "h": height, "crop": pick(["1", "0", "10px,20px,300px,200px"]), "quality": quality,
              "format": pick(["webp", "avif", "auto"]), "zoom": dpr, "resize": f"{height},{width}",
              "strip": "all"}
    chosen = rng.sample(sorted(params), rng.randint(1, 5))
    return "/p/cat.jpg?" + "&".join(f"{name}={params[name]}" for name in chosen)


def test_the_variant_bound_holds_with_every_dialect_on():
    """A flood of dialect URLs names only variants the edge itself could name: canonical specs, no option an
    unsigned URL may not use, and never more of them than ``variant_bound``."""
    assert CONFIG.dialects == tuple(DIALECTS)
    rng = random.Random(19)
    keys, answered = set(), 0
    for _ in range(6000):
        url = _random_dialect_url(rng)
        for accept in (ACCEPT, "image/webp", None):
            try:
                keys.add(variant(url, accept=accept or ""))
                answered += 1
            except BadRequest:
                pass
    assert answered > 3000
    for uri in keys:
        original, spec = parse_variant_key(uri[1:], CONFIG.variants_prefix)
        assert original == "p/cat.jpg" and is_canonical(spec, CONFIG), uri
        assert spec.rect is None and spec.background is None and spec.blur == 0 and spec.focal is None, uri
    assert set(DEFAULT_ALLOWED_OPTIONS) == set(CONFIG.allowed_options)
    assert len(keys) <= variant_bound(CONFIG)
