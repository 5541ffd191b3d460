"""imgedge.transform on real photos: sizes, fits, orientation, modes, formats, quality, refusals."""

import io
import struct
import zlib

import pytest
from PIL import Image, ImageOps

import imgedge
from imgedge.errors import PayloadTooLarge, UnprocessableImage, UnsupportedMediaType
from tests.metrics import over, psnr, reference_resize
from tests.photos import encoded, open_bytes, photo

LANDSCAPE = "lake-boats-4mp.jpg"
EXIF6 = "storm-landscape-exif6.jpg"
EXIF8 = "dogs-portrait-exif8.jpg"
ALPHA = "field-panorama-alpha.png"


def displayed_size(name: str) -> tuple[int, int]:
    image = Image.open(io.BytesIO(photo(name)))
    return (ImageOps.exif_transpose(image) or image).size


def test_width_only_keeps_the_aspect_ratio_and_looks_like_the_reference():
    result = imgedge.transform(photo(LANDSCAPE), "w=640&fmt=png")
    sw, sh = displayed_size(LANDSCAPE)
    assert (result.width, result.height) == (640, round(sh * 640 / sw))
    out = open_bytes(result.data)
    assert out.size == (result.width, result.height) and out.format == "PNG"
    reference = reference_resize(open_bytes(photo(LANDSCAPE)), out.size)
    assert psnr(out, reference) > 38


def test_height_only():
    result = imgedge.transform(photo(LANDSCAPE), "h=200&fmt=jpeg")
    sw, sh = displayed_size(LANDSCAPE)
    assert (result.width, result.height) == (round(sw * 200 / sh), 200)


@pytest.mark.parametrize("fit", ["cover", "fill", "contain"])
def test_box_fits_that_fill_the_box(fit):
    result = imgedge.transform(photo(LANDSCAPE), f"w=300&h=300&fit={fit}&fmt=png")
    assert (result.width, result.height) == (300, 300) == open_bytes(result.data).size


def test_cover_crops_the_centre():
    result = open_bytes(imgedge.transform(photo(LANDSCAPE), "w=200&h=200&fit=cover&fmt=png").data)
    source = open_bytes(photo(LANDSCAPE)).convert("RGB")
    side = min(source.size)
    left = (source.width - side) // 2
    reference = source.crop((left, 0, left + side, side)).resize((200, 200), Image.Resampling.LANCZOS)
    assert psnr(result, reference) > 35


def test_contain_letterboxes_on_white_and_inside_does_not_pad():
    contain = open_bytes(imgedge.transform(photo(LANDSCAPE), "w=300&h=300&fit=contain&fmt=png").data).convert("RGB")
    assert contain.getpixel((150, 0)) == (255, 255, 255) and contain.getpixel((150, 299)) == (255, 255, 255)
    assert contain.getpixel((150, 150)) != (255, 255, 255)
    inside = imgedge.transform(photo(LANDSCAPE), "w=300&h=300&fit=inside&fmt=png")
    assert inside.width == 300 and inside.height < 300


def test_fill_stretches_without_cropping():
    result = open_bytes(imgedge.transform(photo(LANDSCAPE), "w=300&h=100&fit=fill&fmt=png").data)
    reference = open_bytes(photo(LANDSCAPE)).convert("RGB").resize((300, 100), Image.Resampling.LANCZOS)
    assert psnr(result, reference) > 35


def test_never_enlarges():
    sw, sh = displayed_size(LANDSCAPE)
    result = imgedge.transform(photo(LANDSCAPE), f"w={min(4096, sw * 2)}&fmt=jpeg")
    assert (result.width, result.height) == (sw, sh)
    box = imgedge.transform(photo(LANDSCAPE), f"w={min(4096, sw * 2)}&h={min(4096, sw * 2)}&fit=cover&fmt=jpeg")
    assert box.width == box.height <= min(sw, sh)  # shape kept, box shrunk to what the original has


@pytest.mark.parametrize("name", [EXIF6, EXIF8])
def test_exif_orientation_is_applied(name):
    raw = open_bytes(photo(name))
    assert raw.getexif().get(0x0112) in (6, 8)
    result = imgedge.transform(photo(name), "w=400&fmt=png")
    out = open_bytes(result.data)
    dw, dh = displayed_size(name)
    assert out.size == (400, round(dh * 400 / dw))
    assert (dw, dh) == (raw.height, raw.width)  # displayed orientation differs from stored
    assert psnr(out, reference_resize(raw, out.size)) > 36


