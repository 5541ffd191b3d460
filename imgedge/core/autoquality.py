"""``q=auto``: per image and format, the lowest quality whose encode reaches a SSIMULACRA2 target.

A fixed quality is too much for a soft portrait and just enough for a detailed landscape; the bytes a
CDN serves millions of times are what a viewer pays for. So ``choose`` searches the quality per image:

1. the **seed** is the quality the format needs for the target on a typical photo (fitted on the tuning
   part of ``benchmarks/auto_quality.py``'s corpus);
2. each **probe** encodes a sample of the output at a quality, decodes it and scores it with
   ``perceptual.Reference`` (SSIMULACRA2, compiled or in numpy); the next quality steps from the last
   along the format's typical curve (its slope at each score level), or by the slope two probes show,
   or interpolates between the two probes that bracket the goal;
3. after at most ``PROBES`` probes the **choice** is the interpolated quality for the goal (the target;
   for a mosaic, plus the format's margin for that mosaic, which covers how far its score rises above
   the whole image's), or the lowest probed quality that reached it.

The output is then encoded once at that quality. When the sample is the whole image, that encode is
scored too; if the interpolation fell short of the target it interpolates once more in the narrower
bracket (``CHECKS``), and at last keeps the lowest probe that reached the target (its bytes are in
hand).

**Time.** The search may be given an *allowance*: the seconds its probes and checks may take, which
the pipeline sets to what a fixed quality would cost (the generation so far and the output's encode at
the cost model's rate), so ``q=auto`` stays within about twice a fixed-quality generation whatever the
image. ``plan`` then picks the sample (the whole output up to ``perceptual.SAMPLE_PIXELS``, a mosaic of
3 x 3 tiles, ``perceptual.GRID``, or of 2 x 2, ``perceptual.SMALL_GRID``; for WebP, whose encoder codes a
mosaic unlike the whole picture, the output reduced, ``REDUCED``), the number of probes that
fit, and whether a mosaic's choice is checked on the whole output, priced by the cost model
(``cost.probe_costs``, ``cost.check_costs``): for JPEG a search that ends on a score of the whole output
first, for the others the most probes first, then the most faithful sample; each probe starts only
while what the last one took still fits beside the measure the plan priced after the probes (a
mosaic's check, or the measure of a whole-output search's choice), and that measure runs within the
deadline alone (a plan is made from CPU measured this run, so its measures must not hang on a few per
cent more of it). An allowance too small for any probe still pays one on the smallest sample
(``least``); an allowance of 0 takes the seed. The check encodes the mosaic's choice whole (the
output's own encode; JPEG's a preview, so a miss throws no encode away), scores it with the finest
scales on 3 x 3 tiles and the coarser ones on every pixel (where a mosaic strays from the whole image),
and encodes a miss once more, higher (``_verify``). Without an allowance the search takes ``PROBES``
probes on the whole output or, above ``perceptual.SAMPLE_PIXELS``, the larger mosaic. Either way the
cost model prices the probes (``cost.Work.probes``) and a probe starts only while the deadline still
holds it and the final encode.

**JPEG** encodes in a fraction of a score, so its probes may also be the whole output, scored with the
check's measure (``Search.tiled``), and are encoded as previews (``encode.preview``: the same pixels,
a fifth of the time). A whole-output search's first check (the choice's measure) is in its plan's price
and runs within the deadline alone. The plan prices samples at this process's own ``PACE``.
"""

from __future__ import annotations

import io
import math
import time
from dataclasses import dataclass
from typing import Callable, Mapping

from PIL import Image

from ..deadline import Deadline
from . import cost


