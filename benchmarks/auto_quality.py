"""``q=auto`` against fixed qualities, scored by the reference SSIMULACRA2.

    python benchmarks/auto_quality.py calibrate [--formats jpeg] [--out FILE]  # tuning part only: the constants
    python benchmarks/auto_quality.py compare [--parts tune,validate] [--formats avif,webp,jpeg]
                                              [--allowances 1,none] [--corpus camera] [--cold] [--out FILE]
    python benchmarks/auto_quality.py report [--corpus camera] [--out FILE]  # again, the oracle filled in

The corpus is every distinct photo in ``fixtures/photos/`` and the Debian photo set's sources
(``fetch_photos.py``; duplicates by SHA-256 dropped), split by a hash of the file name into a tuning part
(what ``imgedge.core.autoquality``'s constants were fitted on) and a validation part (never fitted on):
``part(name)``. Every case is one photo at ``w=640`` or ``w=1280`` (never enlarged) in AVIF, WebP and
JPEG. The score of an output is the reference SSIMULACRA2 (PyPI ``ssimulacra2``) of its decoded pixels
against the variant's pixels before encoding (``lossless``).

``calibrate`` encodes each tuning case at a grid of qualities (every 5 across each format's range),
whole and as ``perceptual.sample``'s mosaics of 3 x 3 and 2 x 2 tiles, scores them with the fast metric
(the reference checks it now and then on the whole encode; the whole encode is also scored as
``autoquality``'s check measures it, ``perceptual.Reference(image, grid)``), and prints what
``autoquality.SEARCH`` is fitted to: each format's seed, its slope at several score levels, and each
mosaic's margins, unchecked and checked (``summarise_calibration``).

``compare`` runs ``q=auto`` through ``imgedge.transform`` on every case, and the fixed-quality grid:
with m the lowest score ``q=auto`` delivered in a part and format, B is the bytes of the lowest fixed
quality that gives every case of that part at least m; it prints ``q=auto``'s bytes / B, its mean and
minimum score, how often and by how much it missed the target, and its CPU time against a fixed-quality
generation (the config's default quality) of the same case (the median and largest ratio over the cases,
and the ratio of their totals; each transform's lowest CPU of ``RUNS`` runs, with that run's bytes).
Beside B, the **oracle**: each case at the lowest integer quality of the format's search range whose
output scores at least m (a search that knew every score), so ``oracle / B`` is the best ratio the photos
allow at that floor and ``q=auto / oracle`` what the search leaves. Times are process CPU seconds: run it
pinned to one core (``taskset -c 1``), one thread (set here). ``--allowances`` runs ``q=auto`` under each
``Config.auto_quality_allowance`` given (``none``: no time allowance), each its own group with its own m
and B; the fixed-quality encodes are shared.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import io
import json
import math
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import conftest  # noqa: E402,F401  (single-thread settings)

# isort: split
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import imgedge  # noqa: E402
from imgedge.config import Config  # noqa: E402
from imgedge.core import autoquality, encode, perceptual  # noqa: E402

import fetch_photos  # noqa: E402

ROOT = HERE.parent
SIZES = (640, 1280)
#: The default config without the generation's wall-clock budget: on a shared machine a miss may wait for
#: the CPU well past it, and what is measured here is CPU time.
CONFIG = Config(max_generation_seconds=0)
FORMATS = ("avif", "webp", "jpeg")
#: Runs of each timed transform, the lowest CPU time kept (a shared virtual machine's neighbours add tens of
#: per cent to single runs).
RUNS = 3
#: Every this many encodes, the reference metric checks the numpy one (``perceptual``) on the whole image.
CHECK_EVERY = 12
#: Qualities ``compare`` may pick a fixed quality from, and the ones ``calibrate`` encodes (around the targets).
GRID = {"jpeg": range(20, 100, 5), "webp": range(10, 100, 5), "avif": range(10, 95, 5)}
CALIBRATION = {"jpeg": range(25, 100, 5), "webp": range(10, 100, 5), "avif": range(15, 90, 5)}
#: Score levels ``calibrate`` fits the search's slope at, the scores its margins are measured at, and the
#: share of the tuning cases a margin covers.
SLOPE_LEVELS = (55, 60, 65, 70, 75, 80, 85)
MARGIN_TARGETS = (65, 70, 75)
MARGIN_QUANTILE = 0.9


def part(name: str) -> str:
    """``validate`` for about two photos in five (by a hash of the file name), else ``tune``."""
    return "validate" if hashlib.sha256(name.encode()).digest()[0] % 5 < 2 else "tune"


def cases(source: str = "fixtures") -> list[tuple[Path, str]]:
    """Each photo and its part: ``fixtures`` the photos above (``corpus``, ``part``); ``broad`` the stills of
    ``corpus.py`` (every kind but animations, lossless twins dropped) with that corpus's own split;
    ``camera`` only its camera JPEGs (a second source of photos for JPEG, none of them fitted on)."""
    if source in ("broad", "camera"):
        import corpus as broad

        kinds = ("camera",) if source == "camera" else None
        return [(Path(p["path"]), p["split"]) for p in broad.select(broad.ensure(), kinds=kinds, distinct_pixels=True)
                if p["frames"] == 1]
    return [(path, part(path.name)) for path in corpus()]


def corpus() -> list[Path]:
    """The distinct photos: the fixtures, then the Debian set's sources (by content, first wins)."""
    manifest = fetch_photos.ensure()
    sources = sorted({Path(p["path"]).parent.parent / "sources" for p in manifest["photos"]
                      if manifest.get("origin") == "debian"})
    paths = sorted((ROOT / "fixtures" / "photos").glob("*.[jp][pn]g"))
    for folder in sources:
        paths += sorted(folder.glob("*.jpg"))
    seen: set[str] = set()
    distinct = []
    for path in paths:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest not in seen:
            seen.add(digest)
            distinct.append(path)
    return distinct


