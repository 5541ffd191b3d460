"""Byte budgets (``mb=`` / ``max_bytes``, and the inline limit of a Lambda@Edge response).

``fit`` encodes at the spec's quality; while the result is over the budget it first steps the quality
down (lossy formats: a bisection over ``MIN_QUALITY``..quality, at most ``QUALITY_PROBES`` encodes),
then the size (each step x ``SIZE_STEP``, at the lowest quality tried) until the bytes fit or the image
is ``MIN_SIDE`` px. Lossless formats (PNG, GIF) go straight to the size steps. When even the smallest
attempt is over, it is returned anyway with ``fits=False`` (the caller decides: the generator falls back
to a redirect for the inline limit; an ``mb=`` variant is served best-effort and says so in its log).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from PIL import Image

from .resize import resample

MIN_QUALITY = 30
QUALITY_PROBES = 5
SIZE_STEP = 0.8
MIN_SIDE = 16


@dataclass
class Fitted:
    data: bytes
    quality: int | None
    size: tuple[int, int]
    fits: bool
    attempts: int


def fit(image: Image.Image, quality: int | None, budget: int,
        encode: Callable[[Image.Image, int | None], bytes], *, first: bytes | None = None,
        resize: bool = True) -> Fitted:
    """The best encoding of ``image`` within ``budget`` bytes. ``encode(image, quality)`` makes one
    attempt (quality None for lossless formats); ``first`` is an encoding at ``quality`` already made;
    ``resize=False`` stops after the quality steps (animations: their frames are not resized again)."""
    attempts = 0

    def attempt(img: Image.Image, q: int | None) -> bytes:
        nonlocal attempts
        attempts += 1
        return encode(img, q)

    data = first if first is not None else attempt(image, quality)
    if len(data) <= budget:
        return Fitted(data, quality, image.size, True, attempts)
    best_quality = quality
    if quality is not None and quality > MIN_QUALITY:
        low, high, found = MIN_QUALITY, quality - 1, None
        for _ in range(QUALITY_PROBES):
            if low > high:
                break
            mid = (low + high + 1) // 2
            candidate = attempt(image, mid)
            if len(candidate) <= budget:
                found, low = (candidate, mid), mid + 1
            else:
                high = mid - 1
        if found is not None:
            return Fitted(found[0], found[1], image.size, True, attempts)
        best_quality = MIN_QUALITY
    current = image
    smallest = data
    while resize and min(current.size) > MIN_SIDE:
        size = (max(MIN_SIDE, round(current.width * SIZE_STEP)), max(MIN_SIDE, round(current.height * SIZE_STEP)))
        current = resample(image, (0, 0, image.width, image.height), size)
        candidate = attempt(current, best_quality)
        if len(candidate) < len(smallest):
            smallest = candidate
        if len(candidate) <= budget:
            return Fitted(candidate, best_quality, current.size, True, attempts)
    return Fitted(smallest, best_quality, current.size, False, attempts)
