"""The quality benchmark's own arithmetic and the corpus split, without downloading anything.

The Bjøntegaard deltas decide which encoder settings ship, so they are checked on curves whose answer is
known; the split decides what settings may be tuned on, so it must be fixed, balanced and keep a picture
and everything derived from it on one side.
"""

import io
import math
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image

from imgedge.core import encode

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
_saved_path = list(sys.path)
sys.path.insert(0, str(BENCH))
try:
    import auto_quality
    import metric_engine

    import corpus
    import quality
finally:
    sys.path[:] = _saved_path  # the benchmarks' modules must not shadow anything for the other tests


def needs_scipy():
    pytest.importorskip("scipy", reason="the BD fits use scipy (installed with the bench extra's ssimulacra2)")


def curve(scale_bytes: float = 1.0, shift_db: float = 0.0) -> list[dict]:
    """A typical rate-distortion curve: PSNR rising with log(bytes)."""
    return [{"bytes": b * scale_bytes, "psnr": 20 + 4 * math.log(b) + shift_db} for b in (2000, 5000, 12000, 30000)]


def test_bd_rate_of_a_curve_needing_ten_percent_more_bytes():
    needs_scipy()
    assert quality.bd_rate(curve(1.1), curve(), "psnr") == pytest.approx(10.0, abs=0.01)
    assert quality.bd_rate(curve(), curve(1.1), "psnr") == pytest.approx(-9.09, abs=0.01)


def test_bd_psnr_of_a_curve_half_a_db_better():
    needs_scipy()
    assert quality.bd_quality(curve(shift_db=0.5), curve(), "psnr") == pytest.approx(0.5, abs=1e-6)


def test_curves_that_do_not_overlap_have_no_delta():
    needs_scipy()
    assert quality.bd_quality(curve(), curve(scale_bytes=100), "psnr") is None
    assert quality.bd_rate(curve(), curve(shift_db=50), "psnr") is None


def test_the_split_is_fixed_balanced_and_keeps_the_earlier_tuning_photos_in_tune():
    split = corpus.splits()
    assert split == corpus.splits() and set(split) == {s.key for s in corpus.SOURCES}
    assert all(split[k] == "tune" for k in corpus.TUNED_BEFORE)
    for group in {s.group for s in corpus.SOURCES}:
        parts = [split[s.key] for s in corpus.SOURCES if s.group == group]
        assert "tune" in parts and "validate" in parts, group


def test_avif_is_full_chroma_for_colour_and_stays_grey_for_grey():
    colour = Image.radial_gradient("L").convert("RGB").resize((64, 64))
    settings = encode.avif_settings(60)
    # SSIM tuning, no intra block copy nor temporal model; the save below checks that aom takes the keys
    assert settings["subsampling"] == "4:4:4" and settings.get("advanced") == {
        "tune": "ssim", "enable-intrabc": "0", "enable-tpl-model": "0"}
    assert "subsampling" not in encode.avif_settings(60, grey=True)
    out = io.BytesIO()
    colour.save(out, "AVIF", **settings)
    assert Image.open(io.BytesIO(out.getvalue())).size == (64, 64)


def test_auto_quality_reports_the_output_of_the_run_whose_cpu_it_reports(monkeypatch):
    """A q=auto search may plan differently from one run to the next, so the lowest CPU time and the
    bytes compared beside it must come from the same run."""
    runs = iter([("first", 0.030), ("fastest", 0.010), ("last", 0.020)])
    clock = SimpleNamespace(now=0.0)

    def transform(data: bytes, query: str, config: object) -> str:
        made, cpu = next(runs)
        clock.now += cpu
        return made

    monkeypatch.setattr(auto_quality, "imgedge", SimpleNamespace(transform=transform))
    monkeypatch.setattr(auto_quality, "time", SimpleNamespace(process_time=lambda: clock.now))
    monkeypatch.setattr(auto_quality, "RUNS", 3)
    cpu, made = auto_quality._timed(b"", "w=640&fmt=jpeg&q=auto")
    assert made == "fastest"
    assert cpu == pytest.approx(0.010)


def test_the_metric_engine_benchmark_times_both_engines(monkeypatch):
    """``metric_engine.py`` must time the compiled kernel against numpy, each on its own reference, and
    report how far their scores differ."""
    from imgedge.core import perceptual

    if not isinstance(perceptual.ENGINE, perceptual.CompiledEngine):
        pytest.skip("the compiled kernel is not built here (python tooling/native.py)")
    monkeypatch.setattr(metric_engine, "RUNS", 1)
    used = []
    real_score = perceptual.Reference.score
    monkeypatch.setattr(perceptual.Reference, "score",
                        lambda self, candidate: used.append(self.engine.name) or real_score(self, candidate))
    photo = Image.open(Path(__file__).resolve().parent.parent / "fixtures" / "photos" / "grace-hopper-face.jpg")
    image = photo.convert("RGB")
    encoded = io.BytesIO()
    image.save(encoded, "JPEG", quality=50)
    candidate = Image.open(io.BytesIO(encoded.getvalue()))
    candidate.load()
    score, reference, difference = metric_engine.compare(image, None, candidate, perceptual.ENGINE)
    assert score > 0 and reference > 0 and difference < 0.06
    assert {"numpy", perceptual.ENGINE.name} == set(used)


@pytest.mark.parametrize("cold", [True, False])
def test_a_cold_comparison_plans_every_run_as_a_fresh_process(monkeypatch, cold):
    """``compare --cold`` must plan each generation at the cost model's prices (as a new container's first
    miss does), or its figures are a warm process's."""
    from imgedge.core import autoquality

    monkeypatch.setattr(autoquality.PACE, "value", 0.5)  # what earlier searches taught this process
    monkeypatch.setattr(autoquality, "ENCODE_PACE", {"jpeg": autoquality.Pace()})
    seen = []

    def transform(data: bytes, query: str, config: object) -> str:
        seen.append((autoquality.PACE.value, dict(autoquality.ENCODE_PACE)))
        autoquality.PACE.value = 0.7  # this run's search learns
        return "made"

    monkeypatch.setattr(auto_quality, "imgedge", SimpleNamespace(transform=transform))
    monkeypatch.setattr(auto_quality, "RUNS", 2)
    monkeypatch.setattr(auto_quality, "COLD", cold)
    auto_quality._timed(b"", "w=640&fmt=jpeg&q=auto")
    if cold:
        assert seen == [(1.0, {}), (1.0, {})]
    else:
        assert [pace for pace, _ in seen] == [0.5, 0.7] and all(encoded for _, encoded in seen)
