"""Resize quality before any encoding: imgedge's resized pixels and libvips' ``thumbnail`` pixels against the
float reference, and for JPEG originals what each DCT scale would give.

    python benchmarks/resample_quality.py [--split tune|validate] [--widths 320,640,...] [--only NAME,...]
                                          [--margins 1=1.25,2=1.25,4=1.25] [--report]

For every still of the corpus (``corpus.py``; lossless twins left out) and every output width below the
original's: PSNR of the pixels imgedge hands its encoder (``quality._imgedge_lossless``) and of libvips'
``thumbnail`` pixels against ``quality.reference`` (full decode, sRGB, LANCZOS in float in one step;
composited as ``quality.measure`` does). For a JPEG also the PSNR of the SIMD Lanczos3 from each DCT scale
(1/8, 1/4, 1/2, full) that keeps the output's size, with its margin (decoded size / output size): from
those, ``--margins`` evaluates any ``decode.SCALE_MARGIN`` without decoding again. Rows are cached in
``.benchmarks/resample-quality.jsonl`` keyed by original, width and a fingerprint of imgedge's sources
(``quality.imgedge_fingerprint``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("VIPS_CONCURRENCY", "1")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _path in (str(HERE), str(ROOT)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import corpus  # noqa: E402
import quality  # noqa: E402

ROWS = ROOT / ".benchmarks" / "resample-quality.jsonl"
WIDTHS = (320, 640, 1080, 1280, 2048)
KINDS = ("camera", "render", "webp", "png-rgb", "png-rgba")


def libvips_pixels(path: str, width: int) -> Image.Image:
    from impls import vips_thumbnail

    image = vips_thumbnail(quality._data(path), width)
    array = np.ndarray(buffer=image.write_to_memory(), dtype=np.uint8, shape=[image.height, image.width, image.bands])
    return Image.fromarray(array, {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[image.bands])


def psnr(image: Image.Image, path: str) -> float:
    """PSNR of ``image`` against the reference at its size, composited as ``quality.measure`` does."""
    colour, alpha = quality._premultiplied(image)
    ref_colour, ref_alpha = quality.reference(path, image.size)
    if ref_alpha is not None and alpha is None:
        alpha = np.ones_like(ref_alpha)
    if alpha is not None and ref_alpha is None:
        ref_alpha = np.ones_like(alpha)
    pairs = zip(quality.composites(colour, alpha), quality.composites(ref_colour, ref_alpha))
    return round(quality.psnr_of(statistics.mean(float(((a - b) ** 2).mean()) for a, b in pairs)), 3)


def dct_scales(path: str, out: tuple[int, int]) -> list[dict]:
    """Each DCT scale's Lanczos3 to the (displayed) ``out`` size: its margin and PSNR."""
    from imgedge.core import colour, decode, resize

    rows = []
    opened = decode.open_source(quality._data(path), quality._config())
    stored, orientation = opened.stored_size, opened.orientation
    stored_out = (out[1], out[0]) if orientation in (5, 6, 7, 8) else out
    for eighths in (1, 2, 4, 8):
        margin = min(stored[0] * eighths / 8 / stored_out[0], stored[1] * eighths / 8 / stored_out[1])
        if margin < 1.0:
            continue
        source = decode.open_source(quality._data(path), quality._config())
        icc = source.image.info.get("icc_profile")
        image = decode.load_pixels(source, eighths).convert("RGB")
        box = geometry_box(stored, eighths, image.size)
        resized = decode.orient(resize.simd_lanczos(image, box, stored_out), orientation)
        rows.append({"eighths": eighths, "margin": round(margin, 3), "psnr": psnr(colour.to_srgb(resized, icc), path)})
    return rows


def geometry_box(stored: tuple[int, int], eighths: int, size: tuple[int, int]) -> tuple[float, float, float, float]:
    from imgedge.core import decode, geometry

    scale = decode.decoded_scale(size, stored, eighths)
    return geometry.scale_box((0.0, 0.0, float(stored[0]), float(stored[1])), scale, size)


def fingerprint() -> str:
    return quality.imgedge_fingerprint()


def load_rows() -> dict[tuple, dict]:
    rows: dict[tuple, dict] = {}
    if ROWS.exists():
        for line in ROWS.read_text().splitlines():
            row = json.loads(line)
            rows[(row["fingerprint"], row["original"], row["width"])] = row
    return rows


