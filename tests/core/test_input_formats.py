"""Every input container takes its fast, correct path: no RGBA work without alpha, palettes once."""

from dataclasses import replace

import pytest
from PIL import Image

import imgedge
from imgedge.core import geometry, resize
from tests.metrics import psnr
from tests.photos import encoded, open_bytes, photo

LANDSCAPE = "lake-boats-4mp.jpg"


@pytest.fixture(scope="module")
def source() -> Image.Image:
    return open_bytes(photo(LANDSCAPE)).convert("RGB").resize((1200, 750), Image.Resampling.LANCZOS)


@pytest.mark.parametrize(
    "fmt, mode, params, min_psnr",
    [
        ("PNG", "RGB", {}, 40),
        ("PNG", "RGBA", {}, 40),  # alpha present but opaque everywhere
        ("WEBP", "RGB", {"quality": 95}, 33),
        ("WEBP", "RGBA", {"lossless": True}, 40),
        ("AVIF", "RGB", {"quality": 90}, 33),
        ("TIFF", "RGB", {}, 40),
        ("TIFF", "CMYK", {}, 30),
        ("GIF", "P", {}, 25),
        ("BMP", "RGB", {}, 40),
    ],
)
def test_each_input_format_resizes_correctly(source, fmt, mode, params, min_psnr):
    image = source.convert(mode) if mode != "P" else source.quantize(256)
    result = imgedge.transform(encoded(image, fmt, **params), "w=400&fmt=png")
    out = open_bytes(result.data)
    assert out.size == (400, 250)
    # opaque inputs never come out with an alpha channel; a palette stays a palette (imgedge.core.palette)
    assert out.mode == ("P" if mode == "P" else "RGB") and "transparency" not in out.info
    assert psnr(out, source.resize(out.size, Image.Resampling.LANCZOS)) > min_psnr


def test_opaque_alpha_is_dropped_before_resampling():
    rgba = Image.new("RGBA", (64, 64), (10, 20, 30, 255))
    assert resize.normalise_mode(rgba).mode == "RGB"
    rgba.putpixel((0, 0), (10, 20, 30, 254))
    assert resize.normalise_mode(rgba).mode == "RGBA"


def test_jpeg_scale_keeps_the_margin_only_within_its_memory():
    from imgedge.core import cost, decode

    stored = (6028, 3391)
    full = (0.0, 0.0, 6028.0, 3391.0)
    # 1/2 (3014 x 1696, 19.5 MiB as RGB) keeps 2x of 1500 px within the budget
    assert cost.frame_bytes(3014 * 1696, "RGB") <= decode.SCALE_MARGIN_BYTES
    assert decode.choose_jpeg_scale(stored, full, (1500, 844)) == 4
    # 2x of 1600 px needs full size (78 MiB): over it, the smallest scale that keeps 1x, 1/2 (3014 >= 1600)
    assert cost.frame_bytes(6028 * 3391, "RGB") > decode.SCALE_MARGIN_BYTES
    assert decode.choose_jpeg_scale(stored, full, (1600, 900)) == 4
    assert decode.choose_jpeg_scale(stored, full, (3100, 1744)) == 8  # no scale keeps 1x
    # as L (one byte a pixel, 19.5 MiB) the full-size frame fits: 2x of 1600 px again
    assert decode.choose_jpeg_scale(stored, full, (1600, 900), "L") == 8


def test_a_progressive_jpeg_decodes_at_its_baseline_twins_scale(monkeypatch):
    """The scale's memory rule counts the frame alone: a progressive JPEG's coefficients are held at every
    scale, so its 12 MP frame (46 MiB; 80 with the coefficients) keeps the 2x margin as the baseline's does."""
    from imgedge.core import cost, decode

    ramp = Image.linear_gradient("L")
    picture = Image.merge("RGB", [ramp, ramp.rotate(90), ramp.rotate(180)]).resize((4000, 3000))
    scales = []
    load = decode.load_pixels
    monkeypatch.setattr(decode, "load_pixels", lambda source, eighths=8, *rest: scales.append(eighths) or load(
        source, eighths, *rest))
    banded = decode.jpeg_resampled  # a large frame's rows, where libjpeg's scanline decoder is at hand
    monkeypatch.setattr(decode, "jpeg_resampled", lambda source, crop, out, eighths: scales.append(eighths) or banded(
        source, crop, out, eighths))
    for progressive in (False, True):
        data = encoded(picture, "JPEG", quality=80, progressive=progressive)
        image = open_bytes(data)
        stored = image.width * image.height
        assert (cost.decode_bytes(stored, "RGB", stored, cost.coefficient_bytes(image))
                > decode.SCALE_MARGIN_BYTES >= cost.frame_bytes(stored, "RGB")) == progressive
        imgedge.transform(data, "w=1280&fmt=webp")
    assert scales == [8, 8]  # 2x of 1280 px needs the full size (1/2 keeps 2000 px)


