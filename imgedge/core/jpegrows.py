"""A JPEG decoded row by row, so that no full-size frame is ever resident.

libjpeg's scanline API (``jpeg_read_scanlines``) on the libjpeg-turbo Pillow's wheel bundles, through cffi
in out-of-line ABI mode (``libjpeg_ffi``, generated pure Python: no compiler, no new binary, no parse of the
declarations at first use): rows are written, as Pillow lays them out (RGBX or L), into a
``webprows.RowMap`` whose pages are handed on as the caller is done with them. The decoder is set up as
Pillow's: the DCT scale as ``scale_num = 1``, ``scale_denom``, and libjpeg's defaults otherwise (the
accurate integer IDCT, fancy upsampling, block smoothing), so the rows are Pillow's, byte for byte.

Errors: libjpeg's ``error_exit`` must not return, and Python cannot ``longjmp``. libjpeg runs on a thread
of its own, in lock step with the caller (never both at once); ``error_exit`` does what libjpeg's own does
(``jpeg_destroy``: all of the decoder's memory is freed) but, instead of exiting the process, reports the
error to the caller and parks that thread for good, never returning into libjpeg. A parked thread keeps
its stack and what its malloc arena cannot hand back (1.4 MiB measured, after ``malloc_trim``), not the
rows nor the original's bytes; after ``MAX_PARKED`` of them the scanline decode is off for the life of the
process. (Decoding the file first with Pillow at 1/8 instead, which meets every error libjpeg
would, cost 11-35 % of a baseline decode and 44-70 % of a progressive one: benchmarks/RESULTS.md.) A
truncated file, which libjpeg only warns of (and decodes as grey), is an error here, as in Pillow.
Anything unexpected (no library, another struct layout, a colour space or precision other than 8-bit
YCbCr or greyscale) raises ``ValueError`` or ``OSError``, and the caller decodes the image whole.
"""

from __future__ import annotations

import importlib
import queue
import threading
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from . import webprows

#: ``JPEG_LIB_VERSION`` the declarations below follow (``jpeg_CreateDecompress`` checks it and the size
#: of ``struct jpeg_decompress_struct``, so another layout is refused at once).
LIB_VERSION = 62
_JCS_GRAYSCALE, _JCS_YCBCR, _JCS_EXT_RGBX = 1, 3, 7  # J_COLOR_SPACE
#: Decoders parked after an error (``error_exit``) before the scanline decode is turned off.
MAX_PARKED = 8
_parked: list[threading.Thread] = []
#: libjpeg's warning of data that ends before the image does.
_EOF_WARNING = b"Premature end of JPEG file"
#: Output rows the decoder produces per step before handing them over (a step's rows are resident before
#: the caller can use and release them).
FEED_ROWS = 64

