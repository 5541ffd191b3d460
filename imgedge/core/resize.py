"""Resize: bring the decoded pixels into a resample-friendly mode, then resample the planned region.

Modes are normalised *before* resampling so every later step sees one of L, LA, RGB, RGBA (or CMYK, which
resamples channel by channel like RGB and is converted to sRGB on the small result): palette and 1-bit
images would otherwise be resampled as indices, and 16-bit greyscale would be clipped (Pillow's
``convert("L")`` saturates values above 255 instead of scaling). Each conversion happens once, at the
decoded size: a palette image expands once, to RGB unless it has transparency; an alpha channel that is
opaque everywhere is dropped before any resampling (no premultiply / unpremultiply round trip).

Resampling is LANCZOS (Lanczos3) on the exact, fractional region. It runs on a SIMD convolution
(Rust's ``fast_image_resize`` through the ``cykooz.resizer`` wheel: AVX2 / SSE4.1 / NEON, alpha
premultiplied for RGBA) for L, RGB, RGBA and CMYK: 5-12x Pillow's scalar resampler at the same result
(56-63 dB apart from Pillow's own LANCZOS on real photos, i.e. rounding), so the resample stops being
where the time goes; the decode and the encode are (benchmarks/RESULTS.md, "Resample"). Pillow's
resampler remains for LA and whenever the wheel is missing (a platform without one): there, sources
other than a JPEG's DCT-scaled decode get an integer box ``reduce`` by ``int(factor / 2)`` first from 4x
on (the trade Pillow's ``thumbnail`` makes), since its cost grows with the source's size.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

from PIL import Image

from .geometry import Box

try:
    import cykooz_resizer as _simd
except ImportError:  # no wheel for this platform: Pillow's resampler does it all
    _simd = None

#: Use the SIMD resampler where it applies (off only to measure Pillow's against it, and where the
#: ``cykooz.resizer`` wheel is not installed).
SIMD = _simd is not None
#: Modes the SIMD resampler takes as they are (RGBA with alpha premultiplied, like Pillow's).
SIMD_MODES = ("L", "RGB", "RGBA", "CMYK")

#: Pillow's ``reduce`` (integer box average) by ``int(factor / REDUCING_GAP)`` before LANCZOS. Pillow's
#: ``thumbnail`` uses 2.0. Measured per case in benchmarks/RESULTS.md: see ``reducing_gap_for``.
REDUCING_GAP = 2.0
#: When the region is at most this many times the output (what a JPEG DCT scale leaves), a plain LANCZOS
#: is cheap enough and keeps the most quality; above it, ``REDUCING_GAP`` applies.
DIRECT_LANCZOS_BELOW = 4.0
#: The resampling filter.
FILTER = Image.Resampling.LANCZOS


def normalise_mode(image: Image.Image, *, keep_alpha: bool = False) -> Image.Image:
    """Return the image in L, LA, RGB or RGBA, preserving transparency and 16-bit range (``keep_alpha``:
    leave an opaque alpha channel, for a strip whose neighbours may not be opaque)."""
    mode = image.mode
    drop = (lambda im: im) if keep_alpha else drop_opaque_alpha
    if mode in ("LA", "RGBA"):
        return drop(image)
    if mode in ("L", "RGB", "CMYK"):
        return image
    if mode == "P":
        return drop(image.convert("RGBA")) if "transparency" in image.info else image.convert("RGB")
    if mode == "PA":
        return drop(image.convert("RGBA"))
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        return _sixteen_bit_to_l(image)
    if mode == "1" or mode == "F":
        return image.convert("L")
    if mode == "La":
        return image.convert("LA")
    if mode == "RGBa":
        return image.convert("RGBA")
    return image.convert("RGB")  # YCbCr, LAB, HSV, RGBX


def band_extrema(image: Image.Image) -> tuple[tuple[float, float], ...]:
    """Each band's ``(min, max)``, from one ``getextrema`` pass (no copy of a channel). Pillow answers a
    one-band image with the bare pair and any other with a pair per band; this is always a pair per band."""
    extrema = image.getextrema()
    low, high = extrema[0], extrema[-1]
    if not isinstance(low, tuple) and not isinstance(high, tuple):  # one band: the bare pair
        return ((low, high),)
    return tuple(pair for pair in extrema if isinstance(pair, tuple))


def drop_opaque_alpha(image: Image.Image) -> Image.Image:
    """LA/RGBA whose alpha is 255 everywhere → L/RGB (one cheap extrema pass, without a copy of the
    channel, saves the premultiplied resample and every later alpha check)."""
    if image.mode in ("LA", "RGBA") and band_extrema(image)[-1][0] == 255:
        return image.convert(image.mode[:-1])
    return image


def converts_at_full_size(image: Image.Image) -> bool:
    """Whether ``normalise_mode`` may copy the decoded image into another mode (the cost model counts that
    copy's time and memory, at full size or, with ``strip_reduce_factor``, at the reduced size)."""
    return image.mode not in ("L", "RGB", "CMYK")


#: A mode conversion of an image above this many pixels is done strip by strip, reduced as it goes,
#: whenever the output is at least ``2 x STRIP_MIN_FACTOR`` times smaller (a 100 MP palette PNG would
#: otherwise expand to 400 MB of RGBA, and the resampler premultiply another 400 MB).
STRIP_MIN_PIXELS = 4_000_000
STRIP_MIN_FACTOR = 2
#: Bytes of converted pixels one strip may hold.
STRIP_BYTES = 16 * 1024 * 1024


def strip_reduce_factor(image_size: tuple[int, int], region: Box, size: tuple[int, int], converts: bool) -> int:
    """The integer box factor ``normalise_reduced`` reduces by (1: none): ``int(scale / REDUCING_GAP)``, as
    Pillow's ``thumbnail`` does, for large images that need a mode conversion."""
    if not converts or image_size[0] * image_size[1] < STRIP_MIN_PIXELS:
        return 1
    scale = min((region[2] - region[0]) / size[0], (region[3] - region[1]) / size[1])
    factor = int(scale / REDUCING_GAP)
    return factor if factor >= STRIP_MIN_FACTOR else 1


def normalise_reduced(image: Image.Image, region: Box, size: tuple[int, int]) -> tuple[Image.Image, Box]:
    """``normalise_mode`` of ``image``, box-reduced first where ``strip_reduce_factor`` says so, strip by
    strip, so no full-size copy in another mode is ever made; returns the image and ``region`` in its
    coordinates."""
    factor = strip_reduce_factor(image.size, region, size, converts_at_full_size(image))
    if factor == 1:
        return normalise_mode(image), region
    mode = _normalised_mode(image)
    width, height = image.size
    out = Image.new(mode, (-(-width // factor), -(-height // factor)))
    rows = max(factor, STRIP_BYTES // (width * 4) // factor * factor)
    for top in range(0, height, rows):
        strip = image.crop((0, top, width, min(height, top + rows)))
        strip = normalise_mode(strip, keep_alpha=True)
        if strip.mode != mode:
            strip = strip.convert(mode)
        out.paste(strip.reduce(factor), (0, top // factor))
    reduced = tuple(v / factor for v in region)
    return drop_opaque_alpha(out), (reduced[0], reduced[1], reduced[2], reduced[3])


def _normalised_mode(image: Image.Image) -> str:
    """The mode ``normalise_mode`` gives ``image`` before dropping an opaque alpha (decided for the whole
    image, not per strip)."""
    mode = image.mode
    if mode in ("LA", "RGBA", "L", "RGB", "CMYK"):
        return mode
    if mode == "P":
        return "RGBA" if "transparency" in image.info else "RGB"
    if mode in ("PA", "RGBa"):
        return "RGBA"
    if mode in ("La",):
        return "LA"
    if mode in ("I;16", "I;16B", "I;16L", "I", "1", "F"):
        return "L"
    return "RGB"


def reducing_gap_for(region: Box, size: tuple[int, int]) -> float | None:
    """``None`` (plain LANCZOS) when the region is under ``DIRECT_LANCZOS_BELOW`` x the output, else
    ``REDUCING_GAP``."""
    factor = max((region[2] - region[0]) / size[0], (region[3] - region[1]) / size[1])
    return None if factor < DIRECT_LANCZOS_BELOW else REDUCING_GAP


def resample(image: Image.Image, region: Box, size: tuple[int, int]) -> Image.Image:
    """Resample ``region`` (in ``image``'s own pixel coordinates, fractional) to ``size``."""
    full = (0, 0, image.width, image.height)
    if size == image.size and tuple(round(v) for v in region) == full:
        return image
    if size == (round(region[2] - region[0]), round(region[3] - region[1])) and all(v == round(v) for v in region):
        left, top, right, bottom = region
        return image.crop((int(left), int(top), int(right), int(bottom)))  # a pure crop: no filter pass
    if SIMD and image.mode in SIMD_MODES:
        return simd_lanczos(image, region, size)
    return image.resize(size, FILTER, box=region, reducing_gap=reducing_gap_for(region, size))


#: A resample whose intermediate images (the resampler's horizontal pass: the output's width by every source
#: row; for RGBA also its premultiplied copy of the source) would pass ``BAND_ABOVE_BYTES`` is done band by
#: band (``resampled_in_bands``), ``BAND_BYTES`` of source rows a band, so they are a band's: 54 -> 8 MiB
#: on a 10 MP photo to 2048 px. Peak of a 2048 / 1920 px JPEG from the 10 MP portrait and the 24 MP render
#: (validate): whole 93 / 88 and 51 / 48 MiB; 4 MiB bands 87 / 81 and 47 / 44, 2 MiB 84 / 78 and 44 / 41,
#: 1 MiB 82 / 77 and 44 / 42 (libvips 87 / 83 and 48 / 46). The bands cost time (2 MiB: +6 to +11 ms on
#: those, 10-30 ms resamples) where the one call's intermediate was reused warm, so smaller resamples, whose
#: intermediate is small anyway, stay one call. The pixels are one call's to the rounding of the filter's
#: weights (``resampled_in_bands``).
BAND_BYTES = 2 * 1024 * 1024
BAND_ABOVE_BYTES = 12 * 1024 * 1024
#: ... and a band is at least this fraction of the source's rows (larger than ``BAND_BYTES`` from 8 MP of RGB):
#: each call of the resampler costs about a millisecond besides its rows, and a 20-24 MP full-size decode (a 2048 px
#: output of one: the JPEG DCT scale keeps 2x the output) took 40-47 bands. 20 MP -> 2048 px: 75 ms in
#: 2 MiB bands, 48 in 16 bands, 40 in 8, 26 in one call; 24 MP: 88, 54, 43, 31 (a band's share of the
#: source rows is what it adds to the peak: 6 % of the decoded image in 16).
BANDS = 16


def simd_lanczos(image: Image.Image, region: Box, size: tuple[int, int]) -> Image.Image:
    """Lanczos3 of ``region`` (fractional, in ``image``'s pixels) to ``size`` on the SIMD resampler: the
    same filter, support and pixel-centre geometry as Pillow's ``resize(size, LANCZOS, box=region)``;
    band by band where one call would hold large intermediate images."""
    rows = region[3] - region[1]
    held = (size[0] + (image.width if image.mode == "RGBA" else 0)) * rows * 4
    if held > BAND_ABOVE_BYTES and size[1] > 1:
        if image.mode == "RGBA":  # each band's rows copied, or every call premultiplies the whole image
            def band(first: int, end: int) -> tuple[Image.Image, int]:
                return image.crop((0, first, image.width, end)), first
        else:
            def band(first: int, end: int) -> tuple[Image.Image, int]:
                return image, 0
        band_bytes = max(BAND_BYTES, image.width * image.height * 4 // BANDS)
        return resampled_in_bands(image.mode, image.size, region, size, iter((image.height,)), band,
                                  lambda row: None, band_bytes)
    return _simd_lanczos(image, region, size)


def resampled_in_bands(mode: str, size: tuple[int, int], crop: Box, out: tuple[int, int], decoded: Iterator[int],
                       rows: Callable[[int, int], tuple[Image.Image, int]], release: Callable[[int], None],
                       band_bytes: int) -> Image.Image:
    """``crop`` of an image of ``size`` being decoded top down LANCZOS-resampled to ``out`` band by band
    (``band_bytes`` of source rows each, besides the filter's reach), each band of output rows from the
    source rows under its filter support with the SIMD resampler's crop box: the whole image's resample,
    to the rounding of the filter's weights (the resampler fixes their precision per call from the largest
    weight of the rows it computes, so a band may round a level or two apart, at 55 dB and up; where the
    scale is a whole number, byte for byte): ``decoded`` yields how many rows are done, ``rows(first, end)``
    is an image holding at least those rows and the source row its first row is, ``release(row)`` says no
    row above ``row`` is needed again. ``ValueError`` if the rows run out."""
    width, height = size
    step = (crop[3] - crop[1]) / out[1]
    support = 3.0 * max(step, 1.0) + 2  # Lanczos3's reach in source rows, and a row for rounding each side
    band = max(1, int(band_bytes // (width * 4) / step))  # output rows per band
    result = Image.new(mode, out)
    done = 0
    for available in decoded:
        while done < out[1]:
            last = min(out[1], done + band)
            first_row = max(0, int(crop[1] + done * step - support))
            end_row = min(height, math.ceil(crop[1] + last * step + support))
            if end_row > available:
                break
            source, origin = rows(first_row, end_row)
            bottom = crop[3] if last == out[1] else crop[1] + last * step  # not past the crop by a rounding
            box = (crop[0], crop[1] + done * step - origin, crop[2], bottom - origin)
            result.paste(_simd_lanczos(source, box, (out[0], last - done)), (0, done))
            done = last
            release(max(0, int(crop[1] + done * step - support)))
    if done < out[1]:
        raise ValueError("the image's rows ended early")
    return result


def _simd_lanczos(image: Image.Image, region: Box, size: tuple[int, int]) -> Image.Image:
    """One call of the SIMD resampler. A resizer per call (about a microsecond): one shared across the
    local edge's threads could be borrowed twice at once. No thread pool: one core does it, as benchmarked
    (a Lambda function below 1,769 MB has less than one vCPU anyway)."""
    crop = _simd.CropBox(region[0], region[1], region[2] - region[0], region[3] - region[1])
    options = _simd.ResizeOptions(resize_alg=_simd.ResizeAlg.convolution(_simd.FilterType.lanczos3), crop_box=crop)
    out = Image.new(image.mode, size)
    _simd.Resizer().resize_pil(image, out, options)
    return out


def _sixteen_bit_to_l(image: Image.Image) -> Image.Image:
    """16-bit (I;16*) or 32-bit (I) greyscale → 8-bit L by scaling 0..65535 onto 0..255 (not clipping).

    Two full-size Pillow passes (``point`` with a linear scale, then ``convert``) instead of numpy, whose
    import alone costs ~60 ms of cold start. An ``I`` image whose values stay within 0..255 is kept as is.
    """
    if image.mode.startswith("I;16"):
        scale = 255 / 65535
    else:
        _low, high = band_extrema(image)[0]
        scale = 255 / 65535 if high > 255 else 1.0
    wide = image if image.mode == "I" else image.convert("I")
    return wide.point(lambda value: value * scale).convert("L")