def measure(entries: list[dict], widths: list[int]) -> dict[tuple, dict]:
    rows = load_rows()
    key = fingerprint()
    ROWS.parent.mkdir(parents=True, exist_ok=True)
    with open(ROWS, "a") as log:
        for entry in entries:
            for width in widths:
                if width >= max(entry["width"], entry["height"]) or (key, entry["name"], width) in rows:
                    continue
                ours = quality._imgedge_lossless(entry["path"], width)
                row = {"fingerprint": key, "original": entry["name"], "split": entry["split"], "width": width,
                       "size": list(ours.size), "imgedge": psnr(ours, entry["path"]),
                       "libvips": psnr(libvips_pixels(entry["path"], width), entry["path"])}
                if entry["format"] == "JPEG":
                    row["scales"] = dct_scales(entry["path"], ours.size)
                rows[(key, entry["name"], width)] = row
                log.write(json.dumps(row) + "\n")
                log.flush()
                print(f"  {entry['name']} {width}: {row['imgedge']:.2f} / {row['libvips']:.2f}", file=sys.stderr,
                      flush=True)
    return rows


def by_margins(row: dict, margins: dict[int, float]) -> dict:
    """The DCT scale ``margins`` pick for this row (``decode.choose_jpeg_scale``'s rule) and its PSNR."""
    for scale in row["scales"]:
        if scale["eighths"] == 8 or scale["margin"] >= margins[scale["eighths"]]:
            return scale
    raise ValueError("no full-size scale")


def report(rows: list[dict], margins: dict[int, float] | None) -> str:
    lines = ["| original | part | width | DCT scale (margin) | imgedge dB | libvips dB | imgedge − libvips | "
             "full decode dB | each scale: eighths@margin dB |", "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        scales = row.get("scales") or []
        chosen = ""
        ours = row["imgedge"]
        if scales:
            pick = by_margins(row, margins) if margins else next(
                (s for s in scales if abs(s["psnr"] - row["imgedge"]) < 0.02), None)
            if pick:
                chosen = f"{pick['eighths']}/8 ({pick['margin']:.2f}x)"
                ours = pick["psnr"] if margins else ours
        full = next((s["psnr"] for s in scales if s["eighths"] == 8), None)
        each = " ".join(f"{s['eighths']}@{s['margin']:.2f}: {s['psnr']:.1f}" for s in scales)
        lines.append(f"| {row['original']} | {row['split']} | {row['width']} | {chosen} | {ours:.2f} | "
                     f"{row['libvips']:.2f} | {ours - row['libvips']:+.2f} | {'' if full is None else f'{full:.2f}'} "
                     f"| {each} |")
    return "\n".join(lines)


def summary(rows: list[dict], margins: dict[int, float] | None) -> str:
    """Per part and width: mean and worst of imgedge − libvips (dB, before encoding)."""
    lines = ["| part | width | rows | imgedge − libvips mean | worst (original) | rows below libvips |",
             "|---|---|---|---|---|---|"]
    for split in corpus.SPLITS:
        for width in WIDTHS:
            part = [r for r in rows if r["split"] == split and r["width"] == width]
            if not part:
                continue
            diffs = [((by_margins(r, margins)["psnr"] if margins and r.get("scales") else r["imgedge"])
                      - r["libvips"], r["original"]) for r in part]
            worst = min(diffs)
            lines.append(f"| {split} | {width} | {len(part)} | {statistics.mean(d for d, _ in diffs):+.2f} | "
                         f"{worst[0]:+.2f} ({worst[1].split('.')[0]}) | {sum(d < 0 for d, _ in diffs)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=corpus.SPLITS)
    parser.add_argument("--widths", default=",".join(map(str, WIDTHS)))
    parser.add_argument("--only", help="comma-separated original names (prefixes)")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--margins", help="evaluate these DCT-scale margins from the cached rows (1=1.25,2=...)")
    parser.add_argument("--report", action="store_true", help="only print the tables from the cached rows")
    args = parser.parse_args(argv)
    entries = corpus.select(corpus.ensure(), args.split, args.kinds.split(","), distinct_pixels=True)
    if args.only:
        entries = [e for e in entries if any(e["name"].startswith(o) for o in args.only.split(","))]
    widths = [int(w) for w in args.widths.split(",")]
    margins = {int(k): float(v) for k, v in (p.split("=") for p in args.margins.split(","))} if args.margins else None
    cached = load_rows() if args.report or margins else measure(entries, widths)
    key = fingerprint()
    names = {e["name"] for e in entries}
    if margins:  # each JPEG row as last measured: its scales' figures do not depend on the margins in use
        latest = {(name, width): r for (_k, name, width), r in cached.items() if r.get("scales")}
        chosen = [r for (name, width), r in latest.items() if name in names and width in widths]
    else:
        chosen = [r for (k, name, width), r in cached.items() if k == key and name in names and width in widths]
    rows = sorted(chosen, key=lambda r: (r["split"], r["original"], r["width"]))
    print(summary(rows, margins))
    print()
    print(report(rows, margins))
    return 0


if __name__ == "__main__":
    sys.exit(main())
