"""The cost model: a generation's time and memory, predicted from the original's header and the plan
before any pixel is decoded, so what cannot finish inside the budget is refused (or made cheaper) first.

Time is a sum of per-pixel rates, one core, measured by ``benchmarks/cost_calibration.py`` on the
repository's photos and the PNG/WebP/AVIF originals it makes from them (the rates below sit about 1.3x
above the medians it printed, and ``SAFETY`` multiplies the sum): JPEG decodes per *stored* pixel,
since libjpeg-turbo's DCT scaling cuts the work by about the scale (progressive files cost ~3x baseline
at every scale); PNG per byte of raw scanline (zlib and unfiltering dominate); the resample per source
and per output pixel; each encoder per output pixel and frame, by quality (and, for AVIF, by speed:
``avif_speed`` picks the slowest speed whose encode fits, so a 3840 px AVIF at q100 is still made, a
little larger, instead of running out of time).

Memory (``needed_bytes``) is the runtime, the original's bytes and what the work adds: the decoded frame
at its decoded scale (and a progressive JPEG's coefficients; for a PNG decoded in strips, the reduced image
and one strip, or one band; for a WebP resampled in bands, one band; and the planes libwebp keeps whole),
a mode conversion when the decoded mode needs one (``resize.normalise_reduced``), the output-sized images
the steps hand on, the encoder's own buffers and, for an animation, every output frame. ``memory_limit``
is what a generation may reach: ``MEMORY_FRACTION`` of the function's memory
(``AWS_LAMBDA_FUNCTION_MEMORY_SIZE``, which Lambda and Lambda@Edge set, or ``Config.memory_limit_mb``).
It is computed from the request alone, never from the process's resident size, so the answer is the same
on every container.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from PIL import Image

#: ns per stored pixel for JPEG (DCT scaling included), per decoded pixel otherwise; one core.
DECODE_NS = {"JPEG": 9.0, "JPEG-progressive": 28.0, "GIF": 22.0, "WEBP": 30.0, "AVIF": 60.0, "TIFF": 12.0,
             "BMP": 4.0}
#: PNG: ns per byte of raw scanline (1 for a palette pixel, 3 for RGB, 8 for 16-bit RGBA...).
PNG_DECODE_NS_PER_BYTE = 25.0
#: Interlaced PNGs (Adam7) decode in seven passes.
PNG_INTERLACED_FACTOR = 1.6
#: The resample (SIMD Lanczos3) and the output-sized steps after it (colour, orientation, effects).
RESAMPLE_SRC_NS = 6.5
RESAMPLE_OUT_NS = 25.0
#: A full-size mode conversion (palette expansion, 16-bit to 8-bit), ns per decoded pixel.
CONVERT_NS = 4.0
#: Saliency for ``g=smart`` works on a reduced copy: a box reduce of the decoded pixels.
SMART_NS = 2.0
#: Encode ns per output pixel (and frame) at quality points; linear in between, flat outside.
ENCODE_NS: dict[str, tuple[tuple[int, float], ...]] = {
    "jpeg": ((50, 23.0), (80, 27.0), (95, 60.0), (100, 100.0)),
    # q=auto's probes: the same coefficients in one sequential scan (``encode.preview``)
    "jpeg-preview": ((50, 4.5), (80, 5.0), (95, 7.0), (100, 10.0)),
    "webp": ((50, 130.0), (80, 155.0), (95, 210.0), (100, 240.0)),
    "png": ((0, 800.0),),
    "gif": ((0, 850.0),),
}
#: AVIF (libavif + aom, one thread) by speed; ``encode.AVIF_SPEED`` (6) is the default. Each rate includes
#: 30 ns/px for libavif's exact RGB -> YUV conversion (``encode.AVIF_EXACT_YUV``: +12 to +44 ns/px, +3-9 %
#: of a speed-6 q60 encode, measured at 320 and 1080 px).
AVIF_ENCODE_NS: dict[int, tuple[tuple[int, float], ...]] = {
    6: ((50, 890.0), (80, 930.0), (95, 1980.0), (100, 2130.0)),
    8: ((60, 320.0), (100, 570.0)),
    9: ((60, 150.0), (100, 290.0)),
}
#: A one-colour graphic's AVIF with its alpha plane at ``encode.AVIF_GRAPHIC_ALPHA_SPEED`` (speed 5) and flat
#: colour planes at speed 6: the highest rate of three corpus graphics (white stripes, a white arc, bubbles)
#: at 320 and 1080 px, one core, plus ~5 % (`benchmarks/graphic_alpha_speed.py --rates`).
AVIF_GRAPHIC_ALPHA_NS = ((30, 970.0), (60, 1290.0), (80, 1650.0), (90, 2210.0), (95, 2600.0), (100, 3300.0))
#: Animated WebP and AVIF frames cost about what a still of the frame's size costs (measured on 30 frames
#: of 1000x1000: WebP q100 256 ns/px, q80 172; AVIF q60 at speed 8 176); an animated GIF is written
#: without the still path's palette search (32 ns/px measured).
ANIMATION_FACTOR = 1.1
ANIMATED_GIF_NS = 45.0
#: ``q=auto``'s probes (``autoquality``): each encodes, decodes and scores a sample of the output; the
#: reference side of the score is computed once. Measured on the numpy engine (the compiled one scales
#: them by its ``perceptual.Engine.rate``). Seconds a call plus ns per sample pixel (process CPU on a
#: core to itself, samples of 64,000-307,000 px of the tuning photos: the fit strays under 6 % on the
#: validation photos but for one score, 20 %); the encode is priced like any other.
PROBE_SCORE = (0.0008, 57.0)
PROBE_REFERENCE = (0.0010, 44.0)
#: The check of a mosaic's choice on the whole output (``autoquality``; ``perceptual.Reference(image, grid)``:
#: the finest scales on the mosaic's tiles, the coarser on the whole output): seconds a call, ns per output
#: pixel and ns per tile pixel (process CPU on a shared core, tuning photos at 640-1280 px with 4 and 9
#: tiles: within 30 %); the output's decode is priced as a probe's.
CHECK_SCORE = (0.0010, 16.0, 25.0)
CHECK_REFERENCE = (0.0006, 16.0, 19.0)
#: ... and the numpy planes the score holds at its peak, bytes per sample pixel.
PROBE_BYTES_PER_PIXEL = 250
#: ... and a measure of the whole output on a mosaic's tiles (a check, or JPEG's tiled probe), bytes per
#: output pixel beside the sample's: the output as an array, its coarse levels, the decoded candidate
#: (11 B/px measured at 2048 px with tracemalloc, and Pillow's 4 B/px of the candidate).
CHECK_BYTES_PER_PIXEL = 16
#: Placeholders and fmt=json: a tiny encode, whatever the size.
PLACEHOLDER_SECONDS = 0.05
#: Multiplies every estimate: a prediction too low lets a generation run out of its budget.
SAFETY = 1.3

#: The share of the function's memory a generation may reach (Lambda kills the function at 100 %).
MEMORY_FRACTION = 0.8
#: The process before the work: Python, Pillow, numpy and boto3 loaded, warm (68-70 MiB measured in
#: ``benchmarks/bounded_generation.py``'s children), with headroom for the Lambda runtime.
RUNTIME_BYTES = 100 * 1024 * 1024
#: Function memory when neither Lambda nor the config says (the template's default origin-response size).
DEFAULT_FUNCTION_MEMORY_MB = 1536
#: Bytes per pixel Pillow holds each mode in (RGB, YCbCr... are stored four bytes wide).
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2, "I": 4, "F": 4}
#: Modes whose conversion or resample may carry an alpha channel (a premultiplied copy besides).
_MAY_HAVE_ALPHA = ("P", "PA", "LA", "RGBA", "La", "RGBa")
#: What ``resize.normalise_reduced`` holds of one strip.
STRIP_BYTES = 16 * 1024 * 1024
#: What a PNG decoded in strips (``decode.png_strip_reads``) holds besides its result: one strip's
#: inflated rows, the small PNG handed to libspng and libspng's copy of it, and the decoded strip (each
#: about ``decode.PNG_STRIP_BYTES``), with room for the allocators' slack.
PNG_STRIP_WORK_BYTES = 8 * 1024 * 1024
#: ... and resampled band by band (``decode.png_resampled``), besides the output: the band of source rows
#: (``decode.PNG_BAND_BYTES`` and the filter's reach), the strips it is pasted from, the band's output. A
#: WebP resampled in bands (``decode.webp_resampled``) holds less with the same: the band's rows in the
#: decoder's memory map and the rows of one feed step ahead of it (``webprows.FEED_ROWS``), and so does a
#: JPEG's (``decode.jpeg_resampled``, ``jpegrows.FEED_ROWS``), besides a progressive one's coefficients.
PNG_BAND_WORK_BYTES = 16 * 1024 * 1024
#: Encoder working memory, bytes per output pixel (AVIF's aom keeps several YUV planes and its analysis;
#: at 4:4:4 with SSIM tuning, ``encode.AVIF_SUBSAMPLING``, VmHWM grew by 34.3 bytes/px on a 4 MP frame,
#: against 21.7 at 4:2:0; handing an opaque image over as RGBA, ``encode.AVIF_EXACT_YUV``, adds 6.9: 31.7
#: → 38.6 on a 3.8 MP gradient with noise).
ENCODER_BYTES_PER_PIXEL = {"jpeg": 4, "webp": 12, "avif": 43, "png": 12, "gif": 12}


@dataclass(frozen=True)
class Work:
    """What a generation will do, known from the header and the plan."""

    source_format: str  # decode.SourceImage.format
    progressive: bool
    stored_pixels: int  # per frame, full resolution
    decoded_pixels: int  # per frame, after DCT scaling
    decoded_mode: str
    raw_bytes_per_pixel: float  # PNG scanline bytes per pixel
    interlaced: bool
    converts: bool  # normalise_mode copies the decoded frame into another mode
    reduce_factor: int  # ... strip by strip, box-reduced by this (1: at full size; resize.strip_reduce_factor)
    coefficient_bytes: float  # per stored pixel: a progressive JPEG's whole-image DCT coefficients
    output_pixels: int  # per frame
    frames: int
    out_format: str  # jpeg, webp, avif, png, gif, or a placeholder/json
    quality: int | None
    smart: bool
    probes: int = 0  # q=auto's probe encodes before the output's (autoquality.choose)
    probe_pixels: int = 0  # ... each of this many pixels
    decoder_copy_bytes: int = 0  # a copy of the original the decoder holds while it runs (decode.decoder_copy)
    strip_shrink: int = 0  # a PNG decoded in strips, box-reduced by this as it goes (0: decoded whole)
    banded: bool = False  # ... or resampled band by band as it goes (no full-size image held)
    decoder_plane_bytes: int = 0  # whole-image planes the decoder keeps itself (decode.webp_plane_bytes)


@dataclass(frozen=True)
class Estimate:
    decode_s: float
    resample_s: float
    encode_s: float  # one encode pass of every frame
    work_bytes: int
    probe_s: float = 0.0  # q=auto's probes, all of them
    probes: int = 0

    @property
    def seconds(self) -> float:
        return (self.decode_s + self.resample_s + self.encode_s + self.probe_s) * SAFETY


def estimate(work: Work, avif_speed: int = 6) -> Estimate:
    """Time and memory of ``work``; AVIF at ``avif_speed``."""
    frames = max(1, work.frames)
    if work.source_format == "JPEG":
        decode_ns = DECODE_NS["JPEG-progressive" if work.progressive else "JPEG"] * work.stored_pixels
    elif work.source_format == "PNG":
        decode_ns = PNG_DECODE_NS_PER_BYTE * work.raw_bytes_per_pixel * work.decoded_pixels
        decode_ns *= PNG_INTERLACED_FACTOR if work.interlaced else 1.0
    else:
        decode_ns = DECODE_NS.get(work.source_format, 30.0) * work.decoded_pixels
    decode_ns += CONVERT_NS * work.decoded_pixels if work.converts else 0.0
    decode_ns += SMART_NS * work.decoded_pixels if work.smart else 0.0
    resample_ns = RESAMPLE_SRC_NS * work.decoded_pixels + RESAMPLE_OUT_NS * work.output_pixels
    return Estimate(decode_s=decode_ns * frames / 1e9, resample_s=resample_ns * frames / 1e9,
                    encode_s=encode_seconds(work.out_format, work.quality, work.output_pixels * frames,
                                            animated=frames > 1, avif_speed=avif_speed),
                    work_bytes=work_bytes(work), probe_s=probe_seconds(work, avif_speed), probes=work.probes)


def probe_seconds(work: Work, avif_speed: int = 6) -> float:
    """``q=auto``'s probes: each an encode, a decode and a score of the sample; plus the reference side,
    and, when the sample is the whole output, the score of the output itself and one more encode and
    score where its interpolation fell short (``autoquality.CHECKS``), or for a mosaic, the check of its
    choice on the output (``check_costs``; a miss's encode once more starts only while the deadline holds
    it and the final encode). The measure at numpy's prices, whichever engine will run it: admission
    needs an upper bound, and imports no numpy to learn the engine."""
    if not work.probes:
        return 0.0
    reference, encode, check = probe_costs(work.out_format, work.quality, work.probe_pixels, avif_speed)
    # a mosaic's choice may be checked on the whole output
    whole = sum(check_costs(work.out_format, work.output_pixels, work.probe_pixels)) if (
        work.probe_pixels < work.output_pixels) else 0.0
    return (work.probes + 1) * (encode + check) + check + reference + whole


def probe_costs(fmt: str, quality: int | None, pixels: int, avif_speed: int = 6,
                measure: float = 1.0) -> tuple[float, float, float]:
    """One ``q=auto`` probe on a sample of ``pixels``, in seconds: the reference side of the score (once
    per search), the sample's encode as ``fmt`` at ``quality``, and its decode and score. ``measure``: the
    engine's pace at scoring against these prices, numpy's (``perceptual.Engine.rate``)."""
    check = PROBE_SCORE[0] + (DECODE_NS.get(fmt.upper(), 30.0) + PROBE_SCORE[1] * measure) * pixels / 1e9
    reference = PROBE_REFERENCE[0] + PROBE_REFERENCE[1] * measure * pixels / 1e9
    return reference, probe_encode_seconds(fmt, quality, pixels, avif_speed), check


def probe_encode_seconds(fmt: str, quality: int | None, pixels: int, avif_speed: int = 6) -> float:
    """One ``q=auto`` probe's encode of ``pixels``: a faster one to the same pixels where the format has
    it (``encode.preview``), else the output's."""
    preview = f"{fmt}-preview"
    return encode_seconds(preview if preview in ENCODE_NS else fmt, quality, pixels, avif_speed=avif_speed)


