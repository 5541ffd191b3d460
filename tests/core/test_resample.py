"""The resample step (imgedge.core.resize.resample): LANCZOS on the SIMD resampler for L, RGB, RGBA and CMYK,
Pillow's resampler for the rest and wherever the wheel is missing.

The SIMD resampler must be a drop-in for Pillow's ``resize(size, LANCZOS, box=region)``: same filter,
same pixel-centre geometry for fractional boxes, alpha premultiplied. "Same" is measured as PSNR between the
two results on real photos: rounding differences only (well above 50 dB), never a shifted or blurred picture.
"""

import pytest
from PIL import Image, ImageChops, ImageStat

import imgedge
from imgedge.core import effects, resize
from tests.metrics import psnr
from tests.photos import open_bytes, photo

pytestmark = pytest.mark.skipif(not resize.SIMD, reason="the cykooz.resizer wheel is not installed here")

LANDSCAPE = "lake-boats-4mp.jpg"
LANCZOS = Image.Resampling.LANCZOS


@pytest.fixture(scope="module")
def landscape() -> Image.Image:
    return open_bytes(photo(LANDSCAPE)).convert("RGB")


def as_rgb(image: Image.Image) -> Image.Image:
    return image.convert("RGB") if image.mode != "RGBA" else image


@pytest.mark.parametrize("mode", ["L", "RGB", "CMYK"])
@pytest.mark.parametrize("region, size", [
    ((0, 0, 2560, 1600), (1969, 1231)),  # 1.3x
    ((10.25, 20.5, 2550.75, 1590.0), (1016, 632)),  # 2.5x, fractional box
    ((400.5, 300.25, 1400.5, 1000.75), (127, 89)),  # 7.9x, a crop
    ((1000, 700, 1200, 820), (300, 180)),  # 1.5x up (enlarge)
])
def test_simd_lanczos_is_pillows_lanczos(landscape, mode, region, size):
    source = landscape.convert(mode)
    ours = resize.simd_lanczos(source, region, size)
    pillows = source.resize(size, LANCZOS, box=region)
    assert ours.mode == mode and ours.size == size
    assert psnr(ours.convert("RGB"), pillows.convert("RGB")) > 50


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "CMYK"])
@pytest.mark.parametrize("region, size", [
    ((0, 0, 2560, 1600), (1969, 1231)),  # 1.3x
    ((10.25, 20.5, 2550.75, 1590.0), (1016, 632)),  # 2.5x, fractional box
    ((400.5, 300.25, 1400.5, 1000.75), (127, 89)),  # 7.9x, a crop
    ((1000, 700, 1200, 820), (300, 180)),  # 1.5x up (enlarge)
    ((0, 0, 2560, 1600), (1279, 799)),  # 2.0013x: the weights' largest varies from row to row
])
def test_a_large_region_resampled_in_bands_is_one_call(landscape, monkeypatch, mode, region, size):
    """A large region is resampled band by band (memory only): the pixels of one call, to
    the rounding of the filter's weights (their fixed-point precision is chosen per call)."""
    source = landscape.convert(mode)
    if mode == "RGBA":  # alpha that varies, so the premultiplied bands are checked too
        source.putalpha(landscape.convert("L").point(lambda v: 0 if v < 60 else v))
    monkeypatch.setattr(resize, "BAND_BYTES", 4 * 37 * source.width)  # 37 source rows a band
    monkeypatch.setattr(resize, "BAND_ABOVE_BYTES", 0)
    monkeypatch.setattr(resize, "BANDS", 1000)
    banded = resize.simd_lanczos(source, region, size)
    whole = resize._simd_lanczos(source, region, size)
    assert banded.mode == mode and banded.size == whole.size
    if mode == "RGBA":  # colour under low alpha is what rounding leaves there: compare what shows
        banded, whole = banded.convert("RGBa"), whole.convert("RGBa")
    assert max(high for _, high in resize.band_extrema(ImageChops.difference(banded, whole))) <= 2


def test_a_large_source_is_resampled_in_few_bands(landscape, monkeypatch):
    """Each band is one call of the resampler, which costs time besides its rows: a band is at least
    1/``BANDS`` of the source rows, however small ``BAND_BYTES``."""
    calls = []
    real = resize._simd_lanczos

    def counted(image, region, size):
        calls.append(size)
        return real(image, region, size)

    monkeypatch.setattr(resize, "BAND_BYTES", 4 * 10 * landscape.width)
    monkeypatch.setattr(resize, "BAND_ABOVE_BYTES", 0)
    monkeypatch.setattr(resize, "_simd_lanczos", counted)
    banded = resize.simd_lanczos(landscape, (0.0, 0.0, 2560.0, 1600.0), (1279, 799))
    assert sum(height for _, height in calls) == banded.height == 799
    assert 2 <= len(calls) <= resize.BANDS + 1  # output rows per band are rounded down


def test_the_last_band_ends_at_the_region_not_past_it(landscape, monkeypatch):
    """51 rows of 500 / 51 end at 500.00000000000006 in floating point, past the image: the last band
    ends where the region does."""
    source = landscape.crop((0, 0, 200, 500))
    monkeypatch.setattr(resize, "BAND_BYTES", 4 * 40 * source.width)
    monkeypatch.setattr(resize, "BAND_ABOVE_BYTES", 0)
    banded = resize.simd_lanczos(source, (0.0, 0.0, 200.0, 500.0), (20, 51))
    assert banded.tobytes() == resize._simd_lanczos(source, (0.0, 0.0, 200.0, 500.0), (20, 51)).tobytes()