def reference_score(reference: Image.Image, data: bytes) -> float:
    """The reference SSIMULACRA2 of the encoded ``data`` against ``reference`` (both as sRGB, transparency
    over white)."""
    from quality import ssimulacra2

    def flat(image: Image.Image) -> np.ndarray:
        return perceptual._rgb(image).astype(np.float32)

    return ssimulacra2(flat(_decoded(data)), flat(reference))


def lossless(data: bytes, width: int) -> Image.Image:
    """The variant at ``width`` as the encoder receives it (resized, never encoded): what an output is
    scored against. Not a ``fmt=png`` variant, which keeps a few-colour image (a greyscale photo) as a
    palette."""
    handed: list[Image.Image] = []
    real = encode.encode

    def capture(image: Image.Image, *args, **kwargs) -> bytes:
        handed.append(image.copy())
        return real(image, *args, **kwargs)

    encode.encode = capture  # type: ignore[assignment]
    try:
        imgedge.transform(data, f"w={width}&fmt=webp&q=90", config=CONFIG)
    finally:
        encode.encode = real  # type: ignore[assignment]
    return handed[0]


def calibrate(out: Path, sizes: tuple[int, ...] = SIZES, formats: tuple[str, ...] = FORMATS) -> None:
    rows = []
    for path in corpus():
        if part(path.name) != "tune":
            continue
        data = path.read_bytes()
        done: set[tuple[int, int]] = set()
        for width in sizes:
            image = lossless(data, width)
            if image.size in done:  # a small original is the same output at every width
                continue
            done.add(image.size)
            mosaics = {grid: perceptual.sample(image, grid) for grid in (perceptual.GRID, perceptual.SMALL_GRID)
                       if perceptual.tiles(image.size, grid) is not None}
            check_refs = {grid: perceptual.Reference(image, grid) for grid in mosaics}
            if perceptual.reduction(image.size) is not None:
                mosaics[autoquality.REDUCED] = perceptual.reduced(image)
            whole_ref = perceptual.Reference(image)
            mosaic_refs = {grid: perceptual.Reference(mosaic) for grid, mosaic in mosaics.items()}
            for fmt in formats:
                for quality in CALIBRATION[fmt]:
                    body = encode.encode(image.copy(), fmt, quality)
                    decoded = _decoded(body)
                    row = {"photo": path.name, "width": width, "size": image.size, "format": fmt,
                           "quality": quality, "bytes": len(body), "fast_whole": whole_ref.score(decoded)}
                    for grid, mosaic in mosaics.items():
                        probe = encode.encode(mosaic.copy(), fmt, quality)
                        row[f"fast_mosaic{grid}"] = mosaic_refs[grid].score(_decoded(probe))
                        if grid in check_refs:
                            row[f"fast_check{grid}"] = check_refs[grid].score(decoded)
                    if len(rows) % CHECK_EVERY == 0:
                        row["reference"] = reference_score(image, body)
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    out.write_text(json.dumps(rows))
    summarise_calibration(rows, formats)


