"""Quality per byte: rate-distortion curves and BD-rate of imgedge against libvips and sharp on the corpus.

    python benchmarks/quality.py [--split tune|validate] [--cases 640-jpeg,...] [--impls imgedge,libvips,sharp]
                                 [--ssim2 CASES|all|none] [--only NAME,...] [--report]

For every original of the corpus (``corpus.py``; animated GIFs and lossless twins left out), every case
(format and output width) and every implementation, a quality sweep: the output's bytes, its PSNR and
(where asked, it costs ~3 s per megapixel) its SSIMULACRA2 against a float reference: the full decode,
orientation applied, converted to sRGB, colour premultiplied by alpha, then LANCZOS in float straight to
the output size. Where the reference or the output has alpha, both are composited over white and over
black (``BACKGROUNDS``) and the two composites' errors averaged (an output flattened onto white, a JPEG,
over white only): the same for every implementation.

From the curves, per original, Bjøntegaard deltas with piecewise-cubic (PCHIP) fits over the overlapping
range: **BD-PSNR** (dB at equal bytes; the issue's "PSNR at equal bytes"), **BD-rate** (% bytes at equal
PSNR; negative = imgedge smaller) and BD-SSIMULACRA2 (points at equal bytes). The report gives their mean
and worst original per case, for the tune and validate parts separately.

Points are cached in ``.benchmarks/quality-points.jsonl`` by implementation, original, case and quality;
imgedge's points are keyed by a fingerprint of its encode/resize/decode sources, so a changed setting is
measured again and an unchanged one is not. ``candidate:NAME`` implementations (``CANDIDATES``) encode
imgedge's own lossless resize with other Pillow encoder settings: that is how the settings in
``imgedge/core/encode.py`` were chosen (on the tune part only).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import io
import json
import math
import os
import statistics
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

os.environ.setdefault("VIPS_CONCURRENCY", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _path in (str(HERE), str(ROOT)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import numpy as np  # noqa: E402
from PIL import Image, ImageOps  # noqa: E402

import corpus  # noqa: E402
import peers  # noqa: E402

POINTS = ROOT / ".benchmarks" / "quality-points.jsonl"


@dataclass(frozen=True)
class RDCase:
    name: str
    width: int
    fmt: str
    default_quality: int  # imgedge's default for the format; the tables show bytes and PSNR there


RD_CASES = {c.name: c for c in (
    RDCase("640-jpeg", 640, "jpeg", 80),
    RDCase("1280-webp", 1280, "webp", 80),
    RDCase("320-avif", 320, "avif", 60),
    RDCase("1080-avif", 1080, "avif", 60),
    RDCase("2048-jpeg", 2048, "jpeg", 85),
)}

#: Quality sweeps. libjpeg's and libwebp's scales are the same for every implementation; libavif's
#: (Pillow) and libheif's (libvips, sharp) AVIF scales differ, so each gets a range over the same bytes.
SWEEPS = {
    "jpeg": {"*": (60, 80, 90)},
    "webp": {"*": (60, 80, 90)},
    "avif": {"*": (40, 52, 64, 76), "libvips": (35, 47, 59, 71), "sharp": (35, 47, 59, 71)},
}

#: Other Pillow encoder settings, tried on imgedge's own resize (see ``encode.py`` for what was chosen).
CANDIDATES: dict[str, tuple[str, dict]] = {
    "avif-420-s6": ("avif", {"subsampling": "4:2:0", "speed": 6}),
    "avif-444-s6": ("avif", {"subsampling": "4:4:4", "speed": 6}),
    "avif-444-s7": ("avif", {"subsampling": "4:4:4", "speed": 7}),
    "avif-444-s5": ("avif", {"subsampling": "4:4:4", "speed": 5}),
    "avif-420-s6-ssim": ("avif", {"subsampling": "4:2:0", "speed": 6, "advanced": {"tune": "ssim"}}),
    "avif-444-s6-ssim": ("avif", {"subsampling": "4:4:4", "speed": 6, "advanced": {"tune": "ssim"}}),
    "avif-444-s6-cdq": ("avif", {"subsampling": "4:4:4", "speed": 6, "advanced": {"enable-chroma-deltaq": "1"}}),
    "avif-444-s6-psnr": ("avif", {"subsampling": "4:4:4", "speed": 6, "advanced": {"tune": "psnr"}}),
    "avif-444-s5-ssim": ("avif", {"subsampling": "4:4:4", "speed": 5, "advanced": {"tune": "ssim"}}),
    # without AV1's intra block copy (aom turns it on for what it detects as screen content; its hash tables
    # are most of the encoder's memory on a small flat graphic)
    "avif-444-s6-ssim-nointrabc": ("avif", {"subsampling": "4:4:4", "speed": 6, "advanced": {
        "tune": "ssim", "enable-intrabc": "0"}}),
    # what libheif (libvips, sharp) asks aom for: cpu-used 5 and aom's image-quality tuning
    "avif-444-s5-iq": ("avif", {"subsampling": "4:4:4", "speed": 5, "advanced": {"tune": "iq"}}),
    # speed 5 without rectangular, AB and 1:4 partitions: about 2x speed 6's encode CPU instead of 4-8x
    "avif-444-s5-ssim-square": ("avif", {"subsampling": "4:4:4", "speed": 5, "advanced": {
        "tune": "ssim", "enable-rect-partitions": "0", "enable-ab-partitions": "0", "enable-1to4-partitions": "0"}}),
    "webp-m4": ("webp", {"method": 4}),
    "webp-m5": ("webp", {"method": 5}),
    "webp-m6": ("webp", {"method": 6}),
    "jpeg-420-prog": ("jpeg", {"subsampling": "4:2:0", "progressive": True, "optimize": True}),
    "jpeg-444-prog": ("jpeg", {"subsampling": "4:4:4", "progressive": True, "optimize": True}),
    "jpeg-422-prog": ("jpeg", {"subsampling": "4:2:2", "progressive": True, "optimize": True}),
}


# --- the implementations ----------------------------------------------------------------------------

def imgedge_fingerprint() -> str:
    """A hash of the code (comments and docstrings left out: rewording one measures nothing again)."""
    digest = hashlib.sha256()
    for name in ("encode.py", "resize.py", "decode.py", "pipeline.py", "colour.py"):
        tree = ast.parse((ROOT / "imgedge" / "core" / name).read_text())
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                    and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
                body[0] = ast.Pass()
        digest.update(ast.dump(tree).encode())
    return digest.hexdigest()[:10]


@lru_cache(maxsize=1)
def _config():
    """The default configuration without the generation deadline: a loaded shared core must not turn a
    quality measurement into a refusal (the encoder settings do not depend on it)."""
    from dataclasses import replace

    from imgedge.config import load_config

    return replace(load_config(), max_generation_seconds=0)


def _imgedge(entry: dict, case: RDCase, quality: int) -> bytes:
    import imgedge

    return imgedge.transform(_data(entry["path"]), f"w={case.width}&fmt={case.fmt}&q={quality}", config=_config()).data


@lru_cache(maxsize=4)
def _imgedge_lossless(path: str, width: int) -> Image.Image:
    """What imgedge's encoder is handed for a ``width`` px output: the image ``encode.encode`` receives.
    (Not a PNG variant: imgedge may write that as a palette, which is lossy for a few-colour image whose
    resize made many alpha levels.)"""
    import imgedge
    from imgedge.core import encode

    real = encode.encode

    def capture(image: Image.Image, *args, **kwargs) -> bytes:
        raise _Handed(image.copy())

    encode.encode = capture
    try:
        imgedge.transform(_data(path), f"w={width}&fmt=avif&q=1", config=_config())
    except _Handed as handed:
        image = handed.image
    else:
        raise RuntimeError("the encoder was never called")
    finally:
        encode.encode = real
    return image.convert("RGBA" if image.mode in ("RGBA", "LA") else "RGB")


class _Handed(Exception):
    """Raised by the patched encoder with the image it was handed: no need to encode it."""

    def __init__(self, image: Image.Image) -> None:
        super().__init__("handed")
        self.image = image


def _candidate(name: str, entry: dict, case: RDCase, quality: int) -> bytes:
    from imgedge.core import effects
    from imgedge.core.encode import BACKGROUND

    fmt, settings = CANDIDATES[name]
    image = _imgedge_lossless(entry["path"], case.width)
    if fmt == "jpeg" and image.mode == "RGBA":
        image = effects.flatten(image, BACKGROUND)
    extra = {"max_threads": 1} if fmt == "avif" else {}
    out = io.BytesIO()
    image.save(out, fmt.upper(), quality=quality, **settings, **extra)
    return out.getvalue()


_SHARP: peers.Sharp | None = None


def _sharp(entry: dict, case: RDCase, quality: int) -> bytes:
    global _SHARP
    if _SHARP is None:
        _SHARP = peers.Sharp()
    return _SHARP.encode(entry["path"], case.width, case.fmt, quality)


def produce(impl: str, entry: dict, case: RDCase, quality: int) -> bytes:
    if impl == "imgedge":
        return _imgedge(entry, case, quality)
    if impl == "libvips":
        return peers.libvips(_data(entry["path"]), case.width, case.fmt, quality)
    if impl == "libvips-matched":
        return peers.libvips_matched(_data(entry["path"]), case.width, case.fmt, quality)
    if impl == "sharp":
        return _sharp(entry, case, quality)
    if impl.startswith("candidate:"):
        return _candidate(impl.split(":", 1)[1], entry, case, quality)
    raise ValueError(impl)


def applies(impl: str, case: RDCase) -> bool:
    return not impl.startswith("candidate:") or CANDIDATES[impl.split(":", 1)[1]][0] == case.fmt


def sweep(impl: str, fmt: str) -> tuple[int, ...]:
    family = "imgedge" if impl.startswith("candidate:") else impl.replace("-matched", "")
    return SWEEPS[fmt].get(family, SWEEPS[fmt]["*"])


# --- the reference and the metrics ------------------------------------------------------------------------

@lru_cache(maxsize=2)
def _data(path: str) -> bytes:
    return Path(path).read_bytes()


#: What transparency is shown over: every RGBA output and reference is composited onto each, and the
#: squared errors of the composites are averaged (PSNR) or the scores are (SSIMULACRA2). Over white alone,
#: an error in the alpha plane under dark colour (or in the colour under low alpha) would not count.
BACKGROUNDS = (255.0, 0.0)


def _premultiplied(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """RGB float32 0-255 premultiplied by alpha, and alpha 0-1 (None when the image has no alpha)."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float32)
        alpha = rgba[..., 3:] / 255.0
        return rgba[..., :3] * alpha, alpha
    return np.asarray(image.convert("RGB"), dtype=np.float32), None


