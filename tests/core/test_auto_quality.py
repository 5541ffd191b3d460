"""``q=auto`` on real photos, checked with the reference SSIMULACRA2: each output lands near the target
(never far below it, and not far above, where bytes would be wasted), and the numpy metric the search
uses is the reference's computation."""

from __future__ import annotations

import io
import math
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

import numpy as np
import pytest
from PIL import Image

import imgedge
from imgedge.config import Config
from imgedge.core import autoquality, cost, encode, perceptual, pipeline
from imgedge.deadline import Deadline
from tests.photos import open_bytes, photo

reference = pytest.importorskip("ssimulacra2", reason="the reference SSIMULACRA2 (PyPI ssimulacra2, in the test extra)")

TARGET = Config().quality_target
#: The measuring engine's pace against the cost model's prices: what the searches plan with.
RATE = perceptual.ENGINE.rate
#: How far below the target an output may land: the search's margin covers most of the sample's error,
#: not all of it (benchmarks/RESULTS.md, "Auto quality": misses and their size).
BELOW = 3.0
#: ... and how far above: more would be bytes spent for nothing.
ABOVE = 9.0


class _ModelPace(autoquality.Pace):
    def learn(self, measured: float, predicted: float) -> None:
        pass


@pytest.fixture(autouse=True)
def _model_pace(monkeypatch):
    """Every search prices its samples at the cost model's own pace, whatever ran before it."""
    monkeypatch.setattr(autoquality, "PACE", _ModelPace())
    monkeypatch.setattr(autoquality, "ENCODE_PACE", {})


@pytest.fixture
def _mosaics_only(monkeypatch):
    """JPEG's searches without its tiled probes of the whole output: its mosaics and their check."""
    monkeypatch.setitem(autoquality.SEARCH, "jpeg", replace(autoquality.SEARCH["jpeg"], tiled=None))


def _png(image: Image.Image) -> io.BytesIO:
    out = io.BytesIO()
    image.convert("RGB").save(out, "PNG", compress_level=1)
    out.seek(0)
    return out


def score(original: Image.Image, encoded: bytes) -> float:
    return reference.compute_ssimulacra2(_png(original), _png(open_bytes(encoded)))


@pytest.mark.parametrize("name, width", [("lake-boats-4mp.jpg", 400), ("leaf-texture-2mp.jpg", 800)])
@pytest.mark.parametrize("fmt", ["jpeg", "webp", "avif"])
def test_q_auto_lands_on_the_target(name, width, fmt):
    data = photo(name)
    lossless = open_bytes(imgedge.transform(data, f"w={width}&fmt=png").data)
    made = imgedge.transform(data, f"w={width}&fmt={fmt}&q=auto")
    assert made.encode_passes >= 2  # probed, then encoded (or kept the probe)
    got = score(lossless, made.data)
    assert TARGET - BELOW <= got <= TARGET + ABOVE, f"{name} {fmt}: {got:.1f} for target {TARGET}"


@pytest.mark.parametrize("fmt", ["jpeg", "webp"])
def test_q_auto_on_the_numpy_engine_lands_on_the_target(monkeypatch, fmt):
    """Where the kernel does not load (arm64, a CPU without AVX2, no compiler at build time) the search
    measures and plans on numpy, and still lands on the target."""
    scored = []

    class Numpy(perceptual.NumpyEngine):
        def scale_score(self, *args):  # type: ignore[no-untyped-def]
            scored.append(args[-2])
            return super().scale_score(*args)

    monkeypatch.setattr(perceptual, "ENGINE", Numpy())
    data = photo("lake-boats-4mp.jpg")
    lossless = open_bytes(imgedge.transform(data, "w=640&fmt=png").data)
    made = imgedge.transform(data, f"w=640&fmt={fmt}&q=auto")
    assert made.encode_passes >= 2 and scored  # measured on numpy
    got = score(lossless, made.data)
    assert TARGET - BELOW <= got <= TARGET + ABOVE, f"{fmt}: {got:.1f} for target {TARGET}"


@pytest.mark.parametrize("engine", ["numpy", "default"])
def test_each_engine_s_metric_is_the_reference_computation(engine):
    """Either engine (the default is the compiled kernel where it loads) computes the reference's score."""
    image = open_bytes(photo("sign-text.jpg")).convert("RGB").resize((300, 208))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=40)
    measure = perceptual.NumpyEngine() if engine == "numpy" else perceptual.ENGINE
    ours = perceptual.Reference(image, engine=measure).score(open_bytes(out.getvalue()))
    assert ours == pytest.approx(score(image, out.getvalue()), abs=0.05)


def _slow_jpeg(clock: list[float], calls: list[int]) -> Callable[[Image.Image, int], bytes]:
    """A JPEG encoder that advances ``clock`` by 0.25 s per encode and records each quality in ``calls``."""

    def slow(img: Image.Image, quality: int) -> bytes:
        calls.append(quality)
        clock[0] += 0.25
        out = io.BytesIO()
        img.save(out, "JPEG", quality=quality)
        return out.getvalue()

    return slow


