"""Geometry options on real photos, checked on pixels: fits, no-upscale and enlarge, rect, gravity, focal
point, smart crop, rotation and flips, padding with a background colour."""


import pytest
from PIL import Image, ImageOps

import imgedge
from imgedge.core.geometry import scaled_size
from tests.metrics import psnr
from tests.photos import open_bytes, photo

LANDSCAPE = "lake-boats-4mp.jpg"  # 2560x1600
EXIF6 = "storm-landscape-exif6.jpg"  # shown 1920x1280


def displayed(name: str) -> Image.Image:
    return ImageOps.exif_transpose(open_bytes(photo(name))).convert("RGB")


def out(name: str, query: str) -> Image.Image:
    return open_bytes(imgedge.transform(photo(name), query).data).convert("RGB")


def best_offset(result: Image.Image, source: Image.Image, crop_size: tuple[int, int], axis: int) -> float:
    """Which offset (fraction of the free space along ``axis``) of a crop of ``crop_size`` looks most like
    ``result``."""
    free = (source.width - crop_size[0], source.height - crop_size[1])[axis]
    scores = []
    for step in range(11):
        offset = round(free * step / 10)
        box = (offset, 0) if axis == 0 else (0, offset)
        window = (*box, box[0] + crop_size[0], box[1] + crop_size[1])
        ref = source.crop(window).resize(result.size, Image.Resampling.LANCZOS)
        scores.append((psnr(result, ref), step / 10))
    return max(scores)[1]


@pytest.mark.parametrize("gravity, expected", [("west", 0.0), ("centre", 0.5), ("east", 1.0), ("ne", 1.0)])
def test_gravity_moves_a_cover_crop_to_that_edge(gravity, expected):
    result = out(LANDSCAPE, f"w=300&h=300&g={gravity}&fmt=png")
    assert best_offset(result, displayed(LANDSCAPE), (1600, 1600), axis=0) == expected


def test_north_and_south_crop_a_tall_box_from_the_top_and_bottom():
    source = displayed(LANDSCAPE)
    for gravity, expected in (("top", 0.0), ("bottom", 1.0)):
        result = out(LANDSCAPE, f"w=800&h=200&g={gravity}&fmt=png")
        assert best_offset(result, source, (2560, 640), axis=1) == expected


def test_focal_point_centres_the_crop_on_it():
    result = out(LANDSCAPE, "w=300&h=300&fp-x=0.8&fp-y=0.5&fmt=png")
    # the 1600 px window centred on x = 0.8 * 2560 = 2048 is clamped to the right edge: offset 960 = 1.0
    assert best_offset(result, displayed(LANDSCAPE), (1600, 1600), axis=0) == 1.0
    middle = out(LANDSCAPE, "w=300&h=300&fp-x=0.45&fmt=png")  # 1152 - 800 = 352 px = 0.37 of the free 960
    assert best_offset(middle, displayed(LANDSCAPE), (1600, 1600), axis=0) == 0.4


def test_rect_crops_the_original_before_resizing():
    result = out(LANDSCAPE, "rect=100,200,800,400&w=400&fmt=png")
    assert result.size == (400, 200)
    reference = displayed(LANDSCAPE).crop((100, 200, 900, 600)).resize((400, 200), Image.Resampling.LANCZOS)
    assert psnr(result, reference) > 38


def test_rect_is_in_displayed_coordinates_of_an_exif_rotated_photo():
    result = out(EXIF6, "rect=0,0,960,640&w=480&fmt=png")
    reference = displayed(EXIF6).crop((0, 0, 960, 640)).resize((480, 320), Image.Resampling.LANCZOS)
    assert result.size == (480, 320) and psnr(result, reference) > 38


def test_a_rect_outside_the_image_is_a_400():
    with pytest.raises(imgedge.BadRequest):
        imgedge.transform(photo(LANDSCAPE), "rect=3000,0,100,100&w=100")


@pytest.mark.parametrize("query, transpose", [
    ("rot=90", Image.Transpose.ROTATE_270),  # clockwise
    ("rot=180", Image.Transpose.ROTATE_180),
    ("rot=270", Image.Transpose.ROTATE_90),
    ("flip=h", Image.Transpose.FLIP_LEFT_RIGHT),
    ("flip=v", Image.Transpose.FLIP_TOP_BOTTOM),
    ("rot=90&flip=h", Image.Transpose.TRANSPOSE),  # rotate, then mirror
])
def test_rotation_and_flips_on_top_of_the_exif_orientation(query, transpose):
    result = out(EXIF6, f"{query}&h=320&fmt=png")
    reference = displayed(EXIF6).transpose(transpose)
    reference = reference.resize(result.size, Image.Resampling.LANCZOS)
    assert result.height == 320 and psnr(result, reference) > 38


def test_width_and_height_describe_the_rotated_output():
    assert out(LANDSCAPE, "w=200&h=400&rot=90&fmt=png").size == (200, 400)
    assert out(LANDSCAPE, "w=200&rot=90&fmt=png").size == (200, 320)


def test_outside_covers_the_box_without_cropping():
    result = out(LANDSCAPE, "w=500&h=500&fit=outside&fmt=png")
    assert result.size == (800, 500)