@dataclass(frozen=True)
class Search:
    """One format's search: the qualities it may choose, its seed (quality ~ ``seed[0] + seed[1] *
    target``), its score points per quality step at a few score levels (a curve flattens as it rises,
    so a step from a low probe by one slope overshoots, from a high one falls short), the margin over
    the target a mosaic must reach, by its tiles a side (``perceptual.GRID``, ``perceptual.SMALL_GRID``),
    the most quality steps a choice may go past the highest probe when every probe fell short, and the
    margins a mosaic aims at when its choice will be checked on the whole output (``_verify``; None: the
    same margins), and the margins a probe of the whole output scored at its finest scales on a mosaic's
    tiles aims at, by the mosaic's grid (``plan``'s tiled samples; None: the format's encode costs too
    much next to the score to probe the whole output)."""

    low: int
    high: int
    seed: tuple[float, float]
    slopes: tuple[tuple[float, float], ...]
    margins: Mapping[int, float]
    reach: int
    checked: Mapping[int, float] | None = None
    tiled: Mapping[int, float] | None = None

    def seed_for(self, target: float) -> int:
        return self.clamp(round(self.seed[0] + self.seed[1] * target))

    def clamp(self, quality: float) -> int:
        return max(self.low, min(self.high, int(quality)))

    def margin(self, grid: int | None, checked: bool = False, tiled: bool = False) -> float:
        """The margin over the target for a sample: the whole output (only the interpolation's error), the
        output reduced (``REDUCED``), or a mosaic of ``grid`` x ``grid`` tiles (a smaller one samples less
        of the image, so its score strays further from the whole image's), whose choice may be
        ``checked``; ``tiled``: the whole output, its finest scales scored on those tiles (the
        interpolation's error and the tiles')."""
        if grid is None:
            return WHOLE_MARGIN
        if tiled:
            return WHOLE_MARGIN + (self.tiled or {})[grid]
        return (self.checked or self.margins)[grid] if checked else self.margins[grid]

    def slope(self, score: float) -> float:
        """Score points per quality step at ``score``: linear between the fitted levels, flat past them."""
        return cost.interpolate(self.slopes, score)

    def steps(self, start: float, goal: float) -> float:
        """The quality steps a typical curve takes from score ``start`` to ``goal`` (negative going
        down): the slope's reciprocal summed point by point."""
        sign = 1.0 if goal >= start else -1.0
        total, score = 0.0, start
        while sign * (goal - score) > 0:
            width = min(1.0, abs(goal - score))
            total += width / self.slope(score + sign * width / 2)
            score += sign * width
        return sign * total


#: ``samples``' name for the whole output box-reduced (``perceptual.reduced``), beside a mosaic's grid
#: (2 or more) and None (the whole output).
REDUCED = 0

#: Fitted on the tuning part of the corpus (``benchmarks/auto_quality.py calibrate``). The seed: the quality
#: each format needs for scores 62 and 72 on a typical photo (JPEG's and WebP's from before, AVIF's refitted
#: after it became 4:4:4 with exact colour: it needs ~5 more). The slopes: the median score points per
#: quality step at scores 55-85 (JPEG's curve flattens from ~1 at 55 to ~0.5 at 70, AVIF's from 1.3 to
#: 0.35). The margins: the 90th percentile of how far a mosaic's score lies above the whole image's where
#: the whole image scores 65, 70 or 75 (the four-tile mosaic strays further: JPEG up to +7.8, WebP +7.6). The
#: reach is how far above the seed for score 70 the tuning part's searches without an allowance chose at
#: most. JPEG's checked margins are the median of the mosaics' stray: about half its checked choices
#: reach the target as they are and the rest are stepped up, unmeasured (the check scores a preview, so
#: the step costs no encode more than the output's own); AVIF's and WebP's encode is most of their
#: generation, so their checked mosaics aim as the unchecked do. WebP's margin for the reduced output
#: (its sample above ``perceptual.SAMPLE_PIXELS``: libwebp codes a mosaic unlike the whole picture, whose
#: 3 x 3 mosaic strays by sd 5.2 where the reduced output strays by +1.1, sd 1.5) is the same percentile
#: of that sample's stray.
SEARCH: dict[str, Search] = {
    "jpeg": Search(20, 95, (-106.0, 2.35),
                   ((55.0, 0.95), (60.0, 0.75), (65.0, 0.56), (70.0, 0.48), (75.0, 0.47), (80.0, 0.52), (85.0, 0.73)),
                   {3: 3.5, 2: 5.0}, 13, {3: 1.5, 2: 2.2}, {3: 0.3, 2: 1.1}),
    "webp": Search(10, 95, (-134.0, 2.8),
                   ((55.0, 0.59), (60.0, 0.48), (65.0, 0.4), (70.0, 0.45), (75.0, 0.52), (80.0, 0.72), (85.0, 0.3)),
                   {3: 2.1, 2: 4.1, REDUCED: 2.5}, 25),
    "avif": Search(15, 90, (-39.6, 1.28),
                   ((55.0, 1.3), (60.0, 1.21), (65.0, 1.04), (70.0, 0.88), (75.0, 0.69), (80.0, 0.47), (85.0, 0.35)),
                   {3: 3.4, 2: 4.5}, 12),
}
#: The margin over the target when the probe is the whole image: only the interpolation's error.
WHOLE_MARGIN = 0.5
#: Probe encodes at most.
PROBES = 3
#: When the sample is the whole output: encodes at the chosen quality, each scored, before the lowest
#: probe that reached the target is kept instead.
CHECKS = 2
#: The formats ``q=auto`` searches (the others have no quality).
FORMATS = tuple(SEARCH)


