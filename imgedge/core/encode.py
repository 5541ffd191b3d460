"""Encode: a finished still image → bytes in the requested format, with per-format settings.

Metadata policy: EXIF (camera, GPS) is dropped — orientation is already applied to the pixels, and
location data must not leak through a CDN — unless ``meta=copyright`` hands over the minimal block
``metadata.copyright_exif`` built. No ICC profile is written: ``colour.to_srgb`` has already brought the
pixels to sRGB, the web's default for untagged images. PNG and GIF go through ``palette`` (few-colour
sources stay palettes; a PNG is never larger than a plain re-save).
"""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageChops

from . import effects, palette
from .resize import band_extrema, drop_opaque_alpha

CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "avif": "image/avif",
                 "gif": "image/gif"}
#: Encoder settings per format, chosen from measured size/time/quality curves (benchmarks/RESULTS.md,
#: "Encoder curves"). The benchmarks give libvips and naive Pillow exactly these settings.
#: JPEG: progressive (its Huffman tables are always fitted): -4.4 % bytes at 640 px / -5 % at 2048 px
#: against optimized baseline, for +2.3 / +20 ms of encode. A variant is encoded once and served many
#: times, so bytes win; browsers also paint progressive JPEGs early.
JPEG_OPTIMIZE = True
JPEG_PROGRESSIVE = True
#: 4:4:4 chroma from this quality up (+29 % bytes at q80 for +1.7 dB: only worth it when asked for).
JPEG_444_FROM_QUALITY = 90
#: WebP method 4 (libwebp's default): methods 3 and 4 cost the same here, 5-6 save 1-4 % bytes for
#: 1.1-1.8x the time, 0-2 cost 4-34 % more bytes.
WEBP_METHOD = 4
#: AVIF (libavif + aom) speed 6: speed 5 saves 1 % bytes for 4-5x the time; 7-8 cost 6-11 % more bytes
#: and 0.15-0.3 dB for 1.7-2.5x less time; 9-10 +12-16 % bytes.
AVIF_SPEED = 6
#: AVIF colour: full-resolution chroma (AV1's chroma-from-luma makes it cheap) and aom's SSIM tuning (its
#: delta-q spends bits where they show). On the corpus' tune part, at equal bytes, against the old 4:2:0
#: with the default tuning: +1.4 to +1.9 dB PSNR at 320 px, +0.3 (a painting) to +1.5 dB (a graphic) at
#: 1080 px, for the same encode time; 4:4:4 or the tuning alone give about half each. So for every image
#: and size, not only colourful ones (benchmarks/RESULTS.md, "Quality per byte"). libheif (libvips, sharp)
#: asks the same aom for IQ tuning at speed 5: at speed 6, IQ and aom's tool switches gain nothing and
#: `tune=psnr` gains 0.03-0.24 dB PSNR but loses SSIMULACRA2; speed 5 costs 2-8x the encode CPU
#: ("What libheif asks aom for").
#: Without AV1's intra block copy (``enable-intrabc=0``): aom turns it on for what it detects as screen
#: content (flat graphics, some paintings at small sizes), and its hash tables are most of the encoder's
#: memory there: 29 -> 12 MiB for a 320 px AVIF of a 16 MP flat graphic (libvips 13), 18 -> 12 for a
#: 24 MP painting. At equal bytes on the tune part it changed only one original (+0.01 dB); on validate,
#: -0.18 dB on that painting at 320 px, ±0.03 elsewhere; byte-identical on photos. Without aom's temporal
#: model (``enable-tpl-model=0``; nothing to look ahead to in a still): the same bytes, 2.5-4 MiB less at
#: 1080 px (benchmarks/RESULTS.md, "Memory").
AVIF_SUBSAMPLING = "4:4:4"
AVIF_AOM_OPTIONS = {"tune": "ssim", "enable-intrabc": "0", "enable-tpl-model": "0"}
#: AVIF colour conversion: libavif turns 3-channel RGB into full-range 4:4:4 YUV with libyuv's fixed-point
#: ``RAWToJ444``, whose round trip tops out at 48.7 dB on a smooth photo (storm, 1080 px, AV1 lossless);
#: 4-channel RGBA has no libyuv path there, so libavif's own exact conversion runs (53.6 dB, what libheif
#: gets). So an opaque image is handed over as RGBA: libavif writes no alpha item for an all-opaque alpha
#: plane, the file is the same kind, the encode costs 3-9 % more CPU, and smooth pictures gain up to
#: +1.4 dB at equal bytes (benchmarks/RESULTS.md, "What libheif asks aom for").
AVIF_EXACT_YUV = True
#: AVIF transparency: premultiplied alpha (libavif's ``prem`` property; the colour planes hold colour x
#: alpha), so colour under low alpha costs no bytes: 27-93 % fewer bytes at equal PSNR on photo-like RGBA
#: originals. Except a graphic of one colour under varying alpha (``avif_alpha``): premultiplied, its
#: colour planes carry the alpha's shape; straight and flattened, they are flat: 30-50 % fewer bytes on average as a
#: correct decoder (Pillow, Firefox) reads them, on the tune and validate parts and on Debian's symbolic
#: icons. Chromium reads every AVIF's alpha as limited-range, which shows worse on straight white
#: graphics than on premultiplied ones (benchmarks/RESULTS.md, "AVIF transparency").
AVIF_PREMULTIPLIED_ALPHA = True
#: "One colour": each colour band of the more opaque half of the pixels (alpha at least half the highest)
#: spans at most this many levels. Not 0: a resize rings at a sharp edge where alpha is already 255, so the
#: colour there overshoots (dark-grey symbolic icons at 320-1080 px: 4-13 levels; white and black clip).
#: Photos and many-coloured graphics span 97-255 (benchmarks/alpha_graphics.py).
AVIF_ONE_COLOUR_RANGE = 32
#: Straight, a pixel gets the one colour when its shown colour (colour x alpha) moves by at most this many
#: levels: the rounding of a faint pixel's colour, which an un-premultiplied resize or renderer leaves
#: anywhere from 0 to 255 at alpha 1. Pixels that would move more (the ringing, a shadow of another colour)
#: keep theirs, so nothing shown changes by more than this. 1 left gulp's faint pixels noisy (more bytes
#: than premultiplied); flattening all within 8 capped the icons at 42-51 dB PSNR.
AVIF_FLAT_TOLERANCE = 2
#: A one-colour graphic's alpha plane (``avif_alpha``: its colour planes are flat, so the alpha is nearly
#: the whole file) is encoded at aom speed 5, libheif's and so libvips' default, when the cost model finds
#: the time (``admission.graphic_alpha_speed``): at speed 6 aom prunes the intra modes that draw an
#: alpha's stripes and curves, 0.3-1.2 dB at equal bytes on the corpus' graphics (320 and 1080 px); speed
#: 5 takes 2-6x the alpha's time, which on a photo would be most of the encode (benchmarks/RESULTS.md,
#: "AVIF transparency").
AVIF_GRAPHIC_ALPHA_SPEED = 5
#: None = Pillow's default (every core); the benchmarks set 1 to compare single-threaded.
AVIF_MAX_THREADS: int | None = None

