"""What a one-colour graphic's slower alpha costs: the whole AVIF generation of every RGBA original of the
corpus against libvips at imgedge's colour speed and at the alpha's.

    python benchmarks/graphic_alpha_speed.py [--split tune|validate] [--widths 320,1080] [--rounds 5]
    python benchmarks/graphic_alpha_speed.py --rates [--qualities 30,60,80,90,95,100]

imgedge encodes a one-colour graphic's alpha plane at ``encode.AVIF_GRAPHIC_ALPHA_SPEED`` (aom speed 5) and
its flat colour planes at ``encode.AVIF_SPEED`` (6); libvips (libheif) has one speed for both. So each
original is timed three ways in every round, one after the other: ``imgedge.transform`` (q60, the speed
case's query), libvips ``thumbnail`` + ``heifsave`` with imgedge's settings at speed 6 (what the speed
case runs) and at speed 5 (libvips' default effort). Printed per original: the median of the per-round
ratios imgedge / libvips at each speed, the milliseconds and the bytes. Pin it to one core
(``taskset -c 0``); libvips runs on one thread (``conftest``).

``--rates`` prints what ``cost.AVIF_GRAPHIC_ALPHA_NS`` is set from: for each RGBA original that imgedge
treats as a one-colour graphic, the encode of the image imgedge's encoder is handed (``quality.py``'s
capture) with its alpha at the graphic speed, process CPU ns per output pixel (median of 3) per quality,
beside the speed-6 rate the cost model has for a photo.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import conftest  # noqa: E402,F401  (single-thread settings)

# isort: split
import imgedge  # noqa: E402
from imgedge.core import encode  # noqa: E402

import corpus  # noqa: E402
from impls import Case, vips_save, vips_thumbnail  # noqa: E402

SPEEDS = (encode.AVIF_SPEED, encode.AVIF_GRAPHIC_ALPHA_SPEED)


def timed(run) -> tuple[float, int]:
    started = time.perf_counter()
    data = run()
    return time.perf_counter() - started, len(data)


def rates(entries: list[dict], widths: list[int], qualities: list[int]) -> None:
    import io

    from imgedge.core import cost

    import quality as rd

    print("| original | width | " + " | ".join(f"q{q} ns/px (model: photo at speed 6)" for q in qualities) + " |")
    print("|---|---|" + "---|" * len(qualities))
    for entry in entries:
        for width in widths:
            image = rd._imgedge_lossless(entry["path"], width)
            (flat,), premultiplied = encode.avif_alpha([image])
            if premultiplied:  # not a one-colour graphic: its alpha keeps the colour's speed
                continue
            cells = []
            for quality in qualities:
                settings = {**encode.avif_settings(quality, alpha_speed=encode.AVIF_GRAPHIC_ALPHA_SPEED),
                            "max_threads": 1}
                spent = []
                for _ in range(3):
                    started = time.process_time()
                    flat.save(io.BytesIO(), "AVIF", **settings)
                    spent.append(time.process_time() - started)
                pixels = flat.width * flat.height
                model = cost.encode_seconds("avif", quality, pixels) / pixels * 1e9
                cells.append(f"{statistics.median(spent) / pixels * 1e9:.0f} ({model:.0f})")
            print(f"| {entry['name']} | {width} | " + " | ".join(cells) + " |", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=corpus.SPLITS)
    parser.add_argument("--widths", default="320,1080")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rates", action="store_true", help="the cost model's graphic alpha rates instead")
    parser.add_argument("--qualities", default="30,60,80,90,95,100")
    args = parser.parse_args(argv)
    encode.AVIF_MAX_THREADS = 1  # one thread, like libvips here
    entries = corpus.select(corpus.ensure(), args.split, ["png-rgba"], distinct_pixels=True)
    if args.rates:
        rates(entries, [int(w) for w in args.widths.split(",")], [int(q) for q in args.qualities.split(",")])
        return 0
    print("| original | part | width | imgedge ms | bytes | " + " | ".join(
        f"libvips speed {s} ms | bytes | imgedge / libvips speed {s}" for s in SPEEDS) + " |")
    print("|---|---|---|---|---|" + "---|---|---|" * len(SPEEDS))
    for entry in entries:
        data = Path(entry["path"]).read_bytes()
        for width in (int(w) for w in args.widths.split(",")):
            case = Case(f"{width}-avif-q60", width, "avif", 60)
            runs = {"imgedge": lambda: imgedge.transform(data, case.query).data}
            for speed in SPEEDS:
                runs[speed] = lambda speed=speed: vips_save(vips_thumbnail(data, width), case, avif_speed=speed)
            for run in runs.values():  # warm: imports, caches
                run()
            seconds: dict = {name: [] for name in runs}
            sizes: dict = {}
            for _ in range(args.rounds):
                for name, run in runs.items():
                    spent, sizes[name] = timed(run)
                    seconds[name].append(spent)
            ours = seconds["imgedge"]
            cells = [f"{statistics.median(ours) * 1000:.0f}", f"{sizes['imgedge']:,}"]
            for speed in SPEEDS:
                ratio = statistics.median(a / b for a, b in zip(ours, seconds[speed]))
                cells += [f"{statistics.median(seconds[speed]) * 1000:.0f}", f"{sizes[speed]:,}", f"{ratio:.2f}"]
            print(f"| {entry['name']} | {entry['split']} | {width} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
