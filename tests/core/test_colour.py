"""ICC-profiled originals come out as untagged sRGB with the right colours (imgedge.core.colour)."""

import io
import struct

import pytest
from PIL import Image, ImageCms

import imgedge
from imgedge.core import colour, steps
from tests.metrics import psnr
from tests.photos import encoded, open_bytes, photo

LANDSCAPE = "lake-boats-4mp.jpg"


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def matrix_trc_profile(description: str, primaries, gamma: float) -> bytes:
    """A minimal ICC v2 RGB display profile (matrix + gamma curves), D50 PCS."""
    def xyz(v):
        return b"XYZ " + b"\0" * 4 + b"".join(_s15(c) for c in v)

    text = description.encode("ascii") + b"\0"
    desc = b"desc" + b"\0" * 4 + struct.pack(">I", len(text)) + text + b"\0" * 8 + b"\0" * 3 + b"\0" * 67
    curve = b"curv" + b"\0" * 4 + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"
    tags = [(b"desc", desc), (b"wtpt", xyz((0.9642, 1.0, 0.8249))), (b"rXYZ", xyz(primaries[0])),
            (b"gXYZ", xyz(primaries[1])), (b"bXYZ", xyz(primaries[2])), (b"rTRC", curve), (b"gTRC", curve),
            (b"bTRC", curve)]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for sig, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = (struct.pack(">I", size) + b"\0" * 4 + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ " + b"\0" * 12
              + b"acsp" + b"\0" * 24 + struct.pack(">I", 0) + _s15(0.9642) + _s15(1.0) + _s15(0.8249) + b"\0" * 48)
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


#: Display P3 primaries (D50-adapted, as in Apple's profile), gamma 2.2: a wide-gamut phone profile.
WIDE = matrix_trc_profile("Wide gamut test RGB", [(0.5151, 0.2412, -0.0011), (0.2920, 0.6922, 0.0419),
                                                   (0.1571, 0.0666, 0.7841)], 2.2)


def wide_gamut_version(image: Image.Image) -> Image.Image:
    """The same colours, encoded in the wide-gamut space (what a phone would store)."""
    wide = ImageCms.ImageCmsProfile(io.BytesIO(WIDE))
    converted = ImageCms.profileToProfile(image, ImageCms.createProfile("sRGB"), wide, outputMode="RGB")
    converted.info.pop("icc_profile", None)  # tag it (or not) explicitly when encoding
    return converted


@pytest.mark.parametrize("fmt", ["jpeg", "webp", "png"])
def test_wide_gamut_profile_is_converted_to_srgb_and_dropped(fmt):
    source = open_bytes(photo(LANDSCAPE)).convert("RGB")
    wide = wide_gamut_version(source)
    query = f"w=320&fmt={fmt}&q=95"
    out = open_bytes(imgedge.transform(encoded(wide, "PNG", icc_profile=WIDE), query).data)
    assert out.info.get("icc_profile") is None
    expected = open_bytes(imgedge.transform(encoded(source, "PNG"), query).data)  # the sRGB original
    ignored = open_bytes(imgedge.transform(encoded(wide, "PNG"), query).data)  # profile ignored: washed out
    assert psnr(out, expected) > 36
    assert psnr(out, expected) > psnr(ignored, expected) + 3


def test_alpha_survives_the_colour_conversion():
    source = open_bytes(photo("field-panorama-alpha.png")).convert("RGBA")
    wide = wide_gamut_version(source.convert("RGB"))
    wide.putalpha(source.getchannel("A"))
    out = open_bytes(imgedge.transform(encoded(wide, "PNG", icc_profile=WIDE), "w=256&fmt=png").data)
    assert out.mode == "RGBA"
    assert out.getchannel("A").getextrema() == source.getchannel("A").resize(out.size).getextrema()


def test_a_broken_profile_does_not_sink_the_image():
    data = encoded(open_bytes(photo(LANDSCAPE)), "JPEG", quality=90, icc_profile=b"RGB garbage" * 20)
    result = imgedge.transform(data, "w=200&fmt=jpeg")
    assert open_bytes(result.data).size == (result.width, result.height)


def test_few_colour_images_become_lossless_palette_pngs():
    from PIL import ImageDraw

    art = Image.new("RGBA", (800, 500), (0, 0, 0, 0))
    draw = ImageDraw.Draw(art)
    draw.rectangle((10, 10, 790, 300), fill=(255, 0, 0, 255))
    draw.rectangle((100, 200, 700, 490), fill=(0, 128, 255, 128))
    out = open_bytes(imgedge.transform(encoded(art, "PNG"), "w=800&fmt=png").data)  # no resample: 3 colours
    assert out.mode == "P"
    assert out.convert("RGBA").tobytes() == art.tobytes()


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_the_conversion_in_place_makes_the_same_pixels(mode):
    image = wide_gamut_version(open_bytes(photo(LANDSCAPE)).convert("RGB").resize((300, 200))).convert(mode)
    copied = colour.to_srgb(image, WIDE)
    written = image.copy()
    assert colour.to_srgb(written, WIDE, in_place=True) is written
    assert written.tobytes() == copied.tobytes() and copied.tobytes() != image.tobytes()


@pytest.mark.parametrize(("fmt", "size", "query"), [("JPEG", (2400, 1800), "w=1600&fmt=webp"),
                                                    ("JPEG", None, "w=400&fmt=jpeg"),
                                                    ("PNG", None, "w=300&fmt=avif"), ("PNG", None, "w=300&fmt=png")])
def test_handing_the_decoded_pixels_to_the_steps_changes_no_pixel(monkeypatch, fmt, size, query):
    """A lossy still's steps own the decoded pixels (converted in place, freed before the encode): the
    same bytes as steps that copy, and a PNG output still reads the source's colours. 2400x1800 is a
    JPEG frame large enough to be resampled as its rows are decoded."""
    source = open_bytes(photo(LANDSCAPE)).convert("RGB")
    wide = wide_gamut_version(source.resize(size) if size else source)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: the steps transpose the converted image
    data = encoded(wide, fmt, icc_profile=WIDE, exif=exif)
    owned = imgedge.transform(data, query).data
    process, to_srgb = steps.process, colour.to_srgb
    monkeypatch.setattr(steps, "process", lambda image, frame, owned=False: process(image, frame))
    monkeypatch.setattr(colour, "to_srgb", lambda image, icc, in_place=False: to_srgb(image, icc))
    assert imgedge.transform(data, query).data == owned
