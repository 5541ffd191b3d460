"""A still WebP decoded row by row, so that no full-size image is ever resident.

libwebp's incremental decoder (``WebPIDecode``, ``WebPIUpdate``) is fed the original a slice at a time and
writes the rows it finishes into an anonymous memory map the size of the decoded image; the caller reads
the finished rows (``Rows.decoded``) and hands the pages under the rows it is done with back to the OS
(``Rows.release``: ``madvise(MADV_DONTNEED)``), so only a band of the image is ever in memory. libwebp's
scaler applies as in the one-call decode, and the rows are the one-call decode's, byte for byte.

The ``webp`` wheel's cffi binding has no incremental decoder; Pillow's WebP plugin links a libwebp that
exports it, already loaded in this process once Pillow has opened a WebP, and that is the library used,
through ctypes. Its structures are declared below as libwebp's ``decode.h`` lays them out for decoder ABI
``DECODER_ABI`` (libwebp 1.x): libwebp refuses a caller of another major ABI, and where the ``webp``
binding is installed its compiled declarations are checked against these. Anything unexpected (no such
library, another layout, a decoding error) raises, and the caller decodes the image whole instead.
"""

from __future__ import annotations

import ctypes
import glob
import importlib
import mmap
import os
from collections.abc import Callable, Iterator
from functools import lru_cache

#: ``WEBP_DECODER_ABI_VERSION`` of the ``decode.h`` the structures below follow.
DECODER_ABI = 0x0209
#: ``MODE_RGBA`` in ``WEBP_CSP_MODE``: four bytes a pixel, R G B A, as Pillow keeps RGB and RGBA.
MODE_RGBA = 1
_OK, _SUSPENDED = 0, 5  # VP8StatusCode
#: Compressed rows handed to the decoder per step, on average (a step's worth of decoded rows is resident
#: before the caller can use and release it).
FEED_ROWS = 64
_MIN_FEED = 4096


#: Pages are moved only this many rows below the last one libwebp finished (it writes none below it).
_AHEAD_ROWS = 32
_PROT_READ_WRITE = 0x3
_MAP_PRIVATE_ANONYMOUS_FIXED = 0x02 | 0x20 | 0x10
_MREMAP_MAYMOVE_FIXED = 0x1 | 0x2


@lru_cache(maxsize=None)
def libc() -> ctypes.CDLL | None:
    """The C library's ``mremap`` and ``mmap`` (Linux), or None."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mremap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_int, ctypes.c_void_p]
        libc.mremap.restype = ctypes.c_void_p
        libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                              ctypes.c_long]
        libc.mmap.restype = ctypes.c_void_p
    except (OSError, AttributeError):
        return None
    return libc


def _move_pages(base: int, source: int, target: int, size: int) -> bool:
    """Move the ``size`` bytes of pages at ``base + source`` to ``base + target`` (page-aligned, not
    overlapping), filling the hole left with fresh untouched pages; False where that cannot be done."""
    c_library = libc()
    if c_library is None:
        return False
    moved = c_library.mremap(base + source, size, size, _MREMAP_MAYMOVE_FIXED, base + target)
    if moved != base + target:
        return False
    filled = c_library.mmap(base + source, size, _PROT_READ_WRITE, _MAP_PRIVATE_ANONYMOUS_FIXED, -1, 0)
    if filled != base + source:
        raise OSError("the rows' memory map could not be mended")
    return True


class _Features(ctypes.Structure):
    _fields_ = [("width", ctypes.c_int), ("height", ctypes.c_int), ("has_alpha", ctypes.c_int),
                ("has_animation", ctypes.c_int), ("format", ctypes.c_int), ("pad", ctypes.c_uint32 * 5)]


class _RGBABuffer(ctypes.Structure):
    _fields_ = [("rgba", ctypes.c_void_p), ("stride", ctypes.c_int), ("size", ctypes.c_size_t)]


class _YUVABuffer(ctypes.Structure):
    _fields_ = [("planes", ctypes.c_void_p * 4), ("strides", ctypes.c_int * 4), ("sizes", ctypes.c_size_t * 4)]


class _Planes(ctypes.Union):
    _fields_ = [("RGBA", _RGBABuffer), ("YUVA", _YUVABuffer)]


class _DecBuffer(ctypes.Structure):
    _fields_ = [("colorspace", ctypes.c_int), ("width", ctypes.c_int), ("height", ctypes.c_int),
                ("is_external_memory", ctypes.c_int), ("u", _Planes), ("pad", ctypes.c_uint32 * 4),
                ("private_memory", ctypes.c_void_p)]


class _Options(ctypes.Structure):
    _fields_ = [(name, ctypes.c_int) for name in (
        "bypass_filtering", "no_fancy_upsampling", "use_cropping", "crop_left", "crop_top", "crop_width",
        "crop_height", "use_scaling", "scaled_width", "scaled_height", "use_threads", "dithering_strength",
        "flip", "alpha_dithering_strength")] + [("pad", ctypes.c_uint32 * 5)]


class _Config(ctypes.Structure):
    _fields_ = [("input", _Features), ("output", _DecBuffer), ("options", _Options)]


#: (structure, field) → offset the ``webp`` binding's declarations must agree with.
_CHECKED = ((_Config, "WebPDecoderConfig", ("input", "output", "options")),
            (_Features, "WebPBitstreamFeatures", ("width", "height", "has_alpha", "has_animation", "format")),
            (_DecBuffer, "WebPDecBuffer", ("colorspace", "width", "height", "is_external_memory", "u")),
            (_RGBABuffer, "WebPRGBABuffer", ("rgba", "stride", "size")),
            (_Options, "WebPDecoderOptions", ("use_threads",)))


def layout_matches(ffi: object, lib: object) -> bool:
    """Whether the structures above have the sizes and offsets of a cffi binding's declarations."""
    for struct, name, names in _CHECKED:
        if ctypes.sizeof(struct) != ffi.sizeof(name):  # type: ignore[attr-defined]
            return False
        if any(getattr(struct, field).offset != ffi.offsetof(name, field) for field in names):  # type: ignore[attr-defined]
            return False
    return int(lib.MODE_RGBA) == MODE_RGBA  # type: ignore[attr-defined]


