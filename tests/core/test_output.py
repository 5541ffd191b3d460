"""Output options, checked on pixels and bytes: effects, watermark, metadata, GIF, animation, PNG size,
byte budgets, blurhash, LQIP and JSON."""

import base64
import io
import json

import pytest
from PIL import Image, ImageFilter, ImageStat

import imgedge
from imgedge.config import Config
from imgedge.core import placeholder
from tests.metrics import psnr
from tests.photos import encoded, open_bytes, photo

LANDSCAPE = "lake-boats-4mp.jpg"
PALETTE_PNG = "fixtures/images/exiftool-overview-palette.png"


def out(query: str, name: str = LANDSCAPE, **kw) -> Image.Image:
    return open_bytes(imgedge.transform(photo(name), query, **kw).data)


def detail(image: Image.Image) -> float:
    return ImageStat.Stat(image.convert("L").filter(ImageFilter.FIND_EDGES)).mean[0]


# --- effects ----------------------------------------------------------------------------------------------


def test_blur_and_sharpen_remove_and_add_detail():
    plain, blurred, sharp = (out(f"w=400{q}&fmt=png") for q in ("", "&blur=4", "&sharpen=3"))
    assert detail(blurred) < 0.5 * detail(plain) < detail(plain) < 0.9 * detail(sharp)
    reference = plain.convert("RGB").filter(ImageFilter.GaussianBlur(4))
    assert psnr(blurred.convert("RGB"), reference) > 40


def test_brightness_contrast_saturation_and_grayscale():
    base = out("w=300&fmt=png").convert("RGB")
    mean = lambda im: sum(ImageStat.Stat(im.convert("L")).mean)  # noqa: E731
    spread = lambda im: ImageStat.Stat(im.convert("L")).stddev[0]  # noqa: E731
    assert mean(out("w=300&bri=30&fmt=png")) > mean(base) * 1.2
    assert mean(out("w=300&bri=-30&fmt=png")) < mean(base) * 0.8
    assert spread(out("w=300&con=50&fmt=png")) > spread(base) * 1.3
    assert spread(out("w=300&con=-50&fmt=png")) < spread(base) * 0.7
    chroma = lambda im: ImageStat.Stat(im.convert("RGB").convert("HSV").getchannel("S")).mean[0]  # noqa: E731
    assert chroma(out("w=300&sat=60&fmt=png")) > chroma(base) * 1.2
    gray = out("w=300&gray=1&fmt=jpeg")
    assert gray.mode == "L" and out("w=300&sat=-100&fmt=jpeg").mode == "L"


def test_effects_keep_transparent_pixels_transparent():
    result = out("w=300&blur=3&bri=20&fmt=png", name="field-panorama-alpha.png").convert("RGBA")
    source = open_bytes(photo("field-panorama-alpha.png")).convert("RGBA").resize(result.size)
    assert result.getchannel("A").getextrema()[0] < 255
    assert abs(ImageStat.Stat(result.getchannel("A")).mean[0] - ImageStat.Stat(source.getchannel("A")).mean[0]) < 8


@pytest.mark.parametrize("mode, colour", [("RGBA", "ffffff"), ("RGBA", "204080"), ("LA", "ffffff"),
                                          ("LA", "336699"), ("RGBA", "20408080")])
def test_flatten_in_strips_gives_the_whole_image_composite(monkeypatch, mode, colour):
    """``effects.flatten`` composites strip by strip (memory only): the pixels of one whole composite."""
    from imgedge.core import effects

    noise = Image.effect_noise((301, 157), 90).convert("L")
    alpha = noise.point(lambda v: 0 if v < 80 else 255 if v > 170 else v)  # clear, opaque and between
    image = Image.merge("RGBA", (noise, noise.rotate(90), noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                                 alpha)).convert(mode)
    fill = effects.rgba(colour)
    whole = Image.new("RGBA", image.size, fill)
    whole.alpha_composite(image.convert("RGBA"))
    if fill[3] == 255:
        whole = whole.convert("L" if mode == "LA" and fill[0] == fill[1] == fill[2] else "RGB")
    monkeypatch.setattr(effects, "FLATTEN_STRIP_BYTES", 301 * 4 * 10)  # 16 strips, the last one short
    flat = effects.flatten(image, colour)
    assert flat.mode == whole.mode and flat.tobytes() == whole.tobytes()


def test_watermark_lands_in_its_corner_at_its_opacity():
    mark = encoded(Image.new("RGBA", (200, 100), (255, 0, 0, 255)), "PNG")
    config = Config(watermarks={"logo": {"key": "brand/logo.png", "position": "southeast", "opacity": 0.5,
                                         "scale": 0.25, "margin": 0.0}})
    elsewhere = Config(watermarks={"logo": {**config.watermarks["logo"], "position": "northwest"}})
    base = out("w=400&wm=logo&fmt=png", config=elsewhere, watermark=mark).convert("RGB")  # same path, mark away
    marked = out("w=400&wm=logo&fmt=png", config=config, watermark=mark).convert("RGB")
    assert marked.size == base.size == (400, 250)
    # a 100x50 red box at 50 % in the bottom-right corner; the rest untouched
    r, g, b = marked.getpixel((380, 240))
    r0, g0, b0 = base.getpixel((380, 240))
    assert abs(r - (r0 + 255) / 2) <= 3 and abs(g - g0 / 2) <= 3
    assert marked.getpixel((250, 150)) == base.getpixel((250, 150))
    assert marked.getpixel((299, 240)) == base.getpixel((299, 240))