def composites(colour: np.ndarray, alpha: np.ndarray | None) -> list[np.ndarray]:
    """The picture as shown: opaque, or premultiplied ``colour`` over each of ``BACKGROUNDS``."""
    if alpha is None:
        return [colour]
    return [colour + background * (1.0 - alpha) for background in BACKGROUNDS]


@lru_cache(maxsize=1)
def _full(path: str) -> tuple[np.ndarray, np.ndarray | None]:
    from imgedge.core.colour import to_srgb

    image = Image.open(path)
    icc = image.info.get("icc_profile")
    image = ImageOps.exif_transpose(image) or image
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if image.mode in ("LA", "PA", "P") else "RGB")
    return _premultiplied(to_srgb(image, icc))


@lru_cache(maxsize=4)
def reference(path: str, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray | None]:
    """The float reference at ``size``: LANCZOS per premultiplied channel in float (mode F), no rounding."""
    colour, alpha = _full(path)

    def resized(plane: np.ndarray) -> np.ndarray:
        return np.asarray(Image.fromarray(np.ascontiguousarray(plane)).resize(
            size, Image.Resampling.LANCZOS, reducing_gap=None))

    out = np.stack([resized(colour[..., c]) for c in range(3)], axis=-1)
    return out, None if alpha is None else resized(alpha[..., 0])[..., None]


