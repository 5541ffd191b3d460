"""The luma/chroma path (imgedge.core.resize.resample_luma_chroma): a YCbCr-coded JPEG going to a 4:2:0
JPEG is decoded to its planes, luma resampled at full size and chroma at a quarter of the pixels.

It must take exactly the requests it is meant for, and give the same picture as the RGB path: same size,
same orientation and crop, same colours, PSNR against the reference within a tenth of a dB or so.
"""

import io

import pytest
from PIL import Image, ImageOps, ImageStat

import imgedge
from imgedge.core import decode, resize
from imgedge.metrics import psnr, reference_resize
from tests.core.test_colour import matrix_trc_profile
from tests.photos import encoded, open_bytes, photo

LANDSCAPE = "lake-boats-4mp.jpg"  # 4:2:0, JFIF
EXIF6 = "storm-landscape-exif6.jpg"  # stored sideways, 4:4:0
PROGRESSIVE_422 = "cups-4mp-progressive.jpg"


@pytest.fixture
def luma_chroma_calls(monkeypatch):
    """Counts calls of the luma/chroma resample (the pipeline reaches it through ``resize.resample``)."""
    calls = []
    real = resize.resample_luma_chroma

    def spy(image, region, size):
        calls.append(size)
        return real(image, region, size)

    monkeypatch.setattr(resize, "resample_luma_chroma", spy)
    return calls


def rgb_path(data: bytes, query: str, monkeypatch) -> imgedge.TransformResult:
    with monkeypatch.context() as patch:
        patch.setattr(resize, "LUMA_CHROMA", False)
        return imgedge.transform(data, query)


def upright(data: bytes) -> Image.Image:
    image = open_bytes(data)
    return (ImageOps.exif_transpose(image) or image).convert("RGB")


@pytest.mark.parametrize("query", ["w=640&fmt=jpeg&q=80", "w=2048&fmt=jpeg&q=85", "w=480&q=75"])
def test_four_two_zero_jpegs_of_a_jpeg_take_the_path(query, luma_chroma_calls):
    result = imgedge.transform(photo(LANDSCAPE), query)
    assert luma_chroma_calls == [(result.width, result.height)]
    assert open_bytes(result.data).mode == "RGB"


@pytest.mark.parametrize("query", [
    "w=640&fmt=jpeg&q=95",  # 4:4:4 from q90: chroma must stay at full size
    "w=1280&fmt=webp&q=80",  # WebP and AVIF encoders average chroma from RGB their own way
    "w=320&fmt=avif&q=60",
    "w=640&fmt=png",
    "w=64&fmt=blurhash",
    "w=640&fmt=jpeg&q=80&bri=20",
    "w=640&fmt=jpeg&q=80&gray=1",
    "w=640&fmt=jpeg&q=80&blur=2",
    "w=640&fmt=jpeg&q=80&sharpen=1",
    "w=400&h=400&fit=contain&fmt=jpeg&q=80&bg=ff0000",
    "w=400&h=400&fit=cover&g=smart&fmt=jpeg&q=80",
])
def test_everything_else_keeps_the_rgb_path(query, luma_chroma_calls):
    imgedge.transform(photo(LANDSCAPE), query)
    assert luma_chroma_calls == []


def test_a_non_srgb_profile_keeps_the_rgb_path_for_its_conversion(luma_chroma_calls):
    wide = matrix_trc_profile("Wide test RGB", ((0.6, 0.3, 0.03), (0.2, 0.7, 0.05), (0.16, 0.03, 0.75)), 2.2)
    data = encoded(open_bytes(photo(LANDSCAPE)), "JPEG", quality=90, icc_profile=wide)
    imgedge.transform(data, "w=640&fmt=jpeg&q=80")
    assert luma_chroma_calls == []