# --- metadata ---------------------------------------------------------------------------------------------


def _with_exif() -> bytes:
    image = open_bytes(photo(LANDSCAPE))
    exif = Image.Exif()
    exif[0x8298] = "(c) 2024 Example Photographer"
    exif[0x013B] = "Example Photographer"
    exif[0x010F] = "Canon"  # Make
    exif[0x8825] = {2: (52.0, 13.0, 0.0)}  # a GPS block: must never leak
    return encoded(image, "JPEG", quality=90, exif=exif.tobytes())


@pytest.mark.parametrize("fmt", ["jpeg", "webp", "png", "avif"])
def test_metadata_is_stripped_unless_copyright_is_asked_for(fmt):
    data = _with_exif()
    stripped = open_bytes(imgedge.transform(data, f"w=200&fmt={fmt}").data).getexif()
    assert len(stripped) == 0
    kept = open_bytes(imgedge.transform(data, f"w=200&fmt={fmt}&meta=copyright").data).getexif()
    assert kept.get(0x8298) == "(c) 2024 Example Photographer" and kept.get(0x013B) == "Example Photographer"
    assert 0x010F not in kept and 0x8825 not in kept


# --- formats, animation -----------------------------------------------------------------------------------


def animated_gif(frames: int = 6) -> bytes:
    """A pan across a real photo, as a GIF (frame durations 80 ms)."""
    source = open_bytes(photo(LANDSCAPE)).convert("RGB").resize((480, 300))
    images = [source.crop((i * 20, 0, i * 20 + 320, 200)).convert("P", palette=Image.Palette.ADAPTIVE)
              for i in range(frames)]
    return encoded(images[0], "GIF", save_all=True, append_images=images[1:], duration=80, loop=0)


def test_explicit_gif_output():
    result = imgedge.transform(photo(LANDSCAPE), "w=300&fmt=gif")
    image = open_bytes(result.data)
    assert result.content_type == "image/gif" and image.format == "GIF" and image.size == (300, 188)


@pytest.mark.parametrize("fmt, format_name", [("webp", "WEBP"), ("gif", "GIF"), ("avif", "AVIF")])
def test_animated_gif_in_animated_out(fmt, format_name):
    result = imgedge.transform(animated_gif(), f"w=160&fmt={fmt}")
    image = Image.open(io.BytesIO(result.data))
    assert image.format == format_name and image.n_frames == 6 and image.size == (160, 100)
    image.seek(3)
    image.load()
    assert image.info.get("duration") == 80
    frame = image.convert("RGB")
    expected = open_bytes(photo(LANDSCAPE)).convert("RGB").resize((480, 300)).crop((60, 0, 380, 200)).resize((160, 100))
    assert psnr(frame, expected) > 22


def test_legacy_is_gif_for_an_animated_original_and_anim_0_takes_the_first_frame():
    legacy = imgedge.transform(animated_gif(), "w=160", accept="*/*")
    assert legacy.content_type == "image/gif" and Image.open(io.BytesIO(legacy.data)).n_frames == 6
    still = Image.open(io.BytesIO(imgedge.transform(animated_gif(), "w=160&fmt=webp&anim=0").data))
    assert getattr(still, "n_frames", 1) == 1


def test_animation_limits_are_checked_before_the_frames_are_decoded(monkeypatch):
    from imgedge.core import animate

    decoded = []
    monkeypatch.setattr(animate, "read", lambda *a, **k: decoded.append(1))
    with pytest.raises(imgedge.PayloadTooLarge):
        imgedge.transform(animated_gif(), "w=160&fmt=webp", config=Config(max_frames=5))
    with pytest.raises(imgedge.PayloadTooLarge):
        imgedge.transform(animated_gif(), "w=160&fmt=webp", config=Config(max_animated_pixels=5 * 320 * 200))
    assert decoded == []
    assert imgedge.transform(animated_gif(), "w=160&fmt=jpeg", config=Config(max_frames=5)).format == "jpeg"


# --- PNG size ---------------------------------------------------------------------------------------------


def plain_resave(data: bytes, size: tuple[int, int]) -> int:
    """What users compare with: Pillow's plain resize of the original, saved as PNG."""
    buffer = io.BytesIO()
    Image.open(io.BytesIO(data)).resize(size).save(buffer, "PNG")
    return len(buffer.getvalue())


@pytest.mark.parametrize("width", [600, 480, 340, 200, 100])
def test_a_palette_png_never_grows(width):
    data = open(PALETTE_PNG, "rb").read()
    result = imgedge.transform(data, f"w={width}&fmt=png")
    image = open_bytes(result.data)
    assert len(result.data) <= plain_resave(data, image.size)
    assert image.mode == "P" and "transparency" in image.info  # still a palette, still transparent


