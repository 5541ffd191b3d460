"""What the device classifier costs the viewer-request: classification time, handler import, zip size.

    taskset -c 1 python benchmarks/device.py [--rounds N] [--json]

* Classification of every UA of the labelled corpora (``fixtures/user_agents.tsv``, ``fixtures/ua/*.tsv``):
  uncached (``imgedge.device``'s rules and model lookup, bypassing its LRU cache, table already read) and
  cached (``device_class`` on a UA it has seen), median and p99 over the UAs of each one's fastest of
  ``REPEATS`` runs.
* The first classification in a fresh interpreter that reaches the model table: reading
  ``imgedge/device_models.json`` is paid there, once per container, not at import.
* Import time of ``handlers.viewer_request`` in a fresh interpreter (``_child.py import``, as
  ``test_startup.py`` measures it), median of ``--rounds``.
* The viewer-request zip as ``scripts/package.py`` builds it (``tooling.bundle``), zipped bytes
  against its 1 MB limit.

Run it pinned to one idle core: the figures are per call and a busy core moves the p99 most.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT)]

from imgedge import device  # noqa: E402
from tooling import bundle, config_gen, lock  # noqa: E402
from tooling.template import function_runtime, load_template  # noqa: E402

CORPORA = (ROOT / "fixtures" / "user_agents.tsv", ROOT / "fixtures" / "ua" / "device_detector.tsv",
           ROOT / "fixtures" / "ua" / "independent.tsv")
CACHED_CALLS = 200  # calls per cached sample: one call is too short for the clock
#: Each UA is timed this many times and its fastest run kept: the p99 is then the cost of the dearest UAs,
#: not of the moments another process had the core.
REPEATS = 3
FIRST_CALL = """
import sys, time, json
sys.path.insert(0, sys.argv[1])
from imgedge.device import device_class
ua = "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
started = time.perf_counter()
device_class(ua)
first = time.perf_counter() - started
started = time.perf_counter()
device_class(ua.replace("120.0", "120.1"))
print(json.dumps({"first_ms": first * 1000, "second_ms": (time.perf_counter() - started) * 1000}))
"""


def user_agents() -> list[str]:
    out = []
    for path in CORPORA:
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
        out += [row[-2] for row in rows]  # the UA is the column before the note in every corpus
    return out


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def classification(uas: list[str]) -> dict:
    device.device_class(uas[0])  # the model table is read here, not in the timings
    from imgedge.device_models import table

    table()
    classify = device._classify_user_agent.__wrapped__  # the rules themselves, without the LRU cache
    uncached = []
    for ua in uas:
        runs = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            classify(ua[:device._MAX_UA_CHARS])
            runs.append(time.perf_counter() - started)
        uncached.append(min(runs))
    cached = []
    for ua in uas:
        device.device_class(ua)
        runs = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            for _ in range(CACHED_CALLS):
                device.device_class(ua)
            runs.append((time.perf_counter() - started) / CACHED_CALLS)
        cached.append(min(runs))
    us = 1e6
    return {"user_agents": len(uas),
            "uncached_median_us": statistics.median(uncached) * us, "uncached_p99_us": percentile(uncached, 0.99) * us,
            "cached_median_us": statistics.median(cached) * us, "cached_p99_us": percentile(cached, 0.99) * us}


def fresh(args: list[str]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def first_call(rounds: int) -> dict:
    runs = [fresh(["-c", FIRST_CALL, str(ROOT)]) for _ in range(rounds)]
    return {"first_call_ms": statistics.median(r["first_ms"] for r in runs),
            "second_call_ms": statistics.median(r["second_ms"] for r in runs)}


def import_time(rounds: int) -> dict:
    runs = [fresh([str(HERE / "_child.py"), "import", "handlers.viewer_request"])["import_ms"] for _ in range(rounds)]
    return {"viewer_request_import_ms": statistics.median(runs), "viewer_request_import_max_ms": max(runs)}


def viewer_zip() -> dict:
    runtime = function_runtime(load_template(ROOT / "template.yaml"))
    _, config_json = config_gen.generate(None)
    with tempfile.TemporaryDirectory() as tmp:
        spec = bundle.BUNDLES["viewer-request"]
        result = bundle.build(spec, Path(tmp), runtime, config_json, lock_file=lock.check_lock(spec, runtime))
        table_bytes = (Path(tmp) / "viewer-request" / "imgedge" / "device_models.json").stat().st_size
    return {"viewer_zip_bytes": result.zipped_bytes, "viewer_zip_limit_bytes": result.bundle.limit_bytes,
            "viewer_unzipped_bytes": result.unzipped_bytes, "model_table_bytes": table_bytes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="fresh interpreters per start-up figure")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    figures = {**classification(user_agents()), **first_call(args.rounds), **import_time(args.rounds),
               **viewer_zip()}
    if args.json:
        print(json.dumps(figures, indent=1))
        return 0
    f = figures
    print(f"| figure | value |\n|---|---|\n"
          f"| classification, uncached (median / p99, {f['user_agents']} UAs) | "
          f"{f['uncached_median_us']:.0f} / {f['uncached_p99_us']:.0f} µs |\n"
          f"| classification, cached (median / p99) | {f['cached_median_us']:.2f} / {f['cached_p99_us']:.2f} µs |\n"
          f"| first classification in a new process (reads the model table) | {f['first_call_ms']:.1f} ms |\n"
          f"| import of handlers.viewer_request (median / max of {args.rounds}) | "
          f"{f['viewer_request_import_ms']:.1f} / {f['viewer_request_import_max_ms']:.1f} ms |\n"
          f"| viewer-request zip | {f['viewer_zip_bytes'] / 1e6:.3f} MB of {f['viewer_zip_limit_bytes'] / 1e6:g} MB "
          f"(unzipped {f['viewer_unzipped_bytes'] / 1e6:.2f} MB, model table {f['model_table_bytes'] / 1e6:.2f} MB) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