def test_a_probe_starts_only_while_the_deadline_holds_it_and_the_final_encode(monkeypatch):
    image = open_bytes(photo("lake-boats-4mp.jpg")).convert("RGB").resize((320, 200))
    clock = [0.0]
    monkeypatch.setattr(autoquality.time, "perf_counter", lambda: clock[0])
    calls: list[int] = []
    slow = _slow_jpeg(clock, calls)  # each probe takes 0.25 s
    deadline = Deadline(1.0, clock=lambda: clock[0])
    choice = autoquality.choose(image, "jpeg", TARGET, slow, deadline=deadline, reserve=0.4)
    # after two probes 0.5 s are left: not enough for a third (0.25 s) and the final encode (0.4 s), nor
    # for scoring the output (a share of the last probe's 0.25 s) and the final encode
    assert len(calls) == choice.probes == 2
    assert autoquality.SEARCH["jpeg"].low <= choice.quality <= autoquality.SEARCH["jpeg"].high


def test_the_search_spends_at_most_its_allowance_of_cpu_time(monkeypatch):
    image = open_bytes(photo("lake-boats-4mp.jpg")).convert("RGB").resize((320, 200))
    cpu = [0.0]
    monkeypatch.setattr(autoquality.time, "process_time", lambda: cpu[0])
    calls: list[int] = []
    choice = autoquality.choose(image, "jpeg", TARGET, _slow_jpeg(cpu, calls), allowance=0.6)  # 0.25 CPU s each
    # after two probes 0.1 s of the allowance is left: not enough for a third probe; both fell short of the
    # target (this small 4:2:0 landscape needs the top of the range), so the choice past them is measured
    # by the first check, which every whole-output plan is priced with (within the deadline alone), and
    # not again: the second check is bounded by the allowance
    first, second, *checks = calls
    assert second > first and len(checks) == 1 and checks[0] > second
    assert choice.probes == 3 and cpu[0] == pytest.approx(0.75)


def test_the_probes_leave_the_allowance_the_measure_of_the_choice(monkeypatch):
    """A whole-output plan is priced with the measure of its choice after the probes: a probe that would
    eat into that measure's share does not start (the measure runs anyway, within the deadline alone)."""
    image = open_bytes(photo("lake-boats-4mp.jpg")).convert("RGB").resize((320, 200))
    cpu = [0.0]
    monkeypatch.setattr(autoquality.time, "process_time", lambda: cpu[0])
    seed = autoquality.SEARCH["jpeg"].seed_for(TARGET)
    measure = cost.probe_costs("jpeg", seed, image.size[0] * image.size[1], measure=RATE)[2]
    calls: list[int] = []
    # two probes of 0.25 CPU s fit, but not beside the measure
    choice = autoquality.choose(image, "jpeg", TARGET, _slow_jpeg(cpu, calls), allowance=0.5 + measure / 2)
    _, *checks = calls
    assert len(checks) == 1 and choice.probes == 2  # one probe, then the choice's measure
    calls.clear()
    cpu[0] = 0.0
    autoquality.choose(image, "jpeg", TARGET, _slow_jpeg(cpu, calls), allowance=0.5 + measure * 5)
    assert len(calls) == 3  # two probes and the measure (at the pace the first search taught)


def test_an_allowance_too_small_for_a_probe_still_pays_one_on_the_smallest_sample(monkeypatch):
    image = open_bytes(photo("lake-boats-4mp.jpg")).convert("RGB").resize((640, 480))
    cpu = [0.0]
    monkeypatch.setattr(autoquality.time, "process_time", lambda: cpu[0])
    calls: list[int] = []
    choice = autoquality.choose(image, "jpeg", TARGET, _slow_jpeg(cpu, calls), allowance=1e-6)
    # the first probe fits the least allowance (priced by the cost model); what it took leaves no second
    assert len(calls) == choice.probes == 1
    seed = autoquality.SEARCH["jpeg"].seed_for(TARGET)
    assert autoquality.least(image.size, "jpeg", seed) > 1e-6


def test_the_first_probe_is_paid_even_when_the_reference_side_overran_the_allowance(monkeypatch):
    """The plan priced one probe (and a check) into the allowance; the reference side then took longer than
    priced (a loaded core): the search still makes its first probe rather than fall back to the seed."""
    image = open_bytes(photo("lake-boats-4mp.jpg")).convert("RGB").resize((640, 480))
    cpu = [0.0]
    monkeypatch.setattr(autoquality.time, "process_time", lambda: cpu[0])
    real = perceptual.Reference

    def overrunning(*args, **kwargs):
        cpu[0] += 10.0  # far past any allowance
        return real(*args, **kwargs)

    monkeypatch.setattr(perceptual, "Reference", overrunning)
    calls: list[int] = []
    choice = autoquality.choose(image, "jpeg", TARGET, _slow_jpeg(cpu, calls), allowance=0.6)
    # the first probe, and no other but the one measure of a choice past it, should it fall short
    assert calls[0] == autoquality.SEARCH["jpeg"].seed_for(TARGET) and len(calls) == choice.probes <= 2
    assert calls == sorted(calls)