def test_exif_orientation_with_a_crop():
    raw = open_bytes(photo(EXIF6))
    out = open_bytes(imgedge.transform(photo(EXIF6), "w=300&h=150&fit=cover&fmt=png").data)
    upright = ImageOps.exif_transpose(raw).convert("RGB")
    scale = max(300 / upright.width, 150 / upright.height)
    cw, ch = 300 / scale, 150 / scale
    box = ((upright.width - cw) / 2, (upright.height - ch) / 2, (upright.width + cw) / 2, (upright.height + ch) / 2)
    reference = upright.resize((300, 150), Image.Resampling.LANCZOS, box=box)
    assert psnr(out, reference) > 34


def test_metadata_is_stripped_but_orientation_already_applied():
    out = open_bytes(imgedge.transform(photo(EXIF6), "w=320&fmt=jpeg").data)
    assert 0x0112 not in out.getexif()


@pytest.mark.parametrize(
    "fmt, content_type, magic",
    [("jpeg", "image/jpeg", b"\xff\xd8\xff"), ("png", "image/png", b"\x89PNG"),
     ("webp", "image/webp", b"RIFF"), ("avif", "image/avif", b"ftypavif")],
)
def test_every_output_format(fmt, content_type, magic):
    result = imgedge.transform(photo(LANDSCAPE), f"w=320&fmt={fmt}")
    assert result.content_type == content_type
    assert magic in result.data[:12]
    assert open_bytes(result.data).size == (result.width, result.height)


def test_auto_format_follows_accept():
    chrome = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
    assert imgedge.transform(photo(LANDSCAPE), "w=320&fmt=auto", accept=chrome).content_type == "image/avif"
    assert imgedge.transform(photo(LANDSCAPE), "w=320&fmt=auto", accept="image/webp,*/*").content_type == "image/webp"
    assert imgedge.transform(photo(LANDSCAPE), "w=320&fmt=auto", accept="*/*").content_type == "image/jpeg"


def test_legacy_keeps_png_for_transparent_originals():
    assert open_bytes(photo(ALPHA)).mode == "RGBA"
    result = imgedge.transform(photo(ALPHA), "w=320", accept="*/*")
    assert result.content_type == "image/png"
    out = open_bytes(result.data)
    assert out.mode == "RGBA" and out.getchannel("A").getextrema()[0] < 255


def test_alpha_is_resampled_premultiplied_and_flattened_on_white_for_jpeg():
    """Resampling premultiplied then flattening equals flattening then resampling: no dark fringes."""
    result = open_bytes(imgedge.transform(photo(ALPHA), "w=320&fmt=jpeg&q=95").data)
    source = open_bytes(photo(ALPHA)).convert("RGBA")
    flat = Image.new("RGB", source.size, (255, 255, 255))
    flat.paste(source, mask=source.getchannel("A"))
    assert psnr(result, flat.resize(result.size, Image.Resampling.LANCZOS)) > 36


def test_transparent_avif_is_premultiplied_and_composites_like_the_png():
    """libavif's premultiplied alpha (the ``prem`` item reference), read back by Pillow, shows over white
    and over black the picture the lossless PNG variant shows."""
    source = open_bytes(photo(LANDSCAPE)).convert("RGB").resize((640, 360))
    source.putalpha(Image.linear_gradient("L").rotate(90).resize(source.size))  # every alpha level
    png = open_bytes(imgedge.transform(encoded(source, "PNG"), "w=320&fmt=png").data)
    data = imgedge.transform(encoded(source, "PNG"), "w=320&fmt=avif&q=80").data
    avif = open_bytes(data)
    assert b"prem" in data and avif.mode == "RGBA"
    for grey in (255, 0):
        assert psnr(over(avif, grey), over(png, grey)) > 35, grey


def one_colour_graphic(colour: tuple[int, int, int], size: tuple[int, int] = (1200, 800)) -> Image.Image:
    """A symbolic-icon-like graphic: ``colour`` under an alpha of hard-edged shapes and a soft glow."""
    from PIL import ImageDraw, ImageFilter

    alpha = Image.new("L", (1200, 800), 0)
    draw = ImageDraw.Draw(alpha)
    draw.ellipse((100, 100, 700, 700), fill=96)
    alpha = alpha.filter(ImageFilter.GaussianBlur(40))
    draw = ImageDraw.Draw(alpha)
    draw.rounded_rectangle((500, 150, 1100, 650), 60, fill=255)
    draw.line((150, 750, 1150, 100), fill=180, width=30)
    alpha = alpha.resize(size, Image.Resampling.LANCZOS)
    graphic = Image.new("RGB", size, colour)
    graphic.putalpha(alpha)
    return graphic