def psnr_of(mse: float) -> float:
    return 99.0 if mse < 1e-6 else 10 * math.log10(255.0 ** 2 / mse)  # 99: identical (within float error)


def ssimulacra2(output: np.ndarray, ref: np.ndarray) -> float:
    from ssimulacra2 import compute_ssimulacra2

    def png(array):
        buf = io.BytesIO()
        Image.fromarray(np.clip(np.rint(array), 0, 255).astype(np.uint8)).save(buf, "PNG", compress_level=0)
        buf.seek(0)
        return buf

    return float(compute_ssimulacra2(png(ref), png(output)))


def measure(encoded: bytes, path: str, with_ssim2: bool) -> dict:
    """Bytes and quality of one output against the reference; with alpha, of the composites over every
    background. An output without alpha of an original with it was flattened onto white (JPEG, by every
    implementation): it is compared over white."""
    image = Image.open(io.BytesIO(encoded))
    image.load()
    colour, alpha = _premultiplied(image)
    ref_colour, ref_alpha = reference(path, image.size)
    if alpha is None and ref_alpha is not None:  # flattened by its encoder (JPEG): onto white, by everyone
        pairs = [(colour, composites(ref_colour, ref_alpha)[0])]
    else:
        if ref_alpha is None and alpha is not None:
            ref_alpha = np.ones_like(alpha)
        pairs = list(zip(composites(colour, alpha), composites(ref_colour, ref_alpha)))
    mse = statistics.mean(float(((out - ref) ** 2).mean()) for out, ref in pairs)
    point = {"bytes": len(encoded), "width": image.width, "height": image.height,
             "psnr": round(psnr_of(mse), 4)}
    if with_ssim2:
        point["ssim2"] = round(statistics.mean(ssimulacra2(out, ref) for out, ref in pairs), 4)
    return point