@pytest.mark.parametrize("size", [(200, 150), (250, 250), (320, 213), (640, 480)])
@pytest.mark.parametrize("fmt", autoquality.FORMATS)
def test_the_least_allowance_buys_a_probe_on_every_output(size, fmt):
    # an output too small for a mosaic is scored whole, its own score included: the least allowance pays
    # for that too, not only for one probe's encode and score
    seed = autoquality.SEARCH[fmt].seed_for(TARGET)
    assert autoquality.plan(size, fmt, seed, autoquality.least(size, fmt, seed)).probes >= 1


def test_a_choice_past_every_probe_stays_within_the_format_s_reach():
    search = autoquality.SEARCH["jpeg"]
    # one probe far below the goal: the typical slope alone would step to the top of the range
    assert autoquality.next_quality({58: 50.0}, 74.0, search) == search.high
    assert autoquality.pick({58: 50.0}, 74.0, search) == 58 + search.reach
    # a short step is not cut
    assert autoquality.pick({58: 73.0}, 74.0, search) == autoquality.next_quality({58: 73.0}, 74.0, search)


@pytest.mark.parametrize("fmt", autoquality.FORMATS)
def test_each_mosaic_has_its_own_margin(fmt):
    search = autoquality.SEARCH[fmt]
    assert set(search.margins) - {autoquality.REDUCED} == {perceptual.GRID, perceptual.SMALL_GRID}
    assert search.margin(None) == autoquality.WHOLE_MARGIN
    assert search.margin(perceptual.SMALL_GRID) == search.margins[perceptual.SMALL_GRID]
    # a checked mosaic aims lower where its format says so (JPEG: a step up is one cheap encode), else as
    # an unchecked one
    for grid in (perceptual.GRID, perceptual.SMALL_GRID):
        if search.checked is None:
            assert search.margin(grid, checked=True) == search.margin(grid)
        else:
            assert 0 < search.margin(grid, checked=True) < search.margin(grid)


def test_a_webp_search_probes_the_reduced_output_where_a_mosaic_would_be_coded_unlike_it(monkeypatch):
    """libwebp segments a picture by its own blocks' activity: a mosaic of a leaf texture is coded unlike
    the same tiles in the whole output and scores far below it, where the output reduced by two keeps the
    mix and stays within two points."""
    image = open_bytes(photo("leaf-texture-2mp.jpg")).convert("RGB").resize((1280, 800), Image.LANCZOS)
    assert autoquality.samples(image.size, "webp") == [(autoquality.REDUCED, 640 * 400)]
    assert autoquality.samples(image.size, "jpeg") == autoquality.samples(image.size)  # JPEG codes blocks alone
    assert autoquality.probe_pixels(image.size, "webp") == 640 * 400
    assert autoquality.plan(image.size, "webp", 62, None) == autoquality.Plan(autoquality.REDUCED, autoquality.PROBES)
    # its choice is checked on the whole output, measured on the 3 x 3 mosaic's tiles, where that fits
    assert autoquality.plan(image.size, "webp", 62, 10.0, check=True) == autoquality.Plan(
        autoquality.REDUCED, autoquality.PROBES, True)

    def webp(img: Image.Image, quality: int) -> Image.Image:
        out = io.BytesIO()
        img.save(out, "WEBP", quality=quality, method=encode.WEBP_METHOD)
        return open_bytes(out.getvalue())

    whole = perceptual.Reference(image).score(webp(image, 75))
    reduced = perceptual.reduced(image)
    mosaic = perceptual.sample(image, perceptual.GRID)
    assert reduced.size == (640, 400)
    assert abs(perceptual.Reference(reduced).score(webp(reduced, 75)) - whole) < 2.0
    assert whole - perceptual.Reference(mosaic).score(webp(mosaic, 75)) > 8.0
    # and the search encodes that sample
    sizes: list[tuple[int, int]] = []

    def recorded(img: Image.Image, quality: int) -> bytes:
        sizes.append(img.size)
        return encode.encode(img, "webp", quality)

    choice = autoquality.choose(image, "webp", TARGET, recorded)
    assert sizes[:choice.probes] == [(640, 400)] * choice.probes and choice.data is None
    sizes.clear()
    checked = autoquality.choose(image, "webp", TARGET, recorded, allowance=10.0)
    assert sizes[-1] == image.size and checked.data is not None  # the check's encode is the output


@pytest.mark.parametrize("size, factor", [((640, 427), None), ((1280, 800), 2), ((1280, 1922), 3),
                                          ((931, 647), None), ((3840, 2160), None)])
def test_an_output_is_reduced_by_2_or_3_to_the_sample_s_size(size, factor):
    # at most the sample's pixels; none under REDUCED_MIN_PIXELS (931 x 647 would be 465 x 323) or past a
    # factor of 3 (a 3840 px output: mosaics)
    assert perceptual.reduction(size) == factor
    if factor is None and size[0] * size[1] > perceptual.SAMPLE_PIXELS:
        assert autoquality.samples(size, "webp") == autoquality.samples(size)