def test_inside_contain_and_fill_never_enlarge_unless_asked():
    sw, sh = 2560, 1600
    assert out(LANDSCAPE, "w=4000&fmt=jpeg").size == (sw, sh)
    assert out(LANDSCAPE, "w=4000&enlarge=1&fmt=jpeg").size == (4000, 2500)
    assert out(LANDSCAPE, "w=4000&h=4000&fit=inside&enlarge=1&fmt=jpeg").size == (4000, 2500)
    assert out(LANDSCAPE, "w=3000&h=3000&fit=cover&enlarge=1&fmt=jpeg").size == (3000, 3000)
    assert out(LANDSCAPE, "w=3000&h=3000&fit=cover&fmt=jpeg").size == (1600, 1600)


def test_pad_uses_the_background_colour_and_gravity_places_the_image():
    result = out(LANDSCAPE, "w=400&h=400&fit=pad&bg=1a73e8&g=north&fmt=png")
    assert result.size == (400, 400)
    assert result.getpixel((200, 399)) == (0x1A, 0x73, 0xE8)  # the band is all below the image
    assert result.getpixel((200, 5)) != (0x1A, 0x73, 0xE8)
    centred = out(LANDSCAPE, "w=400&h=400&fit=pad&bg=1a73e8&fmt=png")
    assert centred.getpixel((200, 5)) == centred.getpixel((200, 395)) == (0x1A, 0x73, 0xE8)


def test_a_translucent_background_keeps_alpha_and_an_opaque_one_flattens():
    alpha = "field-panorama-alpha.png"
    flat = open_bytes(imgedge.transform(photo(alpha), "w=300&bg=ff0000&fmt=png").data)
    assert flat.mode in ("RGB", "P") and "transparency" not in flat.info
    soft = open_bytes(imgedge.transform(photo(alpha), "w=300&bg=ff000080&fmt=png").data).convert("RGBA")
    assert soft.getchannel("A").getextrema()[0] >= 0x80


# --- smart crop -----------------------------------------------------------------------------------------


def test_smart_crop_finds_the_detailed_subject_on_a_plain_background():
    """A real face (grace-hopper) pasted at the right of a wide, blurred real landscape."""
    from PIL import ImageFilter

    face = displayed("grace-hopper-face.jpg").crop((150, 60, 400, 330))  # the face, without the flag
    board = displayed(LANDSCAPE).resize((1400, 400)).filter(ImageFilter.GaussianBlur(12))
    board.paste(face, (1100, 65))
    from tests.photos import encoded

    result = open_bytes(imgedge.transform(encoded(board, "PNG"), "w=400&h=400&g=smart&fmt=png").data).convert("RGB")
    assert best_offset(result, board, (400, 400), axis=0) >= 0.9
    centre = open_bytes(imgedge.transform(encoded(board, "PNG"), "w=400&h=400&fmt=png").data).convert("RGB")
    assert best_offset(centre, board, (400, 400), axis=0) == 0.5


def test_smart_crop_keeps_a_portrait_face_in_a_wide_crop():
    source = displayed("grace-hopper-face.jpg")  # 512x600, face in the upper third
    result = out("grace-hopper-face.jpg", "w=512&h=256&g=smart&fmt=png")
    offset = best_offset(result, source, (512, 256), axis=1)
    assert 0.2 <= offset <= 0.4  # the face, in the upper third; the centre crop would be 0.5


def test_smart_crop_on_a_20_mp_photo_scores_a_reduced_image_only(monkeypatch):
    """The saliency map is computed on the region reduced to at most ``SIDE`` px, whatever the original's size:
    that is what keeps smart crop cheap (its time is the benchmarks' business)."""
    from imgedge.core import smartcrop

    seen = []
    real = smartcrop.saliency
    monkeypatch.setattr(smartcrop, "saliency", lambda image: seen.append(image.size) or real(image))
    result = imgedge.transform(photo("nuthatch-20mp.jpg"), "w=400&h=400&g=smart&fmt=jpeg")
    assert (result.width, result.height) == (400, 400)
    assert seen and all(max(size) <= smartcrop.SIDE for size in seen), seen


def test_a_relative_size_is_a_fraction_of_the_displayed_original_or_its_rect():
    result = out(LANDSCAPE, "scale=0.25&fmt=png")
    reference = displayed(LANDSCAPE).resize((640, 400), Image.Resampling.LANCZOS)
    assert result.size == (640, 400) and psnr(result, reference) > 38
    assert out(EXIF6, "scale=0.5&fmt=png").size == (960, 640)  # after the EXIF orientation
    assert out(EXIF6, "scale=0.5&rot=90&fmt=png").size == (640, 960)
    assert out(LANDSCAPE, "rect=100,200,800,400&scale=0.5&fmt=png").size == (400, 200)
    assert out(LANDSCAPE, "scale=0.333&fmt=png").size == (870, 544)  # exact requests: whole percent, rounded up


def test_a_relative_size_stays_within_max_dimension():
    assert scaled_size((20000, 10000), 50) == (10000, 5000)
    assert scaled_size((20000, 10000), 50, 4096) == (4096, 2048)
    assert scaled_size((3, 2), 5) == (1, 1)  # never a side of 0
