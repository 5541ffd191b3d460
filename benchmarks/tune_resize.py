"""Grid of resize strategies per case: where the JPEG DCT scale and the resample filter were chosen.

    python benchmarks/tune_resize.py [--cases 640-jpeg-q80,...] [--photos kleiber,seeding] [--rounds 5]

For every case and photo it times ``imgedge.transform`` under each strategy below (the knobs in
``imgedge.core.decode`` / ``imgedge.core.resize`` are patched in-process), interleaved round by round with
libvips so machine noise hits both alike, and prints min ms, PSNR and bytes relative to libvips. Not part
of ``make bench``; its output is summarised in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("VIPS_CONCURRENCY", "1")
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import conftest  # noqa: E402  (single-thread settings, references)

# isort: split
from imgedge.core import decode, resize  # noqa: E402

import fetch_photos  # noqa: E402
from impls import CASES, IMPL_FUNCS  # noqa: E402

DEFAULT = {"margin": dict(decode.SCALE_MARGIN), "direct_below": resize.DIRECT_LANCZOS_BELOW,
           "gap": resize.REDUCING_GAP, "filter": "LANCZOS", "simd": resize.SIMD}

#: name -> overrides of DEFAULT (the current settings). Margins are per scale in eighths (1 = 1/8 ...).
STRATEGIES = {
    "= current settings": {},
    "Pillow's resampler (no SIMD)": {"simd": False},
    "libvips-like: 2x margin": {"margin": {1: 2.0, 2: 2.0, 4: 2.0}},
    "1.5x margins": {"margin": {1: 1.5, 2: 1.5, 4: 1.5}},
    "1.25x margins": {"margin": {1: 1.25, 2: 1.25, 4: 1.25}},
    "every scale down to 1.0x": {"margin": {1: 1.0, 2: 1.0, 4: 1.0}},
    "Pillow: BICUBIC": {"simd": False, "filter": "BICUBIC"},
    "Pillow: box reduce + LANCZOS from 2x": {"simd": False, "direct_below": 2.0, "gap": 1.0},
}


def apply(strategy: dict) -> None:
    settings = {**DEFAULT, **strategy}
    decode.SCALE_MARGIN.clear()
    decode.SCALE_MARGIN.update(settings["margin"])
    resize.DIRECT_LANCZOS_BELOW = settings["direct_below"]
    resize.REDUCING_GAP = settings["gap"]
    resize.FILTER = getattr(resize.Image.Resampling, settings["filter"])
    resize.SIMD = settings["simd"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--photos", default="kleiber,seeding,dragonfly,sunset,twowings",
                        help="comma-separated prefixes of the case photos (default: all nine)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--strategies", default=None, help="comma-separated substrings of strategy names")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # single-threaded, like benchmarks/run.py
    manifest = fetch_photos.ensure()
    wanted = args.photos.split(",")
    entries = [p for p in manifest["photos"] if p["role"] == "case" and any(p["name"].startswith(w) for w in wanted)]
    chosen = {k: v for k, v in STRATEGIES.items()
              if not args.strategies or any(s in k for s in args.strategies.split(","))}
    for case_name in args.cases.split(","):
        case = CASES[case_name]
        summary: dict[str, list[tuple[float, float, float]]] = {name: [] for name in chosen}
        for entry in entries:
            data = conftest.read_bytes(entry["path"])
            names = ["libvips", *chosen]
            times = {n: [] for n in names}
            outputs = {}
            for _ in range(args.rounds + 1):
                for name in names:
                    if name == "libvips":
                        fn = IMPL_FUNCS["libvips"]
                    else:
                        apply(chosen[name])
                        fn = IMPL_FUNCS["imgedge"]
                    started = time.perf_counter()
                    outputs[name] = fn(data, case)
                    times[name].append(time.perf_counter() - started)
            apply({})
            vq = conftest.quality_info(entry["path"], outputs["libvips"])
            vt = min(times["libvips"][1:]) * 1000
            print(f"\n{case_name} {entry['name']}: libvips {vt:.1f} ms {vq['psnr']:.2f} dB {vq['bytes']} B")
            for name in chosen:
                q = conftest.quality_info(entry["path"], outputs[name])
                t = min(times[name][1:]) * 1000
                print(f"  {name:48s} {t:6.1f} ms x{t / vt:4.2f}  {q['psnr']:.2f} dB ({q['psnr'] - vq['psnr']:+.2f})"
                      f"  bytes x{q['bytes'] / vq['bytes']:.3f}", flush=True)
                summary[name].append((t / vt, q["psnr"] - vq["psnr"], q["bytes"] / vq["bytes"]))
        print(f"\n{case_name} over {len(entries)} photos (geometric mean time / libvips, mean and worst PSNR delta):")
        for name, rows in summary.items():
            ratio = math.exp(sum(math.log(r[0]) for r in rows) / len(rows))
            deltas = [r[1] for r in rows]
            print(f"  {name:48s} x{ratio:.3f}  {sum(deltas) / len(deltas):+.3f} dB (worst {min(deltas):+.2f})"
                  f"  bytes x{math.exp(sum(math.log(r[2]) for r in rows) / len(rows)):.3f}", flush=True)


if __name__ == "__main__":
    main()
