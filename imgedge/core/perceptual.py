"""A fast SSIMULACRA2: what ``q=auto`` measures its candidate encodes with.

SSIMULACRA2 (Cloudinary/JPEG XL) compares two images in the XYB colour space at six scales, with SSIM
and edge-difference maps summarised by their mean and 4-norm. The reference implementation in Python
(PyPI ``ssimulacra2``, scipy, float64) costs ~1.4 s per megapixel: far too slow for a miss. This is the
same computation in float32, only the terms whose weights matter, the reference side (its XYB planes,
means, variances and edge terms at every scale) computed once per image and reused for every candidate,
and, on a large image, only on a sample of it (``sample``): every statistic is a mean over pixels, so
an evenly spread set of whole tiles estimates it. Its steps run on one of two engines (``Engine``): the
compiled kernel (``native``, ``ssimulacra2.c``) where its library loads, else numpy, with the separable
11-tap Gaussian as banded matrix products; they agree to 0.06 points, the kernel in about half the time.
How far its scores fall from the reference implementation's is measured in ``benchmarks/auto_quality.py``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from numpy.lib.stride_tricks import as_strided
from PIL import Image

from . import native

#: Opsin absorbance (XYB) of JPEG XL, as SSIMULACRA2 uses it.
_OPSIN = np.array([[0.30, 0.622, 0.078], [0.23, 0.692, 0.078],
                   [0.24342268924547819, 0.20476744424496821, 0.5518098665095536]], dtype=np.float32)
_BIAS = np.float32(0.0037930732552754493)
_CBRT_BIAS = np.float32(np.cbrt(0.0037930732552754493))
_SCALES = 6
_C2 = np.float32(0.0009)
#: The Gaussian of SSIMULACRA2 (sigma 1.5, radius 5).
_SIGMA, _RADIUS = 1.5, 5
_TAPS = np.exp(-0.5 * (np.arange(-_RADIUS, _RADIUS + 1) / _SIGMA) ** 2)
_TAPS = (_TAPS / _TAPS.sum()).astype(np.float32)
#: The score's weights: per channel, scale, norm (1, 4): SSIM, ringing, blurring (SSIMULACRA2 2.1).
_WEIGHTS = np.array([
    0.0, 0.0007376606707406586, 0.0, 0.0, 0.0007793481682867309, 0.0, 0.0, 0.0004371155730107379, 0.0,
    1.1041726426657346, 0.00066284834129271, 0.00015231632783718752, 0.0, 0.0016406437456599754, 0.0,
    1.8422455520539298, 11.441172603757666, 0.0, 0.0007989109436015163, 0.000176816438078653, 0.0,
    1.8787594979546387, 10.94906990605142, 0.0, 0.0007289346991508072, 0.9677937080626833, 0.0,
    0.00014003424285435884, 0.9981766977854967, 0.00031949755934435053, 0.0004550992113792063, 0.0,
    0.0, 0.0013648766163243398, 0.0, 0.0, 0.0, 0.0, 0.0, 7.466890328078848, 0.0, 17.445833984131262,
    0.0006235601634041466, 0.0, 0.0, 6.683678146179332, 0.00037724407979611296, 1.027889937768264, 225.20515300849274,
    0.0, 0.0, 19.213238186143016, 0.0011401524586618361, 0.001237755635509985, 176.39317598450694, 0.0, 0.0,
    24.43300999870476, 0.28520802612117757, 0.0004485436923833408, 0.0, 0.0, 0.0, 34.77906344483772, 44.835625328877896,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0008680556573291698, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0005313191874358747, 0.0, 0.00016533814161379112, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0004179171803251336,
    0.0017290828234722833, 0.0, 0.0020827005846636437, 0.0, 0.0, 8.826982764996862, 23.19243343998926, 0.0,
    95.1080498811086, 0.9863978034400682, 0.9834382792465353, 0.0012286405048278493, 171.2667255897307,
    0.9807858872435379, 0.0, 0.0, 0.0, 0.0005130064588990679, 0.0, 0.00010854057858411537,
])
#: A term weighing less than this is not computed: the terms below it weigh a few ten-thousandths each
#: and together move the score by less than 0.01 on the corpus (``benchmarks/auto_quality.py``); at
#: full scale only Y's SSIM and blurring count, a third of the planes and none of the ringing.
_TERM_WEIGHT = 0.01
#: Above this many pixels (a 640 px landscape is measured whole) ``q=auto`` scores ``GRID`` x ``GRID``
#: tiles of the image, laid out as one mosaic of ``GRID * TILE`` px square (six scales need 256 px), or,
#: when its time allows no more, ``SMALL_GRID`` x ``SMALL_GRID`` (``autoquality.plan``).
SAMPLE_PIXELS = 320_000
GRID = 3
SMALL_GRID = 2
#: A mosaic's score strays from the whole image's mostly at the coarser scales (a few 128 px tiles halved
#: five times leave a few pixels of context), which cost little on the whole image; the full scale is a
#: third of the score and, with three times the pixels of every coarser scale together, most of its work.
#: So the check of an output (``Reference(image, grid)``) measures the finest ``FINE_SCALES`` scales on
#: the tiles and the rest on every pixel: on the tuning part's JPEGs (640 and 1280 px, scores 65-75) it
#: strays from the whole image's score by sd 0.95 points (2 x 2 tiles; 3 x 3: 0.37) where the mosaic
#: encoded on its own strays by 1.78 (1.41) (``benchmarks/auto_quality.py calibrate``).
FINE_SCALES = 2  # the coarser scales start from ``_quarter``
#: The sample of a large output whose encoder codes each block by the whole picture's statistics (libwebp
#: segments the picture by its blocks' activity and shapes each segment's quantiser from it): the output
#: box-reduced by the smallest factor from 2 that brings it to ``SAMPLE_PIXELS`` (``reduced``), kept from
#: ``REDUCED_MIN_PIXELS`` and up to ``REDUCED_MAX_FACTOR`` (else mosaics). A mosaic of tiles has another
#: mix of activity, so it is coded unlike the same tiles in the whole output: on the tuning photos
#: (``benchmarks/auto_quality.py calibrate``) the 3 x 3 mosaic's WebP score strays from the whole
#: output's by mean -3.6, sd 5.2 points (-18 on a leaf texture, whose tiles cut from the whole output's
#: encode stray by +1.6), the reduced output by +1.1, sd 1.5 (by 2 alone +1.4, sd 1.5; by 3, sd 2.7). A
#: small reduced sample strays further (a 465 x 323 one by +4.6; 320 x 200, reduced by 4, by sd 9.7).
#: ``autoquality.REDUCED`` names it among the samples.
REDUCED_MIN_PIXELS = 200_000
REDUCED_MAX_FACTOR = 3
#: Side of a sampled tile: a multiple of 2**5, so every scale's downsampling stays inside one tile, and of
#: 64, AVIF's superblock.
TILE = 128
#: ``_blur``'s band: each output row (column) of a band is a column of ``_BANDED`` times the band's rows
#: (columns) and the ``_RADIUS`` on either side (16 measured fastest of 8-64 at 192-640 px).
_BAND = 16
_BANDED = np.zeros((_BAND + 2 * _RADIUS, _BAND), dtype=np.float32)
for _j in range(_BAND):
    _BANDED[_j:_j + 2 * _RADIUS + 1, _j] = _TAPS


def _to_xyb(linear: np.ndarray, channels: tuple[int, ...], out: np.ndarray) -> None:
    """Linear RGB (h, w, 3) → SSIMULACRA2's positive XYB planes into ``out`` (len(channels), h, w): X, Y,
    B by index."""
    rows = 3 if 2 in channels else 2  # X and Y need the first two mixes, B all three
    mixed = np.tensordot(_OPSIN[:rows], linear, axes=([1], [2]))
    mixed += _BIAS
    np.maximum(mixed, _BIAS, out=mixed)  # the mixes of non-negative light are at least the bias: no log(0)
    # the cube root as exp(log / 3): within 3e-7 of np.cbrt, four times faster
    np.log(mixed, out=mixed)
    mixed *= np.float32(1 / 3)
    np.exp(mixed, out=mixed)
    mixed -= _CBRT_BIAS
    for plane, channel in zip(out, channels):
        if channel == 0:
            np.subtract(mixed[0], mixed[1], out=plane)
            plane *= np.float32(0.5 * 14.0)
            plane += np.float32(0.42)
        elif channel == 1:
            np.add(mixed[0], mixed[1], out=plane)
            plane *= np.float32(0.5)
            plane += np.float32(0.01)
        else:
            y = (mixed[0] + mixed[1]) * np.float32(0.5)
            np.subtract(mixed[2], y, out=plane)
            plane += np.float32(0.55)


#: sRGB bytes -> linear light, one entry per byte value, in float64; ``_LINEAR_TABLE`` is it in float32
#: (both engines read it), ``_LINEAR_12`` in 12 bits.
_SRGB = np.arange(256, dtype=np.float64) / 255.0
_LINEAR_64 = np.where(_SRGB <= 0.04045, _SRGB / 12.92, ((_SRGB + 0.055) / 1.055) ** 2.4)
_LINEAR_TABLE = _LINEAR_64.astype(np.float32)


def _linear(rgb: np.ndarray) -> np.ndarray:
    """sRGB bytes → linear light, through ``_LINEAR_TABLE``."""
    return np.take(_LINEAR_TABLE, rgb)  # twice as fast as _LINEAR_TABLE[rgb]


def _tall(planes: int, h: int, w: int) -> np.ndarray:
    """A buffer for ``planes`` planes of h x w with ``_RADIUS`` rows above and below for ``_blur``'s
    mirrored edges, and up to a ``_BAND``'s rows more beneath: the caller writes the planes into
    ``[:, _RADIUS:_RADIUS + h]``."""
    return np.empty((planes, -(-h // _BAND) * _BAND + 2 * _RADIUS, w), dtype=np.float32)


def _blur(tall: np.ndarray, h: int) -> np.ndarray:
    """SSIMULACRA2's Gaussian over the ``h`` rows of each plane of ``tall`` (``_tall``) as the reference
    implementation runs it: mirrored at the top and bottom (only those rows are copied), zeros beyond the
    left and right edges. Each pass is a matrix product: ``_BAND`` rows (columns) of the result at a time
    from the ``_BAND + 10`` they reach, with ``_BANDED``; a twentieth of the arithmetic of a product with
    the whole banded matrix, and half the time of eleven shifted slices added up."""
    c, rows, w = tall.shape
    r, band = _RADIUS, _BAND
    tall[:, :r] = tall[:, 2 * r - 1:r - 1:-1]
    tall[:, r + h:2 * r + h] = tall[:, r + h - 1:h - 1:-1]
    tall[:, 2 * r + h:] = 0  # beneath the last band: what no kept row reaches
    blocks = (rows - 2 * r) // band
    across = -(-w // band)
    wide = np.empty((c, blocks * band, across * band + 2 * r), dtype=np.float32)
    wide[:, :, :r] = 0
    wide[:, :, r + w:] = 0
    down = as_strided(tall, (c, blocks, band + 2 * r, w),
                      (tall.strides[0], band * tall.strides[1], tall.strides[1], tall.strides[2]), writeable=False)
    np.matmul(_BANDED.T, down, out=wide[:, :, r:r + w].reshape(c, blocks, band, w))
    sideways = as_strided(wide, (c, h, across, band + 2 * r),
                          (wide.strides[0], wide.strides[1], band * wide.strides[2], wide.strides[2]), writeable=False)
    out = np.matmul(sideways, _BANDED).reshape(c, h, across * band)
    return out[:, :, :w]


#: sRGB bytes -> linear light in 12 bits: sixteen of them sum within 16 bits (``_quarter``).
_LINEAR_12 = np.round(_LINEAR_64 * 4095).astype(np.uint16)


#: ``_quarter``'s rows at a time (a multiple of 4).
_QUARTER_ROWS = 128


def _quarter(rgb: np.ndarray) -> np.ndarray:
    """sRGB bytes (h, w, 3) -> the linear-light pyramid's third level (``_half`` twice, with its edge rule:
    an odd side repeats its last row or column, then its last pair), summed in 16-bit integers from a
    12-bit table: within 1.3e-4 of the float path for a third of the time, where a check measures only
    the coarser scales on the whole output (``FINE_SCALES``)."""
    if rgb.shape[0] % 2:
        rgb = np.concatenate([rgb, rgb[-1:]], 0)
    if rgb.shape[1] % 2:
        rgb = np.concatenate([rgb, rgb[:, -1:]], 1)
    if rgb.shape[0] // 2 % 2:
        rgb = np.concatenate([rgb, rgb[-2:]], 0)
    if rgb.shape[1] // 2 % 2:
        rgb = np.concatenate([rgb, rgb[:, -2:]], 1)
    height, width, channels = rgb.shape
    out = np.empty((height // 4, width // 4, channels), dtype=np.float32)
    for top in range(0, height, _QUARTER_ROWS):  # numpy's take widens its indices to 8 bytes: in bands
        linear = np.take(_LINEAR_12, rgb[top:top + _QUARTER_ROWS])
        rows = linear[0::4] + linear[1::4]
        rows += linear[2::4]
        rows += linear[3::4]
        quads = rows.reshape(rows.shape[0], width // 4, 4, channels)
        summed = quads[:, :, 0] + quads[:, :, 1]
        summed += quads[:, :, 2]
        summed += quads[:, :, 3]
        np.multiply(summed, np.float32(1 / (16 * 4095)), out=out[top // 4:top // 4 + summed.shape[0]])
    return out


def _half(linear: np.ndarray) -> np.ndarray:
    """2x2 box average (h, w, 3); an odd last row or column averages what it has. Pairs of rows first
    (whole rows, contiguous), then pairs of pixels: 40 % faster than four strided quarters."""
    h, w, c = linear.shape
    if h % 2 or w % 2:
        linear = np.pad(linear, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    rows = linear[0::2] + linear[1::2]
    pairs = rows.reshape(rows.shape[0], rows.shape[1] // 2, 2, c)
    out = pairs[:, :, 0] + pairs[:, :, 1]
    out *= np.float32(0.25)
    return out


def _norms(values: np.ndarray, which: tuple[bool, bool]) -> tuple[float, float]:
    """The mean and 4-norm of one plane, each only when ``which`` asks for it (else 0)."""
    flat = values.reshape(-1)
    mean = float(flat.sum(dtype=np.float64)) / flat.size if which[0] else 0.0
    if not which[1]:
        return mean, 0.0
    squared = flat * flat
    return mean, math.sqrt(math.sqrt(float(np.dot(squared, squared)) / flat.size))


#: Per scale and plane: which norms (mean, 4-norm) of its SSIM, ringing and blurring maps weigh.
_Need = tuple[tuple[bool, bool], tuple[bool, bool], tuple[bool, bool]]


def _weight_index(channel: int, scale: int, norm: int, term: int, scales: int) -> int:
    """Where a term's weight is in ``_WEIGHTS``: with fewer than six scales the weights run on, as in
    SSIMULACRA2 itself."""
    return ((channel * scales + scale) * 2 + norm) * 3 + term


def _needs(scales: int) -> list[dict[int, _Need]]:
    """For each of ``scales`` scales, the planes with a term weighing ``_TERM_WEIGHT`` or more, and which
    of their terms do."""
    out: list[dict[int, _Need]] = []
    for scale in range(scales):
        planes: dict[int, _Need] = {}
        for channel in range(3):
            need = tuple(tuple(bool(_WEIGHTS[_weight_index(channel, scale, norm, term, scales)] >= _TERM_WEIGHT)
                               for norm in range(2)) for term in range(3))
            if any(any(n) for n in need):
                planes[channel] = need  # type: ignore[assignment]
        out.append(planes)
    return out


@dataclass
class _Scale:
    channels: tuple[int, ...]  # the planes computed, X, Y, B by index
    ssim: tuple[int, ...]  # ... and among them (by position) those whose SSIM map weighs
    xyb: np.ndarray
    mu: np.ndarray
    sigma: np.ndarray  # of the ``ssim`` planes: blurred square minus the squared mean, plus SSIM's C2
    edge: np.ndarray  # 1 / (1 + |xyb - mu|): the reference side of the ringing and blurring ratio


class Reference:
    """The un-encoded image's side of the comparison, computed once for every candidate it is compared
    with (measure a large image through ``sample``), on ``engine`` (default ``ENGINE``)."""

    def __init__(self, image: Image.Image, grid: int | None = None, engine: Engine | None = None) -> None:
        self.engine = engine or ENGINE
        self.size = image.size
        #: With ``grid`` (the check of a whole output, ``autoquality``): the finest ``FINE_SCALES`` scales
        #: measured on ``grid`` x ``grid`` tiles (``tiles``), the coarser ones on every pixel; None when
        #: the image is too small for such tiles: every scale on every pixel, as without ``grid``.
        self.boxes = tiles(image.size, grid) if grid is not None else None
        self.grid = grid or 0
        levels = self._levels(image)
        self.needs = _needs(len(levels))
        self.scales = [self.engine.reference_scale(level, need) if need else None
                       for level, need in zip(levels, self.needs)]

    def _levels(self, image: Image.Image) -> list[np.ndarray]:
        """The image's linear-light pyramid; with tiles, its finest ``FINE_SCALES`` levels only as the
        tiles' mosaic (``_mosaic``). Averaging in sRGB for the coarser scales instead (a sixteenth of the
        pixels to convert) strayed further: sd 0.9-1.5 points against 0.7 on 640 px JPEGs."""
        flat, engine = np.asarray(_flat(image)), self.engine
        if self.boxes is None:
            return _pyramid(engine.linear(flat), _SCALES, engine.half)
        tiled = _pyramid(engine.linear(_mosaic(flat, self.boxes, self.grid)), FINE_SCALES, engine.half)
        return tiled + _pyramid(engine.quarter(flat), _SCALES - FINE_SCALES, engine.half)

    def score(self, candidate: Image.Image) -> float:
        """SSIMULACRA2 of ``candidate`` (the decoded encode, same size) against this reference: 100 is
        identical, 90 visually lossless, 70 high quality, 50 medium."""
        if candidate.size != self.size:
            raise ValueError("the candidate must have the reference's size")
        weighted = 0.0
        scales = len(self.scales)
        for s, (ref, linear, need) in enumerate(zip(self.scales, self._levels(candidate), self.needs)):
            if ref is not None:
                weighted += self.engine.scale_score(ref, linear, need, s, scales)
        return _final(weighted)


class NumpyEngine:
    """The measure's steps in numpy: always there."""

    name = "numpy"
    #: Its pace at measuring against the cost model's prices (``cost.PROBE_SCORE`` and the rest: numpy's).
    rate = 1.0

    def linear(self, rgb: np.ndarray) -> np.ndarray:
        return _linear(rgb)

    def half(self, level: np.ndarray) -> np.ndarray:
        return _half(level)

    def quarter(self, rgb: np.ndarray) -> np.ndarray:
        return _quarter(rgb)

    def reference_scale(self, level: np.ndarray, need: dict[int, _Need]) -> _Scale:
        return _scale(level, need)

    def scale_score(self, ref: _Scale, linear: np.ndarray, need: dict[int, _Need], s: int, scales: int) -> float:
        """One scale's weighted norms of a candidate's level against the reference's."""
        weighted = 0.0
        c, n, (h, w) = len(ref.channels), len(ref.ssim), linear.shape[:2]
        # one blur for the candidate's means, squares and products with the reference
        tall = _tall(c + 2 * n, h, w)
        inner = tall[:, _RADIUS:_RADIUS + h]
        _to_xyb(linear, ref.channels, inner[:c])
        xyb = inner[:c]
        for j, p in enumerate(ref.ssim):
            np.multiply(xyb[p], xyb[p], out=inner[c + j])
            np.multiply(xyb[p], ref.xyb[p], out=inner[c + n + j])
        blurred = _blur(tall, h)
        mu = blurred[:c]
        for j, p in enumerate(ref.ssim):
            sigma = blurred[c + j]
            sigma -= mu[p] * mu[p]
            cross = blurred[c + n + j]
            cross -= ref.mu[p] * mu[p]
            diff = ref.mu[p] - mu[p]
            diff *= diff
            np.subtract(1.0, diff, out=diff)
            cross *= 2.0
            cross += _C2
            diff *= cross
            sigma += ref.sigma[j]
            diff /= sigma
            ssim = np.subtract(1.0, diff, out=diff)
            np.maximum(ssim, 0, out=ssim)
            channel = ref.channels[p]
            weighted += _weigh(_norms(ssim, need[channel][0]), channel, s, 0, scales)
        for p, channel in enumerate(ref.channels):
            ring, blurring = need[channel][1], need[channel][2]
            if not (any(ring) or any(blurring)):
                continue
            ratio = np.subtract(xyb[p], mu[p])
            np.abs(ratio, out=ratio)
            ratio += 1.0
            ratio *= ref.edge[p]
            ratio -= 1.0
            if any(ring):
                weighted += _weigh(_norms(np.maximum(ratio, 0), ring), channel, s, 1, scales)
            if any(blurring):
                np.negative(ratio, out=ratio)
                weighted += _weigh(_norms(np.maximum(ratio, 0), blurring), channel, s, 2, scales)
        return weighted


