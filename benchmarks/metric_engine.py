"""What the compiled kernel buys ``q=auto``'s measure: ``perceptual``'s two engines against each other.

    python benchmarks/metric_engine.py [--cpu 1] [--quality 60]

``q=auto`` for JPEG is bounded by what one score of the whole output costs (about a fixed JPEG generation
at 640 and 1280 px; ``benchmarks/RESULTS.md``, "Auto quality"). ``perceptual.Reference`` measures on the
compiled kernel where its library loads (``imgedge.core.native``; ``python tooling/native.py`` builds it)
and on numpy otherwise. This times both on every distinct photo of the corpus (``auto_quality.corpus``,
both parts) as ``q=auto`` measures them: a 2 x 2 mosaic of the 640 px output, the whole 640 px output, and
the check of the 640 and 1280 px outputs (finest scales on 3 x 3 tiles). The candidate is a JPEG at
``--quality``. Per kind and part: the median time of the kernel over numpy for a candidate's whole score
(its pyramid included) and for the reference side, and the largest difference between their scores.
Process CPU, the lowest of ``RUNS``, pinned to ``--cpu``, one thread.

``q=auto`` as a whole on either engine: ``benchmarks/auto_quality.py compare`` measures with what loads;
``IMGEDGE_PERCEPTUAL_ENGINE=numpy`` keeps it on numpy.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import auto_quality  # noqa: E402  (the corpus, its split and the variant's pixels)

# isort: split
from PIL import Image  # noqa: E402

from imgedge.core import perceptual  # noqa: E402

RUNS = 9


def _cpu(work) -> float:
    best = float("inf")
    for _ in range(RUNS):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def _kinds(data: bytes) -> list[tuple[str, Image.Image, int | None]]:
    """What ``q=auto`` measures of this photo: (kind, the image scored, its check grid or None)."""
    at_640, at_1280 = auto_quality.lossless(data, 640), auto_quality.lossless(data, 1280)
    kinds = [("2 x 2 mosaic (640 px)", perceptual.sample(at_640, perceptual.SMALL_GRID), None),
             ("whole output (640 px)", at_640, None)]
    for label, image in (("check (640 px)", at_640), ("check (1280 px)", at_1280)):
        if perceptual.tiles(image.size, perceptual.GRID) is not None:
            kinds.append((label, image, perceptual.GRID))
    return kinds


def compare(image: Image.Image, grid: int | None, candidate: Image.Image,
            compiled: perceptual.CompiledEngine) -> tuple[float, float, float]:
    """The kernel's time over numpy's for a candidate's score and for the reference side, and how far
    their scores differ."""
    numpy_engine = perceptual.NumpyEngine()
    ours, theirs = perceptual.Reference(image, grid, compiled), perceptual.Reference(image, grid, numpy_engine)
    score = _cpu(lambda: ours.score(candidate)) / _cpu(lambda: theirs.score(candidate))
    reference = (_cpu(lambda: perceptual.Reference(image, grid, compiled))
                 / _cpu(lambda: perceptual.Reference(image, grid, numpy_engine)))
    return score, reference, abs(ours.score(candidate) - theirs.score(candidate))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cpu", type=int, default=1)
    parser.add_argument("--quality", type=int, default=60)
    args = parser.parse_args()
    compiled = perceptual.ENGINE
    if not isinstance(compiled, perceptual.CompiledEngine):
        sys.exit("the compiled kernel does not load here (python tooling/native.py builds it)")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    print(f"engine: {compiled.name}")
    rows: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    for path in auto_quality.corpus():
        where = auto_quality.part(path.name)
        for kind, image, grid in _kinds(path.read_bytes()):
            encoded = io.BytesIO()
            image.convert("RGB").save(encoded, "JPEG", quality=args.quality)
            candidate = Image.open(io.BytesIO(encoded.getvalue()))
            candidate.load()
            row = compare(image, grid, candidate, compiled)
            rows.setdefault((kind, where), []).append(row)
            print(f"{path.name} {kind}: kernel / numpy {row[0]:.2f} (score), {row[1]:.2f} (reference side); "
                  f"score difference {row[2]:.4f}", flush=True)
    print("| kind | part | cases | kernel / numpy, a candidate's score (median, range) "
          "| reference side (median) | largest score difference |")
    print("|---|---|---|---|---|---|")
    for (kind, where), values in sorted(rows.items()):
        scores = [v[0] for v in values]
        spread = f"{statistics.median(scores):.2f} ({min(scores):.2f}-{max(scores):.2f})"
        print(f"| {kind} | {where} | {len(values)} | {spread} | {statistics.median(v[1] for v in values):.2f} "
              f"| {max(v[2] for v in values):.3f} |")


if __name__ == "__main__":
    main()
