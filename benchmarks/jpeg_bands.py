"""A JPEG resampled in bands as libjpeg's scanline decoder finishes its rows (``decode.jpeg_resampled``)
against Pillow's whole decode and resample, end to end (``imgedge.transform``), on the corpus' JPEG
originals, for the frames ``decode.JPEG_BANDS_FROM_BYTES`` is chosen among. One core; run it pinned.

    taskset -c 1 python benchmarks/jpeg_bands.py [--rounds N] [--split tune|validate] [--below MIB]

Per original and case whose frame at its DCT scale is under ``--below`` MiB: the frame's MiB, the way
``decode.jpeg_bands`` chooses, and the median CPU milliseconds of ``--rounds`` transforms each way (the
decoder's thread included), the two ways alternating round by round so that a busy moment weighs on both.
Peak memory needs a fresh process per measurement: ``run.py --only startup`` (``benchmarks/RESULTS.md``,
"Smaller JPEG frames in rows").
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
from imgedge.core import cost, decode, encode  # noqa: E402

import corpus  # noqa: E402
from impls import CASES  # noqa: E402


def chosen(data: bytes, query: str) -> tuple[int, bool]:
    """The bytes of the frame the pipeline decodes ``data`` at for ``query`` (its DCT scale's), and whether
    ``decode.jpeg_bands`` sends it through the rows."""
    seen: list[tuple[int, bool]] = []
    chooser = decode.jpeg_bands

    def spy(source: decode.SourceImage, eighths: int, out: tuple[int, int]) -> bool:
        width, height = decode.decoded_size(source.stored_size, eighths)
        seen.append((cost.frame_bytes(width * height, source.image.mode), chooser(source, eighths, out)))
        return seen[-1][1]

    decode.jpeg_bands = spy
    try:
        imgedge.transform(data, query)
    finally:
        decode.jpeg_bands = chooser
    return seen[0] if seen else (0, False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--split", choices=("tune", "validate"))
    parser.add_argument("--below", type=float, default=16.0, help="only frames under this many MiB")
    args = parser.parse_args(argv)
    encode.AVIF_MAX_THREADS = 1
    chooser, threshold = decode.jpeg_bands, decode.JPEG_BANDS_FROM_BYTES
    ways = {"bands": chooser, "whole": lambda source, eighths, out: False}
    print("| original | part | case | frame MiB | chosen | bands CPU ms | whole CPU ms | bands / whole |")
    print("|---|---|---|---|---|---|---|---|")
    for photo in corpus.select(corpus.ensure(), args.split):
        if photo["format"] != "JPEG":
            continue
        data = Path(photo["path"]).read_bytes()
        for case in CASES.values():
            frame, banded = chosen(data, case.query)
            if frame >= args.below * 2**20:
                continue
            cpu: dict[str, list[float]] = {way: [] for way in ways}
            decode.JPEG_BANDS_FROM_BYTES = 0  # "bands": every frame the rows can take
            try:
                for round_ in range(args.rounds + 1):  # the first a warm-up
                    for way, choice in ways.items():
                        decode.jpeg_bands = choice
                        started = time.process_time()
                        imgedge.transform(data, case.query)
                        if round_:
                            cpu[way].append((time.process_time() - started) * 1000)
            finally:
                decode.jpeg_bands, decode.JPEG_BANDS_FROM_BYTES = chooser, threshold
            bands, whole = statistics.median(cpu["bands"]), statistics.median(cpu["whole"])
            print(f"| {photo['name']} | {photo['split']} | {case.name} | {frame / 2**20:.1f} | "
                  f"{'bands' if banded else 'whole'} | {bands:.0f} | "
                  f"{whole:.0f} | {bands / whole:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