def check_costs(fmt: str, output_pixels: int, tile_pixels: int, measure: float = 1.0) -> tuple[float, float]:
    """The check of a ``q=auto`` output of ``output_pixels`` measured at the full scale on ``tile_pixels``,
    in seconds: its reference side, and the output's decode and score (its encode is the output's own);
    ``measure`` as ``probe_costs``'."""
    reference = CHECK_REFERENCE[0] + (CHECK_REFERENCE[1] * output_pixels
                                      + CHECK_REFERENCE[2] * tile_pixels) * measure / 1e9
    score = CHECK_SCORE[0] + (DECODE_NS.get(fmt.upper(), 30.0) * output_pixels
                              + (CHECK_SCORE[1] * output_pixels + CHECK_SCORE[2] * tile_pixels) * measure) / 1e9
    return reference, score


def encode_seconds(fmt: str, quality: int | None, pixels: int, *, animated: bool = False, avif_speed: int = 6) -> float:
    """One encode of ``pixels`` output pixels (all frames) as ``fmt``."""
    if fmt == "gif" and animated:
        return ANIMATED_GIF_NS * pixels / 1e9
    if fmt == "avif":
        table = AVIF_ENCODE_NS.get(avif_speed, AVIF_ENCODE_NS[6])
    elif fmt in ENCODE_NS:
        table = ENCODE_NS[fmt]
    else:
        return PLACEHOLDER_SECONDS
    seconds = interpolate(table, quality if quality is not None else 80) * pixels / 1e9
    return seconds * (ANIMATION_FACTOR if animated else 1.0)