def _weigh(norms: tuple[float, float], channel: int, scale: int, term: int, scales: int) -> float:
    return sum(_WEIGHTS[_weight_index(channel, scale, norm, term, scales)] * abs(value)
               for norm, value in enumerate(norms))


class CompiledEngine:
    """The measure's steps on the compiled kernel (``native``): the same arithmetic in float32 in C, with
    the cube root on vector ``expf``/``logf``; levels equal to numpy's, scores within 0.06, in about half
    the time. Its references keep the numpy engine's layout (``_Scale``), contiguous."""

    #: Its pace at measuring against the cost model's prices (numpy's): a candidate's score took 0.47-0.54
    #: of numpy's CPU on the corpus as ``q=auto`` measures it (medians per kind and part; 0.43-0.57 case
    #: by case), the reference side 0.46-0.58 (``benchmarks/metric_engine.py``). Without it a process's
    #: first search plans at numpy's prices and leaves JPEG's bytes on the table
    #: (``benchmarks/auto_quality.py compare --cold``); ``Pace`` then learns the rest.
    rate = 0.55

    def __init__(self, kernel: native.Kernel) -> None:
        self.kernel = kernel
        self.name = f"compiled ({kernel.flavour})"

    def linear(self, rgb: np.ndarray) -> np.ndarray:
        rgb = np.ascontiguousarray(rgb)
        out = np.empty(rgb.shape, np.float32)
        self.kernel.linear_u8(rgb, rgb.size, _LINEAR_TABLE, out)
        return out

    def half(self, level: np.ndarray) -> np.ndarray:
        h, w = level.shape[:2]
        out = np.empty(((h + 1) // 2, (w + 1) // 2, 3), np.float32)
        self.kernel.half(np.ascontiguousarray(level), h, w, out)
        return out

    def quarter(self, rgb: np.ndarray) -> np.ndarray:
        rows, columns = _quarter_indices(rgb.shape[0]), _quarter_indices(rgb.shape[1])
        out = np.empty((len(rows) // 4, len(columns) // 4, 3), np.float32)
        self.kernel.quarter(np.ascontiguousarray(rgb), rgb.shape[1], rows, len(rows), columns, len(columns),
                            _LINEAR_12, out)
        return out

    def reference_scale(self, level: np.ndarray, need: dict[int, _Need]) -> _Scale:
        channels, is_ssim = _layout(need)
        ssim = tuple(int(p) for p in np.flatnonzero(is_ssim))
        (h, w), c = level.shape[:2], len(channels)
        xyb, mu, edge = (np.empty((c, h, w), np.float32) for _ in range(3))
        sigma = np.empty((len(ssim), h, w), np.float32)
        if self.kernel.reference_scale(h, w, np.ascontiguousarray(level), c, channels, is_ssim, xyb, mu, sigma, edge,
                                       _TAPS, _OPSIN_FLAT, _BIAS, _CBRT_BIAS):
            raise MemoryError("the measure's reference side")
        return _Scale(tuple(need), ssim, xyb, mu, sigma, edge)

    def scale_score(self, ref: _Scale, linear: np.ndarray, need: dict[int, _Need], s: int, scales: int) -> float:
        channels, is_ssim = _layout(need)
        h, w = linear.shape[:2]
        total = self.kernel.scale_score(h, w, np.ascontiguousarray(linear), len(channels), channels, is_ssim, ref.xyb,
                                        ref.mu, ref.sigma, ref.edge, _plane_weights(s, scales), _TAPS, _OPSIN_FLAT,
                                        _BIAS, _CBRT_BIAS)
        if total < 0:
            raise MemoryError("the measure of a candidate")
        return float(total)


Engine = NumpyEngine | CompiledEngine


def _layout(need: dict[int, _Need]) -> tuple[np.ndarray, np.ndarray]:
    """A scale's planes (X, Y, B by index) and which of them have a weighing SSIM map, as the kernel reads
    them."""
    return (np.array(list(need), np.int32), np.array([any(need[channel][0]) for channel in need], np.int32))


@functools.lru_cache(maxsize=None)
def _plane_weights(scale: int, scales: int) -> np.ndarray:
    """Per plane of a scale, the weights of its SSIM, ringing and blurring maps' mean and 4-norm as the
    kernel reads them; 0 where the term is not computed (``_TERM_WEIGHT``)."""
    need = _needs(scales)[scale]
    weights = np.zeros((len(need), 3, 2))
    for p, channel in enumerate(need):
        for term in range(3):
            for norm in range(2):
                if need[channel][term][norm]:
                    weights[p, term, norm] = _WEIGHTS[_weight_index(channel, scale, norm, term, scales)]
    return weights.reshape(-1)


def _quarter_indices(size: int) -> np.ndarray:
    """The rows (columns) of a side after ``_quarter``'s edge rule: the last repeated if the side is odd,
    then the last pair if half of it is."""
    source = list(range(size))
    source += source[-1:] * (len(source) % 2)
    return np.array(source + source[-2:] * (len(source) // 2 % 2), np.int32)


def _flat(image: Image.Image) -> Image.Image:
    """The image as sRGB; transparency over white, as a JPEG shows it."""
    if image.mode in ("RGBA", "LA", "PA", "P"):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image if image.mode == "RGB" else image.convert("RGB")


def _rgb(image: Image.Image) -> np.ndarray:
    """The image as sRGB bytes (h, w, 3); transparency over white (``_flat``)."""
    return np.asarray(_flat(image))


def _mosaic(rgb: np.ndarray, boxes: list[tuple[int, int]], grid: int) -> np.ndarray:
    """The tiles at ``boxes`` of a (h, w, 3) array, laid out as ``sample`` lays them out."""
    out = np.empty((grid * TILE, grid * TILE, rgb.shape[2]), dtype=rgb.dtype)
    for index, (left, top) in enumerate(boxes):
        row, column = divmod(index, grid)
        out[row * TILE:(row + 1) * TILE, column * TILE:(column + 1) * TILE] = rgb[top:top + TILE, left:left + TILE]
    return out


def reduction(size: tuple[int, int]) -> int | None:
    """The factor ``reduced`` shrinks an output of ``size`` by: the smallest from 2 that brings it to
    ``SAMPLE_PIXELS``; None when the output is that small already, the sample would fall under
    ``REDUCED_MIN_PIXELS`` or the factor would pass ``REDUCED_MAX_FACTOR``."""
    pixels = size[0] * size[1]
    if pixels <= SAMPLE_PIXELS:
        return None
    factor = max(2, math.ceil(math.sqrt(pixels / SAMPLE_PIXELS)))
    if factor > REDUCED_MAX_FACTOR or (size[0] // factor) * (size[1] // factor) < REDUCED_MIN_PIXELS:
        return None
    return factor


def reduced(image: Image.Image) -> Image.Image:
    """What to encode and measure in place of a large output for an encoder that adapts to the whole
    picture (``REDUCED_MIN_PIXELS``): the output box-reduced by ``reduction``."""
    factor = reduction(image.size)
    if factor is None:
        raise ValueError("the output is too small for a reduced sample")
    return image.reduce(factor)


def sample(image: Image.Image, grid: int = GRID) -> Image.Image:
    """What to encode and measure in place of a large image: ``grid`` x ``grid`` tiles spread evenly over
    it, as one mosaic (every statistic of the score is a mean over pixels, and an encoder codes each
    16 px block from its neighbourhood, so whole tiles keep both); the image itself when the mosaic
    would not be smaller (``tiles``)."""
    boxes = tiles(image.size, grid)
    if boxes is None:
        return image
    mosaic = Image.new(image.mode, (grid * TILE, grid * TILE))
    for index, (left, top) in enumerate(boxes):
        tile = image.crop((left, top, left + TILE, top + TILE))
        mosaic.paste(tile, ((index % grid) * TILE, (index // grid) * TILE))
    return mosaic


def _scale(linear: np.ndarray, need: dict[int, _Need]) -> _Scale:
    channels = tuple(need)
    ssim = tuple(p for p, channel in enumerate(channels) if any(need[channel][0]))
    c, n, (h, w) = len(channels), len(ssim), linear.shape[:2]
    tall = _tall(c + n, h, w)
    inner = tall[:, _RADIUS:_RADIUS + h]
    _to_xyb(linear, channels, inner[:c])
    xyb = inner[:c].copy()
    for j, p in enumerate(ssim):
        np.multiply(xyb[p], xyb[p], out=inner[c + j])
    blurred = _blur(tall, h)
    mu = blurred[:c]
    sigma = blurred[c:] - mu[list(ssim)] ** 2
    sigma += _C2
    edge = 1.0 / (1.0 + np.abs(xyb - mu))
    return _Scale(channels, ssim, xyb, mu, sigma, edge)


def _pyramid(linear: np.ndarray, scales: int = _SCALES,
             half: Callable[[np.ndarray], np.ndarray] = _half) -> list[np.ndarray]:
    levels = [linear]
    while len(levels) < scales:
        smaller = half(levels[-1])
        if min(smaller.shape[:2]) < 8:
            break
        levels.append(smaller)
    return levels


def _final(weighted: float) -> float:
    """SSIMULACRA2's mapping of the weighted sum of every scale's norms to 0..100."""
    weighted *= 0.9562382616834844
    weighted = (2.326765642916932 * weighted - 0.020884521182843837 * weighted ** 2
                + 6.248496625763138e-05 * weighted ** 3)
    return 100.0 - 10.0 * math.pow(weighted, 0.6276336467831387) if weighted > 0 else 100.0


def tiles(size: tuple[int, int], grid: int = GRID) -> list[tuple[int, int]] | None:
    """Top-left corners of ``grid`` x ``grid`` tiles of ``TILE`` px spread evenly over an image of
    ``size`` (on the 16 px grid JPEG and video codecs code in); None when they would not be fewer pixels
    than the image or it has a side shorter than a tile."""
    width, height = size
    if width * height <= (grid * TILE) ** 2 or min(width, height) < TILE:
        return None
    xs = [16 * round((width - TILE) * (i + 0.5) / grid / 16) for i in range(grid)]
    ys = [16 * round((height - TILE) * (i + 0.5) / grid / 16) for i in range(grid)]
    return [(min(x, width - TILE), min(y, height - TILE)) for y in ys for x in xs]


#: The opsin matrix as the kernel reads it.
_OPSIN_FLAT = np.ascontiguousarray(_OPSIN.reshape(-1))


def _engine() -> Engine:
    kernel = native.load()
    return CompiledEngine(kernel) if kernel is not None else NumpyEngine()


#: What every ``Reference`` measures with unless given another: the compiled kernel where one of its
#: libraries loads (``native``), numpy otherwise.
ENGINE: Engine = _engine()
