"""A fast SSIMULACRA2 in numpy: what ``q=auto`` measures its candidate encodes with.

SSIMULACRA2 (Cloudinary/JPEG XL) compares two images in the XYB colour space at six scales, with SSIM
and edge-difference maps summarised by their mean and 4-norm. The reference implementation in Python
(PyPI ``ssimulacra2``, scipy, float64) costs ~1.4 s per megapixel: far too slow for a miss. This is the
same computation in float32 with a separable 11-tap Gaussian made of shifted slices, the reference side
(its XYB planes, means and variances at every scale) computed once per image and reused for every
candidate, and, above ``SAMPLE_PIXELS``, only on a sample of the image: every statistic is a mean over
pixels, so an evenly spread set of whole tiles estimates it (``tiles``). How far its scores fall from
the reference implementation's is measured in ``benchmarks/auto_quality.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

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
#: Per scale, the XYB planes (0 X, 1 Y, 2 B) with a term weighing 0.01 or more: the others' terms, a few
#: ten-thousandths each, move the score by less than 0.01, so they are not computed (at full scale only Y
#: counts: a third of the work).
_CHANNELS: tuple[tuple[int, ...], ...] = tuple(
    tuple(c for c in range(3) if max(_WEIGHTS[c * 36 + s * 6:c * 36 + s * 6 + 6]) >= 0.01) for s in range(_SCALES))
#: Above this many pixels (a 640 px landscape is measured whole) the score is taken on ``GRID`` x ``GRID``
#: tiles of the image, laid out as one mosaic of ``GRID * TILE`` px square (six scales need 256 px).
SAMPLE_PIXELS = 320_000
GRID = 3
#: Side of a sampled tile: a multiple of 2**5, so every scale's downsampling stays inside one tile, and of
#: 64, AVIF's superblock.
TILE = 128


def _to_xyb(linear: np.ndarray, channels: tuple[int, ...]) -> np.ndarray:
    """Linear RGB (h, w, 3) → SSIMULACRA2's positive XYB planes (len(channels), h, w): X, Y, B by index."""
    rows = 3 if 2 in channels else 2  # X and Y need the first two mixes, B all three
    mixed = np.tensordot(_OPSIN[:rows], linear, axes=([1], [2]))
    mixed += _BIAS
    np.maximum(mixed, 0, out=mixed)
    np.cbrt(mixed, out=mixed)
    mixed -= _CBRT_BIAS
    y = (mixed[0] + mixed[1]) * np.float32(0.5)
    planes = {0: lambda: (mixed[0] - mixed[1]) * np.float32(0.5 * 14.0) + np.float32(0.42),
              1: lambda: y + np.float32(0.01),
              2: lambda: mixed[2] - y + np.float32(0.55)}
    return np.stack([planes[c]() for c in channels])


def _linear(rgb: np.ndarray) -> np.ndarray:
    """sRGB bytes → linear light, through a 256-entry table."""
    values = np.arange(256, dtype=np.float64) / 255.0
    table = np.where(values <= 0.04045, values / 12.92, ((values + 0.055) / 1.055) ** 2.4).astype(np.float32)
    return table[rgb]


def _blur(planes: np.ndarray) -> np.ndarray:
    """SSIMULACRA2's Gaussian over (c, h, w) as the reference implementation runs it: zeros beyond the left
    and right edges, mirrored at the top and bottom."""
    c, h, w = planes.shape
    tall = np.pad(planes, ((0, 0), (_RADIUS, _RADIUS), (0, 0)), mode="symmetric")
    rows = tall[:, _RADIUS:_RADIUS + h] * _TAPS[_RADIUS]
    for k in range(1, _RADIUS + 1):
        rows += (tall[:, _RADIUS - k:_RADIUS - k + h] + tall[:, _RADIUS + k:_RADIUS + k + h]) * _TAPS[_RADIUS + k]
    wide = np.zeros((c, h, w + 2 * _RADIUS), dtype=np.float32)
    wide[:, :, _RADIUS:_RADIUS + w] = rows
    out = wide[:, :, _RADIUS:_RADIUS + w] * _TAPS[_RADIUS]
    for k in range(1, _RADIUS + 1):
        out += (wide[:, :, _RADIUS - k:_RADIUS - k + w] + wide[:, :, _RADIUS + k:_RADIUS + k + w]) * _TAPS[_RADIUS + k]
    return out