def graphic_alpha_seconds(quality: int | None, pixels: int) -> float:
    """One AVIF encode of a one-colour graphic of ``pixels`` with its alpha at the slower speed."""
    return interpolate(AVIF_GRAPHIC_ALPHA_NS, quality if quality is not None else 60) * pixels / 1e9


def avif_speed(quality: int | None, pixels: int, seconds: float, default: int) -> int:
    """The slowest AVIF speed, from ``default`` up, whose encode of ``pixels`` (all frames) is predicted to
    fit in ``seconds`` (with ``SAFETY``); the fastest when none does."""
    speeds = sorted(speed for speed in AVIF_ENCODE_NS if speed >= default) or [default]
    for speed in speeds:
        if encode_seconds("avif", quality, pixels, avif_speed=speed) * SAFETY <= seconds:
            return speed
    return speeds[-1]


def work_bytes(work: Work) -> int:
    """Bytes the generation adds to the process at its peak."""
    decoded = decode_bytes(work.decoded_pixels, work.decoded_mode, work.stored_pixels, work.coefficient_bytes)
    if work.banded:  # the output (counted below) and one band are held, and a progressive JPEG's coefficients
        decoded = PNG_STRIP_WORK_BYTES + PNG_BAND_WORK_BYTES + int(work.stored_pixels * work.coefficient_bytes)
    elif work.strip_shrink:  # only the (reduced) result and one strip are held
        decoded = work.decoded_pixels // work.strip_shrink ** 2 * 4 + PNG_STRIP_WORK_BYTES
    # A conversion's copy, and the premultiplied copy the resampler makes of an image with alpha; reduced
    # strip by strip, only the reduced image (and one strip) is ever held.
    copies = 2 if work.decoded_mode in _MAY_HAVE_ALPHA else (1 if work.converts else 0)
    copies = 0 if work.banded else copies  # resampled in bands, only a band is premultiplied at a time
    reduced = work.decoded_pixels // (work.reduce_factor ** 2)
    converted = (reduced * 4 * copies + STRIP_BYTES) if work.reduce_factor > 1 else work.decoded_pixels * 4 * copies
    per_output = work.output_pixels * 4
    # resampled frame + the output-sized steps after it (colour, orientation, effects, padding) + encoder
    still = per_output * 3 + work.output_pixels * ENCODER_BYTES_PER_PIXEL.get(work.out_format, 4)
    # every output frame is kept until the encode, which holds a copy of each (and GIF a palette image)
    frames = (per_output * 2 + work.output_pixels) * (work.frames - 1) if work.frames > 1 else 0
    probes = work.probe_pixels * PROBE_BYTES_PER_PIXEL if work.probes else 0
    if work.probes and work.output_pixels > work.probe_pixels:  # a check or tiled probe of the whole output
        probes += work.output_pixels * CHECK_BYTES_PER_PIXEL
    return (decoded + converted + still + frames + probes + work.decoder_copy_bytes
            + work.decoder_plane_bytes)


