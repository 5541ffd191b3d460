"""JPEG rows from libjpeg's scanline decoder (``jpegrows``): Pillow's pixels, resampled in bands as they
come, and every corrupt, truncated or garbage file decoded by Pillow instead (which refuses it) without
harming the process."""

from __future__ import annotations

import io
import random
import threading

import pytest
from PIL import Image

import imgedge
from imgedge.config import Config
from imgedge.core import decode, geometry, jpegrows, resize
from imgedge.errors import UnprocessableImage
from tests.metrics import psnr


def _photo(mode: str) -> Image.Image:
    """A noisy gradient: every DCT frequency in use."""
    rng = random.Random(7)
    image = Image.radial_gradient("L").resize((600, 440)).convert(mode)
    noise = Image.frombytes("L", image.size, bytes(rng.randrange(256) for _ in range(600 * 440)))
    return Image.blend(image, noise.convert(mode), 0.3)


def _jpeg(mode: str = "RGB", **options: object) -> bytes:
    buffer = io.BytesIO()
    _photo(mode).save(buffer, "JPEG", quality=90, **options)
    return buffer.getvalue()


JPEGS = {
    "420": _jpeg(subsampling=2), "444": _jpeg(subsampling=0), "422-progressive": _jpeg(subsampling=1, progressive=True),
    "grey": _jpeg("L"), "420-restarts": _jpeg(subsampling=2, restart_marker_rows=1),
}


@pytest.fixture(autouse=True)
def _library() -> None:
    if not jpegrows.available():
        pytest.skip("Pillow's libjpeg cannot be loaded through cffi here: JPEGs decode whole")


def _rows(data: bytes, eighths: int) -> Image.Image:
    decoder = jpegrows.Rows(data, eighths)
    for _ in decoder.decoded():
        pass
    return decode._mapped(decoder.buffer, decoder.mode, (decoder.width, decoder.height), {})


@pytest.mark.parametrize("name", sorted(JPEGS))
@pytest.mark.parametrize("eighths", [8, 4, 2, 1])
def test_the_rows_are_pillows_decode_byte_for_byte(name, eighths):
    data = JPEGS[name]
    pillow = decode.load_pixels(decode.open_source(data, Config()), eighths)
    rows = _rows(data, eighths)
    assert rows.mode == pillow.mode and rows.size == pillow.size
    assert rows.tobytes() == pillow.tobytes()


@pytest.mark.parametrize("eighths, crop, out", [(8, (0.0, 0.0, 600.0, 440.0), (400, 293)),
                                                (4, (30.5, 11.25, 590.0, 430.0), (161, 113))])
def test_a_jpeg_resampled_in_bands_is_the_whole_resample(eighths, crop, out, monkeypatch):
    """Small bands and steps here: the whole decode's LANCZOS, to the rounding of the filter's weights."""
    data = JPEGS["420"]
    source = decode.open_source(data, Config())
    if not resize.SIMD:
        pytest.skip("cykooz.resizer has no wheel here: JPEGs decode whole")
    monkeypatch.setattr(decode, "PNG_BAND_BYTES", 100_000)
    monkeypatch.setattr(jpegrows, "FEED_ROWS", 8)
    banded = decode.jpeg_resampled(source, crop, out, eighths)
    pixels = decode.load_pixels(decode.open_source(data, Config()), eighths)
    region = geometry.scale_box(crop, decode.decoded_scale(pixels.size, source.stored_size, eighths), pixels.size)
    whole = resize._simd_lanczos(pixels, region, out)
    assert banded is not None and banded.size == whole.size and banded.mode == whole.mode
    worst = max(abs(a - b) for a, b in zip(banded.tobytes(), whole.tobytes(), strict=True))
    assert worst <= 2


def _flipped(data: bytes, seed: int) -> bytes:
    rng = random.Random(seed)
    out = bytearray(data)
    for _ in range(20):
        position = rng.randrange(200, len(out))
        out[position] ^= 1 << rng.randrange(8)
    return bytes(out)