@pytest.mark.parametrize("name", [LANDSCAPE, PROGRESSIVE_422])
@pytest.mark.parametrize("query", ["w=640&fmt=jpeg&q=80", "w=1440&fmt=jpeg&q=85", "w=320&fmt=jpeg&q=60"])
def test_same_picture_as_the_rgb_path(name, query, monkeypatch):
    data = photo(name)
    planes = imgedge.transform(data, query)
    rgb = rgb_path(data, query, monkeypatch)
    assert (planes.width, planes.height, planes.content_type) == (rgb.width, rgb.height, rgb.content_type)
    out, out_rgb = open_bytes(planes.data).convert("RGB"), open_bytes(rgb.data).convert("RGB")
    reference = reference_resize(open_bytes(data), out.size)
    assert psnr(out, reference) >= psnr(out_rgb, reference) - 0.15
    # colours: no swapped or shifted planes (mean of each band within one level)
    for mean, mean_rgb in zip(ImageStat.Stat(out).mean, ImageStat.Stat(out_rgb).mean):
        assert abs(mean - mean_rgb) < 1.0
    assert len(planes.data) <= len(rgb.data) * 1.03


def test_orientation_and_cover_crop_on_the_planes(luma_chroma_calls):
    data = photo(EXIF6)
    out = open_bytes(imgedge.transform(data, "w=300&h=150&fit=cover&fmt=jpeg&q=85").data).convert("RGB")
    assert luma_chroma_calls == [(150, 300)]  # resampled as stored (sideways), turned upright after
    whole = upright(data)
    scale = max(300 / whole.width, 150 / whole.height)
    cw, ch = 300 / scale, 150 / scale
    box = ((whole.width - cw) / 2, (whole.height - ch) / 2, (whole.width + cw) / 2, (whole.height + ch) / 2)
    assert psnr(out, whole.resize((300, 150), Image.Resampling.LANCZOS, box=box)) > 33


def test_a_rect_crop_on_the_planes(luma_chroma_calls):
    data = photo(LANDSCAPE)
    whole = upright(data)
    box = (400, 300, 1400, 1000)
    out = open_bytes(imgedge.transform(data, "rect=400,300,1000,700&w=500&fmt=jpeg&q=85").data).convert("RGB")
    assert luma_chroma_calls == [out.size] and out.size == (500, 350)
    assert psnr(out, whole.resize(out.size, Image.Resampling.LANCZOS, box=box)) > 34


@pytest.mark.parametrize("query", ["w=16&fmt=jpeg&q=80", "w=1&h=1&fit=fill&fmt=jpeg&q=80"])
def test_tiny_outputs(query):
    result = imgedge.transform(photo(LANDSCAPE), query)
    out = open_bytes(result.data)
    assert out.size == (result.width, result.height)
    assert abs(ImageStat.Stat(out.convert("L")).mean[0] - ImageStat.Stat(upright(photo(LANDSCAPE)).convert("L")).mean[0]) < 20


def test_which_jpegs_store_ycbcr():
    source = open_bytes(photo(LANDSCAPE))
    assert decode.stores_ycbcr(Image.open(io.BytesIO(photo(LANDSCAPE))))
    # Adobe marker, transform 0: the file stores RGB, and libjpeg would refuse to hand out YCbCr
    rgb_coded = encoded(source, "JPEG", quality=90, keep_rgb=True)
    assert Image.open(io.BytesIO(rgb_coded)).info.get("adobe_transform") == 0
    assert not decode.stores_ycbcr(Image.open(io.BytesIO(rgb_coded)))
    assert not decode.stores_ycbcr(Image.open(io.BytesIO(encoded(source.convert("L"), "JPEG"))))
    assert not decode.stores_ycbcr(Image.open(io.BytesIO(encoded(source.convert("CMYK"), "JPEG"))))


def test_an_rgb_coded_jpeg_still_renders_with_its_colours(luma_chroma_calls):
    source = open_bytes(photo(LANDSCAPE))
    rgb_coded = encoded(source, "JPEG", quality=95, keep_rgb=True)
    out = open_bytes(imgedge.transform(rgb_coded, "w=640&fmt=jpeg&q=80").data).convert("RGB")
    assert luma_chroma_calls == []
    reference = reference_resize(source, out.size)
    assert psnr(out, reference) > 31  # this busy photo makes 32.2 dB at q80 from the usual YCbCr file too
    for mean, mean_ref in zip(ImageStat.Stat(out).mean, ImageStat.Stat(reference).mean):
        assert abs(mean - mean_ref) < 1.5