@dataclass
class Choice:
    quality: int
    #: The output's bytes at ``quality`` when a probe already made them (the sample was the whole image).
    data: bytes | None
    probes: int
    #: Seconds the last probe took (encode, decode and score).
    probe_seconds: float


def probe_pixels(output_size: tuple[int, int], fmt: str | None = None) -> int:
    """The pixels each probe encodes and scores for an output of ``output_size`` as ``fmt`` at most (the
    sample ``plan`` takes without an allowance; with one it may take a smaller one)."""
    return samples(output_size, fmt)[0][1]


def samples(output_size: tuple[int, int], fmt: str | None = None) -> list[tuple[int | None, int]]:
    """The samples a search may probe, most faithful first, as (mosaic grid, ``REDUCED``, or None for the
    whole output; pixels): the whole output up to ``perceptual.SAMPLE_PIXELS`` (or when no mosaic would
    be smaller), then the mosaics of ``perceptual.GRID`` and ``perceptual.SMALL_GRID`` tiles a side that
    are; for a format fitted with a margin for ``REDUCED`` (WebP, whose encoder codes a mosaic unlike the
    whole picture), above ``perceptual.SAMPLE_PIXELS`` the reduced output alone, where there is one."""
    from . import perceptual  # numpy: loaded only when a request asks for q=auto

    pixels = output_size[0] * output_size[1]
    factor = perceptual.reduction(output_size) if fmt in SEARCH and REDUCED in SEARCH[fmt].margins else None
    if factor is not None:
        return [(REDUCED, (output_size[0] // factor) * (output_size[1] // factor))]
    mosaics = [(grid, (grid * perceptual.TILE) ** 2) for grid in (perceptual.GRID, perceptual.SMALL_GRID)
               if perceptual.tiles(output_size, grid) is not None]
    whole: list[tuple[int | None, int]] = [(None, pixels)] if pixels <= perceptual.SAMPLE_PIXELS or not mosaics else []
    return whole + list(mosaics)


class Pace:
    """How fast this process runs the search's work against the cost model's prices: the measured CPU of
    its references and probes over the model's, averaged (in logs, the recent ones weighing most) over
    the searches so far; 1 (the model) until one has run. The model's rates come from one machine, and a
    container's CPU may run the same probe in half or twice the time, so ``plan`` prices the samples at
    this pace: an allowance holds the probes it really holds. ``holds`` still stops each probe by what
    the last one took, so a pace that is off moves only the choice of sample, never the bound."""

    WEIGHT = 0.3  # of each new measurement
    BOUNDS = (0.25, 4.0)

    def __init__(self) -> None:
        self.value = 1.0

    def learn(self, measured: float, predicted: float) -> None:
        if measured <= 0 or predicted <= 0:
            return
        ratio = min(self.BOUNDS[1], max(self.BOUNDS[0], measured / predicted))
        self.value = math.exp((1 - self.WEIGHT) * math.log(self.value) + self.WEIGHT * math.log(ratio))


#: This process's pace (``Pace``) at the search's work, and at each format's encodes alone (what the
#: pipeline's allowance prices the output's encode with: the model's rate is the upper end of what one
#: machine measured).
PACE = Pace()
ENCODE_PACE: dict[str, Pace] = {}


def encode_pace(fmt: str) -> float:
    """This process's pace at encoding ``fmt``, as its probes measured it (1 before any did)."""
    return ENCODE_PACE[fmt].value if fmt in ENCODE_PACE else 1.0


@dataclass(frozen=True)
class Plan:
    """A search's plan: its sample (``grid``: None for the whole output, ``REDUCED`` for the output reduced,
    else a mosaic of ``grid`` x ``grid`` tiles; ``tiled``: the whole output encoded, its finest scales
    scored on those tiles), its probes at most, and whether a sample's choice is checked on the whole
    output (``_verify``)."""

    grid: int | None
    probes: int
    checked: bool = False
    tiled: bool = False


def plan(output_size: tuple[int, int], fmt: str, quality: int, allowance: float | None, *,
         probes: int = PROBES, avif_speed: int = 6, check: bool = False, pace: float = 1.0) -> Plan:
    """The plan of a search that may spend ``allowance`` seconds (None: no limit but ``probes``, and no
    check; ``check``: a mosaic's choice may be checked), priced by the cost model at ``quality``: for a
    format whose checked mosaics aim lower or whose whole output may be probed scored on tiles
    (``Search.checked``, ``Search.tiled``: JPEG, whose encode costs little next to a score), first the
    plans that end on a score of the whole output (the whole output's own probes, its tiled probes, or a
    mosaic's and the check), then those that measure the whole output at every probe (and the choice
    too: two measures at least, where a checked mosaic has one), then the most probes, then the most
    faithful sample; for the others the most probes on the most faithful sample that holds them, and the
    check where it still fits beside them. A whole-output sample, tiled or not, also scores the output
    itself (its first check). ``pace``: the model's prices times this (``Pace``)."""
    options = samples(output_size, fmt)
    if allowance is None:
        return Plan(options[0][0], probes)
    search = SEARCH[fmt]
    check_first = search.checked is not None or search.tiled is not None
    candidates = [(grid, pixels, False) for grid, pixels in options]
    if search.tiled:  # after the exact whole output, before the mosaics: a mosaic's own probes stray further
        tiled = [(grid, pixels, True) for grid, pixels in options if grid in search.tiled]
        candidates[1 if options[0][0] is None else 0:0] = tiled
    best, rank = Plan(options[0][0], 0), (0, 0, 0)
    for grid, pixels, tiled_sample in candidates:
        fixed, each = _search_costs(fmt, quality, grid, pixels, avif_speed, output_size if tiled_sample else None)
        fixed, each = fixed * pace, each * pace
        check_s = math.inf
        if check and grid is not None and not tiled_sample:
            check_s = _check_cost(output_size, fmt) * pace
        if check_first:
            for checked in (False, True) if check_s < math.inf else (False,):
                fits = min(probes, max(0, math.floor((allowance - fixed - (check_s if checked else 0.0)) / each)))
                whole = int(fits > 0 and (grid is None or checked or tiled_sample))  # ends on a whole score
                # ... and measures the whole output at every probe and the choice: two measures or more
                measures = int(fits > 0 and (grid is None or tiled_sample))
                if (whole, measures, fits) > rank:
                    best, rank = Plan(grid, fits, checked, tiled_sample), (whole, measures, fits)
        else:
            fits = min(probes, max(0, math.floor((allowance - fixed) / each)))
            if fits > rank[2]:
                best, rank = Plan(grid, fits, allowance - fixed - fits * each >= check_s), (0, 0, fits)
    return best


def _check_cost(output_size: tuple[int, int], fmt: str) -> float:
    """The seconds of a check on the whole output (``_verify``): its reference side and score; its encode
    is the output's own (JPEG's a preview, about a tenth of the check's price, is not priced)."""
    from . import perceptual

    return sum(cost.check_costs(fmt, output_size[0] * output_size[1], (perceptual.GRID * perceptual.TILE) ** 2,
                                perceptual.ENGINE.rate))


def _search_costs(fmt: str, quality: int, grid: int | None, pixels: int, avif_speed: int,
                  tiled: tuple[int, int] | None = None) -> tuple[float, float]:
    """A search's seconds on a sample of ``pixels`` (``grid`` None: the whole output; ``tiled``: the whole
    output of that size, scored on the mosaic's tiles of ``pixels``), by the cost model: what it costs
    whatever the probes (the reference side, and for a whole-output sample the score of the output
    itself, its first check), and what each probe adds (an encode and a score)."""
    if tiled is not None:
        reference, encode, measure = _tiled_costs(fmt, quality, tiled[0] * tiled[1], pixels, avif_speed)
        return reference + measure, encode + measure
    reference, encode, measure = _probe_costs(fmt, quality, pixels, avif_speed)
    return reference + (measure if grid is None else 0.0), encode + measure


def _probe_costs(fmt: str, quality: int, pixels: int, avif_speed: int) -> tuple[float, float, float]:
    """``cost.probe_costs`` at the pace of the engine ``perceptual`` measures with."""
    from . import perceptual

    return cost.probe_costs(fmt, quality, pixels, avif_speed, perceptual.ENGINE.rate)


def _tiled_costs(fmt: str, quality: int, output_pixels: int, tile_pixels: int,
                 avif_speed: int) -> tuple[float, float, float]:
    """A tiled probe's seconds by the cost model, as ``cost.probe_costs`` gives a sample's: the reference
    side, the whole output's probe encode, and its decode and score on ``tile_pixels`` of tiles."""
    from . import perceptual

    reference, measure = cost.check_costs(fmt, output_pixels, tile_pixels, perceptual.ENGINE.rate)
    return reference, cost.probe_encode_seconds(fmt, quality, output_pixels, avif_speed), measure


def least(output_size: tuple[int, int], fmt: str, quality: int, avif_speed: int = 6, pace: float = 1.0) -> float:
    """The allowance a search always has: one probe on the smallest sample (with the cost model's
    safety), so a small original whose generation is too quick to pay for a probe is not left with the
    seed, which misses the target on a detailed photo by far more than the probe costs in time."""
    grid, pixels = samples(output_size, fmt)[-1]
    fixed, each = _search_costs(fmt, quality, grid, pixels, avif_speed)
    return cost.SAFETY * (fixed + each) * pace


def choose(image: Image.Image, fmt: str, target: int, encode: Callable[[Image.Image, int], bytes], *,
           probes: int = PROBES, deadline: Deadline | None = None, reserve: float = 0.0,
           allowance: float | None = None, avif_speed: int = 6, verify: bool = True,
           preview: Callable[[Image.Image, int], bytes] | None = None) -> Choice:
    """The quality for ``image`` as ``fmt`` (``encode(image, quality)`` makes the bytes) to reach
    ``target``, after at most ``probes`` probes, spending at most ``allowance`` seconds on them and the
    checks (``plan``); a probe starts only while ``deadline`` still holds it (as long as the last one
    took) and ``reserve`` seconds for the final encode. ``verify``: a mosaic's choice may be checked on the
    whole ``image`` (``_verify``); off where the output is not ``image``'s encode (an animation's first
    frame), since the check's encode would be thrown away. ``preview``: a faster encode to the same
    pixels (``encode.preview``) for the probes, whose bytes are then never the output's."""
    from . import perceptual

    started = time.process_time()
    search = SEARCH[fmt]
    seed = search.seed_for(target)
    pace = PACE.value
    if allowance:  # 0: no search, the seed
        allowance = max(allowance, least(image.size, fmt, seed, avif_speed, pace))
    planned = plan(image.size, fmt, seed, allowance, probes=probes, avif_speed=avif_speed, check=verify, pace=pace)
    grid, probes, checked = planned.grid, planned.probes, planned.checked
    if not probes:
        return Choice(seed, None, 0, 0.0)
    if grid is None or planned.tiled:
        sampled = image
    else:
        sampled = perceptual.reduced(image) if grid == REDUCED else perceptual.sample(image, grid)
    whole = sampled is image
    goal = target + search.margin(grid, checked, planned.tiled)
    # what a whole-output probe must score to count as reaching the target: tiled, the target plus what
    # the tiles may stray above the whole output's score
    aim = goal - WHOLE_MARGIN if whole else float(target)
    scores: dict[int, float] = {}
    bodies: dict[int, bytes] = {}

    def priced(quality: int) -> tuple[float, float, float]:
        """The model's reference side, encode and score of a probe of this sample (``PACE`` learns from it)."""
        pixels = sampled.size[0] * sampled.size[1]
        if planned.tiled:
            return _tiled_costs(fmt, quality, pixels, (grid * perceptual.TILE) ** 2, avif_speed)  # type: ignore[operator]
        return _probe_costs(fmt, quality, pixels, avif_speed)

    reference_s, encode_s, measure_s = priced(seed)
    # what the next probe is expected to take: the cost model's at this pace, then the last one's (wall
    # and CPU seconds)
    last = last_cpu = (encode_s + measure_s) * pace
    # what the probes leave of the allowance for the measure the plan priced after them: a mosaic's check,
    # or a whole-output search's first measure of its choice (a score; each runs within the deadline alone)
    if checked and grid is not None:
        kept = _check_cost(image.size, fmt) * pace
    else:
        kept = measure_s * pace if whole else 0.0

    def holds(share: float, bounded: bool = True, keep: float = 0.0) -> bool:
        """Whether ``share`` of the last probe's time still fits the deadline and (``bounded``) the
        allowance, less ``keep`` (CPU seconds: what the work costs, whatever else shares the core)."""
        if deadline is not None and not deadline.allows(last * share + reserve):
            return False
        if allowance is None or not scores or not bounded:  # the first probe is paid whatever the
            return True  # reference side took (``least``): the seed alone misses a detailed photo by up to 8 points
        return time.process_time() - started + last_cpu * share <= allowance - keep

    begun_cpu = time.process_time()
    reference = perceptual.Reference(sampled, grid if planned.tiled else None)
    PACE.learn(time.process_time() - begun_cpu, reference_s)
    probe = preview or encode

    def probed(quality: int) -> bytes:
        """Encode, decode and score ``quality`` (its time is the next probe's expectation and the pace's)."""
        nonlocal last, last_cpu
        begun, begun_cpu = time.perf_counter(), time.process_time()
        data = probe(sampled, quality)
        encoded_cpu = time.process_time() - begun_cpu
        scores[quality] = reference.score(_decoded(data))
        last, last_cpu = time.perf_counter() - begun, time.process_time() - begun_cpu
        _, encode_price, measure_price = priced(quality)
        PACE.learn(last_cpu, encode_price + measure_price)
        ENCODE_PACE.setdefault(fmt, Pace()).learn(encoded_cpu, encode_price)
        return data

    quality = seed
    for _ in range(probes):
        if quality in scores or not holds(1.0, keep=kept):
            break
        data = probed(quality)
        if whole:
            bodies[quality] = data
        quality = next_quality(scores, goal, search)
    chosen = pick(scores, goal, search, checked=whole) if scores else seed
    for check in range(CHECKS if whole and scores else 0):
        # The output is encoded at the chosen quality anyway: score it too (the first check costs only
        # the score); where the interpolation fell short, interpolate again in the narrower bracket, and
        # at last keep the lowest probe that reached the target (its bytes are in hand). The first check
        # is in every whole-output plan's price (``_search_costs``): it runs within the deadline alone,
        # so probes that took longer than priced do not leave the choice an unmeasured extrapolation.
        share = 1.0 if check or preview else measure_s / (encode_s + measure_s)
        if chosen in bodies or not holds(share, bounded=check > 0):
            break
        bodies[chosen] = probed(chosen)
        if scores[chosen] >= aim:
            break
        chosen = pick(scores, goal, search, checked=whole)
    reached = sorted(q for q, s in scores.items() if s >= aim and q in bodies)
    if whole and reached and (chosen not in bodies or scores[chosen] < aim):
        chosen = reached[0]
    elif whole and scores.get(chosen, aim) < aim:
        # every measure fell short and the allowance holds no more: step past them along the slope they
        # show, unmeasured (the output's encode is made anyway): a miss is what the search must not deliver
        chosen = pick(scores, goal, search)
    if checked and scores and allowance is not None and grid is not None:
        # the check is in the plan's price, as a whole-output search's first measure is: it runs within
        # the deadline alone, so probes that took longer than priced do not leave the choice unmeasured
        # with the full margin (the outcome a plan flips to when the CPU measured runs a little slow)
        verified = _verify(image, fmt, target, preview or encode, chosen, search, deadline, reserve,
                           output=preview is None)
        if verified is not None:
            return Choice(verified[0], verified[1], len(scores) + verified[2], verified[3])
        chosen = pick(scores, target + search.margin(grid), search)  # unchecked after all: the full margin
    return Choice(chosen, None if preview else bodies.get(chosen), len(scores), last)


def _verify(image: Image.Image, fmt: str, target: int, encode: Callable[[Image.Image, int], bytes], chosen: int,
            search: Search, deadline: Deadline | None, reserve: float,
            output: bool = True) -> tuple[int, bytes | None, int, float] | None:
    """A mosaic's choice checked on the whole output, when the deadline still holds it and ``reserve``
    (``encode``: the output's encoder, whose bytes are then the output's, or, ``output`` False, a preview
    to the same pixels: the output is encoded once, after, at the quality the check leaves, so a miss does
    not throw away a whole encode; JPEG's is a fifth of its output's, whose checked mosaics aim at their
    median stray and so step up half the time): a mosaic's score strays from the whole image's by a few
    points, beyond its margin for one output in ten, and such a miss is what sets the floor. The check
    measures the finest scales on ``perceptual.GRID`` x ``perceptual.GRID`` tiles and the coarser ones,
    where a mosaic strays, on the whole output (``perceptual.Reference(image, perceptual.GRID)``): it
    costs about half the whole output's score and strays from it by sd 0.4 point (0.6 on the validation
    photos; ``perceptual.FINE_SCALES``), where 2 x 2 tiles stray by sd 1: the check accepts what reaches
    the target, so its stray is the floor's, and it takes 3 x 3 tiles whatever the mosaic probed. Where
    the output falls short of the target, one more encode steps up along the format's curve (within the
    deadline, not the allowance: a miss is what the search must not deliver). The quality, its bytes (None
    from a preview), the encodes made and the seconds the check's encode took; None when the check, at the
    model's price, does not fit the deadline."""
    from . import perceptual

    needed = _check_cost(image.size, fmt)
    if deadline is not None and not deadline.allows(reserve + needed):
        return None
    begun = time.perf_counter()
    data = encode(image, chosen)
    seconds = time.perf_counter() - begun
    score = perceptual.Reference(image, perceptual.GRID).score(_decoded(data))
    if score >= target or (deadline is not None and not deadline.allows(reserve)):
        return chosen, data if output else None, 1, seconds
    # up at least two qualities: AVIF's map onto fewer quantizer levels, so one step may encode the same
    higher = search.clamp(chosen + max(2, math.ceil(search.steps(score, target + WHOLE_MARGIN))))
    if not output:
        return higher, None, 1, seconds
    return (higher, encode(image, higher), 2, seconds) if higher > chosen else (chosen, data, 1, seconds)


def next_quality(scores: dict[int, float], goal: float, search: Search) -> int:
    """The quality to probe next: between the two probes that bracket ``goal``, else a step from the
    nearest probe by the slope the probes show (until two do, the format's typical curve from the
    probe's score to the goal)."""
    below = sorted((q, s) for q, s in scores.items() if s < goal)
    above = sorted((q, s) for q, s in scores.items() if s >= goal)
    if below and above:
        return _between(below[-1], above[0], goal)
    side = below if below else above
    nearest = side[-1] if below else side[0]
    step = search.steps(nearest[1], goal)
    if len(side) >= 2:
        (q0, s0), (q1, s1) = (side[-2], side[-1]) if below else (side[0], side[1])
        if q1 != q0 and (s1 - s0) / (q1 - q0) > 0.05:
            step = (goal - nearest[1]) * (q1 - q0) / (s1 - s0)
    return search.clamp(nearest[0] + (math.ceil(step) if below else min(-1, math.floor(step))))


def pick(scores: dict[int, float], goal: float, search: Search, *, checked: bool = False) -> int:
    """The chosen quality: interpolated for ``goal`` between the probes that bracket it; else, when every
    probe reached it, the lowest, or (``checked``: the choice will be scored, and the lowest probe kept if
    it falls short) a step below it along the format's curve; else (none did) a step past the best probe,
    at most the format's reach."""
    below = sorted((q, s) for q, s in scores.items() if s < goal)
    above = sorted((q, s) for q, s in scores.items() if s >= goal)
    if below and above:
        return _between(below[-1], above[0], goal)
    if above:
        return next_quality(scores, goal, search) if checked else above[0][0]
    return min(next_quality(scores, goal, search), search.clamp(below[-1][0] + search.reach))


def _between(low: tuple[int, float], high: tuple[int, float], goal: float) -> int:
    """The quality where the line through two probes reaches ``goal``, rounded up, within (low, high]."""
    (q0, s0), (q1, s1) = low, high
    if q1 <= q0 + 1 or s1 <= s0:
        return q1
    return max(q0 + 1, min(q1, math.ceil(q0 + (goal - s0) * (q1 - q0) / (s1 - s0))))


def _decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image
