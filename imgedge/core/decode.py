"""Decode: bytes → a Pillow image, refusing what we must not decode before any pixel is spent.

Order matters: sniff the container from its magic bytes (never trust the key's extension or a
Content-Type), read only the header, check the limits, and only then let the decoder allocate. For
JPEG the caller picks a DCT scale (``choose_jpeg_scale``) so libjpeg-turbo decodes at 1/8, 1/4 or 1/2
size in the IDCT itself — the single biggest saving for camera photos; ``Image.draft`` asks for it (with
the size that makes it pick exactly that scale: the same pixels, byte for byte, on every scale the planner
picks).
(libjpeg-turbo also offers 3/8, reached with a denominator of 3: it paid while Pillow's scalar resampler
read every decoded pixel, and no longer does with the SIMD one; its 5/8, 6/8 and 7/8 IDCTs are scalar and
decode slower than the full size: benchmarks/RESULTS.md.)

PNG and WebP pixels come, where a wheel has them, from decoders that write the whole image in one call
straight into memory laid out as Pillow's own (``_fast_pixels``): ``pyspng`` (libspng) for 8-bit RGB and
RGBA PNGs, ``webp`` (libwebp's ``WebPDecode``, shrunk by libwebp's scaler where the output is small) for
still WebPs. Pillow's PNG decoder takes 1.2-2x libspng's time, and Pillow reads a still WebP through the
animation decoder at 1.2-3x ``WebPDecode``'s; the decode is most of a large PNG's or WebP's generation.
A PNG of ``PNG_STRIP_MIN_PIXELS`` or more is decoded strip by strip instead (``_png_strip_images``):
``zlib-ng`` inflates, libspng unfilters, and for a lossy output each strip of a large one is box-reduced as
it comes (``png_shrink``) or, where no reduce applies, the output is resampled band by band
(``png_resampled``), so neither the full-size image nor a copy of the file is held. A still WebP to a
lossy output is resampled the same way as libwebp's incremental decoder finishes its rows
(``webp_resampled``, ``webprows``), shrunk by libwebp's scaler where the one-call decode would be.
(For JPEG the same one-call decode, through ``simplejpeg``, measured even with Pillow's decoder on its warm
block cache, 0.97-1.01x end to end: not used.) Anything else (palettes, tRNS, 16-bit, animations, a file
the fast decoder rejects) and platforms without the wheels keep Pillow, which decides.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import math
import os
import struct
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from types import ModuleType
from typing import Any

from PIL import Image, UnidentifiedImageError

from ..config import Config
from ..errors import PayloadTooLarge, UnprocessableImage, UnsupportedMediaType
from . import cost, geometry, resize

#: Container signatures we decode, mapped to the Pillow plugin that reads them. Restricting Pillow to
#: these plugins means a polyglot or an exotic format (EPS, PSD, ICO, ...) is never handed to a
#: decoder we did not choose.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "JPEG"),
    (b"\x89PNG\r\n\x1a\n", 0, "PNG"),
    (b"GIF87a", 0, "GIF"),
    (b"GIF89a", 0, "GIF"),
    (b"WEBP", 8, "WEBP"),
    (b"ftypavif", 4, "AVIF"),
    (b"ftypavis", 4, "AVIF"),
    (b"II*\x00", 0, "TIFF"),
    (b"MM\x00*", 0, "TIFF"),
    (b"BM", 0, "BMP"),
)

#: Pillow's own orientation transposes, keyed by the EXIF Orientation value (1 = as stored).
ORIENTATION_TRANSPOSE: dict[int, Image.Transpose] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_EXIF_ORIENTATION = 0x0112

#: Pillow's block allocator keeps up to this many freed blocks (16 MiB each at most) for reuse instead of
#: returning them to the OS: a warm Lambda then decodes into pages it already has instead of faulting
#: in fresh zeroed ones (a 20 MP full decode went from ~138 to ~100 ms here). Bounded: at most
#: ``BLOCKS_MAX`` x 16 MiB stays resident between invocations. ``PILLOW_BLOCKS_MAX`` in the environment
#: wins, as Pillow documents.
BLOCKS_MAX = 8
if "PILLOW_BLOCKS_MAX" not in os.environ and Image.core.get_blocks_max() < BLOCKS_MAX:
    Image.core.set_blocks_max(BLOCKS_MAX)


def release_cached_blocks() -> None:
    """Hand the blocks the steps freed back to the OS before the encode: the encoders allocate with
    ``malloc``, which cannot reuse Pillow's cached blocks, so they would sit under the encoder's own
    memory (an EXIF-rotated 4 MP portrait to 1920 px JPEG: 50 -> 36 MiB). The images still alive at the
    end of the request refill the cache for the next one."""
    Image.core.clear_cache()

#: DCT scales as (numerator over 8, denominator handed to Pillow's decoder).
JPEG_SCALES: tuple[tuple[int, int], ...] = ((1, 8), (2, 4), (4, 2), (8, 1))
#: How many times the output size the DCT-scaled crop must keep, per scale (eighths), for the LANCZOS
#: step after it (benchmarks/RESULTS.md, "Decode: the JPEG DCT scale" and "The resize before encoding").
#: A scaled IDCT keeps only each block's lowest frequencies: the blocks' truncated detail comes back as
#: error at every frequency, which no filter after it removes. Below 2x the resize lost to libvips
#: (which keeps 2x) before any encoding: 2.2-6.6 dB at 1.3-1.98x on 12 of the tune part's 15 JPEGs, 13 dB
#: at 1.27x on a validate photo; at 2x no row of either part is below libvips. At equal bytes that was
#: worth up to 0.86 dB (0.57 on the worst original); at 2048 px, 0.09 at most.
SCALE_MARGIN: dict[int, float] = {1: 2.0, 2: 2.0, 4: 2.0}
#: ... where the frame decoded at that scale (``cost.frame_bytes``) holds at most this; past it, the
#: smallest scale that keeps 1x the output (libvips' rule). Only the frame depends on the scale: a
#: progressive JPEG's coefficients are held at every scale, and by libvips' decoder too. Chosen on the
#: tune part's JPEGs (benchmarks/RESULTS.md, "The DCT margin within memory"): a 12 MP photo decoded whole
#: (46.5 MiB) keeps 2x, which 1280 px WebP needs at equal bytes (1x: -0.28 dB), while a 17 MP one (64 MiB,
#: the first frame that takes a case's largest peak above libvips') does not.
SCALE_MARGIN_BYTES = 48 * 1024 * 1024


@dataclass
class SourceImage:
    """An opened (header-only) original: the lazy Pillow image plus what we learned from its header."""

    image: Image.Image
    format: str
    orientation: int
    stored_size: tuple[int, int]  # full-resolution size as stored (``draft`` later shrinks image.size)
    data: bytes = field(default=b"", repr=False)  # the original's bytes, for the one-call decoders

    @property
    def oriented_size(self) -> tuple[int, int]:
        """Width and height as displayed, after EXIF orientation."""
        width, height = self.stored_size
        return (height, width) if self.orientation in (5, 6, 7, 8) else (width, height)


def sniff_format(data: bytes) -> str:
    """The container format from magic bytes, or ``UnsupportedMediaType``."""
    for magic, offset, fmt in _SIGNATURES:
        if data[offset:offset + len(magic)] == magic:
            if fmt == "WEBP" and data[:4] != b"RIFF":
                continue
            return fmt
    raise UnsupportedMediaType("the original is not a supported image format (JPEG, PNG, GIF, WebP, AVIF, TIFF, BMP)")


def open_source(data: bytes, config: Config) -> SourceImage:
    """Open the header and enforce byte and pixel limits. No pixel data is decoded here."""
    if len(data) > config.max_source_bytes:
        raise PayloadTooLarge(f"the original exceeds {config.max_source_bytes} bytes")
    if not data:
        raise UnprocessableImage("the original is empty")
    fmt = sniff_format(data)
    try:
        with warnings.catch_warnings():
            # Our own pixel limit below is the one that decides; Pillow's global guard only backs it up.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[fmt])
    except Image.DecompressionBombError:
        raise PayloadTooLarge(f"the original exceeds {config.max_source_pixels} pixels") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise UnprocessableImage("the original could not be read as an image") from exc
    if fmt == "PNG" and "exif" not in image.info:
        image.info["exif"] = png_exif(data)  # or Pillow's getexif decodes every pixel looking for it
    width, height = image.size
    if width < 1 or height < 1:
        raise UnprocessableImage("the original has no pixels")
    if width * height > config.max_source_pixels:
        raise PayloadTooLarge(f"the original exceeds {config.max_source_pixels} pixels")
    return SourceImage(image=image, format=fmt, orientation=_orientation(image), stored_size=(width, height),
                       data=data)


def png_exif(data: bytes) -> bytes:
    """A PNG's eXIf chunk wherever it sits (it may follow the pixel data, which Pillow's header read stops
    at), as Pillow keeps it (``Exif`` header first); empty when there is none. Walks the chunk headers."""
    pos = 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        if kind == b"eXIf":
            return b"Exif\x00\x00" + data[pos + 8:pos + 8 + length]
        if kind == b"IEND":
            break
        pos += 12 + length
    return b""


def choose_jpeg_scale(
    stored_size: tuple[int, int], crop: tuple[float, float, float, float], out: tuple[int, int],
    mode: str = "RGB",
) -> int:
    """The DCT scale, in eighths (1, 2, 4 or 8), to decode at: the smallest that keeps the crop
    ``SCALE_MARGIN`` x ``out`` where its frame (in ``mode``) stays within ``SCALE_MARGIN_BYTES``, else the
    smallest that keeps 1x."""
    crop_w = max(crop[2] - crop[0], 1.0)
    crop_h = max(crop[3] - crop[1], 1.0)

    def keeps(eighths: int, margin: float) -> bool:
        return eighths == 8 or (crop_w * eighths / 8 >= out[0] * margin and crop_h * eighths / 8 >= out[1] * margin)

    eighths = next(e for e, _denom in JPEG_SCALES if keeps(e, SCALE_MARGIN.get(e, 1.0)))
    width, height = decoded_size(stored_size, eighths)
    if cost.frame_bytes(width * height, mode) <= SCALE_MARGIN_BYTES:
        return eighths
    return next(e for e, _denom in JPEG_SCALES if keeps(e, 1.0))


def decoded_size(stored_size: tuple[int, int], eighths: int) -> tuple[int, int]:
    """The size libjpeg decodes ``stored_size`` to at ``eighths``/8 (rounded up)."""
    return -(-stored_size[0] * eighths // 8), -(-stored_size[1] * eighths // 8)


#: A still opaque WebP is decoded shrunk by libwebp's own scaler (an area average, as libvips'
#: ``thumbnail`` asks for) to this many times the output, when that is at most ``WEBP_SHRINK_BELOW`` of its
#: size; the LANCZOS step then goes the rest of the way. Measured against the full-size decode (PSNR vs
#: LANCZOS): a 2x margin lost 1.2-2.9 dB in a lossless output (0.1 dB in a q80 JPEG), 3x 0-1 dB (0.02), 4x
#: 0-0.55 dB while shrinking only from 8x down (benchmarks/RESULTS.md, "The decoders").
WEBP_SHRINK_MARGIN = 3.0
WEBP_SHRINK_BELOW = 0.5


def webp_decode_size(source: SourceImage, crop: tuple[float, float, float, float],
                     out: tuple[int, int]) -> tuple[int, int] | None:
    """The size libwebp should decode a still opaque WebP at for ``out`` from the stored ``crop`` (None:
    full size)."""
    if source.format != "WEBP" or source.image.mode != "RGB" or getattr(source.image, "is_animated", False):
        return None
    scale = WEBP_SHRINK_MARGIN * max(out[0] / max(crop[2] - crop[0], 1.0), out[1] / max(crop[3] - crop[1], 1.0))
    if scale > WEBP_SHRINK_BELOW:
        return None
    width, height = source.stored_size
    return max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale))


def load_pixels(source: SourceImage, eighths: int = 8, size: tuple[int, int] | None = None,
                shrink: int = 1) -> Image.Image:
    """Decode the pixels; a JPEG at ``eighths``/8 of its size (libjpeg-turbo's scaled IDCT), a WebP at
    ``size`` (``webp_decode_size``; libwebp's scaler) where the ``webp`` wheel is installed, a PNG that
    ``png_strip_reads`` in strips, box-reduced by ``shrink`` (``png_shrink``) as each strip is decoded."""
    if png_strip_reads(source):
        try:
            return _png_strips(source, shrink)
        except Exception:  # noqa: BLE001 - whatever the strip decoder rejects, the whole-image decoders try
            pass
    fast = _fast_pixels(source, size)
    if fast is not None:
        return fast
    image = source.image
    try:
        if eighths != 8 and source.format == "JPEG":
            scale = 8 // eighths  # draft picks the largest scale whose result is at least this size
            image.draft(image.mode, (max(1, image.width // scale), max(1, image.height // scale)))
        image.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise UnprocessableImage("the original is truncated or corrupt") from exc
    return image


#: Use the one-call decoders where they apply (off only to measure Pillow's decoders against them).
FAST_DECODE = True


@lru_cache(maxsize=None)
def _codec(name: str) -> ModuleType | None:
    """``pyspng`` or ``webp``, imported on first use (they bring numpy and cffi, tens of ms of a cold start
    that may never decode), or None without the wheel."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _fast_pixels(source: SourceImage, size: tuple[int, int] | None = None) -> Image.Image | None:
    """The decoded pixels from a one-call decoder, or None where Pillow must decode them."""
    image = source.image
    if not FAST_DECODE or not source.data:
        return None
    try:
        if _libspng_reads(source):
            codec = _codec("pyspng")
            if codec is None:
                return None
            array = codec.load(source.data, "RGBA")  # RGB gets a 255 fourth byte: Pillow's RGB layout
        elif source.format == "WEBP" and image.mode in ("RGB", "RGBA") and not getattr(image, "is_animated", False):
            codec = _codec("webp")
            if codec is None:
                return None
            buffer, decoded = _webp_decode(codec, source.data, size)
            return _mapped(buffer, image.mode, decoded, image.info)
        else:
            return None
    except Exception:  # noqa: BLE001 - whatever the fast decoder rejects, Pillow decodes or refuses
        return None
    if array.dtype.itemsize != 1 or not array.flags["C_CONTIGUOUS"]:
        return None
    return _mapped(array, image.mode, (array.shape[1], array.shape[0]), image.info)


#: libwebp's ``WebPDecoderOptions`` as ints: ``use_scaling``, ``scaled_width``, ``scaled_height`` at 7-9.
#: The binding declares only ``use_threads`` (at 10, byte 40), which is checked before the others are set.
_WEBP_USE_SCALING = 7
_WEBP_USE_THREADS_OFFSET = 40


def _webp_decode(codec: ModuleType, data: bytes, size: tuple[int, int] | None) -> tuple[bytearray, tuple[int, int]]:
    """RGBA pixels (4 bytes each, the fourth 255 for an opaque image) from libwebp's ``WebPDecode``, scaled
    to ``size`` by libwebp when given; ``ValueError`` when libwebp refuses."""
    ffi, lib = codec.ffi, codec.lib
    config = ffi.new("WebPDecoderConfig *")
    source = ffi.from_buffer(data)
    if not lib.WebPInitDecoderConfig(config) or lib.WebPGetFeatures(
            source, len(data), ffi.addressof(config, "input")) != lib.VP8_STATUS_OK:
        raise ValueError("libwebp cannot read this WebP")
    width, height = config.input.width, config.input.height
    if size is not None and size != (width, height):
        if ffi.offsetof("WebPDecoderOptions", "use_threads") != _WEBP_USE_THREADS_OFFSET:
            raise ValueError("an unknown WebPDecoderOptions layout")
        options = ffi.cast("int *", ffi.addressof(config, "options"))
        options[_WEBP_USE_SCALING], options[_WEBP_USE_SCALING + 1], options[_WEBP_USE_SCALING + 2] = 1, *size
        width, height = size
    pixels = bytearray(width * height * 4)
    config.output.colorspace = lib.MODE_RGBA
    config.output.u.RGBA.rgba = ffi.cast("uint8_t *", ffi.from_buffer(pixels))
    config.output.u.RGBA.size = len(pixels)
    config.output.u.RGBA.stride = width * 4
    config.output.is_external_memory = 1
    status = lib.WebPDecode(source, len(data), config)
    lib.WebPFreeDecBuffer(ffi.addressof(config, "output"))
    if status != lib.VP8_STATUS_OK:
        raise ValueError("libwebp could not decode this WebP")
    return pixels, (width, height)


def decoder_copy(source: SourceImage) -> int:
    """Bytes of the original the decoder copies and holds while it decodes: pyspng takes its own copy of
    a PNG's bytes (the cost model counts it), unless the PNG is decoded in strips; Pillow's WebP plugin
    keeps one from the open on (its animation decoder's)."""
    if source.format == "WEBP":
        return len(source.data)
    if FAST_DECODE and _libspng_reads(source) and not png_strip_reads(source):
        return len(source.data) if importlib.util.find_spec("pyspng") is not None else 0  # without importing
    return 0


def _libspng_reads(source: SourceImage) -> bool:
    """The PNGs ``pyspng`` decodes (8-bit RGB and RGBA without a tRNS colour); Pillow keeps the rest."""
    image = source.image
    return source.format == "PNG" and image.mode in ("RGB", "RGBA") and "transparency" not in image.info


#: PNGs from this many pixels up are decoded in strips (``_png_strips``); smaller ones in one call.
PNG_STRIP_MIN_PIXELS = 1_000_000
#: Bytes of decoded pixels (4 per pixel) one strip holds. Measured on the corpus' 5K PNGs (peak RSS of a
#: 1280 px WebP / 2048 px JPEG from a 5K PNG): 4 MiB strips and 8 MiB bands 61 / 67 MiB, 2 and 4 MiB
#: 34 / 41, 1 and 2 MiB 22 / 32 (libvips 35 / 40), the decode's time the same within the noise.
PNG_STRIP_BYTES = 1024 * 1024
#: Compressed bytes handed to the inflater at a time (``zlib``'s ``unconsumed_tail`` is a copy of what is
#: left of its input: kept this small, that copy costs nothing).
_INFLATE_INPUT = 64 * 1024
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_STORED_BLOCK = 65535  # the most one stored deflate block holds


@dataclass(frozen=True)
class _PngHeader:
    width: int
    height: int
    channels: int  # 3 (RGB) or 4 (RGBA)
    colour_type: int
    idat: tuple[tuple[int, int], ...]  # (start, end) of each IDAT chunk's data


def png_strip_reads(source: SourceImage) -> bool:
    """The PNGs ``_png_strips`` decodes: what libspng reads (8-bit RGB/RGBA, no tRNS), not interlaced, from
    ``PNG_STRIP_MIN_PIXELS`` up, where both ``pyspng`` and ``zlib-ng`` are installed (checked without
    importing them)."""
    return (FAST_DECODE and _libspng_reads(source) and not source.image.info.get("interlace")
            and source.stored_size[0] * source.stored_size[1] >= PNG_STRIP_MIN_PIXELS
            and _installed("pyspng") and _installed("zlib_ng"))


#: A strip-decoded PNG is box-reduced as it is decoded by ``int(scale / PNG_SHRINK_GAP)`` (when that is at
#: least 2), so LANCZOS still has this many times the output to work from. Chosen on the tune part's large
#: PNGs (benchmarks/RESULTS.md, "PNG in strips"): with 2, Pillow's ``thumbnail`` gap, RGB photos lost
#: 0.1-0.4 dB at the case settings; with 3, at most 0.2 dB, and as much as the full-size LANCZOS from 1080 px.
PNG_SHRINK_GAP = 3.0


def png_shrink(source: SourceImage, crop: tuple[float, float, float, float], out: tuple[int, int]) -> int:
    """The integer box factor a strip-decoded PNG of ``resize.STRIP_MIN_PIXELS`` or more is reduced by as
    it is decoded, for ``out`` from the stored ``crop`` (1: none)."""
    width, height = source.stored_size
    if not png_strip_reads(source) or width * height < resize.STRIP_MIN_PIXELS:
        return 1
    scale = min((crop[2] - crop[0]) / out[0], (crop[3] - crop[1]) / out[1])
    factor = int(scale / PNG_SHRINK_GAP)
    return factor if factor >= 2 else 1


@lru_cache(maxsize=None)
def _installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def _png_header(data: bytes) -> _PngHeader:
    """IHDR and where the IDAT chunks are, from the chunk headers; ``ValueError`` for a PNG the strip
    decoder does not read (not 8-bit RGB or RGBA, interlaced, no IDAT)."""
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    if data[12:16] != b"IHDR" or depth != 8 or colour_type not in (2, 6) or interlace:
        raise ValueError("not an 8-bit, non-interlaced RGB or RGBA PNG")
    idat = []
    pos = 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        if kind == b"IDAT":
            idat.append((pos + 8, min(pos + 8 + length, len(data))))
        elif kind == b"IEND" or (idat and kind != b"IDAT"):
            break
        pos += 12 + length
    if not idat:
        raise ValueError("no image data")
    return _PngHeader(width, height, 4 if colour_type == 6 else 3, colour_type, tuple(idat))


def _png_strip_images(source: SourceImage, rows_multiple: int = 1) -> Iterator[tuple[int, Image.Image]]:
    """A large PNG decoded strip by strip, as ``(top row, strip)``: ``zlib-ng`` inflates (1.5-4x the
    inflate of the zlib 1.2.11 in pyspng's wheel, which is most of its decode time), and libspng, through
    ``pyspng``, unfilters each strip, handed to it as a small PNG of stored (uncompressed) deflate blocks
    whose first row is the row above the strip, unfiltered. A strip is RGB or RGBA (RGBX when its alpha is
    opaque everywhere), laid out as Pillow's, over its own buffer; its row count is a multiple of
    ``rows_multiple`` (but the last's)."""
    zlib_ng = importlib.import_module("zlib_ng.zlib_ng")
    spng = importlib.import_module("pyspng")
    data = source.data
    head = _png_header(data)
    width, height, channels = head.width, head.height, head.channels
    stride = width * channels + 1
    rows = max(rows_multiple, PNG_STRIP_BYTES // (width * 4) // rows_multiple * rows_multiple)
    mode = "RGBA" if channels == 4 else "RGB"
    inflater = zlib_ng.decompressobj()
    pieces = _idat_pieces(data, head.idat)
    pending: bytes | memoryview = b""
    previous = bytes(stride)  # the row above the first: zeros, as PNG filters define it
    ihdr_tail = struct.pack(">BBBBB", 8, head.colour_type, 0, 0, 0)
    for top in range(0, height, rows):
        count = min(rows, height - top)
        raw = [previous]
        need = count * stride
        while need:
            if not pending:
                pending = next(pieces, b"")
                if not pending:
                    raise ValueError("the image data ends early")
            piece = inflater.decompress(pending, min(need, _STORED_BLOCK))
            pending = inflater.unconsumed_tail
            if piece:
                raw.append(piece)
                need -= len(piece)
            elif inflater.eof:
                raise ValueError("the image data ends early")
        strip = spng.load(_stored_png(zlib_ng, raw, width, count + 1, ihdr_tail), "RGBA")
        if strip.shape != (count + 1, width, 4):
            raise ValueError("libspng decoded an unexpected shape")
        previous = b"\x00" + strip[count, :, :channels].tobytes()
        pixels = strip[1:]
        if mode == "RGBA" and int(pixels[:, :, 3].min()) == 255:
            yield top, _mapped(pixels, "RGBX", (width, count), {})
        else:
            yield top, _mapped(pixels, mode, (width, count), {})


def _png_strips(source: SourceImage, shrink: int) -> Image.Image:
    """A large PNG decoded in strips (``_png_strip_images``), each box-reduced by ``shrink`` (premultiplied
    when it has alpha) into the result, so neither the PNG's bytes nor the full-size image (when reduced)
    is ever copied whole."""
    mode = "RGBA" if source.image.mode == "RGBA" else "RGB"
    width, height = source.stored_size
    out = Image.new(mode, (-(-width // shrink), -(-height // shrink)))
    for top, strip in _png_strip_images(source, shrink):
        # Pillow's reduce premultiplies RGBA by its alpha (two conversions of the strip): an opaque strip
        # comes as plain four-byte RGBX pixels
        reduced = strip.reduce(shrink) if shrink > 1 else strip
        out.paste(reduced.convert(mode) if reduced.mode != mode else reduced, (0, top // shrink))
    out.info = dict(source.image.info)
    return out


#: A PNG resampled in bands (``png_resampled``) assembles this many bytes of source rows per band at most
#: (besides the LANCZOS support above and below it).
PNG_BAND_BYTES = 4 * 1024 * 1024


def png_bands(source: SourceImage) -> bool:
    """Whether ``png_resampled`` can resample this PNG in bands (a large one decoded in strips, with the
    SIMD resampler, whose crop box reaches past the band as the whole image's resample would)."""
    width, height = source.stored_size
    return resize.SIMD and png_strip_reads(source) and width * height >= resize.STRIP_MIN_PIXELS


def png_resampled(source: SourceImage, crop: tuple[float, float, float, float], out: tuple[int, int]
                  ) -> Image.Image | None:
    """``crop`` of a large PNG (``png_bands``) LANCZOS-resampled to ``out`` band by band as its strips are
    decoded (``resize.resampled_in_bands``), so the full-size image is never held; None where the strip decoder
    rejects the PNG (decode it whole)."""
    mode = "RGBA" if source.image.mode == "RGBA" else "RGB"
    width = source.stored_size[0]
    held: list[tuple[int, Image.Image]] = []

    def decoded() -> Iterator[int]:
        for top, strip in _png_strip_images(source):
            # a copy in Pillow's block cache, so the decoder's buffer is freed at once and reused for the next
            # strip (holding a few would have the allocator fault in fresh pages for every strip)
            held.append((top, strip.copy()))
            yield top + strip.height

    def rows(first: int, end: int) -> tuple[Image.Image, int]:
        band = Image.new(mode, (width, end - first))
        for strip_top, kept in held:
            if strip_top < end and strip_top + kept.height > first:
                band.paste(kept, (0, strip_top - first))
        return band, first

    def release(row: int) -> None:
        held[:] = [(top, kept) for top, kept in held if top + kept.height > row]

    try:
        result = resize.resampled_in_bands(mode, source.stored_size, crop, out, decoded(), rows, release,
                                           PNG_BAND_BYTES)
    except Exception:  # noqa: BLE001 - whatever the strip decoder rejects, the whole-image decoders try
        return None
    result.info = dict(source.image.info)
    return result


#: A WebP is resampled (``webp_resampled``) in bands of a sixteenth of its decoded rows, from
#: ``WEBP_BAND_MIN_BYTES`` to ``PNG_BAND_BYTES``: a small output, decoded shrunk by libwebp, then holds
#: little (the peers' peak is small there), and a large one pays for no more than 16 bands' overhead.
#: Measured on the tune WebPs (truchet, woodl; VmHWM, CPU time): 4 MiB bands held 11-14 MiB at 640 px
#: (libvips 9), 2 MiB 8 at the same time; at 1280-2048 px 2 MiB bands took 4-8 % longer than 4 MiB.
WEBP_BANDS = 16
WEBP_BAND_MIN_BYTES = 1024 * 1024


def webp_bands(source: SourceImage) -> bool:
    """Whether ``webp_resampled`` can resample this WebP in bands: a still one, with the SIMD resampler,
    where Pillow's libwebp is at hand (``webprows``)."""
    return (FAST_DECODE and resize.SIMD and source.format == "WEBP" and source.image.mode in ("RGB", "RGBA")
            and not getattr(source.image, "is_animated", False) and bool(source.data) and _webp_rows() is not None)


@lru_cache(maxsize=None)
def _webp_rows() -> ModuleType | None:
    """``webprows`` where Pillow's libwebp can be loaded as it declares it (imported on first use: ctypes)."""
    try:
        module = importlib.import_module(f"{__package__}.webprows")
        module.library()
    except Exception:  # noqa: BLE001 - no library, another layout: the one-call decoders serve
        return None
    return module


def webp_resampled(source: SourceImage, crop: tuple[float, float, float, float], out: tuple[int, int],
                   size: tuple[int, int] | None = None) -> Image.Image | None:
    """``crop`` (stored pixels) of a still WebP (``webp_bands``) LANCZOS-resampled to ``out`` band by band
    as libwebp's incremental decoder finishes its rows (at ``size`` when given: ``webp_decode_size``), the
    pages of the rows used handed back as it goes: the whole decode's resample (to the rounding of
    ``resize.resampled_in_bands``), without the full-size image. None where libwebp rejects it (decode it whole)."""
    rows_module = _webp_rows()
    if rows_module is None:
        return None
    try:
        decoder = rows_module.Rows(source.data, size)
    except Exception:  # noqa: BLE001 - whatever the incremental decoder rejects, the whole-image decoders try
        return None
    return _rows_resampled(source, decoder, source.image.mode, crop, out, 8)


#: A JPEG whose frame at its DCT scale (``cost.frame_bytes``) would take at least this many bytes is
#: resampled in bands as libjpeg decodes its rows (``jpeg_resampled``): the full-size decodes whose peak
#: was above libvips' (benchmarks/RESULTS.md, "JPEG rows as they are decoded").
JPEG_BANDS_FROM_BYTES = 16 * 1024 * 1024
#: ... and so is a smaller frame at least ``JPEG_BANDS_FRAME_PER_OUTPUT`` times its output where the output
#: takes ``JPEG_BANDS_OUTPUT_FROM_BYTES`` or more (a 1280 px one and up), unless a progressive JPEG's
#: coefficients (held either way, by libvips too) outweigh the frame: there the whole frame made the peak
#: (1.5-1.7x libvips', 0.7-0.9x in rows), and the row path's cost (5-16 ms a frame: fresh pages for the
#: rows, a resampler call a band, the decoder's thread) was 6-23 % of those requests. Not for smaller
#: outputs, whose requests (20-50 ms) it would slow by 10-50 %, nor for a frame the output nearly matches
#: (the output-sized steps then make the peak either way). benchmarks/RESULTS.md, "Smaller JPEG frames
#: in rows".
JPEG_BANDS_OUTPUT_FROM_BYTES = 3 * 1024 * 1024
JPEG_BANDS_FRAME_PER_OUTPUT = 2


def jpeg_bands(source: SourceImage, eighths: int, out: tuple[int, int]) -> bool:
    """Whether ``jpeg_resampled`` can resample this JPEG at ``eighths``/8 to ``out`` in bands, and its frame
    is large enough for that to matter (``JPEG_BANDS_FROM_BYTES``, ``JPEG_BANDS_OUTPUT_FROM_BYTES``): an RGB
    or greyscale one, with the SIMD resampler, where Pillow's libjpeg can be called (``jpegrows``)."""
    if not (FAST_DECODE and resize.SIMD and source.format == "JPEG" and source.image.mode in ("RGB", "L")
            and source.data):
        return False
    width, height = decoded_size(source.stored_size, eighths)
    frame = cost.frame_bytes(width * height, source.image.mode)
    output = cost.frame_bytes(out[0] * out[1], source.image.mode)
    coefficients = source.stored_size[0] * source.stored_size[1] * cost.coefficient_bytes(source.image)
    if frame < JPEG_BANDS_FROM_BYTES and not (output >= JPEG_BANDS_OUTPUT_FROM_BYTES and frame >= coefficients
                                              and frame >= JPEG_BANDS_FRAME_PER_OUTPUT * output):
        return False
    rows_module = _jpeg_rows()
    return rows_module is not None and rows_module.available()


@lru_cache(maxsize=None)
def _jpeg_rows() -> ModuleType | None:
    """``jpegrows`` (imported on first use: cffi), or None where it cannot be imported."""
    try:
        return importlib.import_module(f"{__package__}.jpegrows")
    except ImportError:
        return None


def jpeg_resampled(source: SourceImage, crop: tuple[float, float, float, float], out: tuple[int, int],
                   eighths: int) -> Image.Image | None:
    """``crop`` (stored pixels) of a JPEG (``jpeg_bands``) decoded at ``eighths``/8 and LANCZOS-resampled to
    ``out`` band by band as libjpeg's scanline decoder finishes its rows, the pages of the rows used handed
    back as it goes: the whole decode's resample (to the rounding of ``resize.resampled_in_bands``),
    without the full-size frame. None where libjpeg rejects it (decode it whole: Pillow decides)."""
    rows_module = _jpeg_rows()
    if rows_module is None:
        return None
    try:
        decoder = rows_module.Rows(source.data, eighths)
    except Exception:  # noqa: BLE001 - whatever the scanline decoder rejects, Pillow decodes or refuses
        return None
    try:
        if decoder.mode != source.image.mode:
            return None
        return _rows_resampled(source, decoder, decoder.mode, crop, out, eighths)
    finally:
        decoder.close()  # the decoder's thread ends even where no row was asked for


def _rows_resampled(source: SourceImage, decoder: Any, mode: str, crop: tuple[float, float, float, float],
                    out: tuple[int, int], eighths: int) -> Image.Image | None:
    """``crop`` (stored pixels) resampled to ``out`` in bands as ``decoder`` (a ``webprows.RowMap`` that
    ``decoded()`` fills) finishes its rows; None where it fails."""
    try:
        decoded_size = (decoder.width, decoder.height)
        region = (crop if decoded_size == source.stored_size else
                  geometry.scale_box(crop, decoded_scale(decoded_size, source.stored_size, eighths), decoded_size))

        def rows(first: int, end: int) -> tuple[Image.Image, int]:
            return _mapped(decoder.buffer, mode, (decoder.width, end - first), {}, first * decoder.stride), first

        band_bytes = min(PNG_BAND_BYTES, max(WEBP_BAND_MIN_BYTES, decoder.stride * decoder.height // WEBP_BANDS))
        result = resize.resampled_in_bands(mode, decoded_size, region, out, decoder.decoded(), rows,
                                           decoder.release, band_bytes)
    except Exception:  # noqa: BLE001 - whatever the row decoder rejects, the whole-image decoders try
        return None
    result.info = dict(source.image.info)
    return result


def webp_plane_bytes(source: SourceImage) -> int:
    """Bytes libwebp keeps for the whole image while it decodes a WebP, whichever way it is decoded: a
    lossless one's ARGB pixels (4 a pixel); a lossy one's alpha plane (1) and, unless the alpha stream
    fits its 8-bit path, the lossless decoder's ARGB pixels for it (4)."""
    if source.format != "WEBP":
        return 0
    width, height = source.stored_size
    chunks = _riff_chunks(source.data)
    return width * height * (4 if b"VP8L" in chunks else (5 if b"ALPH" in chunks else 0))


def _riff_chunks(data: bytes) -> set[bytes]:
    """The four-character codes of a RIFF file's top-level chunks (from their headers)."""
    kinds = set()
    pos = 12
    while pos + 8 <= len(data):
        kinds.add(data[pos:pos + 4])
        size = int.from_bytes(data[pos + 4:pos + 8], "little")
        pos += 8 + size + (size & 1)  # a chunk of odd size is padded by a byte
    return kinds


def _idat_pieces(data: bytes, idat: tuple[tuple[int, int], ...]) -> Iterator[memoryview]:
    """The concatenated IDAT data, ``_INFLATE_INPUT`` bytes at a time, without copying it."""
    view = memoryview(data)
    for start, end in idat:
        for pos in range(start, end, _INFLATE_INPUT):
            yield view[pos:min(end, pos + _INFLATE_INPUT)]


def _stored_png(zlib_ng: ModuleType, raw: list[bytes], width: int, height: int, ihdr_tail: bytes) -> bytes:
    """A PNG of ``width`` x ``height`` whose IDAT is ``raw`` (filtered scanlines) in stored deflate blocks,
    with its checksums right, joined in one copy."""
    adler = 1
    blocks: list[bytes] = [b"\x78\x01"]
    for index, piece in enumerate(raw):
        size = len(piece)
        for pos in range(0, size, _STORED_BLOCK):
            part = piece[pos:pos + _STORED_BLOCK] if size > _STORED_BLOCK else piece
            final = index == len(raw) - 1 and pos + _STORED_BLOCK >= size
            blocks += (struct.pack("<BHH", final, len(part), len(part) ^ 0xFFFF), part)
        adler = zlib_ng.adler32(piece, adler)
    blocks.append(struct.pack(">I", adler))
    crc = zlib_ng.crc32(b"IDAT")
    for block in blocks:
        crc = zlib_ng.crc32(block, crc)
    ihdr = b"IHDR" + struct.pack(">II", width, height) + ihdr_tail
    head = (_PNG_SIGNATURE, struct.pack(">I", 13), ihdr, struct.pack(">I", zlib_ng.crc32(ihdr)),
            struct.pack(">I", sum(len(block) for block in blocks)), b"IDAT")
    return b"".join((*head, *blocks, struct.pack(">I", crc), b"\x00\x00\x00\x00IEND\xaeB`\x82"))


def _mapped(buffer: Any, mode: str, size: tuple[int, int], info: dict, offset: int = 0) -> Image.Image:
    """A read-only Pillow image of ``mode`` over ``buffer`` from ``offset`` (laid out as Pillow keeps
    ``mode``: 1 byte per pixel for L, 4 for RGB and RGBA), without a copy; it keeps ``buffer`` alive."""
    image = Image.new(mode, (0, 0))._new(Image.core.map_buffer(buffer, size, "raw", offset, (mode, 0, 1)))
    image.readonly = 1
    image.info = dict(info)
    return image


def decoded_scale(decoded: tuple[int, int], stored: tuple[int, int], eighths: int,
                  shrink: int = 1) -> tuple[float, float]:
    """Stored → decoded coordinate factors: exactly eighths/8 after a DCT-scaled decode (libjpeg rounds
    the size up, the geometry is still eighths/8), 1/shrink after a strip-wise reduce (the size rounded up
    the same way), else the size ratio."""
    if eighths != 8 and decoded == decoded_size(stored, eighths):
        return eighths / 8, eighths / 8
    if shrink != 1 and decoded == (-(-stored[0] // shrink), -(-stored[1] // shrink)):
        return 1 / shrink, 1 / shrink
    return decoded[0] / stored[0], decoded[1] / stored[1]


def orient(image: Image.Image, orientation: int) -> Image.Image:
    """``image`` with an orientation (EXIF value, 1 = as stored) applied: one transpose, none for 1."""
    return image if orientation == 1 else image.transpose(ORIENTATION_TRANSPOSE[orientation])


def _orientation(image: Image.Image) -> int:
    try:
        value = int(image.getexif().get(_EXIF_ORIENTATION, 1))
    except Exception:  # a broken EXIF block must not sink an otherwise fine image
        return 1
    return value if value in ORIENTATION_TRANSPOSE else 1
