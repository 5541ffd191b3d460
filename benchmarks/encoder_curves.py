"""Size / time / quality curves of each encoder setting: where imgedge's encoder defaults come from.

    python benchmarks/encoder_curves.py [--photos kleiber,dragonfly,sunset,seeding] [--rounds 5]

Each photo is first resized by imgedge (PNG, lossless) to the case's size; then every setting encodes
that same image. Prints, per format and setting: median encode ms (single thread), bytes and PSNR of
the decoded result against the resized image (the encoder's own loss), averaged over the photos.
Not part of ``make bench``; its output is summarised in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import conftest  # noqa: E402,F401  (single-thread settings)

# isort: split
from PIL import Image  # noqa: E402

import imgedge  # noqa: E402
from tests.metrics import psnr  # noqa: E402

import fetch_photos  # noqa: E402

CURVES = {
    "jpeg 640 q80": (640, "JPEG", [
        ("baseline, standard tables", {"quality": 80, "subsampling": "4:2:0"}),
        ("baseline, optimize", {"quality": 80, "subsampling": "4:2:0", "optimize": True}),
        ("progressive", {"quality": 80, "subsampling": "4:2:0", "progressive": True}),
        ("baseline, optimize, 4:4:4", {"quality": 80, "subsampling": "4:4:4", "optimize": True}),
    ]),
    "jpeg 2048 q85": (2048, "JPEG", [
        ("baseline, standard tables", {"quality": 85, "subsampling": "4:2:0"}),
        ("baseline, optimize", {"quality": 85, "subsampling": "4:2:0", "optimize": True}),
        ("progressive", {"quality": 85, "subsampling": "4:2:0", "progressive": True}),
    ]),
    "webp 1280 q80": (1280, "WEBP", [(f"method {m}", {"quality": 80, "method": m}) for m in range(7)]),
    "avif 320 q60": (320, "AVIF", [(f"speed {s}", {"quality": 60, "speed": s, "max_threads": 1})
                                   for s in (4, 5, 6, 7, 8, 9, 10)]),
    "avif 1280 q60": (1280, "AVIF", [(f"speed {s}", {"quality": 60, "speed": s, "max_threads": 1})
                                     for s in (5, 6, 7, 8, 9)]),
    "png 640": (640, "PNG", [(f"compress_level {c}", {"compress_level": c}) for c in (1, 3, 6, 9)]
                + [("optimize", {"optimize": True})]),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", default="kleiber-20mp-baseline-422,dragonfly,sunset,seeding-16mp-baseline")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--curves", default=",".join(CURVES))
    args = parser.parse_args()
    manifest = fetch_photos.ensure()
    wanted = args.photos.split(",")
    entries = [p for p in manifest["photos"] if p["role"] == "case" and any(p["name"].startswith(w) for w in wanted)]
    for curve in args.curves.split(","):
        width, fmt, settings = CURVES[curve]
        images = []
        for entry in entries:
            data = Path(entry["path"]).read_bytes()
            im = Image.open(io.BytesIO(imgedge.transform(data, f"w={width}&fmt=png").data))
            im.load()
            images.append(im.convert("RGB"))
        print(f"\n{curve} ({len(images)} photos; mean over photos)")
        print(f"  {'setting':28s} {'ms':>7s} {'bytes':>9s} {'PSNR dB':>8s}")
        for label, params in settings:
            ms, size, quality = [], [], []
            for im in images:
                times = []
                for _ in range(args.rounds):
                    out = io.BytesIO()
                    started = time.perf_counter()
                    im.save(out, fmt, **params)
                    times.append(time.perf_counter() - started)
                ms.append(statistics.median(times) * 1000)
                size.append(len(out.getvalue()))
                quality.append(psnr(Image.open(io.BytesIO(out.getvalue())), im))
            q = statistics.mean(quality)
            print(f"  {label:28s} {statistics.mean(ms):7.1f} {statistics.mean(size):9.0f} "
                  f"{q if q != float('inf') else 99:8.2f}", flush=True)


if __name__ == "__main__":
    main()
