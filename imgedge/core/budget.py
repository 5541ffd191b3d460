"""Byte budgets (``mb=`` / ``max_bytes``, and the inline limit of a Lambda@Edge response).

``fit`` encodes at the spec's quality; while the result is over the budget it first steps the quality
down (lossy formats: ``MIN_QUALITY`` first, and only if that fits a bisection above it, at most
``QUALITY_PROBES`` encodes in all),
then the size (each step x ``SIZE_STEP``, at the lowest quality tried) until the bytes fit or the image
is ``MIN_SIDE`` px. Lossless formats (PNG, GIF) go straight to the size steps. When even the smallest
attempt is over, it is returned anyway with ``fits=False`` (the caller decides: the generator falls back
to a redirect for the inline limit; an ``mb=`` variant is served best-effort and says so in its log).

Every attempt is a whole encode (for an animation, of every frame), which nothing interrupts; so with a
``deadline``, an attempt starts only when the last one's measured time (scaled by the pixels, for a size
step) still fits in what is left, and the search otherwise stops with the best it has (``fits`` says
whether that is within the budget).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from PIL import Image

from ..deadline import Deadline
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
    #: Seconds the last encode took (0 when none was made here).
    last_seconds: float = 0.0


def fit(image: Image.Image, quality: int | None, budget: int,
        encode: Callable[[Image.Image, int | None], bytes], *, first: bytes | None = None,
        resize: bool = True, deadline: Deadline | None = None, first_seconds: float = 0.0) -> Fitted:
    """The best encoding of ``image`` within ``budget`` bytes. ``encode(image, quality)`` makes one
    attempt (quality None for lossless formats); ``first`` is an encoding at ``quality`` already made, in
    ``first_seconds``; ``resize=False`` stops after the quality steps (animations: their frames are not
    resized again); ``deadline`` stops the search when another attempt would not finish in time."""
    attempts = 0
    pace = first_seconds / max(1, image.width * image.height)  # seconds per output pixel of one attempt
    last = first_seconds

    def affordable(img: Image.Image) -> bool:
        return deadline is None or deadline.allows(pace * img.width * img.height)

    def attempt(img: Image.Image, q: int | None) -> bytes:
        nonlocal attempts, pace, last
        attempts += 1
        started = time.perf_counter()
        data = encode(img, q)
        last = time.perf_counter() - started
        pace = max(pace, last / max(1, img.width * img.height))
        return data

    data = first if first is not None else attempt(image, quality)
    if len(data) <= budget:
        return Fitted(data, quality, image.size, True, attempts, last)
    best_quality = quality
    smallest = (data, quality, image.size)
    if quality is not None and quality > MIN_QUALITY and affordable(image):
        # The floor first: when even MIN_QUALITY is over, no quality fits, and one encode says so (a 10 MB
        # q100 AVIF against a 700 KB inline limit costs one pass, not five).
        floor = attempt(image, MIN_QUALITY)
        if len(floor) < len(smallest[0]):
            smallest = (floor, MIN_QUALITY, image.size)
        if len(floor) <= budget:
            low, high, found = MIN_QUALITY + 1, quality - 1, (floor, MIN_QUALITY)
            for _ in range(QUALITY_PROBES - 1):
                if low > high or not affordable(image):
                    break
                mid = (low + high + 1) // 2
                candidate = attempt(image, mid)
                if len(candidate) <= budget:
                    found, low = (candidate, mid), mid + 1
                else:
                    high = mid - 1
            return Fitted(found[0], found[1], image.size, True, attempts, last)
        best_quality = MIN_QUALITY
    current = image
    while resize and min(current.size) > MIN_SIDE:
        size = (max(MIN_SIDE, round(current.width * SIZE_STEP)), max(MIN_SIDE, round(current.height * SIZE_STEP)))
        candidate_image = resample(image, (0, 0, image.width, image.height), size)
        if not affordable(candidate_image):
            break
        current = candidate_image
        candidate = attempt(current, best_quality)
        if len(candidate) < len(smallest[0]):
            smallest = (candidate, best_quality, current.size)
        if len(candidate) <= budget:
            return Fitted(candidate, best_quality, current.size, True, attempts, last)
    return Fitted(smallest[0], smallest[1], smallest[2], False, attempts, last)