# --- Bjøntegaard deltas -------------------------------------------------------------------------------

def _pchip_mean(xs, ys, lo: float, hi: float) -> float:
    from scipy.interpolate import PchipInterpolator

    order = np.argsort(xs)
    x, y = np.asarray(xs, float)[order], np.asarray(ys, float)[order]
    keep = np.concatenate(([True], np.diff(x) > 1e-9))  # PCHIP needs strictly increasing x
    return float(PchipInterpolator(x[keep], y[keep]).integrate(lo, hi) / (hi - lo))


def bd_quality(a: list[dict], b: list[dict], metric: str) -> float | None:
    """Mean quality difference a - b at equal log-bytes over the overlapping range (None: no overlap)."""
    ra, rb = [math.log(p["bytes"]) for p in a], [math.log(p["bytes"]) for p in b]
    lo, hi = max(min(ra), min(rb)), min(max(ra), max(rb))
    if hi - lo < 1e-6:
        return None
    return _pchip_mean(ra, [p[metric] for p in a], lo, hi) - _pchip_mean(rb, [p[metric] for p in b], lo, hi)


def bd_rate(a: list[dict], b: list[dict], metric: str) -> float | None:
    """Percent bytes of a relative to b at equal quality (negative: a is smaller)."""
    qa, qb = [p[metric] for p in a], [p[metric] for p in b]
    lo, hi = max(min(qa), min(qb)), min(max(qa), max(qb))
    if hi - lo < 1e-6:
        return None
    diff = (_pchip_mean(qa, [math.log(p["bytes"]) for p in a], lo, hi)
            - _pchip_mean(qb, [math.log(p["bytes"]) for p in b], lo, hi))
    return (math.exp(diff) - 1) * 100


# --- running ------------------------------------------------------------------------------------------

def impl_key(impl: str) -> str:
    if impl == "imgedge" or impl.startswith("candidate:"):
        return f"{impl}@{imgedge_fingerprint()}"
    return impl


def load_points() -> dict[tuple, dict]:
    points: dict[tuple, dict] = {}
    if POINTS.exists():
        for line in POINTS.read_text().splitlines():
            p = json.loads(line)
            points[(p["impl"], p["original"], p["case"], p["q"])] = p
    return points


