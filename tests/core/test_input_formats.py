"""Every input container takes its fast, correct path: no RGBA work without alpha, palettes once."""

import pytest
from PIL import Image

import imgedge
from imgedge.core import resize
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


def test_palette_expands_once_to_rgb_without_transparency():
    palette = Image.new("RGB", (64, 64), (200, 10, 10)).quantize(8)
    assert resize.normalise_mode(palette).mode == "RGB"


def test_jpeg_scale_choice_keeps_the_margin_and_decodes_exactly():
    from imgedge.core import decode

    stored = (6028, 3391)
    full = (0.0, 0.0, 6028.0, 3391.0)
    assert decode.choose_jpeg_scale(stored, full, (640, 360)) == 1  # 1/8: 754 px >= 1.15 x 640
    assert decode.choose_jpeg_scale(stored, full, (700, 394)) == 2  # 1/4: 1507 px
    assert decode.choose_jpeg_scale(stored, full, (1280, 720)) == 2  # 1/4: 1507 px >= 1.1 x 1280
    assert decode.choose_jpeg_scale(stored, full, (1400, 788)) == 4  # 1/4 would leave 1.08x: 1/2, 3014 px
    assert decode.choose_jpeg_scale(stored, full, (2048, 1152)) == 4  # 1/2: 3014 px >= 1.1 x 2048
    assert decode.choose_jpeg_scale(stored, full, (2800, 1575)) == 8  # 1/2 would leave 1.08x
    assert decode.choose_jpeg_scale(stored, full, (4000, 2250)) == 8
    crop = (1000.0, 500.0, 2000.0, 1500.0)  # a cover crop of 1000 px only keeps 1/8 for <= 108 px
    assert decode.choose_jpeg_scale(stored, crop, (100, 100)) == 1
    assert decode.choose_jpeg_scale(stored, crop, (300, 300)) == 4
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