@pytest.mark.parametrize("name", ["cat.png", "astronaut-face.png", "field-panorama-alpha.png", LANDSCAPE])
@pytest.mark.parametrize("width", [640, 320, 100])
def test_a_photo_png_never_grows(name, width):
    result = imgedge.transform(photo(name), f"w={width}&fmt=png")
    assert len(result.data) <= plain_resave(photo(name), (result.width, result.height))


# --- byte budgets -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jpeg", "webp", "avif"])
def test_a_byte_budget_steps_quality_then_size(fmt):
    full = imgedge.transform(photo(LANDSCAPE), f"w=800&fmt={fmt}")
    fitted = imgedge.transform(photo(LANDSCAPE), f"w=800&fmt={fmt}&mb={len(full.data) // 2}")
    assert len(fitted.data) <= len(full.data) // 2 and open_bytes(fitted.data).width == 800  # quality was enough
    tiny = imgedge.transform(photo(LANDSCAPE), f"w=800&fmt={fmt}&mb=3000")
    assert len(tiny.data) <= 3000 and open_bytes(tiny.data).width < 800  # then the size stepped down


def test_a_png_budget_steps_the_size():
    result = imgedge.transform(photo(LANDSCAPE), "w=640&fmt=png&mb=100000")
    assert len(result.data) <= 100_000 and open_bytes(result.data).width < 640


# --- placeholders and JSON --------------------------------------------------------------------------------


def test_blurhash_is_a_28_character_hash_of_the_image():
    result = imgedge.transform(photo(LANDSCAPE), "fmt=blurhash")
    text = result.data.decode()
    assert result.content_type.startswith("text/plain") and len(text) == 28 and text[0] == "L"  # 4x3
    decoded = placeholder.decode_blurhash(text, 32, 20)
    small = open_bytes(photo(LANDSCAPE)).convert("RGB").resize((32, 20), Image.Resampling.BOX)
    assert psnr(decoded, small.filter(ImageFilter.GaussianBlur(3))) > 18
    dc = ImageStat.Stat(decoded).mean
    assert all(abs(a - b) < 12 for a, b in zip(dc, ImageStat.Stat(small).mean))


def test_blurhash_follows_the_crop_and_the_portrait_shape():
    portrait = imgedge.transform(photo("dogs-portrait-exif8.jpg"), "fmt=blurhash").data.decode()
    assert portrait[0] == _size_flag(3, 4)
    top, bottom = (
        placeholder.decode_blurhash(imgedge.transform(photo(LANDSCAPE), query).data.decode(), 32, 8)
        for query in ("w=400&h=100&g=north&fmt=blurhash", "w=400&h=100&g=south&fmt=blurhash")
    )
    assert ImageStat.Stat(top).mean != ImageStat.Stat(bottom).mean


def _size_flag(cx: int, cy: int) -> str:
    return "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[(cx - 1) + (cy - 1) * 9]


def test_lqip_is_a_tiny_webp_data_uri():
    uri = imgedge.transform(photo(LANDSCAPE), "fmt=lqip").data.decode()
    assert uri.startswith("data:image/webp;base64,") and len(uri) < 600
    image = open_bytes(base64.b64decode(uri.split(",", 1)[1]))
    assert image.format == "WEBP" and image.size == (32, 20)


def test_json_describes_the_original():
    info = json.loads(imgedge.transform(photo("storm-landscape-exif6.jpg"), "fmt=json").data)
    assert (info["width"], info["height"], info["format"], info["orientation"]) == (1920, 1280, "jpeg", 6)
    assert info["frames"] == 1 and not info["has_alpha"] and info["dominant_colour"].startswith("#")
    alpha = json.loads(imgedge.transform(photo("field-panorama-alpha.png"), "fmt=json").data)
    assert alpha["has_alpha"] and alpha["format"] == "png"
    animated = json.loads(imgedge.transform(animated_gif(), "fmt=json").data)
    assert animated["frames"] == 6 and animated["animated"]


def test_dominant_colour_of_a_flat_image():
    data = encoded(Image.new("RGB", (300, 200), (200, 30, 40)), "PNG")
    assert json.loads(imgedge.transform(data, "fmt=json").data)["dominant_colour"] == "#c81e28"


def test_json_reads_a_palettes_transparency_from_the_pixels_that_use_it():
    """A palette PNG has alpha only when a pixel uses a transparent entry, not when one is merely declared."""
    image = open_bytes(photo("lake-boats-4mp.jpg")).convert("RGB").resize((200, 125)).quantize(64)
    used = image.getpixel((0, 0))
    unused = next(i for i in range(256) if i not in {c for _, c in image.getcolors(256)})
    for index, expected in ((used, True), (unused, False)):
        out = io.BytesIO()
        image.save(out, "PNG", transparency=index)
        assert json.loads(imgedge.transform(out.getvalue(), "fmt=json").data)["has_alpha"] is expected