#: The declarations of libjpeg 62 (``jpeglib.h``) the decoder calls, the structs up to the fields it reads.
#: cffi's generated module ``libjpeg_ffi`` holds them parsed (``python -m tooling.libjpeg_ffi`` writes it).
DECLARATIONS = """
typedef int boolean;
typedef unsigned int JDIMENSION;
typedef unsigned char JSAMPLE;
typedef JSAMPLE *JSAMPROW;
typedef JSAMPROW *JSAMPARRAY;
struct jpeg_error_mgr {
  void (*error_exit) (void *cinfo);
  void (*emit_message) (void *cinfo, int msg_level);
  void (*output_message) (void *cinfo);
  void (*format_message) (void *cinfo, char *buffer);
  void (*reset_error_mgr) (void *cinfo);
  int msg_code;
  union { int i[8]; char s[80]; } msg_parm;
  int trace_level;
  long num_warnings;
  const char * const *jpeg_message_table;
  int last_jpeg_message;
  const char * const *addon_message_table;
  int first_addon_message;
  int last_addon_message;
};
struct jpeg_decompress_struct {
  struct jpeg_error_mgr *err; void *mem; void *progress; void *client_data; boolean is_decompressor;
  int global_state;
  void *src;
  JDIMENSION image_width;
  JDIMENSION image_height;
  int num_components;
  int jpeg_color_space;
  int out_color_space;
  unsigned int scale_num, scale_denom;
  double output_gamma;
  boolean buffered_image;
  boolean raw_data_out;
  int dct_method;
  boolean do_fancy_upsampling;
  boolean do_block_smoothing;
  boolean quantize_colors;
  int dither_mode;
  boolean two_pass_quantize;
  int desired_number_of_colors;
  boolean enable_1pass_quant;
  boolean enable_external_quant;
  boolean enable_2pass_quant;
  JDIMENSION output_width;
  JDIMENSION output_height;
  int out_color_components;
  int output_components;
  int rec_outbuf_height;
  int actual_number_of_colors;
  JSAMPARRAY colormap;
  JDIMENSION output_scanline;
  int input_scan_number;
  JDIMENSION input_iMCU_row;
  int output_scan_number;
  JDIMENSION output_iMCU_row;
  int (*coef_bits)[64];
  void *quant_tbl_ptrs[4];
  void *dc_huff_tbl_ptrs[4];
  void *ac_huff_tbl_ptrs[4];
  int data_precision;
  void *comp_info;
  boolean progressive_mode;
  boolean arith_code;
  unsigned char arith_dc_L[16];
  unsigned char arith_dc_U[16];
  unsigned char arith_ac_K[16];
  unsigned int restart_interval;
  boolean saw_JFIF_marker;
  unsigned char JFIF_major_version;
  unsigned char JFIF_minor_version;
  unsigned char density_unit;
  unsigned short X_density;
  unsigned short Y_density;
  boolean saw_Adobe_marker;
  unsigned char Adobe_transform;
  boolean CCIR601_sampling;
  void *marker_list;
  int max_h_samp_factor;
  int max_v_samp_factor;
  int min_DCT_scaled_size;
  JDIMENSION total_iMCU_rows;
  JSAMPLE *sample_range_limit;
  int comps_in_scan;
  void *cur_comp_info[4];
  JDIMENSION MCUs_per_row;
  JDIMENSION MCU_rows_in_scan;
  int blocks_in_MCU;
  int MCU_membership[10];
  int Ss, Se, Ah, Al;
  int unread_marker;
  void *master; void *main; void *coef; void *post; void *inputctl; void *marker; void *entropy;
  void *idct; void *upsample; void *cconvert; void *cquantize;
};
struct jpeg_error_mgr *jpeg_std_error(struct jpeg_error_mgr *err);
void jpeg_CreateDecompress(struct jpeg_decompress_struct *cinfo, int version, size_t structsize);
void jpeg_mem_src(struct jpeg_decompress_struct *cinfo, const unsigned char *inbuffer, unsigned long insize);
int jpeg_read_header(struct jpeg_decompress_struct *cinfo, boolean require_image);
boolean jpeg_start_decompress(struct jpeg_decompress_struct *cinfo);
JDIMENSION jpeg_read_scanlines(struct jpeg_decompress_struct *cinfo, JSAMPARRAY scanlines,
                               JDIMENSION max_lines);
boolean jpeg_finish_decompress(struct jpeg_decompress_struct *cinfo);
void jpeg_destroy_decompress(struct jpeg_decompress_struct *cinfo);
"""


