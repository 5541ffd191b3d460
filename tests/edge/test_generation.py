"""Features at the edge: client hints in the viewer-request, watermarks read through the store, fallback
images, and the automatic inline budget of a Lambda@Edge response."""

import base64

from PIL import Image

from handlers.viewer_request import handler
from imgedge.config import DEFAULT_ALLOWED_OPTIONS, Config
from imgedge.edge import origin_response
from imgedge.edge.viewer_request import handle as viewer_handle
from imgedge.request.negotiate import ClientHints, client_hints
from imgedge.store import DirectoryStore
from tests.events import CHROME_UA, IPHONE_UA, viewer_request
from tests.events import origin_response as origin_event
from tests.photos import encoded, open_bytes, photo


def rewritten(query: str = "", config: Config | None = None, ua: str = CHROME_UA, **hints: str) -> str:
    event = viewer_request("/cat.jpg", query, user_agent=ua, accept="image/webp")
    headers = event["Records"][0]["cf"]["request"]["headers"]
    for name, value in hints.items():
        name = name.replace("_", "-")
        headers[name] = [{"key": name, "value": value}]
    result = viewer_handle(event, config or Config())
    assert "status" not in result, result
    return result["uri"].rsplit("/", 1)[1]


def test_client_hints_are_parsed_defensively():
    assert client_hints({"sec-ch-dpr": "2.625", "sec-ch-width": "412.5", "save-data": "on"}) == ClientHints(
        dpr=2.62, width=413, viewport_width=None, save_data=True)
    assert client_hints({"sec-ch-dpr": "9", "dpr": "2"}).dpr == 4.0
    assert client_hints({"sec-ch-dpr": "abc", "sec-ch-viewport-width": "-5", "save-data": "off"}) == ClientHints()


def test_width_comes_from_w_then_width_hint_then_viewport_then_device():
    assert rewritten("w=300", sec_ch_width="900") == "w320-q80.webp"  # explicit w wins
    assert rewritten("", sec_ch_width="900", sec_ch_viewport_width="400") == "w1080-q80.webp"  # ladder bucket
    assert rewritten("", sec_ch_viewport_width="400", sec_ch_dpr="2") == "w828-q80.webp"  # CSS px x DPR
    assert rewritten("", ua=IPHONE_UA) == "w828-q80.webp"  # the device preset, without hints
    assert rewritten("") == "w1920-q80.webp"


def test_the_dpr_hint_multiplies_an_explicit_size_unless_the_url_says_dpr():
    assert rewritten("w=320", sec_ch_dpr="2") == "w640-q80.webp"
    assert rewritten("w=320&dpr=1", sec_ch_dpr="2") == "w320-q80.webp"
    assert rewritten("w=320", dpr="3") == "w1080-q80.webp"  # the legacy header, bucketed up the ladder


def test_save_data_lowers_the_default_quality_only():
    assert rewritten("w=640", save_data="on") == "w640-q60.webp"
    assert rewritten("w=640&q=90", save_data="on") == "w640-q90.webp"


def test_hints_can_be_switched_off():
    assert rewritten("w=320", Config(client_hints=False), sec_ch_dpr="2", save_data="on") == "w320-q80.webp"


def test_a_flood_of_hint_values_stays_on_the_ladder():
    uris = {rewritten("", sec_ch_viewport_width=str(v), sec_ch_dpr=d) for v in range(300, 2000, 7)
            for d in ("1", "1.5", "2", "2.75", "3")}
    assert len(uris) <= len(Config().ladder)


# --- generation: watermark, fallback, inline budget -------------------------------------------------------


def generate(store: DirectoryStore, config: Config, viewer_query: str, path: str = "/photos/lake.jpg",
             viewer_url: str | None = None) -> dict:
    request = handler(viewer_request(path, viewer_query, accept="image/webp"), None) if config == Config() else \
        viewer_handle(viewer_request(path, viewer_query, accept="image/webp"), config)
    event = origin_event(request["uri"], "404", viewer_url=viewer_url)
    return origin_response.handle(event, lambda _r: store, config, log=lambda entry: None)