def test_a_step_follows_the_typical_curve_s_slope_at_each_score():
    search = autoquality.Search(20, 95, (0.0, 1.0), ((60.0, 1.0), (80.0, 0.5)), {3: 0.0, 2: 0.0}, 13)
    assert search.slope(50.0) == 1.0 and search.slope(70.0) == pytest.approx(0.75) and search.slope(90.0) == 0.5
    # ten points cost ten steps where the curve is steep, twenty where it is flat, and as many going down
    assert search.steps(40.0, 50.0) == pytest.approx(10.0)
    assert search.steps(85.0, 95.0) == pytest.approx(20.0)
    assert search.steps(75.0, 65.0) == pytest.approx(-search.steps(65.0, 75.0))
    # one probe far below: the step from its score, not from the goal's slope
    assert autoquality.next_quality({50: 45.0}, 75.0, search) == 50 + math.ceil(search.steps(45.0, 75.0))


def test_the_plan_takes_the_most_probes_that_fit_on_the_most_faithful_sample(_mosaics_only):
    """(JPEG's mosaics and their check; its tiled probes of the whole output are tested below.)"""
    Plan = autoquality.Plan
    size, seed = (640, 480), autoquality.SEARCH["jpeg"].seed_for(TARGET)
    assert autoquality.plan(size, "jpeg", seed, None) == Plan(None, autoquality.PROBES)  # no allowance: whole
    assert autoquality.plan((1280, 960), "jpeg", seed, None, check=True) == Plan(perceptual.GRID, autoquality.PROBES)
    assert autoquality.plan(size, "jpeg", seed, 0.0) == Plan(None, 0)
    assert autoquality.plan(size, "jpeg", seed, 10.0, check=True) == Plan(None, autoquality.PROBES)
    tiles = (perceptual.SMALL_GRID * perceptual.TILE) ** 2
    reference, encode, measure = cost.probe_costs("jpeg", seed, tiles, measure=RATE)
    # three probes on the small mosaic, and no more on a larger sample
    tight = reference + 3 * (encode + measure)
    assert autoquality.plan(size, "jpeg", seed, tight * 1.01) == Plan(perceptual.SMALL_GRID, autoquality.PROBES)
    # where the check of the whole output (on 3 x 3 tiles, whatever the mosaic) fits beside a probe, it
    # comes first: one probe and the check instead of more probes
    check_tiles = (perceptual.GRID * perceptual.TILE) ** 2
    check = sum(cost.check_costs("jpeg", size[0] * size[1], check_tiles, RATE))
    checkable = (reference + encode + measure + check) * 1.01
    assert autoquality.plan(size, "jpeg", seed, checkable, check=True) == Plan(perceptual.SMALL_GRID, 1, True)
    assert autoquality.plan(size, "jpeg", seed, checkable).probes == autoquality.PROBES
    assert not autoquality.plan(size, "jpeg", seed, checkable).checked
    # too little for the check and a probe: probes only
    assert not autoquality.plan(size, "jpeg", seed, check * 1.01, check=True).checked
    # at half the model's prices (``Pace``), half the allowance holds the same plan
    assert autoquality.plan(size, "jpeg", seed, checkable / 2, check=True, pace=0.5) == Plan(perceptual.SMALL_GRID, 1,
                                                                                             True)
    # a format whose checked mosaics aim as the unchecked (WebP: its encode is most of its generation)
    # takes the most probes first, and the check only beside them
    webp_seed = autoquality.SEARCH["webp"].seed_for(TARGET)
    assert autoquality.SEARCH["webp"].checked is None
    webp_reference, webp_encode, webp_measure = cost.probe_costs("webp", webp_seed, tiles, measure=RATE)
    webp_check = sum(cost.check_costs("webp", size[0] * size[1], check_tiles, RATE))
    one = (webp_reference + webp_encode + webp_measure + webp_check) * 1.01
    planned = autoquality.plan(size, "webp", webp_seed, one, check=True)
    assert planned.probes == autoquality.plan(size, "webp", webp_seed, one).probes and not planned.checked
    three = (webp_reference + 3 * (webp_encode + webp_measure) + webp_check) * 1.01
    assert autoquality.plan(size, "webp", webp_seed, three, check=True) == Plan(perceptual.SMALL_GRID, 3, True)