BROKEN = {
    "truncated": JPEGS["420"][: len(JPEGS["420"]) // 2],
    "truncated-progressive": JPEGS["422-progressive"][: len(JPEGS["422-progressive"]) * 2 // 3],
    **{f"flipped-{seed}": _flipped(JPEGS["420"], seed) for seed in range(4)},
    **{f"flipped-progressive-{seed}": _flipped(JPEGS["422-progressive"], seed) for seed in range(4)},
    "garbage-after-header": JPEGS["420"][:400] + bytes(random.Random(3).randrange(256) for _ in range(30_000)),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_jpeg_is_pillows_to_decide(name, monkeypatch):
    """Whatever the scanline decoder meets, the process goes on: where it fails, the whole-image decode
    answers as it would have without it (the same pixels, or the same refusal)."""
    monkeypatch.setattr(jpegrows, "_parked", [])
    data = BROKEN[name]
    source = decode.open_source(data, Config())
    banded = decode.jpeg_resampled(source, (0.0, 0.0, 600.0, 440.0), (300, 220), 8)
    try:
        pixels = decode.load_pixels(decode.open_source(data, Config()), 8)
    except UnprocessableImage:
        assert banded is None
        return
    if banded is not None:  # corrupt data libjpeg decodes around, as Pillow did
        whole = resize._simd_lanczos(pixels, (0.0, 0.0, 600.0, 440.0), (300, 220))
        assert max(abs(a - b) for a, b in zip(banded.tobytes(), whole.tobytes(), strict=True)) <= 2


def test_a_truncated_jpeg_is_refused_as_before():
    data = BROKEN["truncated"]
    with pytest.raises(UnprocessableImage):
        imgedge.transform(data, "w=300&fmt=webp")


def test_an_error_parks_the_decoder_and_enough_of_them_turn_it_off(monkeypatch):
    """A Huffman table libjpeg refuses makes it call ``error_exit``: the decoder's thread is parked, the
    caller told, and from ``MAX_PARKED`` of them on the scanline decode is not offered."""
    monkeypatch.setattr(jpegrows, "_parked", [])
    monkeypatch.setattr(jpegrows, "MAX_PARKED", 1)
    data = bytearray(JPEGS["420"])
    table = data.index(b"\xff\xc4") + 5  # the DHT's 16 code counts: all 255, more codes than can exist
    data[table:table + 16] = b"\xff" * 16
    with pytest.raises(ValueError, match="libjpeg cannot decode"):
        jpegrows.Rows(bytes(data), 8)
    assert len(jpegrows._parked) == 1 and jpegrows._parked[0].is_alive()
    assert not jpegrows.available()
    assert threading.main_thread().is_alive()


def test_a_large_jpeg_variant_is_made_from_its_rows(monkeypatch):
    """A JPEG whose full-size frame passes ``JPEG_BANDS_FROM_BYTES`` goes through the scanline decoder in
    the pipeline, to the variant the whole decode makes (within the bands' rounding and the encoder's)."""
    if not resize.SIMD:
        pytest.skip("cykooz.resizer has no wheel here: JPEGs decode whole")
    noise = Image.effect_noise((2400, 1800), 40)
    picture = Image.merge("RGB", [Image.linear_gradient("L").resize(noise.size), noise, noise.rotate(180)])
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85)
    data = buffer.getvalue()
    calls = []
    banded = decode.jpeg_resampled
    monkeypatch.setattr(decode, "jpeg_resampled", lambda *args: calls.append(args[3]) or banded(*args))
    rows = Image.open(io.BytesIO(imgedge.transform(data, "w=1200&fmt=webp&q=95").data)).convert("RGB")
    assert calls == [8]
    monkeypatch.setattr(decode, "jpeg_bands", lambda source, eighths, out: False)
    whole = Image.open(io.BytesIO(imgedge.transform(data, "w=1200&fmt=webp&q=95").data)).convert("RGB")
    assert len(calls) == 1 and rows.size == whole.size == (1200, 900)
    assert psnr(rows, whole) >= 45


def test_the_generated_declarations_are_the_ones_declared(tmp_path):
    """``libjpeg_ffi`` is what cffi generates from ``jpegrows.DECLARATIONS`` (regenerate it with
    ``python -m tooling.libjpeg_ffi`` after changing them)."""
    from tooling import libjpeg_ffi

    fresh = tmp_path / "libjpeg_ffi.py"
    libjpeg_ffi.generate(fresh)
    assert fresh.read_bytes() == libjpeg_ffi.MODULE.read_bytes()


def test_without_pillows_libjpeg_the_rows_are_off_and_jpegs_decode_whole(monkeypatch):
    if not resize.SIMD:
        pytest.skip("cykooz.resizer has no wheel here: JPEGs decode whole")
    monkeypatch.setattr(decode, "JPEG_BANDS_FROM_BYTES", 0)
    source = decode.open_source(JPEGS["420"], Config())
    assert decode.jpeg_bands(source, 8, (300, 220))
    jpegrows.library.cache_clear()
    monkeypatch.setattr(jpegrows.webprows, "pillow_library", lambda module, is_it: None)
    try:
        assert not jpegrows.available() and not decode.jpeg_bands(source, 8, (300, 220))
        assert Image.open(io.BytesIO(imgedge.transform(JPEGS["420"], "w=300&fmt=webp").data)).size == (300, 220)
    finally:
        monkeypatch.undo()
        jpegrows.library.cache_clear()
    assert jpegrows.available()


@pytest.mark.parametrize("progressive", [False, True])
@pytest.mark.parametrize("out, rows", [((1280, 960), True), ((640, 480), False), ((1800, 1350), False)])
def test_a_smaller_frame_goes_through_the_rows_only_for_a_large_output_it_is_twice_the_size_of(out, rows, progressive):
    """A 3 MP frame (11.4 MiB as RGBX, under ``JPEG_BANDS_FROM_BYTES``): to 1280 px (4.7 MiB) in rows; to
    640 px (a short request the row path would slow) and to 1800 px (the output nearly the frame) whole; and
    whole where it is progressive (its coefficients, 17 MiB, held either way, outweigh the frame)."""
    if not resize.SIMD:
        pytest.skip("cykooz.resizer has no wheel here: JPEGs decode whole")
    buffer = io.BytesIO()
    Image.new("RGB", (2000, 1500), (90, 120, 200)).save(buffer, "JPEG", progressive=progressive, subsampling=0)
    source = decode.open_source(buffer.getvalue(), Config())
    assert decode.jpeg_bands(source, 8, out) == (rows and not progressive)