def test_the_watermark_is_read_through_the_store(tmp_path):
    store = DirectoryStore(tmp_path)
    store.put_original("photos/lake.jpg", photo("lake-boats-4mp.jpg"))
    store.put_original("brand/logo.png", encoded(Image.new("RGBA", (100, 100), (0, 255, 0, 255)), "PNG"))
    config = Config(watermarks={"logo": {"key": "brand/logo.png", "position": "northwest", "opacity": 1.0,
                                         "scale": 0.2, "margin": 0.0}},
                    allowed_options=(*DEFAULT_ALLOWED_OPTIONS, "wm"))
    response = generate(store, config, "w=640&wm=logo&fmt=png")
    image = open_bytes(base64.b64decode(response["body"])).convert("RGB")
    assert response["status"] == "200" and image.getpixel((5, 5)) == (0, 255, 0)
    assert image.getpixel((200, 200)) != (0, 255, 0)
    missing = generate(DirectoryStore(tmp_path / "empty"), config, "w=640&wm=logo")
    assert missing["status"] == "404"  # no original (and no fallback configured)


def test_a_missing_original_gets_the_fallback_rendered_to_the_box(tmp_path):
    store = DirectoryStore(tmp_path)
    store.put_original("fallbacks/product.png", photo("cat.png"))
    config = Config(fallbacks={"products/": "fallbacks/product.png"})
    response = generate(store, config, "w=300&h=300&fmt=webp", path="/products/gone.jpg")
    assert response["status"] == "404"  # honest status, image body
    headers = {name: entries[0]["value"] for name, entries in response["headers"].items()}
    assert headers["x-imgedge-fallback"] == "missing-original"
    assert headers["cache-control"] == "public, max-age=60" and headers["content-type"] == "image/webp"
    image = open_bytes(base64.b64decode(response["body"]))
    assert image.format == "WEBP" and image.size == (300, 300)
    assert not (tmp_path / "_variants" / "products").exists()  # never stored under the missing one's key
    stored = list((tmp_path / "_variants" / "fallbacks" / "product.png").iterdir())
    assert [path.name for path in stored] == ["w320-h320-cover-q80.webp"]  # but once, under its own
    assert stored[0].read_bytes() == base64.b64decode(response["body"])
    again = generate(store, config, "w=300&h=300&fmt=webp", path="/products/also-gone.jpg")
    assert again["status"] == "404" and base64.b64decode(again["body"]) == stored[0].read_bytes()
    assert list((tmp_path / "_variants" / "fallbacks" / "product.png").iterdir()) == stored  # read, not re-rendered
    other = generate(store, config, "w=300&fmt=webp", path="/photos/gone.jpg")  # no fallback for this prefix
    assert other["status"] == "404" and "x-imgedge-fallback" not in other["headers"]


def test_a_broken_original_gets_the_fallback_with_its_own_reason_and_a_configured_status(tmp_path):
    store = DirectoryStore(tmp_path)
    store.put_original("fallbacks/any.png", photo("cat.png"))
    store.put_original("photos/broken.jpg", photo("lake-boats-4mp.jpg")[:5000])
    config = Config(fallbacks={"": "fallbacks/any.png"}, fallback_status=200)
    response = generate(store, config, "w=256&fmt=webp", path="/photos/broken.jpg")
    assert response["status"] == "200"
    assert response["headers"]["x-imgedge-fallback"][0]["value"] == "unreadable-original"
    assert open_bytes(base64.b64decode(response["body"])).width == 256


def test_an_oversized_lossy_variant_is_answered_inline_at_a_lower_quality(tmp_path):
    store = DirectoryStore(tmp_path)
    store.put_original("photos/lake.jpg", photo("lake-boats-4mp.jpg"))
    full = generate(store, Config(), "w=1920&fmt=webp")
    full_bytes = base64.b64decode(full["body"])
    limit = len(full_bytes) * 2 // 3
    store2 = DirectoryStore(tmp_path / "b")
    store2.put_original("photos/lake.jpg", photo("lake-boats-4mp.jpg"))
    config = Config(max_inline_bytes=limit)
    response = generate(store2, config, "w=1920&fmt=webp", viewer_url="/photos/lake.jpg?w=1920&fmt=webp")
    body = base64.b64decode(response["body"])
    assert response["status"] == "200" and len(body) <= limit
    assert response["headers"]["x-imgedge-budget"][0]["value"] == "inline"
    assert response["headers"]["cache-control"][0]["value"] == "private, no-store"
    assert open_bytes(body).size == (1920, 1200)  # the same size, a lower quality
    stored = next((tmp_path / "b" / "_variants").rglob("*.webp")).read_bytes()
    assert stored == full_bytes  # the stored variant is the full one: the next request gets it from S3
    redirect = Config(max_inline_bytes=limit, oversize_answer="redirect")
    store3 = DirectoryStore(tmp_path / "c")
    store3.put_original("photos/lake.jpg", photo("lake-boats-4mp.jpg"))
    redirected = generate(store3, redirect, "w=1920&fmt=webp", viewer_url="/photos/lake.jpg?w=1920&fmt=webp")
    assert redirected["status"] == "302"