def test_a_jpeg_search_probes_the_whole_output_scored_on_tiles_where_that_fits():
    """JPEG's encode costs little next to a score, so its probes may encode the whole output and score its
    finest scales on a mosaic's tiles (the check's measure): within a few tenths of the whole output's
    score, where a mosaic encoded on its own strays by points."""
    Plan = autoquality.Plan
    size, seed = (1280, 800), autoquality.SEARCH["jpeg"].seed_for(TARGET)
    output, tiles = size[0] * size[1], (perceptual.SMALL_GRID * perceptual.TILE) ** 2
    reference, measure = cost.check_costs("jpeg", output, tiles, RATE)
    one = reference + measure + cost.probe_encode_seconds("jpeg", seed, output) + measure  # and the output's score
    assert autoquality.plan(size, "jpeg", seed, one * 1.01, check=True) == Plan(perceptual.SMALL_GRID, 1, tiled=True)
    # the four-tile mosaic's own probes, checked, cost less: a little less allowance buys them instead
    assert not autoquality.plan(size, "jpeg", seed, one * 0.9, check=True).tiled
    # a whole-output probe of a format whose encode is most of its generation: never
    assert autoquality.SEARCH["avif"].tiled is None and autoquality.SEARCH["webp"].tiled is None
    assert not any(autoquality.plan(size, fmt, 60, budget, check=True).tiled
                   for fmt in ("avif", "webp") for budget in (0.05, 0.2, 1.0, 10.0))


def test_a_tiled_search_encodes_the_whole_output_and_returns_no_preview_bytes(monkeypatch):
    image = open_bytes(photo("lake-boats-4mp.jpg")).convert("RGB").resize(_WIDE)
    monkeypatch.setattr(autoquality, "plan", lambda *args, **kwargs: autoquality.Plan(perceptual.SMALL_GRID, 2,
                                                                                      tiled=True))
    grids: list[int | None] = []
    real = perceptual.Reference

    def recording(img: Image.Image, grid: int | None = None) -> perceptual.Reference:
        grids.append(grid)
        return real(img, grid)

    monkeypatch.setattr(perceptual, "Reference", recording)
    made: list[tuple[tuple[int, int], int]] = []
    previews: list[tuple[tuple[int, int], int]] = []
    choice = autoquality.choose(image, "jpeg", TARGET, _recording(made), allowance=10.0,
                                preview=_recording(previews))
    assert grids == [perceptual.SMALL_GRID]  # the whole output, its finest scales on the tiles
    assert previews and all(size == _WIDE for size, _ in previews) and not made
    assert choice.data is None  # a preview's bytes are never the output's
    # without a preview the probes' bytes are the output's own
    choice = autoquality.choose(image, "jpeg", TARGET, _recording(made), allowance=10.0)
    assert choice.data is not None and open_bytes(choice.data).size == _WIDE


def test_the_pace_learns_how_fast_this_process_runs_the_model_s_prices():
    pace = autoquality.Pace()
    assert pace.value == 1.0
    for _ in range(30):
        pace.learn(0.5, 1.0)
    assert pace.value == pytest.approx(0.5, rel=0.01)
    pace.learn(1.0, 1.0)  # one measurement moves it a share of the way
    assert 0.5 < pace.value < 0.75
    for _ in range(30):
        pace.learn(100.0, 1.0)  # a stalled core: bounded
    assert pace.value == pytest.approx(autoquality.Pace.BOUNDS[1], rel=0.01)
    pace.learn(0.0, 1.0)
    assert pace.value == pytest.approx(autoquality.Pace.BOUNDS[1], rel=0.01)


def test_the_check_measures_the_coarser_scales_where_a_mosaic_strays_on_the_whole_output():
    # a landscape whose four-tile mosaic scores 7 points above the whole picture
    image = open_bytes(photo("storm-landscape-exif6.jpg")).convert("RGB").resize((1280, 853), Image.LANCZOS)
    decoded = open_bytes(_jpeg(image, 60))
    whole = perceptual.Reference(image).score(decoded)
    mosaic = perceptual.sample(image, perceptual.SMALL_GRID)
    sampled = perceptual.Reference(mosaic).score(open_bytes(_jpeg(mosaic, 60)))
    checked = perceptual.Reference(image, perceptual.SMALL_GRID).score(decoded)
    assert sampled - whole > 4.0
    assert abs(checked - whole) < 0.5
    # an image too small for the tiles is measured whole
    small = image.resize((300, 200))
    small_decoded = open_bytes(_jpeg(small, 60))
    assert perceptual.Reference(small, perceptual.SMALL_GRID).score(small_decoded) == pytest.approx(
        perceptual.Reference(small).score(small_decoded))


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def test_with_no_allowance_left_q_auto_is_the_seed_quality():
    data = photo("lake-boats-4mp.jpg")
    made = imgedge.transform(data, "w=400&fmt=jpeg&q=auto", config=Config(auto_quality_allowance=0.0))
    assert made.encode_passes == 1
    assert made.encoding is not None and made.encoding.quality == autoquality.SEARCH["jpeg"].seed_for(TARGET)


