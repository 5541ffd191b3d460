"""A still WebP resampled in bands as libwebp's incremental decoder finishes its rows
(``decode.webp_resampled``) against the whole decode and resample it replaced, end to end
(``imgedge.transform``), on the corpus' WebP originals (tune and validate parts). One core; run it pinned.

    taskset -c 0 python benchmarks/webp_bands.py [--rounds N] [--split tune|validate]

Per original and case: the median CPU milliseconds of ``--rounds`` transforms each way, the two ways
alternating round by round so that a busy moment weighs on both.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
for _path in (str(HERE), str(HERE.parent)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import imgedge  # noqa: E402
from imgedge.core import decode, encode  # noqa: E402

import corpus  # noqa: E402
from impls import CASES  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--split", choices=("tune", "validate"))
    args = parser.parse_args(argv)
    encode.AVIF_MAX_THREADS = 1
    banded = decode.webp_bands
    print("| original | part | case | bands CPU ms | whole CPU ms | bands / whole |")
    print("|---|---|---|---|---|---|")
    for photo in corpus.select(corpus.ensure(), args.split):
        if photo["format"] != "WEBP" or photo["frames"] > 1:
            continue
        data = Path(photo["path"]).read_bytes()
        for case in CASES.values():
            cpu: dict[str, list[float]] = {"bands": [], "whole": []}
            for round_ in range(args.rounds + 1):  # the first a warm-up
                for way in cpu:
                    decode.webp_bands = banded if way == "bands" else (lambda source: False)
                    started = time.process_time()
                    imgedge.transform(data, case.query)
                    if round_:
                        cpu[way].append((time.process_time() - started) * 1000)
            decode.webp_bands = banded
            bands, whole = statistics.median(cpu["bands"]), statistics.median(cpu["whole"])
            print(f"| {photo['name']} | {photo['split']} | {case.name} | {bands:.0f} | {whole:.0f} | "
                  f"{bands / whole:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