def library_path() -> str | None:
    """The libwebp Pillow's WebP plugin is linked with (``pillow_library``)."""
    return pillow_library("PIL._webp", _is_libwebp)


def pillow_library(module: str, is_it: Callable[[str], bool]) -> str | None:
    """The library ``is_it`` picks among those Pillow's ``module`` is linked with: as mapped into this
    process once ``module`` is loaded, else in the folder Pillow's wheel keeps its libraries in."""
    importlib.import_module(module)  # loads it, if it is not loaded yet
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            for line in maps:
                path = line.rsplit(" ", 1)[-1].strip()
                if path.startswith("/") and is_it(path):
                    return path
    except OSError:
        pass
    pil = os.path.dirname(importlib.import_module("PIL").__file__ or "")
    found = [path for path in glob.glob(os.path.join(pil, os.pardir, "pillow.libs", "*")) if is_it(path)]
    return found[0] if len(found) == 1 else None


def _is_libwebp(path: str) -> bool:
    """libwebp itself, not libwebpmux or libwebpdemux."""
    name = os.path.basename(path)
    return name.startswith("libwebp") and name[len("libwebp"):][:1] in ("-", ".")


@lru_cache(maxsize=None)
def library() -> ctypes.CDLL:
    """Pillow's libwebp with the incremental decoder's prototypes; ``OSError`` where it cannot be had or
    its layout is not the one declared here."""
    path = library_path()
    if path is None:
        raise OSError("Pillow's libwebp was not found")
    try:
        binding = importlib.import_module("webp")
    except ImportError:
        binding = None
    if binding is not None and not layout_matches(binding.ffi, binding.lib):
        raise OSError("libwebp's structures are not laid out as declared")
    lib = ctypes.CDLL(path)
    lib.WebPInitDecoderConfigInternal.argtypes = [ctypes.POINTER(_Config), ctypes.c_int]
    lib.WebPInitDecoderConfigInternal.restype = ctypes.c_int
    lib.WebPGetFeaturesInternal.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(_Features),
                                            ctypes.c_int]
    lib.WebPGetFeaturesInternal.restype = ctypes.c_int
    lib.WebPIDecode.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(_Config)]
    lib.WebPIDecode.restype = ctypes.c_void_p
    lib.WebPIUpdate.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    lib.WebPIUpdate.restype = ctypes.c_int
    lib.WebPIDecGetRGB.argtypes = [ctypes.c_void_p] + [ctypes.POINTER(ctypes.c_int)] * 4
    lib.WebPIDecGetRGB.restype = ctypes.c_void_p
    lib.WebPIDelete.argtypes = [ctypes.c_void_p]
    lib.WebPIDelete.restype = None
    return lib