def _decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _crossing(curve: list[tuple[int, float]], score: float) -> float | None:
    """The quality where a (quality, score) curve, linear between its points, first reaches ``score``."""
    for (q0, s0), (q1, s1) in zip(curve, curve[1:]):
        if s0 < score <= s1:
            return q0 + (score - s0) * (q1 - q0) / (s1 - s0)
    return None


def _at(curve: list[tuple[int, float]], quality: float) -> float:
    """A (quality, score) curve's score at ``quality``, linear between its points."""
    for (q0, s0), (q1, s1) in zip(curve, curve[1:]):
        if q0 <= quality <= q1:
            return s0 + (quality - q0) * (s1 - s0) / (q1 - q0)
    raise ValueError("quality outside the curve")


def _quantile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def summarise_calibration(rows: list[dict], formats: tuple[str, ...] = FORMATS) -> None:
    """Per format, what ``autoquality.SEARCH`` is fitted to: the seed through the median quality the
    whole image needs for scores 62 and 72; the median slope (score points per quality step, over ten
    points of score) at each level of ``SLOPE_LEVELS``; and per mosaic the ``MARGIN_QUANTILE`` of how far
    its score lies above the whole image's at the quality where the whole image reaches each of
    ``MARGIN_TARGETS`` (a margin that covers it keeps misses rare), and its median (the checked margin:
    half the checked choices are stepped up); and how far the check's score lies from the whole image's."""
    checked = [r["reference"] - r["fast_whole"] for r in rows if "reference" in r]
    print(f"reference - numpy metric, whole image: {len(checked)} encodes, max |difference| "
          f"{max(map(abs, checked)):.3f}")
    for fmt in formats:
        mine = [r for r in rows if r["format"] == fmt]
        cases = sorted({(r["photo"], r["width"]) for r in mine})
        curves = {key: sorted((r["quality"], r) for r in mine if (r["photo"], r["width"]) == key) for key in cases}
        wholes = [[(q, r["fast_whole"]) for q, r in curve] for curve in curves.values()]
        needed = {}
        for target in (62, 72):
            found = [q for q in (_crossing(whole, target) for whole in wholes) if q is not None]
            needed[target] = statistics.median(found)
        per_point = (needed[72] - needed[62]) / 10
        slopes = []
        for level in SLOPE_LEVELS:
            spans = [(_crossing(whole, level - 5), _crossing(whole, level + 5)) for whole in wholes]
            found = [10 / (high - low) for low, high in spans if low is not None and high is not None and high > low]
            slopes.append((float(level), round(statistics.median(found), 2)))
        margins, checked, tiled = {}, {}, {}
        for grid in (perceptual.GRID, perceptual.SMALL_GRID, autoquality.REDUCED):
            for kind in ("mosaic", "check") if grid != autoquality.REDUCED else ("mosaic",):
                name = f"fast_{kind}{grid}"
                over = []
                for curve in curves.values():
                    if name in curve[0][1]:
                        whole, mosaic = [(q, r["fast_whole"]) for q, r in curve], [(q, r[name]) for q, r in curve]
                        over += [_at(mosaic, q) - t for t in MARGIN_TARGETS if (q := _crossing(whole, t)) is not None]
                if kind == "mosaic":
                    margins[grid] = round(_quantile(over, MARGIN_QUANTILE), 1)
                    checked[grid] = round(statistics.median(over), 1)
                else:
                    tiled[grid] = round(max(0.0, _quantile(over, MARGIN_QUANTILE)), 1)
                label = "reduced" if grid == autoquality.REDUCED else f"{grid}x{grid}"
                print(f"{fmt} {label} {kind} - whole: n {len(over)} mean {statistics.mean(over):+.2f} "
                      f"median {statistics.median(over):+.2f} sd {statistics.pstdev(over):.2f} max {max(over):+.2f}")
        print(f"{fmt} ({len(cases)} cases): seed ({needed[72] - 72 * per_point:.1f}, {per_point:.2f}), "
              f"slopes {tuple(slopes)}, margins {margins}, checked margins (the median) {checked}, "
              f"tiled margins {tiled}")