@pytest.mark.parametrize("colour", [(255, 255, 255), (46, 52, 54)])
def test_one_colour_graphic_avif_has_straight_flat_colour(colour):
    """A graphic of one colour under varying alpha is written with straight alpha and that colour in every
    pixel (``encode.avif_alpha``): flat colour planes, fewer bytes than premultiplied, read back by Pillow
    as a plain resize of the graphic shows over white and over black."""
    from imgedge.core import encode

    graphic = one_colour_graphic(colour)
    data = imgedge.transform(encoded(graphic, "PNG"), "w=320&fmt=avif&q=80").data
    avif = open_bytes(data)
    resized = graphic.resize(avif.size, Image.Resampling.LANCZOS)
    assert b"prem" not in data and avif.mode == "RGBA"
    for grey in (255, 0):
        assert psnr(over(avif, grey), over(resized, grey)) > 40, grey
    premultiplied = io.BytesIO()
    resized.save(premultiplied, "AVIF", **encode.avif_settings(80, alpha=True))
    assert len(data) < len(premultiplied.getvalue())


def test_one_colour_graphic_alpha_is_encoded_at_the_slower_speed_where_it_fits():
    """A one-colour graphic's alpha plane goes to aom at ``AVIF_GRAPHIC_ALPHA_SPEED`` when the pipeline
    passes it (a different file, the same picture); a photo-like RGBA image is premultiplied and its file
    does not change. The pipeline passes it only at the default speed and while the cost model's price of
    that encode, with the store's reserve, fits what is left of the deadline."""
    from imgedge.core import admission, cost, encode
    from imgedge.deadline import Deadline

    graphic = one_colour_graphic((255, 255, 255)).resize((320, 213), Image.Resampling.LANCZOS)
    faster = encode.encode(graphic.copy(), "avif", 60)
    slower = encode.encode(graphic.copy(), "avif", 60, graphic_alpha_speed=encode.AVIF_GRAPHIC_ALPHA_SPEED)
    assert faster != slower
    for data in (faster, slower):
        assert psnr(open_bytes(data).getchannel("A"), graphic.getchannel("A")) > 40
    picture = open_bytes(photo("lake-boats-4mp.jpg")).convert("RGB").resize((320, 213))
    picture.putalpha(graphic.getchannel("A"))
    assert encode.encode(picture.copy(), "avif", 60) == encode.encode(
        picture.copy(), "avif", 60, graphic_alpha_speed=encode.AVIF_GRAPHIC_ALPHA_SPEED)

    pixels = 1080 * 720
    predicted = cost.Estimate(decode_s=0.1, resample_s=0.05, encode_s=0.7, work_bytes=0)
    price = cost.graphic_alpha_seconds(60, pixels) * cost.SAFETY + admission.STORE_RESERVE_SECONDS
    assert admission.graphic_alpha_speed(60, pixels, encode.AVIF_SPEED, predicted, 0.15, Deadline(30)) == 5
    assert admission.graphic_alpha_speed(60, pixels, encode.AVIF_SPEED, predicted, 0.15, Deadline(price * 0.9)) is None
    assert admission.graphic_alpha_speed(60, pixels, 8, predicted, 0.15, Deadline(30)) is None
    # a decode that ran four times slower than predicted scales the price: no longer fits in 1.5x it
    assert admission.graphic_alpha_speed(60, pixels, encode.AVIF_SPEED, predicted, 0.6, Deadline(price * 1.5)) is None


def test_avif_alpha_flattens_only_what_shows_the_same():
    """A white graphic with a faint black shadow beside it (alpha below half the highest, so not where the
    colour is read) is one colour: straight, white wherever that shows the same, and the shadow keeps its
    black. A graphic with a second opaque colour stays premultiplied. An L+alpha graphic stays LA."""
    from imgedge.core import encode

    graphic = one_colour_graphic((255, 255, 255), (300, 200))
    graphic.paste((0, 0, 0, 60), (0, 0, 300, 20))
    (flat,), premultiplied = encode.avif_alpha([graphic])
    assert premultiplied is False
    assert flat.getpixel((10, 10)) == (0, 0, 0, 60) and flat.getpixel((150, 199)) == (255, 255, 255, 0)
    assert flat.getchannel("A").tobytes() == graphic.getchannel("A").tobytes()
    two_colours = graphic.copy()
    two_colours.paste((200, 0, 0, 255), (250, 150, 300, 200))
    assert encode.avif_alpha([two_colours])[1] is True
    (grey,), premultiplied = encode.avif_alpha([graphic.convert("LA")])
    assert grey.mode == "LA" and premultiplied is False
    assert encode.avif_alpha([graphic.convert("RGB")])[1] is False


def test_animated_avif_decides_its_alpha_on_every_frame():
    """One alpha mode for the whole file: straight when every frame shows the same one colour (a blank
    frame shows none), premultiplied as soon as one frame is a photo."""
    from imgedge.core import animate

    graphic = one_colour_graphic((46, 52, 54), (240, 160))
    blank = Image.new("RGBA", graphic.size)
    photo_frame = open_bytes(photo(LANDSCAPE)).convert("RGB").resize(graphic.size)
    photo_frame.putalpha(graphic.getchannel("A"))
    for frames, premultiplied in (([blank, graphic, graphic.rotate(10)], False), ([blank, graphic, photo_frame], True)):
        data = animate.encode(animate.Animation(frames, [100] * 3, 0), "avif", 80)
        assert (b"prem" in data) is premultiplied
        assert Image.open(io.BytesIO(data)).n_frames == 3


