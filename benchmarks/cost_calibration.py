"""Measure the per-pixel rates ``imgedge.core.cost`` predicts a generation's time with (one core).

    taskset -c 0 python benchmarks/cost_calibration.py [--photos DIR] [--quick]

Times each step of the pipeline on its own, on the repository's real photos (and PNG, GIF and WebP
originals made from them, since Debian's wallpapers are JPEG-heavy), and prints the nanoseconds per pixel
of every rate the cost model has beside the value the model holds now, so a change of libraries or of
machine shows up as a difference: decode per decoded pixel (JPEG baseline and progressive at each DCT
scale, PNG by mode, GIF and WebP frames, AVIF), resample per source and per output pixel, encode per
output pixel by format and quality (AVIF by speed), the animation encoders per frame pixel; and
``q=auto``'s probes (the score and its reference side on the samples ``autoquality`` takes, 64,000-307,000
px) as a fixed part per call plus ns per sample pixel, fitted by least squares.
Each figure is the median of ``--rounds`` runs. The model takes the upper end of what it sees here and
a safety factor on top (``cost.SAFETY``): a prediction that is too low lets a generation run out of its
budget, one that is too high refuses or degrades what would have fitted.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]

from PIL import AvifImagePlugin, Image  # noqa: E402

from imgedge.config import Config  # noqa: E402
from imgedge.core import cost, decode, encode, resize  # noqa: E402

AvifImagePlugin.DEFAULT_MAX_THREADS = 1
encode.AVIF_MAX_THREADS = 1
PHOTOS = ("lake-boats-4mp.jpg", "cups-4mp-progressive.jpg", "dandelions-16mp-progressive.jpg", "nuthatch-20mp.jpg",
          "forest-path-4mp.jpg")


def timed(fn, rounds: int) -> float:
    """Median seconds of ``fn()`` over ``rounds`` runs."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def decode_rates(photos: list[Path], rounds: int) -> dict[str, list[float]]:
    config = Config()
    rates: dict[str, list[float]] = {}
    for path in photos:
        data = path.read_bytes()
        probe = decode.open_source(data, config)
        kind = "jpeg-progressive" if probe.image.info.get("progressive") else "jpeg"
        for eighths in (8, 4, 2, 1):
            def run() -> Image.Image:
                return decode.load_pixels(decode.open_source(data, config), eighths)
            size = run().size
            rates.setdefault(f"{kind}@{eighths}", []).append(timed(run, rounds) / (size[0] * size[1]) * 1e9)
        base = decode.load_pixels(decode.open_source(data, config)).convert("RGB")
        base.thumbnail((2400, 2400))
        for mode, label in (("RGB", "png-rgb"), ("RGBA", "png-rgba"), ("P", "png-p")):
            image = base.convert(mode) if mode != "RGBA" else _with_alpha(base)
            out = io.BytesIO()
            image.save(out, "PNG", compress_level=6)
            png = out.getvalue()
            px = image.width * image.height
            rates.setdefault(label, []).append(
                timed(lambda: decode.load_pixels(decode.open_source(png, config)), rounds) / px * 1e9)
        for fmt, label in (("WEBP", "webp"), ("AVIF", "avif")):
            out = io.BytesIO()
            small = base.copy()
            small.thumbnail((1200, 1200))
            small.save(out, fmt, quality=80)
            blob = out.getvalue()
            px = small.width * small.height
            rates.setdefault(label, []).append(
                timed(lambda: decode.load_pixels(decode.open_source(blob, config)), rounds) / px * 1e9)
    return rates


def _with_alpha(image: Image.Image) -> Image.Image:
    rgba = image.convert("RGBA")
    alpha = image.convert("L").point(lambda v: 255 if v > 40 else v * 4)
    rgba.putalpha(alpha)
    return rgba