def compare(parts: list[str], out: Path, formats: tuple[str, ...] = FORMATS,
            allowances: tuple[float | None, ...] = (CONFIG.auto_quality_allowance,), source: str = "fixtures") -> None:
    rows = []
    for path, where in cases(source):
        if where not in parts:
            continue
        _PATHS[path.name] = path
        data = path.read_bytes()
        for width in SIZES:
            image = lossless(data, width)
            reference = perceptual.Reference(image)
            for fmt in formats:
                fixed_cpu, _ = _timed(data, f"w={width}&fmt={fmt}")
                for allowance in allowances:
                    config = replace(CONFIG, auto_quality_allowance=allowance)
                    auto_cpu, made = _timed(data, f"w={width}&fmt={fmt}&q=auto", config)
                    row = {"photo": path.name, "part": where, "width": width, "format": fmt,
                           "allowance": "none" if allowance is None else allowance,
                           "bytes": len(made.data), "quality": made.encoding.quality if made.encoding else None,
                           "passes": made.encode_passes, "score": reference_score(image, made.data),
                           "numpy_score": reference.score(_decoded(made.data)),
                           "cpu": auto_cpu, "fixed_cpu": fixed_cpu, "target": CONFIG.quality_target}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    for group in _groups(rows):
        floor = min(r["score"] for r in group)
        needed = [_lowest_quality(r, floor) for r in group]
        fixed = max(q for q, _ in needed) if all(q is not None for q, _ in needed) else None
        for row in group:
            row["floor"], row["fixed_quality"] = floor, fixed
            if fixed is not None:
                row["fixed_bytes"] = _fixed(row["photo"], row["width"], row["format"], fixed)[0]
    _oracle(rows)
    out.write_text(json.dumps(rows))
    report(rows)


def _oracle(rows: list[dict]) -> None:
    """Each row's ``oracle_bytes``: the bytes of the lowest quality ``q=auto`` could choose (any integer in
    the format's search range) whose output scores at least its group's floor m: what a search that knew
    every score would deliver, so ``oracle / B`` is the best ratio the photos allow at that floor."""
    for row in rows:
        if "floor" not in row or "oracle_bytes" in row:
            continue
        search = autoquality.SEARCH[row["format"]]
        quality, _ = _lowest_quality(row, row["floor"], range(search.low, search.high + 1))
        row["oracle_bytes"] = _fixed(row["photo"], row["width"], row["format"], quality or search.high)[0]


def _groups(rows: list[dict]) -> list[list[dict]]:
    def key(row: dict) -> tuple:
        allowance = row.get("allowance", "none")
        return allowance != "none", str(allowance), row["part"], row["width"], row["format"]

    return [[r for r in rows if key(r) == k] for k in sorted({key(r) for r in rows})]


@functools.lru_cache(maxsize=None)
def _fixed(photo: str, width: int, fmt: str, quality: int) -> tuple[int, float]:
    """The bytes and numpy score of one fixed-quality variant (shared by every group's bisection)."""
    data = _photo(photo).read_bytes()
    made = imgedge.transform(data, f"w={width}&fmt={fmt}&q={quality}", config=CONFIG)
    return len(made.data), _reference(photo, width).score(_decoded(made.data))


@functools.lru_cache(maxsize=4)
def _reference(photo: str, width: int) -> perceptual.Reference:
    return perceptual.Reference(lossless(_photo(photo).read_bytes(), width))


#: The photos ``compare`` has read, by name (what ``_fixed`` encodes again).
_PATHS: dict[str, Path] = {}


def _photo(name: str) -> Path:
    return _PATHS[name]


def _lowest_quality(row: dict, floor: float, among: range | None = None) -> tuple[int | None, float]:
    """The lowest quality of ``among`` (default ``GRID``) whose output scores at least ``floor``
    (bisection: scores grow with quality; the rare step back costs a quality or two), by the numpy
    metric, which is the reference's computation (``numpy_score`` beside ``score`` says how closely, per
    case)."""
    qualities = list(among if among is not None else GRID[row["format"]])
    low, high, found = 0, len(qualities) - 1, None
    while low <= high:
        middle = (low + high) // 2
        score = _fixed(row["photo"], row["width"], row["format"], qualities[middle])[1]
        if score >= floor:
            found, high = (qualities[middle], score), middle - 1
        else:
            low = middle + 1
    return found if found else (None, 0.0)