def test_palette_expands_once_to_rgb_without_transparency():
    palette = Image.new("RGB", (64, 64), (200, 10, 10)).quantize(8)
    assert resize.normalise_mode(palette).mode == "RGB"


def test_jpeg_scale_choice_keeps_the_margin_and_decodes_exactly(monkeypatch):
    from imgedge.core import decode

    monkeypatch.setattr(decode, "SCALE_MARGIN_BYTES", 10**12)  # the margin alone; its memory rule below
    stored = (6028, 3391)
    full = (0.0, 0.0, 6028.0, 3391.0)
    assert decode.choose_jpeg_scale(stored, full, (376, 211)) == 1  # 1/8: 753.5 px >= 2 x 376
    assert decode.choose_jpeg_scale(stored, full, (380, 214)) == 2  # 1/8 would leave 1.98x: 1/4, 1507 px
    assert decode.choose_jpeg_scale(stored, full, (750, 422)) == 2  # 1/4: 1507 px >= 2 x 750
    assert decode.choose_jpeg_scale(stored, full, (760, 428)) == 4  # 1/4 would leave 1.98x: 1/2, 3014 px
    assert decode.choose_jpeg_scale(stored, full, (1500, 844)) == 4  # 1/2: 3014 px >= 2 x 1500
    assert decode.choose_jpeg_scale(stored, full, (1600, 900)) == 8  # 1/2 would leave 1.88x
    assert decode.choose_jpeg_scale(stored, full, (4000, 2250)) == 8
    crop = (1000.0, 500.0, 2000.0, 1500.0)  # a cover crop of 1000 px only keeps 1/8 for <= 62 px
    assert decode.choose_jpeg_scale(stored, crop, (60, 60)) == 1
    assert decode.choose_jpeg_scale(stored, crop, (100, 100)) == 2
    assert decode.choose_jpeg_scale(stored, crop, (250, 250)) == 4
    assert decode.choose_jpeg_scale(stored, crop, (300, 300)) == 8
    data = photo("nuthatch-20mp.jpg")
    from imgedge.config import Config

    for eighths in [e for e, _denom in decode.JPEG_SCALES if e != 8]:
        src = decode.open_source(data, Config())
        image = decode.load_pixels(src, eighths)
        assert image.size == (-(-6028 * eighths // 8), -(-3391 * eighths // 8))


@pytest.mark.parametrize("name, fmt, mode", [
    ("cat.png", "PNG", "RGB"),
    ("field-panorama-alpha.png", "PNG", "RGBA"),
    ("lake-boats-4mp.jpg", "WEBP", "RGB"),
    ("field-panorama-alpha.png", "WEBP", "RGBA"),
])
def test_one_call_decoders_give_pillows_pixels(name, fmt, mode):
    """pyspng / webp, where their wheels are installed, decode to exactly Pillow's pixels; where they are
    not, this compares Pillow with itself."""
    from imgedge.config import Config
    from imgedge.core import decode

    data = photo(name)
    if fmt == "WEBP":
        data = encoded(open_bytes(data), "WEBP", quality=80)
    codec = decode._codec({"PNG": "pyspng", "WEBP": "webp"}[fmt])
    assert (decode._fast_pixels(decode.open_source(data, Config())) is not None) == (codec is not None)
    fast = decode.load_pixels(decode.open_source(data, Config()))
    source = decode.open_source(data, Config())
    source.data = b""  # no bytes for the one-call decoders: Pillow decodes
    pillow = decode.load_pixels(source)
    assert fast.mode == pillow.mode == mode and fast.size == pillow.size
    assert fast.tobytes() == pillow.tobytes()
    assert fast.info.get("icc_profile") == pillow.info.get("icc_profile")


def test_a_webp_decoded_shrunk_keeps_the_picture(source):
    """A small output from a still WebP is decoded shrunk by libwebp (to ``WEBP_SHRINK_MARGIN`` x the output)
    and keeps nearly the quality of the full-size decode, even losslessly stored; the geometry follows the
    decoded size exactly."""
    from imgedge.core import decode

    data = encoded(source, "WEBP", quality=90)  # 1200x750
    shrunk = open_bytes(imgedge.transform(data, "w=200&fmt=png").data)
    saved = decode.WEBP_SHRINK_BELOW
    decode.WEBP_SHRINK_BELOW = 0.0  # never shrink
    try:
        full = open_bytes(imgedge.transform(data, "w=200&fmt=png").data)
    finally:
        decode.WEBP_SHRINK_BELOW = saved
    reference = source.resize((200, 125), Image.Resampling.LANCZOS)
    assert shrunk.size == full.size == (200, 125)
    assert psnr(shrunk, reference) > psnr(full, reference) - 1.0
    src = decode.open_source(data, __import__("imgedge.config").config.Config())
    size = decode.webp_decode_size(src, (0.0, 0.0, 1200.0, 750.0), (200, 125))
    assert size == (600, 375) and (decode._codec("webp") is None or decode.load_pixels(src, 8, size).size == size)


def test_png_exif_after_the_pixel_data_is_read_without_decoding():
    """An eXIf chunk after IDAT still orients the image, and opening it decodes no pixel."""
    from imgedge.config import Config
    from imgedge.core import decode

    exif = Image.Exif()
    exif[0x0112] = 6
    plain = encoded(Image.new("RGB", (40, 20), (200, 10, 10)), "PNG")
    chunk_data = exif.tobytes()[6:]  # without the "Exif" header, as the chunk stores it
    import zlib

    chunk = len(chunk_data).to_bytes(4, "big") + b"eXIf" + chunk_data
    chunk += zlib.crc32(b"eXIf" + chunk_data).to_bytes(4, "big")
    data = plain[:-12] + chunk + plain[-12:]  # just before IEND
    source = decode.open_source(data, Config())
    assert source.orientation == 6 and source.oriented_size == (20, 40)
    assert source.image._im is None  # nothing decoded yet
    assert imgedge.transform(data, "w=10&fmt=png").height == 20
    assert decode.png_exif(plain) == b""


@pytest.fixture(scope="module")
def large_png_image(source) -> Image.Image:
    """A 1.1 MP photo with an alpha channel that varies, so every filter type and both reduce paths occur."""
    image = source.resize((1400, 800), Image.Resampling.LANCZOS).convert("RGBA")
    alpha = Image.linear_gradient("L").resize(image.size).point(lambda v: 255 if v > 128 else v * 2)
    image.putalpha(alpha)
    return image


@pytest.fixture(scope="module")
def large_pngs(large_png_image) -> dict[str, bytes]:
    return {mode: encoded(large_png_image.convert(mode), "PNG") for mode in ("RGB", "RGBA")}


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
@pytest.mark.parametrize("shrink", [1, 2, 4])
def test_a_png_decoded_in_strips_is_the_whole_decode(large_pngs, mode, shrink, monkeypatch):
    """Strip by strip (small strips here, so the rows above each strip carry the filters across), a large
    PNG decodes to exactly the whole-image decode's pixels, box-reduced as Pillow's ``reduce`` does; the
    geometry follows the reduced size exactly."""
    from imgedge.config import Config
    from imgedge.core import decode

    data = large_pngs[mode]
    source = decode.open_source(data, Config())
    if not decode.png_strip_reads(source):
        pytest.skip("pyspng or zlib-ng has no wheel here: PNGs decode in one call or through Pillow")
    monkeypatch.setattr(decode, "PNG_STRIP_BYTES", 200_000)  # about 28 rows a strip
    whole = decode.open_source(data, Config())
    whole.data = b""
    expected = decode.load_pixels(whole)  # Pillow's decode
    expected = expected.reduce(shrink) if shrink > 1 else expected
    strips = decode.load_pixels(source, shrink=shrink)
    assert strips.mode == expected.mode == mode and strips.size == expected.size
    assert strips.tobytes() == expected.tobytes()
    assert decode.decoded_scale(strips.size, source.stored_size, 8, shrink) == (1 / shrink, 1 / shrink)


def test_a_png_the_strip_decoder_rejects_is_decoded_whole(large_pngs):
    """A truncated PNG is not decoded halfway in strips: the whole-image decoders decide (and refuse)."""
    from imgedge.config import Config
    from imgedge.core import decode
    from imgedge.errors import UnprocessableImage

    data = large_pngs["RGBA"]
    source = decode.open_source(data[: len(data) // 2], Config())
    with pytest.raises(UnprocessableImage):
        decode.load_pixels(source, shrink=2)


def test_a_large_png_to_a_small_lossy_output_keeps_the_picture(large_png_image, large_pngs, monkeypatch):
    """The strip-wise box reduce before LANCZOS (``PNG_SHRINK_GAP`` x the output left) keeps the picture of
    a plain LANCZOS from the full size."""
    from imgedge.config import Config
    from imgedge.core import decode

    monkeypatch.setattr(resize, "STRIP_MIN_PIXELS", 1_000_000)  # this 1.1 MP PNG counts as large
    data = large_pngs["RGB"]
    source = decode.open_source(data, Config())
    if not decode.png_strip_reads(source):
        pytest.skip("pyspng or zlib-ng has no wheel here: PNGs decode in one call or through Pillow")
    assert decode.png_shrink(source, (0.0, 0.0, 1400.0, 800.0), (200, 114)) == 2
    assert decode.png_shrink(source, (0.0, 0.0, 1400.0, 800.0), (300, 171)) == 1  # 4.7x: under 2 x the gap
    reference = large_png_image.convert("RGB").resize((200, 114), Image.Resampling.LANCZOS)
    out = open_bytes(imgedge.transform(data, "w=200&fmt=webp&q=95").data)
    saved = decode.FAST_DECODE
    decode.FAST_DECODE = False
    try:
        whole = open_bytes(imgedge.transform(data, "w=200&fmt=webp&q=95").data)
    finally:
        decode.FAST_DECODE = saved
    assert out.size == whole.size == (200, 114)
    assert psnr(out, reference) > psnr(whole, reference) - 0.5


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
@pytest.mark.parametrize("crop, out", [((0.0, 0.0, 1400.0, 800.0), (700, 400)),
                                       ((100.5, 37.25, 1300.0, 780.0), (997, 613))])
def test_a_png_resampled_in_bands_is_the_whole_resample(large_pngs, mode, crop, out, monkeypatch):
    """Band by band as its strips are decoded (small bands here), a large PNG's crop resamples to exactly
    the pixels of the whole decoded image's LANCZOS."""
    from imgedge.config import Config
    from imgedge.core import decode

    monkeypatch.setattr(resize, "STRIP_MIN_PIXELS", 1_000_000)  # this 1.1 MP PNG counts as large
    source = decode.open_source(large_pngs[mode], Config())
    if not decode.png_bands(source):
        pytest.skip("pyspng, zlib-ng or cykooz.resizer has no wheel here: PNGs are resampled whole")
    monkeypatch.setattr(decode, "PNG_STRIP_BYTES", 300_000)
    monkeypatch.setattr(decode, "PNG_BAND_BYTES", 500_000)
    banded = decode.png_resampled(source, crop, out)
    whole = resize._simd_lanczos(decode.load_pixels(decode.open_source(large_pngs[mode], Config())), crop, out)
    assert banded is not None and banded.mode == whole.mode == mode
    assert banded.tobytes() == whole.tobytes()


@pytest.fixture(scope="module")
def large_webps(large_png_image) -> dict[tuple[str, bool], bytes]:
    """The 1.1 MP picture as a WebP: opaque and with its varying alpha, lossy and lossless."""
    return {(mode, lossless): encoded(large_png_image.convert(mode), "WEBP", lossless=lossless,
                                      **({"quality": 0, "method": 0} if lossless else {"quality": 90}))  # fast
            for mode in ("RGB", "RGBA") for lossless in (False, True)}


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
@pytest.mark.parametrize("lossless", [False, True])
@pytest.mark.parametrize("crop, out, shrunk", [((0.0, 0.0, 1400.0, 800.0), (700, 400), False),
                                               ((100.5, 37.25, 1300.0, 780.0), (997, 613), False),
                                               ((0.0, 0.0, 1400.0, 800.0), (140, 80), True)])
def test_a_webp_resampled_in_bands_is_the_whole_resample(large_webps, mode, lossless, crop, out, shrunk,
                                                         monkeypatch):
    """Band by band as libwebp's incremental decoder finishes its rows (small bands and feed steps here),
    a still WebP's crop resamples to exactly the pixels of the whole decode's LANCZOS, at full size and
    shrunk by libwebp's scaler."""
    from imgedge.config import Config
    from imgedge.core import decode, webprows

    data = large_webps[(mode, lossless)]
    source = decode.open_source(data, Config())
    if not decode.webp_bands(source):
        pytest.skip("cykooz.resizer has no wheel here or Pillow's libwebp cannot be loaded: WebPs decode whole")
    size = decode.webp_decode_size(source, crop, out) if shrunk else None  # None for RGBA: not shrunk
    if size is not None and decode._codec("webp") is None:
        pytest.skip("libwebp's scaler is reached through the webp wheel, not installed here")
    monkeypatch.setattr(decode, "PNG_BAND_BYTES", 300_000)
    monkeypatch.setattr(webprows, "FEED_ROWS", 16)
    banded = decode.webp_resampled(source, crop, out, size)
    pixels = decode.load_pixels(decode.open_source(data, Config()), 8, size)
    region = geometry.scale_box(crop, decode.decoded_scale(pixels.size, source.stored_size, 8), pixels.size)
    whole = resize._simd_lanczos(pixels, region, out)  # one call of the resampler
    assert banded is not None and banded.mode == whole.mode == mode
    assert banded.tobytes() == whole.tobytes()


def test_a_webp_the_incremental_decoder_rejects_is_decoded_whole(large_webps, monkeypatch):
    """A truncated WebP is not resampled from half its rows, and without Pillow's libwebp the whole-image
    decoders serve: the variant is the same either way."""
    from imgedge.config import Config
    from imgedge.core import decode, webprows

    data = large_webps[("RGB", False)]
    truncated = replace(decode.open_source(data, Config()), data=data[: len(data) // 2])
    assert decode.webp_resampled(truncated, (0.0, 0.0, 1400.0, 800.0), (700, 400)) is None
    banded = imgedge.transform(data, "w=700&fmt=webp&q=90").data
    monkeypatch.setattr(webprows, "library_path", lambda: None)
    webprows.library.cache_clear()
    decode._webp_rows.cache_clear()
    try:
        assert not decode.webp_bands(decode.open_source(data, Config()))
        assert imgedge.transform(data, "w=700&fmt=webp&q=90").data == banded
    finally:
        webprows.library.cache_clear()
        decode._webp_rows.cache_clear()


def test_the_libwebp_structures_are_laid_out_as_the_webp_binding_declares():
    """The ctypes structures handed to Pillow's libwebp have the webp binding's sizes and offsets, and the
    library found is libwebp itself."""
    from imgedge.core import webprows

    binding = pytest.importorskip("webp", reason="the webp wheel is not installed: nothing to check against")
    assert webprows.layout_matches(binding.ffi, binding.lib)
    path = webprows.library_path()
    assert path is None or webprows._is_libwebp(path)


def test_an_animated_png_is_cropped_at_full_size(large_png_image, monkeypatch):
    """An APNG's frames are read whole by Pillow: the plan's region is not the strip decoder's reduced one."""
    from io import BytesIO

    monkeypatch.setattr(resize, "STRIP_MIN_PIXELS", 1_000_000)
    frames = [large_png_image.convert("RGB"), large_png_image.convert("RGB").transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    buffer = BytesIO()
    frames[0].save(buffer, "PNG", save_all=True, append_images=frames[1:], duration=100)
    out = open_bytes(imgedge.transform(buffer.getvalue(), "w=100&h=100&fit=cover&fmt=webp&q=95").data)
    reference = frames[0].crop((300, 0, 1100, 800)).resize((100, 100), Image.Resampling.LANCZOS)
    assert getattr(out, "n_frames", 1) == 2 and out.size == (100, 100)
    assert psnr(out.convert("RGB"), reference) > 30