def test_a_fixed_quality_render_does_not_load_the_metric():
    """numpy (the metric's) costs ~100 ms of a cold container's first render: only q=auto loads it."""
    code = ("import sys, imgedge\nfrom tests.photos import photo\n"
            "imgedge.transform(photo('nuthatch-20mp.jpg'), 'w=640&fmt=webp&q=80')\nprint('numpy' in sys.modules)\n"
            "imgedge.transform(photo('nuthatch-20mp.jpg'), 'w=320&fmt=webp&q=auto')\nprint('numpy' in sys.modules)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert run.stdout.split() == ["False", "True"], run.stderr


def test_a_whole_output_search_whose_probes_all_reached_the_goal_steps_below_them():
    search = autoquality.SEARCH["jpeg"]
    # unchecked, the lowest probe that reached the goal is kept; checked (the choice is scored, and that
    # probe kept if it falls short), the choice steps below it along the format's curve
    probes = {58: 80.0}
    assert autoquality.pick(probes, 70.5, search) == 58
    stepped = autoquality.pick(probes, 70.5, search, checked=True)
    assert stepped == autoquality.next_quality(probes, 70.5, search) < 58


class _Scripted:
    """A stand-in for ``perceptual.Reference``: a mosaic always scores ``mosaic``; the whole output scores
    the next of ``whole`` on each call."""

    whole: list[float] = []
    mosaic = 0.0

    def __init__(self, image: Image.Image, grid: int | None = None) -> None:
        self.size = image.size

    def score(self, candidate: Image.Image) -> float:
        return _Scripted.whole.pop(0) if candidate.size == _WIDE else _Scripted.mosaic


_WIDE = (1280, 800)


def _recording(sizes: list[tuple[tuple[int, int], int]]) -> Callable[[Image.Image, int], bytes]:
    def encode(img: Image.Image, quality: int) -> bytes:
        sizes.append((img.size, quality))
        out = io.BytesIO()
        img.save(out, "JPEG", quality=quality)
        return out.getvalue()

    return encode


def test_a_mosaic_s_choice_is_checked_on_the_whole_output_when_the_allowance_holds_it(_mosaics_only):
    image = open_bytes(photo("lake-boats-4mp.jpg")).convert("RGB").resize(_WIDE)
    made: list[tuple[tuple[int, int], int]] = []
    choice = autoquality.choose(image, "jpeg", TARGET, _recording(made), allowance=10.0)
    whole = [q for size, q in made if size == _WIDE]
    assert whole and whole[-1] == choice.quality and choice.data is not None  # the output's own bytes
    assert open_bytes(choice.data).size == _WIDE
    # an allowance that cannot hold the check beside a probe leaves the output to the pipeline
    made.clear()
    small = sum(cost.check_costs("jpeg", _WIDE[0] * _WIDE[1], (perceptual.SMALL_GRID * perceptual.TILE) ** 2, RATE))
    choice = autoquality.choose(image, "jpeg", TARGET, _recording(made), allowance=small)
    assert made and all(size != _WIDE for size, _ in made) and choice.data is None
    # nor is it checked where the output is not this image's encode (an animation's first frame)
    made.clear()
    choice = autoquality.choose(image, "jpeg", TARGET, _recording(made), allowance=10.0, verify=False)
    assert all(size != _WIDE for size, _ in made) and choice.data is None


def test_a_planned_check_runs_though_the_probes_overran_the_allowance(monkeypatch, _mosaics_only):
    """The check is in the plan's price: probes slower than priced end the probing, not the check, so the
    choice is measured on the whole output rather than left to a mosaic's score with the full margin."""
    image = open_bytes(photo("lake-boats-4mp.jpg")).convert("RGB").resize(_WIDE)
    cpu = [0.0]
    monkeypatch.setattr(autoquality.time, "process_time", lambda: cpu[0])
    monkeypatch.setattr(autoquality, "plan", lambda *args, **kwargs: autoquality.Plan(perceptual.GRID, 3, True))
    made: list[tuple[tuple[int, int], int]] = []
    recording = _recording(made)

    def slow(img: Image.Image, quality: int) -> bytes:  # each encode takes 0.25 CPU s
        cpu[0] += 0.25
        return recording(img, quality)

    choice = autoquality.choose(image, "jpeg", TARGET, slow, allowance=0.3)
    mosaic = [q for size, q in made if size != _WIDE]
    whole = [q for size, q in made if size == _WIDE]
    assert len(mosaic) == 1 and cpu[0] > 0.3  # the first probe overran the whole allowance: no second
    assert whole and choice.data is not None and whole[-1] == choice.quality  # ... yet the check ran


def test_a_miss_the_whole_output_s_check_finds_steps_up(monkeypatch, _mosaics_only):
    image = open_bytes(photo("lake-boats-4mp.jpg")).convert("RGB").resize(_WIDE)
    monkeypatch.setattr(perceptual, "Reference", _Scripted)
    goal = TARGET + autoquality.SEARCH["jpeg"].margin(perceptual.GRID, checked=True)
    monkeypatch.setattr(_Scripted, "mosaic", goal + 0.1)  # the mosaic reaches the goal at once
    monkeypatch.setattr(_Scripted, "whole", [TARGET - 3.0, TARGET + 1.0])  # the whole output does not
    made: list[tuple[tuple[int, int], int]] = []
    choice = autoquality.choose(image, "jpeg", TARGET, _recording(made), allowance=10.0)
    first, second = [q for size, q in made if size == _WIDE]
    assert second > first and choice.quality == second
    step = autoquality.SEARCH["jpeg"].steps(TARGET - 3.0, TARGET + autoquality.WHOLE_MARGIN)
    assert second == first + math.ceil(step)


def test_a_check_made_with_a_preview_leaves_the_one_encode_of_the_output_to_the_pipeline(monkeypatch,
                                                                                         _mosaics_only):
    """JPEG's check encodes the choice as a preview (the same pixels, a fifth of the time): a miss steps
    up without throwing a whole encode away; the output is encoded once, after, at the quality left."""
    image = open_bytes(photo("lake-boats-4mp.jpg")).convert("RGB").resize(_WIDE)
    monkeypatch.setattr(perceptual, "Reference", _Scripted)
    goal = TARGET + autoquality.SEARCH["jpeg"].margin(perceptual.GRID, checked=True)
    monkeypatch.setattr(_Scripted, "mosaic", goal + 0.1)
    monkeypatch.setattr(_Scripted, "whole", [TARGET - 3.0])  # the whole output falls short
    served: list[tuple[tuple[int, int], int]] = []
    previewed: list[tuple[tuple[int, int], int]] = []
    choice = autoquality.choose(image, "jpeg", TARGET, _recording(served), allowance=10.0,
                                preview=_recording(previewed))
    assert not served and choice.data is None  # nothing the pipeline would encode again
    (checked,) = [q for size, q in previewed if size == _WIDE]
    step = autoquality.SEARCH["jpeg"].steps(TARGET - 3.0, TARGET + autoquality.WHOLE_MARGIN)
    assert choice.quality == checked + math.ceil(step)


def test_a_check_that_no_longer_fits_leaves_the_mosaic_its_full_margin(monkeypatch, _mosaics_only):
    """Planned but not made (the allowance or the deadline ran short by then): the choice aims with the
    unchecked margin, as a search that never planned the check would, not with the lower checked one."""
    image = open_bytes(photo("lake-boats-4mp.jpg")).convert("RGB").resize(_WIDE)
    monkeypatch.setattr(perceptual, "Reference", _Scripted)
    search = autoquality.SEARCH["jpeg"]
    # every mosaic probe reaches the checked aim, none the unchecked one
    monkeypatch.setattr(_Scripted, "mosaic", TARGET + search.margin(perceptual.GRID, checked=True) + 0.1)
    monkeypatch.setattr(autoquality, "_verify", lambda *args, **kwargs: None)
    made: list[tuple[tuple[int, int], int]] = []
    choice = autoquality.choose(image, "jpeg", TARGET, _recording(made), allowance=10.0)
    probed = [q for size, q in made if size != _WIDE]
    assert probed and all(size != _WIDE for size, _ in made) and choice.data is None
    assert choice.quality > max(probed)  # past every probe: none reached the unchecked goal
    assert choice.quality == autoquality.pick({q: _Scripted.mosaic for q in probed},
                                              TARGET + search.margin(perceptual.GRID), search)


@pytest.mark.parametrize("quality", [25, 58, 80, 89, 90, 97])
@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L"])
def test_a_jpeg_preview_decodes_to_the_pixels_of_the_served_encode(quality, mode):
    """The probes score a sequential JPEG with standard Huffman tables: the same coefficients as the
    progressive, fitted encode that is served (both sides of 4:4:4's threshold, transparency flattened)."""
    image = open_bytes(photo("leaf-texture-2mp.jpg")).convert("RGBA").resize((333, 222))
    image.putalpha(Image.linear_gradient("L").resize(image.size))
    image = image.convert(mode)
    served = encode.encode(image.copy(), "jpeg", quality)
    preview = encode.preview(image.copy(), "jpeg", quality)
    assert preview != served
    assert np.array_equal(np.asarray(open_bytes(preview)), np.asarray(open_bytes(served)))
    with pytest.raises(ValueError):
        encode.preview(image, "webp", quality)


@pytest.mark.parametrize("size", [(640, 400), (641, 401), (642, 403), (643, 398), (1279, 853)])
def test_the_check_s_coarse_scales_start_from_the_float_pyramid_s_third_level(size):
    """``_quarter`` (16-bit sums from a 12-bit table) is ``_half`` twice on linear light, edges included."""
    rgb = np.asarray(open_bytes(photo("storm-landscape-exif6.jpg")).convert("RGB").resize(size))
    expected = perceptual._half(perceptual._half(perceptual._linear(rgb)))
    quarter = perceptual._quarter(rgb)
    assert quarter.shape == expected.shape and quarter.dtype == np.float32
    assert float(np.abs(quarter - expected).max()) < 2e-4


def test_a_whole_output_search_whose_measures_all_fell_short_steps_past_them(monkeypatch):
    """The allowance ran out with every measure of the whole output below the target: the choice steps
    past them along their slope (the output's encode is made anyway) rather than deliver a miss."""
    image = open_bytes(photo("lake-boats-4mp.jpg")).convert("RGB").resize(_WIDE)
    monkeypatch.setattr(perceptual, "Reference", _Scripted)
    monkeypatch.setattr(_Scripted, "whole", [TARGET - 6.0, TARGET - 2.0])
    monkeypatch.setattr(autoquality, "plan", lambda *args, **kwargs: autoquality.Plan(None, 1))
    monkeypatch.setattr(autoquality, "CHECKS", 1)
    made: list[tuple[tuple[int, int], int]] = []
    choice = autoquality.choose(image, "jpeg", TARGET, _recording(made), allowance=10.0)
    (_, seed), (_, second) = made
    assert second > seed and choice.quality > second
    assert choice.data is None  # not measured: the pipeline encodes it


def test_the_allowance_prices_the_output_s_encode_at_the_pace_the_probes_encoded(monkeypatch):
    image = open_bytes(photo("lake-boats-4mp.jpg")).convert("RGB").resize((320, 200))
    cpu = [0.0]
    monkeypatch.setattr(autoquality.time, "process_time", lambda: cpu[0])
    autoquality.choose(image, "jpeg", TARGET, _slow_jpeg(cpu, []), allowance=0.6)  # 0.25 CPU s an encode
    assert autoquality.encode_pace("jpeg") > 2.0 and autoquality.encode_pace("webp") == 1.0
    monkeypatch.undo()
    # the pipeline's allowance: the generation so far and the output's encode at the model's rate times
    # that pace
    allowances: list[float | None] = []

    def capture(*args, **kwargs):
        allowances.append(kwargs["allowance"])
        return autoquality.Choice(80, None, 0, 0.0)

    monkeypatch.setattr(autoquality, "choose", capture)
    monkeypatch.setattr(pipeline._Stages, "cpu_since_start", lambda self: 0.0)  # the generation so far: none
    data, query = photo("lake-boats-4mp.jpg"), "w=320&fmt=jpeg&q=auto"
    config = Config(auto_quality_allowance=1.0, max_generation_seconds=0)
    for value in (1.0, 3.0):
        pace = autoquality.Pace()
        pace.value = value
        monkeypatch.setattr(autoquality, "ENCODE_PACE", {"jpeg": pace})
        imgedge.transform(data, query, config=config)
    seed = autoquality.SEARCH["jpeg"].seed_for(TARGET)
    encode_s = cost.encode_seconds("jpeg", seed, 320 * 200)
    assert allowances == pytest.approx([encode_s, 3.0 * encode_s])


def test_a_transparent_original_s_jpeg_is_flattened_once_for_the_search_and_the_output(monkeypatch):
    """Every probe encoded the RGBA output again through the flatten: it is made once, before the search,
    so the probes' encode pace (what the allowance prices the output's encode with) measures the encoder."""
    flattened: list[str] = []
    flatten = encode.jpeg_pixels

    def counted(image: Image.Image) -> Image.Image:
        if image.mode in ("RGBA", "LA"):
            flattened.append(image.mode)
        return flatten(image)

    monkeypatch.setattr(encode, "jpeg_pixels", counted)
    data = photo("field-panorama-alpha.png")
    made = imgedge.transform(data, "w=640&fmt=jpeg&q=auto")
    assert made.encode_passes >= 2 and open_bytes(made.data).mode == "RGB"  # probed, then encoded
    assert flattened == ["RGBA"]
    # the same file a fixed quality makes at the quality chosen
    assert imgedge.transform(data, f"w=640&fmt=jpeg&q={made.encoding.quality}").data == made.data


def test_the_plan_prices_the_measure_at_its_engine_s_rate(monkeypatch):
    """The cost model's measure prices are numpy's; a search on the compiled kernel must plan at the
    kernel's, or a fresh process's first search (before ``Pace`` has learnt) buys too few probes."""
    size, seed = (640, 480), autoquality.SEARCH["jpeg"].seed_for(TARGET)
    pixels = size[0] * size[1]
    numpy_reference, encode, numpy_measure = cost.probe_costs("jpeg", seed, pixels)
    reference, same_encode, measure = cost.probe_costs("jpeg", seed, pixels, measure=0.5)
    decode = cost.DECODE_NS["JPEG"] * pixels / 1e9
    assert same_encode == encode
    assert reference - cost.PROBE_REFERENCE[0] == pytest.approx((numpy_reference - cost.PROBE_REFERENCE[0]) / 2)
    assert measure - cost.PROBE_SCORE[0] - decode == pytest.approx((numpy_measure - cost.PROBE_SCORE[0] - decode) / 2)
    plans = {}
    for engine in (perceptual.NumpyEngine(), SimpleNamespace(rate=0.55)):
        monkeypatch.setattr(perceptual, "ENGINE", engine)
        plans[engine.rate] = [autoquality.plan(size, "jpeg", seed, allowance, check=True) for allowance in (0.03, 0.08)]
    (numpy_tight, numpy_ample), (kernel_tight, kernel_ample) = plans[1.0], plans[0.55]
    assert kernel_tight.tiled and numpy_tight.tiled and kernel_tight.probes > numpy_tight.probes
    assert kernel_ample.grid is None and numpy_ample.grid is not None  # the whole output itself, not tiles
