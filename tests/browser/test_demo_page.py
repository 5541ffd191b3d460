"""The demo page in a real browser: a desktop and an emulated phone each get the widths their layout and
pixel density call for, in a modern format, and a second visit is answered from the edge's cache.

What a person would check in DevTools, asserted: for every image on ``/`` the URL the browser picked from
``srcset``/``<picture>``, the pixels and format it received, and ``X-Cache``. The expected URL follows from
the markup (``sizes``) and the viewport; the expected pixels from the same grammar and geometry the edge
uses, applied to the original.
"""

from __future__ import annotations

import io
import json
from urllib.parse import unquote, urlsplit

from PIL import Image, ImageOps

from imgedge.config import Config
from imgedge.core.geometry import plan
from imgedge.edge.viewer_request import canonical_uri
from imgedge.local import demo
from imgedge.observability import fields_only
from imgedge.request.canonical import resolve
from imgedge.request.grammar import parse_query
from imgedge.request.paths import key_for_uri
from tests.events import CHROME_UA

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1, "user_agent": CHROME_UA}
#: Chromium's Accept for images: what the viewer-request negotiates the format from.
IMAGE_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"


def visit(browser, base_url: str, context_options: dict, screenshot=None) -> list[dict]:
    """Load ``/`` in a fresh context (empty HTTP cache); the page's own report of every image."""
    _, chromium = browser
    context = chromium.new_context(**context_options)
    try:
        page = context.new_page()
        page.goto(base_url + "/", wait_until="load", timeout=180_000)
        page.wait_for_function("document.body.dataset.ready === 'true'", timeout=180_000)
        if screenshot is not None:
            page.screenshot(path=str(screenshot), full_page=False)
        return page.evaluate("window.imgedgeReport")
    finally:
        context.close()


def displayed_size(store, original: str) -> tuple[int, int]:
    with Image.open(store.root / original) as image:
        return ImageOps.exif_transpose(image).size


def output_size(store, original: str, query: str) -> tuple[int, int]:
    spec = resolve(parse_query(query, Config()), Config(), snap=True)
    return plan(displayed_size(store, original), spec).output_size


def expected_query(store, original: str, element_id: str, device_pixels: int, narrow: bool) -> str:
    """The candidate a viewer needs: the smallest whose width (what the edge really sends) covers the slot in
    device pixels, else the widest there is. Desktop: 600 CSS px at DPR 1 = 600; the phone: 100vw = 390 CSS
    px at DPR 3 = 1170 (and the square crops of the <picture>'s narrow source)."""
    if element_id.startswith("pic-"):
        boxes = demo.SQUARE_BOXES if narrow else demo.WIDE_BOXES
        queries = [f"w={w}&h={h}" for w, h in boxes]
    else:
        queries = [f"w={w}" for w in demo.SRCSET_WIDTHS]
    widths = [output_size(store, original, q)[0] for q in queries]
    for query, width in zip(queries, widths):
        if width >= device_pixels:
            return query
    return queries[widths.index(max(widths))]  # the first query that reaches the widest output


def expected_variant(url: str, user_agent: str) -> str:
    parts = urlsplit(url)
    return key_for_uri(canonical_uri(parts.path, parts.query, user_agent=user_agent, accept=IMAGE_ACCEPT,
                                     config=Config()))


def check_rows(rows, store, keys, *, device_pixels, narrow, user_agent, cached: set[str]) -> list[dict]:
    """Check every image; ``cached``: the variants the edge already had (a Hit), updated with this visit's."""
    assert len(rows) == 2 * len(keys), rows
    summary = []
    for row in rows:
        assert "error" not in row, json.dumps(row)
        original = unquote(urlsplit(row["url"]).path.lstrip("/"))
        query = urlsplit(row["url"]).query
        assert query == expected_query(store, original, row["id"], device_pixels, narrow), row
        size = output_size(store, original, query)
        variant = expected_variant(row["url"], user_agent)
        assert (row["pixelWidth"], row["pixelHeight"]) == size, (row, size)
        assert row["contentType"] in ("image/avif", "image/webp"), row
        assert row["xCache"] == ("Hit from cloudfront" if variant in cached else "Miss from cloudfront"), row
        assert row["bytes"] > 0 and row["status"] == 200
        # The bytes the page saw are the stored variant's.
        stored = (store.root / variant).read_bytes()
        assert row["bytes"] == len(stored)
        assert Image.open(io.BytesIO(stored)).size == size
        summary.append({"image": row["id"], "original": original,
                        "url": row["url"], "variant": variant.rsplit("/", 1)[-1],
                        "type": row["contentType"], "pixels": f"{size[0]}x{size[1]}", "bytes": row["bytes"],
                        "x_cache": row["xCache"]})
    cached.update(expected_variant(row["url"], user_agent) for row in rows)
    return summary


def test_desktop_and_phone_get_their_widths_in_a_modern_format_then_hit_the_cache(browser, local_edge, tmp_path):
    base_url, edge, store, keys, root = local_edge
    playwright, _ = browser
    phone = {**playwright.devices["iPhone 13"]}
    phone.pop("default_browser_type", None)
    assert (phone["viewport"]["width"], phone["device_scale_factor"], phone["is_mobile"]) == (390, 3, True)

    report, cached = {}, set()
    for name, options, pixels, narrow, ua in (("desktop", DESKTOP, 600, False, CHROME_UA),
                                              ("phone", phone, 390 * 3, True, phone["user_agent"])):
        before = edge.stats["origin-response"]
        first = visit(browser, base_url, options, tmp_path / f"{name}.png")
        generated = edge.stats["origin-response"] - before
        known = set(cached)
        report[name] = check_rows(first, store, keys, device_pixels=pixels, narrow=narrow, user_agent=ua,
                                  cached=cached)
        assert generated == len(cached - known)  # each new variant rendered once, by an origin-response

        # A second visit in a fresh context (nothing in the browser's cache): every image from the edge's cache,
        # and not one origin-response run.
        before = edge.stats["origin-response"]
        again = visit(browser, base_url, options)
        hits = check_rows(again, store, keys, device_pixels=pixels, narrow=narrow, user_agent=ua, cached=cached)
        assert {row["x_cache"] for row in hits} == {"Hit from cloudfront"}
        assert edge.stats["origin-response"] == before

    # <img srcset>: the phone got bigger variants wherever the original has the pixels (and shared the others);
    # <picture>: a square crop instead of a 16:9 one.
    for desk, mobile in zip(report["desktop"], report["phone"]):
        width, height = (int(n) for n in mobile["pixels"].split("x"))
        if desk["image"].startswith("img-"):
            assert width >= int(desk["pixels"].split("x")[0])
        else:
            assert width == height
    assert sum(d["variant"] != m["variant"] for d, m in zip(report["desktop"], report["phone"])) >= 5
    lines = [json.loads(line) for line in (root / "generations.jsonl").read_text().splitlines()]
    assert {line["device"] for line in lines} == {"desktop", "mobile"}
    print("\nbrowser summary (first visit; the second was all 'Hit from cloudfront'):")
    for name, rows in report.items():
        for row in rows:
            print(f"  {name:7} {row['image']:6} {row['url']:45} → {row['variant']:22} {row['type']:10} "
                  f"{row['pixels']:>9} {row['bytes']:>7} B  {row['x_cache']}")
    print(f"  screenshots: {tmp_path / 'desktop.png'}, {tmp_path / 'phone.png'}")
    print(f"  one generation: {json.dumps(fields_only(lines[0]))}")