def test_rgba_is_premultiplied_no_hidden_colour_bleeds(landscape):
    """Fully transparent pixels carry pure red that must never show at the edge of the opaque part."""
    opaque = landscape.crop((0, 0, 800, 600)).convert("RGBA")
    hidden = Image.new("RGBA", opaque.size, (255, 0, 0, 0))
    mask = Image.new("L", opaque.size, 0)
    mask.paste(255, (200, 150, 600, 450))
    composed = Image.composite(opaque, hidden, mask)
    region, size = (0.0, 0.0, 800.0, 600.0), (203, 152)
    ours = resize.simd_lanczos(composed, region, size)
    pillows = composed.resize(size, LANCZOS, box=region)
    alpha = ours.getchannel("A")
    # the alpha bands agree to rounding, except at the mask's four hard corners, where the two clip the
    # Lanczos overshoot between their passes differently (measured: 4 pixels, 11 levels)
    histogram = ImageChops.difference(alpha, pillows.getchannel("A")).histogram()
    assert sum(histogram[3:]) <= 8 and not any(histogram[17:])
    # where the result is partly transparent (the edge), its colour is the photo's, not red
    edge = alpha.point(lambda a: 255 if 20 < a < 235 else 0)
    red_excess = ImageChops.subtract(ours.getchannel("R"), pillows.getchannel("R"))
    assert ImageStat.Stat(red_excess, mask=edge).mean[0] < 3
    assert psnr(Image.composite(ours, Image.new("RGBA", size), alpha).convert("RGB"),
                Image.composite(pillows, Image.new("RGBA", size), alpha).convert("RGB")) > 40


def test_la_and_other_modes_keep_pillows_resampler(landscape, monkeypatch):
    calls = []
    monkeypatch.setattr(resize, "simd_lanczos", lambda *args: calls.append(args))
    grey_alpha = landscape.convert("LA")
    out = resize.resample(grey_alpha, (0, 0, *grey_alpha.size), (320, 200))
    assert out.mode == "LA" and out.size == (320, 200) and calls == []


def test_tiny_regions_and_outputs(landscape):
    assert resize.simd_lanczos(landscape, (0, 0, 2560, 1600), (1, 1)).size == (1, 1)
    sliver = resize.simd_lanczos(landscape, (1280.0, 0.0, 1281.0, 1600.0), (1, 40))
    assert sliver.size == (1, 40)
    assert psnr(sliver, landscape.resize((1, 40), LANCZOS, box=(1280, 0, 1281, 1600))) > 40


# 1200 px, not 1280: from 2560 px the 1/2 DCT scale keeps 1x of 1280 and nothing is left to resample
@pytest.mark.parametrize("query", ["w=640&fmt=jpeg&q=80", "w=1200&fmt=webp&q=80", "w=300&h=300&fit=cover&fmt=png",
                                   "w=480&h=320&fit=contain&bg=102030&fmt=avif&q=60"])
def test_transform_is_the_same_picture_with_either_resampler(query, monkeypatch):
    calls = []
    real = resize._simd_lanczos  # each call of the SIMD resampler, whole or band by band (a JPEG's rows)
    monkeypatch.setattr(resize, "_simd_lanczos", lambda *args: calls.append(args[2]) or real(*args))
    fast = imgedge.transform(photo(LANDSCAPE), query)
    assert calls, "the SIMD resampler was not used"
    monkeypatch.setattr(resize, "SIMD", False)
    slow = imgedge.transform(photo(LANDSCAPE), query)
    assert (fast.width, fast.height, fast.content_type) == (slow.width, slow.height, slow.content_type)
    # lossy encoders amplify rounding differences, so compare both against one reference picture
    fast_rgb, slow_rgb = open_bytes(fast.data).convert("RGB"), open_bytes(slow.data).convert("RGB")
    reference = rgb_path_reference(query, fast_rgb.size)
    assert psnr(fast_rgb, reference) >= psnr(slow_rgb, reference) - 0.1


def rgb_path_reference(query: str, size: tuple[int, int]) -> Image.Image:
    """The same request rendered losslessly on Pillow's resampler: what both lossy results approximate."""
    lossless = query
    for lossy in ("fmt=jpeg&q=80", "fmt=webp&q=80", "fmt=avif&q=60"):
        lossless = lossless.replace(lossy, "fmt=png")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(resize, "SIMD", False)
        image = open_bytes(imgedge.transform(photo(LANDSCAPE), lossless).data).convert("RGB")
    assert image.size == size
    return image


@pytest.mark.parametrize("mode", ["P", "PA-like", "I;16"])
def test_a_large_conversion_is_reduced_strip_by_strip_to_the_same_picture(mode):
    """A 100 MP palette PNG must not expand to 400 MB of RGBA (and 400 MB more premultiplied): the
    conversion runs on strips, box-reduced as it goes, and the picture is the full-size path's."""
    rgb = open_bytes(photo("lake-boats-4mp.jpg")).convert("RGB")
    if mode == "I;16":
        source = rgb.convert("L").point(lambda v: v * 257, "I").convert("I;16")
    else:
        source = rgb.quantize(200)
        if mode == "PA-like":
            source.info["transparency"] = bytes([255] * 100 + [0] * 100 + [255] * 56)
    box = (0.0, 0.0, float(source.width), float(source.height))
    out = (320, round(320 * source.height / source.width))
    reduced, region = resize.normalise_reduced(source, box, out)
    assert reduced.width <= source.width // 4
    assert region[2] == pytest.approx(box[2] / (source.width / reduced.width), rel=0.01)
    expected = resize.resample(resize.normalise_mode(source), box, out)
    got = resize.resample(reduced, region, out)
    assert got.mode == expected.mode == ("RGBA" if mode == "PA-like" else "L" if mode == "I;16" else "RGB")
    # compared as shown (on white): under a fully transparent pixel any colour is right
    assert psnr(effects.flatten(got, "ffffff"), effects.flatten(expected, "ffffff")) > 36