def test_opaque_avif_is_converted_to_yuv_exactly_and_has_no_alpha():
    """An opaque image reaches libavif as RGBA (``encode.AVIF_EXACT_YUV``): its exact RGB -> YUV runs, not
    libyuv's fixed-point one, and no alpha item is written. At q100 (AV1 lossless) only the conversion is
    left: a smooth photo comes back above 52 dB, where libyuv's path tops out near 49."""
    from imgedge.core import encode

    smooth = open_bytes(photo(LANDSCAPE)).convert("RGB").resize((160, 90), Image.Resampling.BOX)
    exact = encode.encode(smooth.copy(), "avif", 100)
    fixed_point = io.BytesIO()
    smooth.save(fixed_point, "AVIF", **encode.avif_settings(100))
    assert b"auxC" not in exact and open_bytes(exact).mode == "RGB"
    assert psnr(open_bytes(exact), smooth) > 52 > psnr(open_bytes(fixed_point.getvalue()), smooth)


def test_cmyk_jpeg_comes_out_rgb():
    cmyk = open_bytes(photo(LANDSCAPE)).convert("CMYK")
    result = imgedge.transform(encoded(cmyk, "JPEG", quality=95), "w=320&fmt=png")
    out = open_bytes(result.data)
    assert out.mode == "RGB"
    reference = open_bytes(photo(LANDSCAPE)).convert("RGB").resize(out.size, Image.Resampling.LANCZOS)
    assert psnr(out, reference) > 30


def test_sixteen_bit_greyscale_is_scaled_not_clipped():
    grey = open_bytes(photo(LANDSCAPE)).convert("L").resize((800, 450))
    import numpy as np

    wide = Image.fromarray(np.asarray(grey, dtype=np.uint16) * 257)  # full 16-bit range
    data = encoded(wide, "PNG")
    assert open_bytes(data).mode.startswith("I")
    out = open_bytes(imgedge.transform(data, "w=400&fmt=png").data)
    assert out.mode == "L"
    assert psnr(out, grey.resize(out.size, Image.Resampling.LANCZOS)) > 35


def test_palette_with_transparency():
    source = open_bytes(photo(ALPHA)).convert("RGBA").resize((600, 200))
    palette = source.convert("P", palette=Image.Palette.ADAPTIVE, colors=255)
    palette.info["transparency"] = 0
    result = imgedge.transform(encoded(palette, "PNG", transparency=0), "w=300", accept="*/*")
    out = open_bytes(result.data)  # a palette stays a palette (imgedge.core.palette), its transparency kept
    assert result.content_type == "image/png" and out.convert("RGBA").getchannel("A").getextrema()[0] < 255


def test_srgb_profile_is_dropped_and_pixels_are_untouched():
    """Variants leave untagged sRGB: an sRGB profile is dropped as it is (see imgedge.core.colour)."""
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = open_bytes(photo(LANDSCAPE))
    tagged = encoded(source, "JPEG", quality=90, icc_profile=profile)
    plain = encoded(source, "JPEG", quality=90)
    for fmt in ("jpeg", "webp", "png"):
        out = imgedge.transform(tagged, f"w=200&fmt={fmt}").data
        assert open_bytes(out).info.get("icc_profile") is None
        assert out == imgedge.transform(plain, f"w=200&fmt={fmt}").data


def test_truncated_jpeg_is_a_422():
    data = photo(LANDSCAPE)
    with pytest.raises(UnprocessableImage) as err:
        imgedge.transform(data[: len(data) // 3], "w=320")
    assert err.value.status == 422


@pytest.mark.parametrize("data", [b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"%PDF-1.7", b"<html>", b"hello"])
def test_non_images_are_a_415(data):
    with pytest.raises(UnsupportedMediaType) as err:
        imgedge.transform(data, "w=320")
    assert err.value.status == 415


def test_empty_original_is_a_422():
    with pytest.raises(UnprocessableImage):
        imgedge.transform(b"", "w=320")


def test_declared_dimensions_over_the_pixel_limit_are_refused_before_decoding():
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    with pytest.raises(PayloadTooLarge) as err:
        imgedge.transform(bomb, "w=320")
    assert err.value.status == 413


def test_device_preset_applies_without_a_size():
    mobile_ua = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                 "Version/18.1 Mobile/15E148 Safari/604.1")
    big = "nuthatch-20mp.jpg"
    assert imgedge.transform(photo(big), "fmt=jpeg", user_agent=mobile_ua).width == 828
    assert imgedge.transform(photo(big), "fmt=jpeg").width == 1920
