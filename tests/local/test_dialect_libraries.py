"""The URLs real front-end libraries write, answered by the local edge: ``@imgix/js-core`` (``buildURL``,
``buildSrcSet``) and unpic's ``imgix``, ``cloudflare``, ``nextjs`` and ``wordpress`` providers, over a grid of
widths (100-2048), with and without a height, each fit they emit, WebP/AVIF/auto and qualities 50-90.

Every URL must be a 200 with the size and format the README's "Moving from imgix / Cloudflare / Next.js"
tables promise (the dialect's box on the ladder, never enlarged past the original), URLs that mean the same
bytes in different dialects must share one stored variant, and a sample goes through the Lambda@Edge handlers
as CloudFront events. URLs naming one variant cost one generation: the rest are cache hits.
"""

from __future__ import annotations

import base64
import json
import math
import urllib.request
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from imgedge.config import Config
from imgedge.core.geometry import scaled_size
from imgedge.edge import origin_response, viewer_request
from imgedge.request.canonical import snap_box, snap_quality, snap_scale
from imgedge.store import DirectoryStore
from tests.events import CHROME_UA
from tests.events import origin_response as origin_event
from tests.events import viewer_request as viewer_event
from tests.localedge import running_local_edge
from tests.nodelibs import run_script
from tests.photos import open_bytes

pytestmark = pytest.mark.network  # npm's registry, the first time the libraries are installed

SCRIPT = Path(__file__).with_name("dialect_urls.cjs")
ORIGINAL = "samples/lake-boats-4mp.jpg"
ORIGINAL_SIZE = (2560, 1600)
#: What the viewer accepts: ``auto`` becomes WebP (explicit AVIF URLs still get AVIF).
ACCEPT = "image/webp,image/apng,image/*,*/*;q=0.8"
GRID = {"src": "/" + ORIGINAL, "widths": [100, 640, 2048], "ratios": [None, 4 / 3], "formats": ["webp", "avif", "auto"],
        "qualities": [50, 90], "imgixFits": ["clip", "crop", "max", "min", "scale", "fill", "fillmax", "facearea",
                                             "clamp"],
        "costlyMaxWidth": 640, "fractions": [0.25, 0.5]}
CONFIG = Config()
#: imgix fit → what the README's table says imgedge does.
IMGIX_FITS = {"clip": "inside", "max": "inside", "crop": "cover", "min": "cover", "facearea": "cover",
              "scale": "fill", "fill": "contain", "fillmax": "contain", "clamp": "contain", None: "inside"}
MIME = {"webp": "image/webp", "avif": "image/avif", "jpeg": "image/jpeg"}


def meaning(url: dict) -> tuple:
    """(box after the ladder, fit, gravity, format, quality) the dialect's documentation and the README
    promise."""
    provider, dpr = url["provider"], url.get("dpr") or 1
    if url.get("relative"):  # imgix w below 1: the project's scale, snapped up to its steps
        return ("scale", snap_scale(math.ceil(url["width"] * 100))), None, None, url["format"], \
            CONFIG.default_quality[url["format"]]
    width, height = (url.get(side) and min(CONFIG.max_dimension, url[side] * dpr) for side in ("width", "height"))
    if url.get("ratio") and height is None:
        height = round(width / url["ratio"])
    if provider == "nextjs":
        height = None  # next/image asks for a width only
    fit = {"imgix": IMGIX_FITS[url.get("fit") or ("min" if url["library"] == "unpic" else None)],
           "cloudflare": "cover", "wordpress": "cover" if url.get("crop", True) else "inside"}.get(provider)
    box = snap_box(width, height, CONFIG)
    fmt = url.get("format")
    if provider == "nextjs" or fmt == "auto":
        fmt = "webp"  # negotiated from ACCEPT
    elif fmt is None:  # imgix and Cloudflare keep the original's format, Photon negotiates
        fmt = "jpeg" if provider in ("imgix", "cloudflare") else "webp"
    fmt = {"pjpg": "jpeg"}.get(fmt, fmt)
    if url.get("compress") and not url.get("quality"):
        quality: int | str = f"auto{CONFIG.quality_target}"  # imgix auto=compress is q=auto
    else:
        default = 75 if provider == "nextjs" else CONFIG.default_quality[fmt]
        quality = snap_quality(url.get("quality") or default, CONFIG.quality_step)
    gravity = "smart" if url.get("fit") == "facearea" else None
    return box, fit if box[1] is not None else None, gravity, fmt, quality