def run(entries: list[dict], cases: list[RDCase], impls: list[str], ssim2_cases: set[str]) -> None:
    points = load_points()
    POINTS.parent.mkdir(parents=True, exist_ok=True)
    keys = {impl: impl_key(impl) for impl in impls}
    with open(POINTS, "a") as log:
        for entry in entries:
            started = time.time()
            for case in cases:
                for impl in impls:
                    if not applies(impl, case):
                        continue
                    for q in sweep(impl, case.fmt):
                        key = (keys[impl], entry["name"], case.name, q)
                        want_ssim2 = case.name in ssim2_cases
                        old = points.get(key)
                        if old and (not want_ssim2 or "ssim2" in old):
                            continue
                        encoded = produce(impl, entry, case, q)
                        point = {"impl": keys[impl], "original": entry["name"], "case": case.name, "q": q,
                                 **measure(encoded, entry["path"], want_ssim2)}
                        points[key] = point
                        log.write(json.dumps(point) + "\n")
                        log.flush()
            print(f"  {entry['name']} ({entry['split']}): {time.time() - started:.0f} s", file=sys.stderr, flush=True)


def curves(points: dict[tuple, dict], impl: str, original: str, case: str) -> list[dict]:
    return sorted((p for (i, o, c, _q), p in points.items() if i == impl and o == original and c == case),
                  key=lambda p: p["q"])