def decode_bytes(decoded_pixels: int, mode: str, stored_pixels: int, coefficient_bytes: float) -> int:
    """What a whole-image decode holds at its end: the decoded frame (``frame_bytes``) and, for a
    progressive JPEG, its coefficients for every stored pixel (``coefficient_bytes`` per pixel)."""
    return frame_bytes(decoded_pixels, mode) + int(stored_pixels * coefficient_bytes)


def frame_bytes(pixels: int, mode: str) -> int:
    """Bytes of a decoded frame of ``pixels`` in ``mode``: the part of a decode that depends on its scale
    (a progressive JPEG's coefficients are held at every DCT scale, by libvips' decoder too)."""
    return pixels * _BYTES_PER_PIXEL.get(mode, 4)


def coefficient_bytes(image: Image.Image) -> float:
    """Bytes per stored pixel libjpeg holds for a progressive JPEG's coefficients (2 per coefficient,
    for every component at its sampling), whatever the DCT scale of the decode; 0 for anything else."""
    if not (image.info.get("progressive") or image.info.get("progression")):
        return 0.0
    layers = getattr(image, "layer", None) or []
    if not layers:
        return 2.0 * len(image.getbands())
    h_max = max(layer[1] for layer in layers)
    v_max = max(layer[2] for layer in layers)
    return 2.0 * sum(layer[1] * layer[2] for layer in layers) / (h_max * v_max)


