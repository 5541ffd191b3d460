"""Decode time per original: Pillow's decoders against the one-call decoders ``imgedge.core.decode`` uses,
and libjpeg-turbo's M/8 scales, on the corpus (tune and validate parts). One core; run it pinned.

    taskset -c 0 python benchmarks/decoders.py [--rounds N] [--split tune|validate]

Per original: the median of ``--rounds`` decodes (ms, wall; CPU beside it) of ``decode.load_pixels`` with
``FAST_DECODE`` off (Pillow) and on (the same for JPEGs, which Pillow always decodes); for JPEGs, when
``simplejpeg`` is installed (``pip install simplejpeg``; not a dependency), its whole-image decode at 4/8 …
8/8, which shows why imgedge keeps Pillow's scale set (1/8, 1/4, 1/2, 1): libjpeg-turbo's 5/8, 6/8 and
7/8 IDCTs have no SIMD path and cost more than the full-size decode.
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

from imgedge.config import Config  # noqa: E402
from imgedge.core import decode  # noqa: E402

import corpus  # noqa: E402


def timed(fn, rounds: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``fn`` over ``rounds`` calls after one warm-up."""
    fn()
    wall, cpu = [], []
    for _ in range(rounds):
        started, cpu_started = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000


def load(data: bytes, fast: bool, config: Config) -> None:
    decode.FAST_DECODE = fast
    try:
        decode.load_pixels(decode.open_source(data, config))
    finally:
        decode.FAST_DECODE = True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--split", choices=("tune", "validate"))
    args = parser.parse_args(argv)
    config = Config()
    try:
        import simplejpeg
    except ImportError:
        simplejpeg = None
    print("| original | part | Pillow ms (CPU) | one-call ms (CPU) | one-call / Pillow | simplejpeg 4/8, 5/8, 6/8, "
          "7/8, 8/8 ms |")
    print("|---|---|---|---|---|---|")
    for photo in corpus.select(corpus.ensure(), args.split):
        if photo["frames"] > 1 or photo["format"] not in ("JPEG", "PNG", "WEBP"):
            continue
        data = Path(photo["path"]).read_bytes()
        pillow = timed(lambda: load(data, False, config), args.rounds)
        fast = timed(lambda: load(data, True, config), args.rounds)
        scales = ""
        if photo["format"] == "JPEG" and simplejpeg is not None:
            width, height = photo["width"], photo["height"]
            cells = []
            for m in (4, 5, 6, 7, 8):
                ms = timed(lambda m=m: simplejpeg.decode_jpeg(data, colorspace="RGBX", min_width=-(-width * m // 8),
                                                               min_height=-(-height * m // 8)), args.rounds)[0]
                cells.append(f"{ms:.0f}")
            scales = ", ".join(cells)
        print(f"| {photo['name']} | {photo['split']} | {pillow[0]:.1f} ({pillow[1]:.1f}) | {fast[0]:.1f} "
              f"({fast[1]:.1f}) | {fast[0] / pillow[0]:.2f} | {scales} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