def report(entries: list[dict], cases: list[RDCase], subject: str, peers_: list[str]) -> str:
    points = load_points()
    subject_key = impl_key(subject)
    lines = []
    out = lines.append
    for metric, label, unit in (("psnr", "PSNR", "dB"), ("ssim2", "SSIMULACRA2", "pts")):
        if not any(metric in p for p in points.values()):
            continue
        out("")
        out(f"### {subject} against its peers: {label} at equal bytes (BD-{label}, {unit}) and bytes at equal "
            f"{label} (BD-rate)")
        out("")
        out("Mean over the originals (worst original in brackets). Positive BD-quality and negative BD-rate "
            f"favour {subject}.")
        out("")
        out(f"| case | part | originals | {' | '.join(f'vs {p}: BD-{label} mean (worst) | vs {p}: BD-rate mean (worst)' for p in peers_)} |")  # noqa: E501
        out("|---|---|---|" + "---|---|" * len(peers_))
        for case in cases:
            for split in corpus.SPLITS:
                part = [e for e in entries if e["split"] == split]
                cells, count = [], 0
                for peer in peers_:
                    dq, dr = [], []
                    for e in part:
                        a = curves(points, subject_key, e["name"], case.name)
                        b = curves(points, impl_key(peer), e["name"], case.name)
                        if len(a) < 3 or len(b) < 3 or any(metric not in p for p in a + b):
                            continue
                        q, r = bd_quality(a, b, metric), bd_rate(a, b, metric)
                        if q is not None:
                            dq.append((q, e["name"]))
                        if r is not None:
                            dr.append((r, e["name"]))
                    count = max(count, len(dq))
                    if not dq:
                        cells += ["–", "–"]
                        continue
                    worst, worst_name = min(dq)
                    cells.append(f"{statistics.mean(v for v, _ in dq):+.2f} ({worst:+.2f} {worst_name.split('.')[0]})")
                    if dr:
                        worst_r = max(dr)
                        cells.append(f"{statistics.mean(v for v, _ in dr):+.1f} % ({worst_r[0]:+.1f} %)")
                    else:
                        cells.append("–")
                if count:
                    out(f"| {case.name} | {split} | {count} | " + " | ".join(cells) + " |")
    out("")
    out(f"### Per original: BD-PSNR of {subject} (dB at equal bytes) against each peer; where the byte ranges "
        "do not overlap, the BD-rate (bytes at equal PSNR)")
    out("")
    out("| original | part | " + " | ".join(f"{c.name} vs {p}" for c in cases for p in peers_) + " |")
    out("|---|---|" + "---|" * (len(cases) * len(peers_)))
    for e in sorted(entries, key=lambda e: (e["split"], e["name"])):
        cells = []
        for case in cases:
            a = curves(points, subject_key, e["name"], case.name)
            for peer in peers_:
                b = curves(points, impl_key(peer), e["name"], case.name)
                q = bd_quality(a, b, "psnr") if len(a) >= 3 and len(b) >= 3 else None
                r = bd_rate(a, b, "psnr") if q is None and len(a) >= 3 and len(b) >= 3 else None
                cells.append(f"{q:+.2f}" if q is not None else f"bytes {r:+.0f} %" if r is not None else "–")
        if any(c != "–" for c in cells):
            out(f"| {e['name']} | {e['split']} | " + " | ".join(cells) + " |")
    out("")
    out(f"### Bytes and PSNR at the default quality (mean over the originals; {subject} / each peer at the same q)")
    out("")
    out("| case | part | q | " + " | ".join(f"{i} bytes, PSNR dB" for i in [subject, *peers_]) + " |")
    out("|---|---|---|" + "---|" * (1 + len(peers_)))
    for case in cases:
        for split in corpus.SPLITS:
            near = {impl: min(sweep(impl, case.fmt), key=lambda s: abs(s - case.default_quality))
                    for impl in [subject, *peers_]}
            part = [e["name"] for e in entries if e["split"] == split  # measured by every implementation
                    and all((impl_key(i), e["name"], case.name, q) in points for i, q in near.items())]
            cells = []
            for impl in [subject, *peers_]:
                q = near[impl]
                got = [points[(impl_key(impl), name, case.name, q)] for name in part]
                cells.append(f"{statistics.mean(p['bytes'] for p in got):,.0f} B, "
                             f"{statistics.mean(p['psnr'] for p in got):.2f} (q{q})" if got else "–")
            if part:
                out(f"| {case.name} | {split} | {case.default_quality} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=corpus.SPLITS)
    parser.add_argument("--cases", default=",".join(RD_CASES))
    parser.add_argument("--impls", default="imgedge,libvips,sharp")
    parser.add_argument("--ssim2", default="none", help="cases that also get SSIMULACRA2: list, all or none")
    parser.add_argument("--only", help="comma-separated original names (prefixes), measured in that order")
    parser.add_argument("--kinds", help="comma-separated kinds")
    parser.add_argument("--subject", default="imgedge", help="the implementation the report compares")
    parser.add_argument("--peers", default="libvips,sharp")
    parser.add_argument("--report", action="store_true", help="only print the tables from the cached points")
    args = parser.parse_args(argv)

    manifest = corpus.ensure()
    kinds = args.kinds.split(",") if args.kinds else [k for k in ("camera", "render", "webp", "png-rgb", "png-rgba")]
    entries = corpus.select(manifest, args.split, kinds, distinct_pixels=True)
    if args.only:  # those originals, in the order given (a long sweep measures the first ones first)
        prefixes = args.only.split(",")
        rank = {e["name"]: next((i for i, o in enumerate(prefixes) if e["name"].startswith(o)), None) for e in entries}
        entries = sorted((e for e in entries if rank[e["name"]] is not None), key=lambda e: rank[e["name"]])
    cases = [RD_CASES[c] for c in args.cases.split(",")]
    impls = args.impls.split(",")
    peer_list = args.peers.split(",")
    if "sharp" in impls + peer_list:
        reason = peers.ensure_sharp()
        if reason:
            print(f"SKIP sharp: {reason}", file=sys.stderr)
            impls = [i for i in impls if i != "sharp"]
            peer_list = [p for p in peer_list if p != "sharp"]
    if not args.report:
        ssim2 = set(RD_CASES) if args.ssim2 == "all" else set() if args.ssim2 == "none" else set(args.ssim2.split(","))
        from imgedge.core import encode

        encode.AVIF_MAX_THREADS = 1  # one thread, like the peers
        run(entries, cases, impls, ssim2)
    print(report(entries, cases, args.subject, peer_list))
    return 0


if __name__ == "__main__":
    sys.exit(main())