class RowMap:
    """Decoded rows (``stride`` bytes each, ``height`` of them) in an anonymous memory map that the decoder
    writes top down; ``_done`` is how many it has finished. ``release`` hands the pages above a row on."""

    def __init__(self, stride: int, height: int) -> None:
        self.stride, self.height = stride, height
        # private: a page handed back is freed (a shared one would stay in its shared-memory object); an
        # untouched one is not resident
        self.buffer = mmap.mmap(-1, stride * height, flags=mmap.MAP_PRIVATE)
        self._address = ctypes.addressof(ctypes.c_char.from_buffer(self.buffer))
        self._released = 0  # end of the pages handed on
        self._done = 0  # rows the decoder has finished
        self._moved_to = 0  # end of the pages moved ahead so far

    def release(self, row: int) -> None:
        """The rows above ``row`` are not needed again (whole pages only; they read as zeros after). Their
        pages are moved under rows the decoder has yet to write (``mremap``), so the decode writes into pages
        already resident instead of faulting in fresh zeroed ones, which took about a third of the decode's
        time; where they cannot be moved, they are handed back to the OS."""
        end = row * self.stride // mmap.PAGESIZE * mmap.PAGESIZE
        size = end - self._released
        if size <= 0:
            return
        ahead = -(-(self._done + _AHEAD_ROWS) * self.stride // mmap.PAGESIZE) * mmap.PAGESIZE
        target = max(self._moved_to, ahead)
        if target + size <= len(self.buffer) and _move_pages(self._address, self._released, target, size):
            self._moved_to = target + size
        else:
            self.buffer.madvise(mmap.MADV_DONTNEED, self._released, size)
        self._released = end


class Rows(RowMap):
    """A still WebP being decoded into ``buffer`` (``stride`` bytes a row, RGBA), at ``size`` when given
    (libwebp's scaler). Iterate ``decoded()`` for the count of finished rows as it grows; ``release`` the
    rows above one that are no longer needed."""

    def __init__(self, data: bytes, size: tuple[int, int] | None = None) -> None:
        lib = library()
        self._lib = lib
        self._data = data
        self._config = config = _Config()
        if not lib.WebPInitDecoderConfigInternal(ctypes.byref(config), DECODER_ABI):
            raise ValueError("libwebp's decoder ABI is not the one declared")
        if lib.WebPGetFeaturesInternal(data, len(data), ctypes.byref(config.input), DECODER_ABI) != _OK:
            raise ValueError("libwebp cannot read this WebP")
        if config.input.has_animation:
            raise ValueError("an animated WebP")
        self.width, self.height = config.input.width, config.input.height
        if size is not None and size != (self.width, self.height):
            config.options.use_scaling = 1
            config.options.scaled_width, config.options.scaled_height = size
            self.width, self.height = size
        RowMap.__init__(self, self.width * 4, self.height)
        output = config.output
        output.colorspace = MODE_RGBA
        output.is_external_memory = 1
        output.u.RGBA.rgba = self._address
        output.u.RGBA.stride = self.stride
        output.u.RGBA.size = len(self.buffer)

    def decoded(self) -> Iterator[int]:
        """The number of finished rows, each time it grows, until every row is; ``ValueError`` when the
        data is corrupt or ends early."""
        lib, data = self._lib, self._data
        feed = max(_MIN_FEED, len(data) * FEED_ROWS // max(1, self.height))
        last = ctypes.c_int(0)
        done = 0
        decoder = lib.WebPIDecode(None, 0, ctypes.byref(self._config))
        if not decoder:
            raise ValueError("libwebp could not start decoding this WebP")
        try:
            for end in range(feed, len(data) + feed, feed):
                status = lib.WebPIUpdate(decoder, data, min(end, len(data)))
                if status not in (_OK, _SUSPENDED):
                    raise ValueError("libwebp could not decode this WebP")
                if lib.WebPIDecGetRGB(decoder, ctypes.byref(last), None, None, None) and last.value > done:
                    done = self._done = last.value
                    yield done
                if status == _OK:
                    break
            if done != self.height:
                raise ValueError("the WebP's data ends early")
        finally:
            lib.WebPIDelete(decoder)
