"""A transparent AVIF variant as Chromium shows it. imgedge writes premultiplied alpha (the colour planes
hold colour x alpha): a browser that ignored the flag would multiply by alpha twice and show the picture
too dark wherever it is translucent, which a composite over black exposes (there the colour alone shows).

Over white, Debian's Chromium 156 shows the alpha of every AVIF, premultiplied or straight and whoever
encoded it (libavif, libheif), as if the alpha plane were limited-range video (alpha 16 and below vanish,
200 shows as 214) although the files declare full range: a browser matter no encoder setting changes
(benchmarks/RESULTS.md, "AVIF transparency"), so it is not asserted here."""

from __future__ import annotations

from PIL import Image

import imgedge
from tests.browser.canvas import drawn_over
from tests.metrics import over, psnr
from tests.photos import encoded, open_bytes, photo


def soft_alpha_photo() -> bytes:
    """A photo fading from transparent (left) to opaque (right): every alpha level, not just 0 and 255."""
    image = open_bytes(photo("lake-boats-4mp.jpg")).convert("RGB").resize((640, 360))
    image.putalpha(Image.linear_gradient("L").rotate(90).resize(image.size))
    return encoded(image, "PNG")


def test_chromium_shows_the_colour_of_a_premultiplied_avif(browser):
    _, chromium = browser
    original = soft_alpha_photo()
    png = open_bytes(imgedge.transform(original, "w=320&fmt=png").data)
    avif = imgedge.transform(original, "w=320&fmt=avif&q=80").data
    page = chromium.new_page()
    try:
        page.set_content("<!doctype html><title>alpha</title>")
        (shown,) = drawn_over(page, avif, "image/avif", [0])
    finally:
        page.close()
    assert psnr(shown, over(png, 0)) > 35
