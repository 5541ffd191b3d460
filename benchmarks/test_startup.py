"""Cold start and memory, each in a fresh interpreter.

* Import time of each Lambda handler module over a bare interpreter (``python -c pass``): the wall time
  of ``python -c "import handlers.X"`` minus the bare one, and the in-process import time.
* Peak RSS of one variant per case and implementation: VmHWM after the call minus VmHWM/VmRSS just
  before it (imports done, original read into memory), so the figure is what the transform itself adds.
  On the photo set, the 20 MP baseline camera JPEG; on the corpus, the largest original of each kind in
  each part (``conftest.rss_photos``), imgedge beside libvips.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import corpus_mode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HANDLERS = ("bare", "handlers.viewer_request", "handlers.origin_response")


def _run(args: list[str]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "VIPS_CONCURRENCY": "1"}
    result = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


@pytest.mark.parametrize("module", HANDLERS)
def test_import_time(benchmark, module, rounds):
    args = ["-c", "pass"] if module == "bare" else ["-c", f"import {module}"]
    benchmark.group = "import"
    benchmark.pedantic(_run, args=(args,), rounds=max(3, rounds), iterations=1, warmup_rounds=1)
    info = {"kind": "import", "module": module}
    if module != "bare":
        samples = sorted(_run([str(HERE / "_child.py"), "import", module])["import_ms"] for _ in range(3))
        child = _run([str(HERE / "_child.py"), "import", module])
        info.update(in_process_ms=round(samples[1], 1), numpy_loaded=child["numpy_loaded"],
                    pil_loaded=child["pil_loaded"], boto3_loaded=child["boto3_loaded"])
    benchmark.extra_info.update(info)


@pytest.mark.parametrize("rss_impl", ("imgedge", "libvips", "naive"))
def test_peak_rss(benchmark, request, case, rss_impl, rss_photo):
    if rss_impl == "libvips":
        pytest.importorskip("pyvips")
    if rss_impl == "naive" and corpus_mode(request.config):
        pytest.skip("naive Pillow's memory is measured on the photo set only")
    benchmark.group = "peak rss"
    result = benchmark.pedantic(
        _run, args=([str(HERE / "_child.py"), "rss", rss_impl, case.name, rss_photo["path"]],), rounds=1, iterations=1)
    benchmark.extra_info.update(kind="rss", case=case.name, impl=rss_impl, photo=rss_photo["name"], **result)
    if "split" in rss_photo:
        benchmark.extra_info["split"] = rss_photo["split"]