#: ``compare --cold``: every generation plans as a fresh process's first search does, at the cost model's
#: prices (``autoquality.PACE`` and the encode paces forgotten before each run), as a new Lambda
#: container's first miss does; without it the paces learn over the run, as a warm container's do.
COLD = False


def _timed(data: bytes, query: str, config: Config = CONFIG) -> tuple[float, imgedge.TransformResult]:
    """The lowest CPU time of ``RUNS`` runs (the first also warms the decoders), and that run's result: a
    ``q=auto`` search may plan differently from one run to the next (``autoquality.PACE`` learns), so the
    bytes reported are the ones that time made."""
    best, made = float("inf"), None
    for _ in range(RUNS):
        if COLD:
            autoquality.PACE.value = 1.0
            autoquality.ENCODE_PACE.clear()
        started = time.process_time()
        result = imgedge.transform(data, query, config=config)
        cpu = time.process_time() - started
        if cpu < best:
            best, made = cpu, result
    return best, made  # type: ignore[return-value]


def report(rows: list[dict]) -> None:
    agreement = max(abs(r["score"] - r["numpy_score"]) for r in rows)
    print(f"numpy metric vs reference on the q=auto outputs: max |difference| {agreement:.3f}")
    print("| allowance | part | size | format | cases | q=auto bytes / B | oracle / B | q=auto / oracle "
          "| fixed q for m | q=auto qualities | mean | min (m) | under target (worst) "
          "| CPU q=auto / fixed (median, max, total) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for group in _groups(rows):
        first = group[0]
        auto_bytes = sum(r["bytes"] for r in group)
        fixed_bytes = sum(r.get("fixed_bytes", 0) for r in group)
        under = [r["target"] - r["score"] for r in group if r["score"] < r["target"]]
        ratios = [r["cpu"] / r["fixed_cpu"] for r in group]
        qualities = [r["quality"] for r in group if r["quality"] is not None]
        ratio = f"{auto_bytes / fixed_bytes:.2f}" if first["fixed_quality"] else "n/a: no quality reaches m"
        oracle = sum(r.get("oracle_bytes", 0) for r in group)
        versus = f"{oracle / fixed_bytes:.2f} | {auto_bytes / oracle:.2f}" if oracle and fixed_bytes else "- | -"
        print(f"| {first.get('allowance', 'none')} | {first['part']} | {first['width']} | {first['format']} "
              f"| {len(group)} | {ratio} | {versus} "
              f"| {first['fixed_quality'] or '-'} | {min(qualities)}-{max(qualities)} "
              f"| {statistics.mean(r['score'] for r in group):.1f} | {first['floor']:.1f} "
              f"| {len(under)} ({max(under, default=0):.1f}) | {statistics.median(ratios):.2f}, {max(ratios):.2f}, "
              f"{sum(r['cpu'] for r in group) / sum(r['fixed_cpu'] for r in group):.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("calibrate", "compare", "report"))
    parser.add_argument("--parts", default="tune,validate")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--allowances", default=str(CONFIG.auto_quality_allowance),
                        help="Config.auto_quality_allowance values (none: no limit; default: the config's)")
    parser.add_argument("--corpus", choices=("fixtures", "broad", "camera"), default="fixtures",
                        help="compare: the photos above, or corpus.py's stills (camera: its camera JPEGs), its split")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--cold", action="store_true",
                        help="compare: each generation planned as a fresh process's first search (COLD)")
    args = parser.parse_args()
    global COLD
    COLD = args.cold
    if args.mode == "calibrate":
        calibrate(args.out or ROOT / ".bench-photos" / "auto-quality-calibration.json",
                  tuple(int(w) for w in args.sizes.split(",")), tuple(args.formats.split(",")))
    elif args.mode == "compare":
        compare(args.parts.split(","), args.out or ROOT / ".bench-photos" / "auto-quality-compare.json",
                tuple(args.formats.split(",")),
                tuple(None if a == "none" else float(a) for a in args.allowances.split(",")), args.corpus)
    else:  # report: a compare's file again, with the oracle where it has none (``--corpus``: its photos)
        out = args.out or ROOT / ".bench-photos" / "auto-quality-compare.json"
        rows = json.loads(out.read_text())
        if any("oracle_bytes" not in r for r in rows):
            _PATHS.update((path.name, path) for path, _ in cases(args.corpus))
            _oracle(rows)
            out.write_text(json.dumps(rows))
        report(rows)


if __name__ == "__main__":
    main()