#: What transparency is flattened onto for formats without alpha (JPEG), as a ``bg`` value.
BACKGROUND = "ffffff"


def has_transparency(image: Image.Image) -> bool:
    """True when some pixel is not fully opaque (an all-opaque alpha channel does not count), without a
    full-size copy: the alpha band's extrema, or a palette's histogram over its transparent entries."""
    if image.mode in ("LA", "RGBA", "PA"):
        return band_extrema(image)[-1][0] < 255
    if image.mode == "P" and "transparency" in image.info:
        key = image.info["transparency"]
        clear = {key} if isinstance(key, int) else {i for i, alpha in enumerate(key) if alpha < 255}
        counts = image.histogram()
        return any(counts[i] for i in clear if i < len(counts))
    return False


def choose_format(fmt: str, image: Image.Image) -> str:
    """Resolve ``legacy`` (JPEG, or PNG for transparent images) to a concrete format."""
    if fmt == "legacy":
        return "png" if has_transparency(image) else "jpeg"
    return fmt


def encode(image: Image.Image, fmt: str, quality: int | None, *, exif: bytes | None = None,
           source_colours: int | None = None, plain: Image.Image | None = None, avif_speed: int | None = None,
           graphic_alpha_speed: int | None = None) -> bytes:
    """Encode ``image`` (L, LA, RGB or RGBA) as ``fmt`` (jpeg, webp, avif, png, gif), with the EXIF block
    ``exif`` if any. PNG/GIF: ``source_colours`` (``palette.colour_count`` of the source) and ``plain``
    (``palette.plain_reference``) keep few-colour images small. ``avif_speed``: the cost model's choice
    when the default speed would not finish in time (``cost.avif_speed``); ``graphic_alpha_speed``: the
    alpha plane's, should the image be a one-colour graphic (``AVIF_GRAPHIC_ALPHA_SPEED`` where it fits)."""
    if fmt == "png":
        return palette.encode_png(drop_opaque_alpha(image), source_colours=source_colours, plain=plain, exif=exif)
    out = io.BytesIO()
    if fmt == "gif":
        quantised = palette.quantise(image if image.mode != "P" else image.convert("RGBA"), source_colours or 256)
        quantised.save(out, "GIF", optimize=True)
        return out.getvalue()
    extra = {"exif": exif} if exif else {}
    image.info = {}  # Pillow's encoders copy ICC / EXIF / XMP from here: write none of it
    if fmt == "jpeg":
        jpeg_pixels(image).save(out, "JPEG", **jpeg_settings(quality or 80), **extra)
    elif fmt == "webp":
        drop_opaque_alpha(image).save(out, "WEBP", **webp_settings(quality or 80), **extra)
    elif fmt == "avif":
        flat = drop_opaque_alpha(image)
        (flat,), premultiplied = avif_alpha([flat])
        one_colour_graphic = AVIF_PREMULTIPLIED_ALPHA and flat.mode in _PREMULTIPLIED_MODES and not premultiplied
        settings = avif_settings(quality or 60, avif_speed, grey=flat.mode in ("L", "LA"), alpha=premultiplied,
                                 alpha_speed=graphic_alpha_speed if one_colour_graphic else None)
        if flat.mode == "RGB" and AVIF_EXACT_YUV:
            flat = flat.convert("RGBA")
        flat.save(out, "AVIF", **settings, **extra)
    else:
        raise ValueError(f"cannot encode {fmt!r}")
    return out.getvalue()