def expected_size(box: tuple, fit: str | None) -> tuple[int, int]:
    """The README's sizing: the box, never enlarged (a box past the original shrinks, keeping its shape); a
    relative size is that fraction of the original."""
    if box[0] == "scale":
        return scaled_size(ORIGINAL_SIZE, box[1], CONFIG.max_dimension)
    (ow, oh), (w, h) = ORIGINAL_SIZE, box
    if h is None:
        w = min(w, ow)
        return w, round(oh * w / ow)
    if w is None:
        h = min(h, oh)
        return round(ow * h / oh), h
    if fit == "inside":
        scale = min(1.0, w / ow, h / oh)
        return round(ow * scale), round(oh * scale)
    if fit == "contain":
        scale = min(w / ow, h / oh)
        return (round(w / scale), round(h / scale)) if scale > 1 else (w, h)
    shrink = min(1.0, ow / w, oh / h) if fit == "fill" else min(1.0, 1 / max(w / ow, h / oh))
    return round(w * shrink), round(h * shrink)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture(scope="module")
def library_urls() -> list[dict]:
    urls = run_script(SCRIPT, json.dumps(GRID))
    assert {(u["library"], u["provider"]) for u in urls} == {
        ("unpic", "imgix"), ("unpic", "cloudflare"), ("unpic", "nextjs"), ("unpic", "wordpress"), ("js-core", "imgix")}
    return urls


def variant_uri(url: str) -> str:
    """The variant the viewer-request handler rewrites ``url`` to (a CloudFront event in, the request out)."""
    path, _, query = path_of(url).partition("?")
    request = viewer_request.handle(viewer_event(path, query, user_agent=CHROME_UA, accept=ACCEPT), CONFIG)
    assert "status" not in request, (url, request.get("body"))
    return request["uri"]


def test_every_library_url_is_answered_with_the_documented_size_and_format(library_urls, tmp_path):
    by_meaning: dict[tuple, set[str]] = defaultdict(set)
    with running_local_edge(tmp_path) as (port, _edge, store, _keys):
        for url in library_urls:
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path_of(url['url'])}",
                                             headers={"Accept": ACCEPT, "User-Agent": CHROME_UA})
            with urllib.request.urlopen(request, timeout=120) as response:
                status, content_type, body = response.status, response.headers["Content-Type"], response.read()
            box, fit, _, fmt, _ = asked = meaning(url)
            image = open_bytes(body)
            assert (status, content_type) == (200, MIME[fmt]), url
            width, height = expected_size(box, fit)
            assert abs(image.width - width) <= 1 and abs(image.height - height) <= 1, (url, image.size, (width, height))
            by_meaning[asked].add(variant_uri(url["url"]))
        stored = [key for key in store.list(f"{CONFIG.variants_prefix}/{ORIGINAL}/")]
    # one variant per meaning, whichever library or dialect asked; and each stored once
    assert {m: len(uris) for m, uris in by_meaning.items() if len(uris) != 1} == {}
    assert len(stored) == len(by_meaning) == len({u for uris in by_meaning.values() for u in uris})


def test_a_sample_goes_through_the_handlers_as_cloudfront_events(library_urls, tmp_path):
    store = DirectoryStore(tmp_path)
    store.put_original(ORIGINAL, (Path(__file__).parents[2] / "imgedge" / "local" / ORIGINAL).read_bytes())
    sample = {}
    for url in sorted(library_urls, key=lambda u: u["width"]):  # the narrowest of each library, provider and fit
        sample.setdefault((url["library"], url["provider"], url.get("fit"), url.get("crop")), url)
    for url in sample.values():
        uri = variant_uri(url["url"])
        response = origin_response.handle(origin_event(uri, "404", viewer_url=path_of(url["url"])),
                                          lambda _request: store, CONFIG, log=lambda entry: None)
        box, fit, _, fmt, _ = meaning(url)
        image = open_bytes(base64.b64decode(response["body"]))
        assert response["status"] == "200" and image.format.lower() == fmt, url
        width, height = expected_size(box, fit)
        assert abs(image.width - width) <= 1 and abs(image.height - height) <= 1, (url, image.size, (width, height))