def _half(linear: np.ndarray) -> np.ndarray:
    """2x2 box average (h, w, 3); an odd last row or column averages what it has."""
    h, w = linear.shape[:2]
    if h % 2 or w % 2:
        linear = np.pad(linear, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    return linear.reshape(linear.shape[0] // 2, 2, linear.shape[1] // 2, 2, 3).mean(axis=(1, 3))


def _norms(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-plane mean and 4-norm of (c, h, w)."""
    squared = values * values
    return values.mean(axis=(1, 2)), np.sqrt(np.sqrt((squared * squared).mean(axis=(1, 2))))


#: One scale's result: its planes, and the (mean, 4-norm) of its SSIM, ringing and blurring maps.
_Terms = tuple[tuple[int, ...], tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray],
               tuple[np.ndarray, np.ndarray]]


@dataclass
class _Scale:
    xyb: np.ndarray
    mu: np.ndarray
    sigma: np.ndarray  # blurred square minus the squared mean


class Reference:
    """The un-encoded image's side of the comparison, computed once for every candidate it is compared
    with (measure a large image through ``sample``)."""

    def __init__(self, image: Image.Image) -> None:
        self.size = image.size
        levels = _pyramid(_linear(_rgb(image)))
        self.channels = _channels(len(levels))
        self.scales = [_scale(level, channels) for level, channels in zip(levels, self.channels)]

    def score(self, candidate: Image.Image) -> float:
        """SSIMULACRA2 of ``candidate`` (the decoded encode, same size) against this reference: 100 is
        identical, 90 visually lossless, 70 high quality, 50 medium."""
        if candidate.size != self.size:
            raise ValueError("the candidate must have the reference's size")
        terms: list[_Terms | None] = []
        for ref, linear, channels in zip(self.scales, _pyramid(_linear(_rgb(candidate))), self.channels):
            if ref is None:
                terms.append(None)
                continue
            xyb = _to_xyb(linear, channels)
            mu = _blur(xyb)
            sigma = _blur(xyb * xyb) - mu * mu
            cross = _blur(ref.xyb * xyb) - ref.mu * mu
            diff = ref.mu - mu
            ssim = 1.0 - (1.0 - diff * diff) * (2.0 * cross + _C2) / (ref.sigma + sigma + _C2)
            np.maximum(ssim, 0, out=ssim)
            ratio = (1.0 + np.abs(xyb - mu)) / (1.0 + np.abs(ref.xyb - ref.mu)) - 1.0
            terms.append((channels, _norms(ssim), _norms(np.maximum(ratio, 0)), _norms(np.maximum(-ratio, 0))))
        return _combine(terms)


def _rgb(image: Image.Image) -> np.ndarray:
    """The image as sRGB bytes (h, w, 3); transparency over white, as a JPEG shows it."""
    if image.mode in ("RGBA", "LA", "PA", "P"):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return np.asarray(flat)
    return np.asarray(image.convert("RGB"))


def sample(image: Image.Image) -> Image.Image:
    """What to encode and measure in place of a large image: ``GRID`` x ``GRID`` tiles spread evenly over
    it, as one mosaic (every statistic of the score is a mean over pixels, and an encoder codes each
    16 px block from its neighbourhood, so whole tiles keep both); the image itself when it is small."""
    boxes = tiles(image.size)
    if boxes is None:
        return image
    mosaic = Image.new(image.mode, (GRID * TILE, GRID * TILE))
    for index, (left, top) in enumerate(boxes):
        tile = image.crop((left, top, left + TILE, top + TILE))
        mosaic.paste(tile, ((index % GRID) * TILE, (index // GRID) * TILE))
    return mosaic


def _channels(scales: int) -> tuple[tuple[int, ...], ...]:
    """The planes to compute at each of ``scales`` scales: ``_CHANNELS`` for six; every plane for fewer,
    where SSIMULACRA2's weights run on across scales and channels."""
    return _CHANNELS if scales == _SCALES else ((0, 1, 2),) * scales


def _scale(linear: np.ndarray, channels: tuple[int, ...]) -> _Scale | None:
    if not channels:
        return None
    xyb = _to_xyb(linear, channels)
    mu = _blur(xyb)
    return _Scale(xyb, mu, _blur(xyb * xyb) - mu * mu)


def _pyramid(linear: np.ndarray) -> list[np.ndarray]:
    levels = [linear]
    while len(levels) < _SCALES:
        smaller = _half(levels[-1])
        if min(smaller.shape[:2]) < 8:
            break
        levels.append(smaller)
    return levels


def _combine(terms: list[_Terms | None]) -> float:
    """The weighted sum of every scale's norms and SSIMULACRA2's final mapping to 0..100 (with fewer
    than six scales the weights run on, as in SSIMULACRA2 itself)."""
    weighted = 0.0
    i = 0
    for channel in range(3):
        for term in terms:
            for norm in range(2):
                if term is not None and channel in term[0]:
                    plane = term[0].index(channel)
                    for k, maps in enumerate(term[1:]):
                        weighted += _WEIGHTS[i + k] * abs(float(maps[norm][plane]))
                i += 3
    weighted *= 0.9562382616834844
    weighted = (2.326765642916932 * weighted - 0.020884521182843837 * weighted ** 2
                + 6.248496625763138e-05 * weighted ** 3)
    return 100.0 - 10.0 * math.pow(weighted, 0.6276336467831387) if weighted > 0 else 100.0


def tiles(size: tuple[int, int]) -> list[tuple[int, int]] | None:
    """Top-left corners of ``GRID`` x ``GRID`` tiles of ``TILE`` px spread evenly over an image of
    ``size`` (on the 16 px grid JPEG and video codecs code in); None when the image is small enough to
    measure whole."""
    width, height = size
    if width * height <= SAMPLE_PIXELS or min(width, height) < TILE:
        return None
    xs = [16 * round((width - TILE) * (i + 0.5) / GRID / 16) for i in range(GRID)]
    ys = [16 * round((height - TILE) * (i + 0.5) / GRID / 16) for i in range(GRID)]
    return [(min(x, width - TILE), min(y, height - TILE)) for y in ys for x in xs]