def jpeg_settings(quality: int, *, preview: bool = False) -> dict:
    """Pillow's JPEG settings at ``quality``; ``preview``: the same coefficients (quantisation, subsampling)
    in one sequential scan with the standard Huffman tables, which decodes to the same pixels (tested)
    for a fifth of the encode and half the decode (``preview``)."""
    return {"quality": quality, "optimize": JPEG_OPTIMIZE and not preview,
            "progressive": JPEG_PROGRESSIVE and not preview,
            "subsampling": "4:4:4" if quality >= JPEG_444_FROM_QUALITY else "4:2:0"}


#: The formats with a faster encode to the same pixels (``preview``).
PREVIEW_FORMATS = frozenset({"jpeg"})


def preview(image: Image.Image, fmt: str, quality: int) -> bytes:
    """Bytes that decode to the pixels ``encode`` makes of ``image`` as ``fmt`` at ``quality``, made faster,
    for what is scored and never served (``q=auto``'s probes): a JPEG in one sequential scan
    (``jpeg_settings``). Only for ``PREVIEW_FORMATS``."""
    if fmt not in PREVIEW_FORMATS:
        raise ValueError(f"no preview encode for {fmt}")
    out = io.BytesIO()
    jpeg_pixels(image).save(out, "JPEG", **jpeg_settings(quality, preview=True))
    return out.getvalue()


def jpeg_pixels(image: Image.Image) -> Image.Image:
    """What a JPEG encodes of ``image``: JPEG has no alpha, so transparency over ``BACKGROUND`` (``image``
    itself when it has none: a caller that encodes it more than once flattens it first, once)."""
    return effects.flatten(drop_opaque_alpha(image), BACKGROUND)


def webp_settings(quality: int) -> dict:
    return {"quality": quality, "method": WEBP_METHOD}


def avif_alpha(frames: list[Image.Image]) -> tuple[list[Image.Image], bool]:
    """How AVIF ``frames`` (a still, or every frame of an animation: the file has one alpha mode) carry
    their alpha: ``(frames to encode, premultiplied)``. Premultiplied, unless the frames are transparent
    and what they show is one colour under varying alpha (``one_colour``): then straight, with that colour
    in every pixel where it shows the same (``flattened``), so the colour planes are flat but for what
    differs: the faint edges' rounding noise and the black under transparent pixels would cost bytes (arc
    at 1080 px q64: 3.2 KB, straight as it was 5.6 KB, premultiplied 5.8 KB, the same PSNR)."""
    if not frames or frames[0].mode not in _PREMULTIPLIED_MODES or not AVIF_PREMULTIPLIED_ALPHA:
        return frames, False
    colour = one_colour(frames)
    if colour is None:
        return frames, True
    return [flattened(frame, colour) for frame in frames], False