def _is_libjpeg(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.startswith("libjpeg") and ".so.62" in name


@lru_cache(maxsize=None)
def library() -> tuple[Any, Any]:
    """cffi's ``(ffi, lib)`` over the libjpeg Pillow's JPEG codec is linked with; ``OSError`` (or
    ``ImportError`` without cffi) where it cannot be had."""
    path = webprows.pillow_library("PIL._imaging", _is_libjpeg)
    if path is None:
        raise OSError("Pillow's libjpeg was not found")
    ffi = importlib.import_module(f"{__package__}.libjpeg_ffi").ffi  # cffi's backend: ImportError without it
    return ffi, ffi.dlopen(path)


def available() -> bool:
    """Whether the scanline decode may be used: the library loads and fewer than ``MAX_PARKED`` decoders
    have met an error."""
    try:
        library()
    except (ImportError, OSError):
        return False
    return len(_parked) < MAX_PARKED


class Rows(webprows.RowMap):
    """A JPEG (8-bit YCbCr or greyscale) being decoded at ``eighths``/8 into
    ``buffer`` (``stride`` bytes a row: RGBX for colour, as Pillow keeps RGB, or L). Iterate ``decoded()``
    for the count of finished rows as it grows; ``release`` the rows above one that are no longer needed."""

    def __init__(self, data: bytes, eighths: int = 8) -> None:
        self._requests: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self._replies: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        threading.Thread(target=_decode, args=([data], 8 // eighths, self._requests, self._replies),
                         name="jpegrows", daemon=True).start()
        kind, value = self._replies.get()
        if kind != "started":
            raise ValueError(f"libjpeg cannot decode this JPEG this way: {value}")
        self.width, self.height, channels = value
        self.mode = "RGB" if channels == 4 else "L"
        try:
            super().__init__(self.width * channels, self.height)
        except BaseException:
            self.close()
            raise
        self._requests.put(self._address)

    def decoded(self) -> Iterator[int]:
        """The number of finished rows, each time it grows, until every row is; ``ValueError`` when libjpeg
        fails."""
        done = 0
        try:
            while done < self.height:
                self._requests.put(min(self.height, done + FEED_ROWS))
                kind, value = self._replies.get()
                if kind != "rows":
                    raise ValueError(f"libjpeg failed: {value}")
                done = self._done = value
                yield done
        finally:
            self.close()

    def close(self) -> None:
        """Stop decoding: the decoder's thread frees libjpeg's memory and ends."""
        self._requests.put(None)


def _trim() -> None:
    """Hand the memory this thread's malloc arena keeps free back to the OS (a parked thread would hold it
    for good); nothing where the C library has no ``malloc_trim``."""
    libc = webprows.libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def _decode(data: list[bytes], scale: int, requests: queue.SimpleQueue[int | None],
            replies: queue.SimpleQueue[tuple[str, Any]]) -> None:
    """The decoder's thread: set up, then decode as many rows as asked at a time into the rows at the address
    it is given, until told to stop. It holds neither the rows nor (once parked) the original's bytes."""
    ffi, lib = library()

    def error_exit(cinfo: Any) -> None:
        try:
            message = ffi.new("char[200]")
            err.format_message(cinfo, message)
            lib.jpeg_destroy_decompress(decompress)  # what libjpeg's own error_exit does before exit()
            data.clear()
            _trim()
            _parked.append(threading.current_thread())
            replies.put(("failed", ffi.string(message).decode("ascii", "replace")))
        finally:
            threading.Event().wait()  # never return into libjpeg; see the module's docstring

    def emit_message(cinfo: Any, level: int) -> None:
        """Warnings are not printed (libjpeg decodes around corrupt data, as Pillow does); data that ends
        early is remembered."""
        if level < 0 and 0 <= err.msg_code <= err.last_jpeg_message:
            if ffi.string(err.jpeg_message_table[err.msg_code]) == _EOF_WARNING:
                truncated.append(True)

    truncated: list[bool] = []
    err = ffi.new("struct jpeg_error_mgr *")
    lib.jpeg_std_error(err)
    callbacks = (ffi.callback("void(void *)", error_exit), ffi.callback("void(void *, int)", emit_message))
    err.error_exit, err.emit_message = callbacks
    cinfo = decompress = ffi.new("struct jpeg_decompress_struct *")
    cinfo.err = err
    lib.jpeg_CreateDecompress(cinfo, LIB_VERSION, ffi.sizeof("struct jpeg_decompress_struct"))
    try:
        lib.jpeg_mem_src(cinfo, ffi.from_buffer(data[0]), len(data[0]))  # the bytes stay alive in ``data``
        lib.jpeg_read_header(cinfo, 1)
        colours = (cinfo.jpeg_color_space, cinfo.num_components)
        if truncated or cinfo.data_precision != 8 or colours not in ((_JCS_YCBCR, 3), (_JCS_GRAYSCALE, 1)):
            replies.put(("unusual", "not an 8-bit YCbCr or greyscale JPEG"))
            return
        channels = 4 if cinfo.num_components == 3 else 1
        cinfo.out_color_space = _JCS_EXT_RGBX if channels == 4 else _JCS_GRAYSCALE
        if scale > 1:
            cinfo.scale_num, cinfo.scale_denom = 1, scale
        lib.jpeg_start_decompress(cinfo)
        if truncated or cinfo.output_components != channels:
            replies.put(("failed", "the data ends early" if truncated else "libjpeg chose another output"))
            return
        replies.put(("started", (cinfo.output_width, cinfo.output_height, channels)))
        address = requests.get()
        if address is None:
            return
        stride = cinfo.output_width * channels
        pointers = ffi.new("JSAMPROW[]", [ffi.cast("JSAMPROW", address + row * stride)
                                          for row in range(cinfo.output_height)])
        while (target := requests.get()) is not None:
            while (row := cinfo.output_scanline) < target:
                if not lib.jpeg_read_scanlines(cinfo, pointers + row, target - row):
                    replies.put(("failed", "no rows"))
                    return
            if truncated:
                replies.put(("failed", "the data ends early"))
                return
            if target == cinfo.output_height:
                # the markers after the last rows, as Pillow reads them: one it cannot parse is an error
                # there too (a missing EOI, only warned of, is not)
                lib.jpeg_finish_decompress(cinfo)
            replies.put(("rows", target))
    except Exception as exc:  # noqa: BLE001 - reported to the caller, which decodes the image whole
        replies.put(("failed", repr(exc)))
    finally:
        lib.jpeg_destroy_decompress(cinfo)
