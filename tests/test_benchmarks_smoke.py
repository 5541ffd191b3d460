"""A seconds-long run of the benchmark suite, so it cannot rot: one small photo, one case, one round.

The real run is ``make bench`` (benchmarks/run.py); this only checks that the suite collects, that every
implementation produces a valid output with its quality recorded, and that the ratio table renders.
"""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"

pytest.importorskip("pytest_benchmark")


def test_benchmark_suite_smoke(tmp_path):
    out = tmp_path / "bench.json"
    cmd = [sys.executable, "-m", "pytest", str(BENCH / "test_cases.py"), "-q", "-p", "no:cacheprovider",
           "--photos=smoke", "--bench-rounds=1", f"--benchmark-json={out}"]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    data = json.loads(out.read_text())
    runs = {b["extra_info"]["impl"]: b for b in data["benchmarks"]}
    assert {"imgedge", "naive", "floor"} <= set(runs)
    for impl, bench in runs.items():
        info = bench["extra_info"]
        assert info["case"] == "640-jpeg-q80" and info["width"] == 640, impl
        assert info["bytes"] > 1000 and 25 < info["psnr"] < 60 and 0.5 < info["ssim"] <= 1, impl
    assert runs["imgedge"]["extra_info"]["psnr"] >= runs["naive"]["extra_info"]["psnr"] - 0.5

    sys.path.insert(0, str(BENCH))
    try:
        import run as bench_run
    finally:
        sys.path.remove(str(BENCH))
    table = bench_run.report(out)
    assert "| 640-jpeg-q80 | 1 |" in table and "imgedge/naive" in table


def test_photo_pins_match_the_fixture_copies():
    sys.path.insert(0, str(BENCH))
    try:
        import fetch_photos
    finally:
        sys.path.remove(str(BENCH))
    for key, name in fetch_photos.FIXTURE_COPIES.items():
        digest = hashlib.sha256((ROOT / "fixtures" / "photos" / name).read_bytes()).hexdigest()
        assert digest == fetch_photos.SOURCES[key][3], name