_PREMULTIPLIED_MODES = {"RGBA": "RGBa", "LA": "La"}


def one_colour(frames: list[Image.Image]) -> tuple[int, ...] | None:
    """The one colour LA/RGBA ``frames`` show, or None. Each colour band's most frequent level over each
    frame's more opaque pixels (alpha at least half the frame's highest: rounding has moved their colour by
    a level or two at most; the mid-range would follow the ringing), if the band spans at most
    ``AVIF_ONE_COLOUR_RANGE`` levels there over all frames; a blank frame
    (an animation's first, say) shows no colour and is left out. One masked histogram per frame: a photo
    is out after its first."""
    counts: list[list[int]] = []
    for frame in frames:
        alpha = frame.getchannel("A")
        floor = (band_extrema(alpha)[0][1] + 1) // 2
        if not floor:
            continue
        histogram = frame.histogram(mask=alpha.point([255 if level >= floor else 0 for level in range(256)]))
        for band in range(len(frame.getbands()) - 1):
            if len(counts) <= band:
                counts.append([0] * 256)
            counts[band] = [a + b for a, b in zip(counts[band], histogram[band * 256:(band + 1) * 256])]
            used = [level for level, count in enumerate(counts[band]) if count]
            if used[-1] - used[0] > AVIF_ONE_COLOUR_RANGE:
                return None
    return tuple(max(range(256), key=band.__getitem__) for band in counts) if counts else None


def flattened(frame: Image.Image, colour: tuple[int, ...]) -> Image.Image:
    """``frame`` with ``colour`` in every pixel where colour x alpha stays within ``AVIF_FLAT_TOLERANCE``
    levels of the pixel's own (Pillow's premultiplied bands against a lookup of ``colour`` x alpha)."""
    alpha = frame.getchannel("A")
    flat = Image.new(frame.mode, frame.size, (*colour, 0))
    flat.putalpha(alpha)
    premultiplied = frame.convert(_PREMULTIPLIED_MODES[frame.mode])
    change = None
    for band, value in enumerate(colour):
        moved = ImageChops.difference(premultiplied.getchannel(band),
                                      alpha.point([round(value * level / 255) for level in range(256)]))
        change = moved if change is None else ImageChops.lighter(change, moved)
    assert change is not None
    if band_extrema(change)[0][1] <= AVIF_FLAT_TOLERANCE:
        return flat
    kept = change.point([0] * (AVIF_FLAT_TOLERANCE + 1) + [255] * (255 - AVIF_FLAT_TOLERANCE))
    return Image.composite(frame, flat, kept)


def avif_settings(quality: int, speed: int | None = None, *, grey: bool = False, alpha: bool = False,
                  alpha_speed: int | None = None) -> dict:
    """Pillow's AVIF options; ``grey`` (an L/LA image) keeps Pillow's 4:0:0 (no chroma planes at all);
    ``alpha``: premultiplied alpha (``avif_alpha``); ``alpha_speed``: aom's speed for the alpha plane
    alone (libavif's ``a:`` options reach only the alpha's encoder)."""
    settings: dict = {"quality": quality, "speed": speed or AVIF_SPEED}
    if alpha:
        settings["alpha_premultiplied"] = True
    if not grey:
        settings["subsampling"] = AVIF_SUBSAMPLING
    if _aom_encodes():
        settings["advanced"] = AVIF_AOM_OPTIONS if alpha_speed is None else {**AVIF_AOM_OPTIONS,
                                                                            "a:cpu-used": str(alpha_speed)}
    if AVIF_MAX_THREADS is not None:
        settings["max_threads"] = AVIF_MAX_THREADS
    return settings


@lru_cache(maxsize=1)
def _aom_encodes() -> bool:
    """aom's options apply only when libavif encodes with aom (Pillow's wheels: always; other builds may
    bring rav1e or SVT-AV1, which would refuse them)."""
    from PIL import _avif

    return bool(_avif.encoder_codec_available("aom"))