def raw_bytes_per_pixel(image: Image.Image) -> float:
    """Bytes per pixel of a PNG's raw scanlines (bit depth x channels / 8)."""
    bits = {"1": 1, "L": 8, "P": 8, "LA": 16, "RGB": 24, "RGBA": 32, "I;16": 16, "I;16B": 16, "I": 16}.get(
        image.mode, 32)
    return bits / 8


def memory_limit(configured_mb: int | None) -> int:
    """Bytes a generation's process may reach: ``MEMORY_FRACTION`` of the function's memory."""
    memory_mb = configured_mb or _lambda_memory_mb() or DEFAULT_FUNCTION_MEMORY_MB
    return int(memory_mb * 1024 * 1024 * MEMORY_FRACTION)


def needed_bytes(estimate: Estimate, source_bytes: int) -> int:
    """What the function's process reaches for this generation: the runtime, the original's bytes (held
    while it is decoded) and the work. From the request alone, not the process's resident size now, so
    the same original and spec get the same answer on every container (a remembered refusal must hold)."""
    return RUNTIME_BYTES + source_bytes + estimate.work_bytes


def rate_for_report(name: str) -> str | None:
    """The model's figure for a rate named as ``benchmarks/cost_calibration.py`` names it (ns/px)."""
    kind, _, rest = name.partition("@")
    if kind in ("jpeg", "jpeg-progressive") and rest.isdigit():  # decode, per decoded pixel at that scale
        per_stored = DECODE_NS["JPEG-progressive" if kind.endswith("progressive") else "JPEG"]
        return f"{per_stored * 64 / int(rest) ** 2:.1f}"
    if kind.startswith("png-"):
        return f"{PNG_DECODE_NS_PER_BYTE * {'png-rgb': 3, 'png-rgba': 4, 'png-p': 1}[kind]:.1f}"
    if kind in ("webp", "avif") and not rest:
        return f"{DECODE_NS[kind.upper()]:.1f}"
    if kind == "resample-src":
        return f"{RESAMPLE_SRC_NS:.1f}"
    if kind == "resample-out":
        return f"{RESAMPLE_OUT_NS:.1f}"
    if rest.startswith("q"):
        quality = int(rest[1:])
        table = (AVIF_ENCODE_NS.get(int(kind[6:])) if kind.startswith("avif-s") else
                 AVIF_ENCODE_NS[6] if kind == "avif" else ENCODE_NS.get(kind))  # speeds the model lacks: none
        return f"{interpolate(table, quality):.1f}" if table else None
    if kind in ENCODE_NS:
        return f"{interpolate(ENCODE_NS[kind], 80):.1f}"
    return None


def _lambda_memory_mb() -> int | None:
    try:
        return int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
    except (KeyError, ValueError):
        return None


def interpolate(table: tuple[tuple[float, float], ...], quality: float) -> float:
    """A table of (x, value) pairs, x ascending, at ``quality``: linear between its points, flat past them."""
    if quality <= table[0][0]:
        return table[0][1]
    for (q0, v0), (q1, v1) in zip(table, table[1:]):
        if quality <= q1:
            return v0 + (v1 - v0) * (quality - q0) / (q1 - q0)
    return table[-1][1]