def resample_rates(photos: list[Path], rounds: int) -> dict[str, list[float]]:
    """Resample seconds modelled as a * source pixels + b * output pixels: fit from two output sizes."""
    config = Config()
    rates: dict[str, list[float]] = {}
    for path in photos:
        image = decode.load_pixels(decode.open_source(path.read_bytes(), config))
        image = resize.normalise_mode(image)
        src = image.width * image.height
        box = (0.0, 0.0, float(image.width), float(image.height))
        small = (320, max(1, round(320 * image.height / image.width)))
        large = (image.width // 2, image.height // 2)
        t_small = timed(lambda: resize.resample(image, box, small), rounds)
        t_large = timed(lambda: resize.resample(image, box, large), rounds)
        out_small, out_large = small[0] * small[1], large[0] * large[1]
        per_out = max(0.0, (t_large - t_small) / (out_large - out_small))
        per_src = max(0.0, (t_small - per_out * out_small) / src)
        rates.setdefault("resample-src", []).append(per_src * 1e9)
        rates.setdefault("resample-out", []).append(per_out * 1e9)
    return rates


def encode_rates(photos: list[Path], rounds: int) -> dict[str, list[float]]:
    config = Config()
    rates: dict[str, list[float]] = {}
    for path in photos[:3]:
        image = decode.load_pixels(decode.open_source(path.read_bytes(), config)).convert("RGB")
        image.thumbnail((1280, 1280))
        px = image.width * image.height
        for fmt in ("jpeg", "webp", "avif"):
            for quality in (50, 80, 95, 100):
                seconds = timed(lambda: encode.encode(image.copy(), fmt, quality), rounds)
                rates.setdefault(f"{fmt}@q{quality}", []).append(seconds / px * 1e9)
                if fmt in encode.PREVIEW_FORMATS:
                    seconds = timed(lambda: encode.preview(image, fmt, quality), rounds)
                    rates.setdefault(f"{fmt}-preview@q{quality}", []).append(seconds / px * 1e9)
        for speed in (8, 9, 10):
            for quality in (60, 100):
                def avif() -> bytes:
                    out = io.BytesIO()
                    image.save(out, "AVIF", quality=quality, speed=speed, max_threads=1)
                    return out.getvalue()
                rates.setdefault(f"avif-s{speed}@q{quality}", []).append(timed(avif, rounds) / px * 1e9)
        rates.setdefault("png", []).append(timed(lambda: encode.encode(image.copy(), "png", None), rounds) / px * 1e9)
        rates.setdefault("gif", []).append(timed(lambda: encode.encode(image.copy(), "gif", None), rounds) / px * 1e9)
    return rates


def probe_fits(photos: list[Path], rounds: int) -> dict[str, tuple[float, float, float]]:
    """``q=auto``'s score and reference side: (seconds a call, ns per sample pixel, the fit's largest
    relative error) over the whole output and both mosaics at 320, 480 and 640 px, process CPU (best of
    ``rounds``: what the allowance counts)."""
    import numpy as np

    from imgedge.core import autoquality, perceptual

    config = Config()
    points: dict[str, list[tuple[int, float]]] = {"score": [], "reference": []}
    for path in photos:
        full = decode.load_pixels(decode.open_source(path.read_bytes(), config)).convert("RGB")
        for width in (320, 480, 640):
            image = full.resize((width, round(full.height * width / full.width)), Image.Resampling.LANCZOS)
            for grid in (None, perceptual.GRID, perceptual.SMALL_GRID):
                sample = image if grid is None else perceptual.sample(image, grid)
                if grid is not None and sample is image:
                    continue
                pixels = sample.width * sample.height
                reference = perceptual.Reference(sample)
                candidate = autoquality._decoded(encode.encode(sample, "jpeg", 60))
                points["reference"].append((pixels, _cpu(lambda: perceptual.Reference(sample), rounds)))
                points["score"].append((pixels, _cpu(lambda: reference.score(candidate), rounds)))
    fits = {}
    for name, values in points.items():
        pixels = np.array([p for p, _ in values], dtype=float)
        seconds = np.array([s for _, s in values])
        design = np.vstack([np.ones_like(pixels), pixels]).T
        (fixed, per_pixel), *_ = np.linalg.lstsq(design, seconds, rcond=None)
        error = float(np.max(np.abs(design @ [fixed, per_pixel] - seconds) / seconds))
        fits[name] = (float(fixed), float(per_pixel) * 1e9, error)
    return fits


def check_fits(photos: list[Path], rounds: int) -> dict[str, tuple[float, float, float, float]]:
    """The score and reference side of ``q=auto``'s whole-output measure on a mosaic's tiles
    (``perceptual.Reference(image, grid)``: the check of a mosaic's choice, and a tiled probe): (seconds a
    call, ns per output pixel, ns per tile pixel, the fit's largest relative error) over both mosaics at
    640, 960 and 1280 px, process CPU (best of ``rounds``)."""
    import numpy as np

    from imgedge.core import autoquality, perceptual

    config = Config()
    points: dict[str, list[tuple[int, int, float]]] = {"check-score": [], "check-reference": []}
    for path in photos:
        full = decode.load_pixels(decode.open_source(path.read_bytes(), config)).convert("RGB")
        for width in (640, 960, 1280):
            image = full.resize((width, round(full.height * width / full.width)), Image.Resampling.LANCZOS)
            candidate = autoquality._decoded(encode.preview(image, "jpeg", 60))
            for grid in (perceptual.GRID, perceptual.SMALL_GRID):
                if perceptual.tiles(image.size, grid) is None:
                    continue
                reference = perceptual.Reference(image, grid)
                shape = (image.width * image.height, (grid * perceptual.TILE) ** 2)
                points["check-reference"].append((*shape, _cpu(lambda: perceptual.Reference(image, grid), rounds)))
                points["check-score"].append((*shape, _cpu(lambda: reference.score(candidate), rounds)))
    fits = {}
    for name, values in points.items():
        design = np.array([(1.0, output, tiles) for output, tiles, _ in values])
        seconds = np.array([s for _, _, s in values])
        (fixed, per_output, per_tile), *_ = np.linalg.lstsq(design, seconds, rcond=None)
        error = float(np.max(np.abs(design @ [fixed, per_output, per_tile] - seconds) / seconds))
        fits[name] = (float(fixed), float(per_output) * 1e9, float(per_tile) * 1e9, error)
    return fits


def _cpu(fn, rounds: int) -> float:
    best = math.inf
    for _ in range(rounds):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", default=str(HERE.parent / "fixtures" / "photos"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="two photos, one round")
    args = parser.parse_args(argv)
    photos = [Path(args.photos) / name for name in PHOTOS if (Path(args.photos) / name).exists()]
    rounds = args.rounds
    if args.quick:
        photos, rounds = photos[:2], 1
    print(f"# {len(photos)} photos, {rounds} rounds, CPU affinity {sorted(os.sched_getaffinity(0))}")
    measured: dict[str, list[float]] = {}
    for part in (decode_rates, resample_rates, encode_rates):
        measured.update(part(photos, rounds))
    print("| rate | measured ns/px (min / median / max) | model |")
    print("|---|---|---|")
    for name, values in measured.items():
        model = cost.rate_for_report(name)
        print(f"| {name} | {min(values):.1f} / {statistics.median(values):.1f} / {max(values):.1f} | "
              f"{model if model is not None else '-'} |")
    models = {"score": cost.PROBE_SCORE, "reference": cost.PROBE_REFERENCE}
    print("\n| q=auto probe | measured: ms a call + ns/px (largest error of the fit) | model |")
    print("|---|---|---|")
    for name, (fixed, per_pixel, error) in probe_fits(photos, rounds).items():
        model = models[name]
        print(f"| {name} | {fixed * 1e3:.2f} + {per_pixel:.1f} ({error:.0%}) | {model[0] * 1e3:.2f} + {model[1]:.1f} |")
    checks = {"check-score": cost.CHECK_SCORE, "check-reference": cost.CHECK_REFERENCE}
    print("\n| q=auto on tiles | measured: ms a call + ns/output px + ns/tile px (largest error of the fit) | model |")
    print("|---|---|---|")
    for name, (fixed, per_output, per_tile, error) in check_fits(photos, rounds).items():
        model = checks[name]
        print(f"| {name} | {fixed * 1e3:.2f} + {per_output:.1f} + {per_tile:.1f} ({error:.0%}) "
              f"| {model[0] * 1e3:.2f} + {model[1]:.1f} + {model[2]:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
