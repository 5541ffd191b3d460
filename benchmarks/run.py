"""Run the imgedge benchmarks single-threaded and print the ratio table (``make bench`` calls this).

    python benchmarks/run.py [--rounds N] [--only cases|ladder|startup] [--photos cases|corpus] [--json PATH]
                             [--report PATH]

1. Fetches the photos (``fetch_photos.py``; Debian packages, checksummed; falls back to fixtures/photos).
2. Runs ``pytest benchmarks/`` with pytest-benchmark in a child process pinned to one CPU, with
   ``VIPS_CONCURRENCY=1``, ``OMP_NUM_THREADS=1`` and AVIF encoders on one thread (libvips still starts
   its own worker threads, but they get one core between them, like imgedge).
3. Writes the pytest-benchmark JSON (default ``.benchmarks/imgedge-<UTC time>.json``) and prints:
   per case, the geometric means over the photos of time (median of rounds), PSNR and bytes, and the
   ratios imgedge/libvips, imgedge/naive, imgedge/floor, with the issue's targets checked; per photo
   detail; peak RSS; handler import times; time against source megapixels.

``--report PATH`` only prints the tables of an earlier JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

IMPORT_BUDGET_MS = {"handlers.viewer_request": 150, "handlers.origin_response": 250}


def geomean(values) -> float:
    values = [v for v in values if v and v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else float("nan")


def paired_ratio(bench: dict, partner: str, clock: str = "") -> float:
    """Median over rounds of imgedge's time / the partner's time in the same round (nan if unpaired);
    ``clock="cpu"``: CPU time instead of wall time."""
    suffix = "_cpu_ms" if clock == "cpu" else "_ms"
    own = bench["extra_info"].get("own" + suffix) or []
    other = bench["extra_info"].get(f"paired_{partner}{suffix}") or []
    ratios = sorted(a / b for a, b in zip(own, other) if b > 0)
    if not ratios:
        return float("nan")
    mid = len(ratios) // 2
    return ratios[mid] if len(ratios) % 2 else (ratios[mid - 1] + ratios[mid]) / 2


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = []
    try:
        import PIL.features as f
        from PIL import __version__ as pil

        versions.append(f"Pillow {pil} (libjpeg-turbo {f.version('libjpeg_turbo')}, libwebp {f.version('webp')}, "
                        f"libavif {f.version('avif')})")
    except Exception:
        pass
    try:
        from importlib.metadata import version

        from imgedge.core import resize

        if resize.SIMD:
            versions.append(f"cykooz.resizer {version('cykooz.resizer')} "
                            f"({resize._simd.Resizer().cpu_extensions.name})")
        else:
            versions.append("Pillow's resampler (no cykooz.resizer)")
    except Exception:
        pass
    try:
        import pyvips

        versions.append(f"libvips {pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}")
    except Exception:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs; Python {platform.python_version()}; " + ", ".join(versions)


def run_pytest(args: argparse.Namespace, json_path: Path) -> int:
    env = {**os.environ, "VIPS_CONCURRENCY": "1", "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [sys.executable, "-m", "pytest", str(HERE), "-q", "-p", "no:cacheprovider",
           f"--bench-rounds={args.rounds}", f"--photos={args.photos}", f"--benchmark-json={json_path}",
           "--benchmark-disable-gc",
           "--benchmark-columns=min,median,max,rounds", "--benchmark-sort=name"]
    if args.only:
        module = {"cases": "test_cases.py", "ladder": "test_ladder.py", "startup": "test_startup.py"}[args.only]
        cmd += [str(HERE / module)]
        cmd.remove(str(HERE))
    if args.k:
        cmd += ["-k", args.k]
    cmd += args.pytest_args
    preexec = None
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        cpu = args.cpu

        def preexec():  # the child and everything it starts share one core
            os.sched_setaffinity(0, {cpu})
    print("running:", " ".join(cmd), f"(pinned to CPU {args.cpu})" if args.cpu is not None else "", flush=True)
    return subprocess.call(cmd, cwd=ROOT, env=env, preexec_fn=preexec,
                           stdout=None if args.verbose else subprocess.DEVNULL)


def report(json_path: Path) -> str:
    data = json.loads(json_path.read_text())
    rows = [b for b in data["benchmarks"] if b.get("extra_info", {}).get("kind")]
    lines: list[str] = []
    out = lines.append
    info = data.get("machine_info", {})
    out(f"Machine: {data.get('imgedge_machine') or info.get('cpu', {}).get('brand_raw', '')}")
    out(f"Run: {data.get('datetime', '')}  JSON: {json_path}")

    def stat(b, key="median"):
        return b["stats"][key] * 1000

    cases = defaultdict(lambda: defaultdict(dict))  # case -> photo -> impl -> bench
    for b in rows:
        e = b["extra_info"]
        if e["kind"] == "case":
            cases[e["case"]][e["photo"]][e["impl"]] = b
    if any("split" in b["extra_info"] for b in rows):
        lines += corpus_report(cases)
    elif cases:
        out("")
        out("## Cases: geometric mean over the photos (time = median of rounds, single-threaded)")
        out("")
        out("Ratios in bold are paired: the median over rounds of imgedge / the baseline run just before it in the")
        out("same round; in brackets, the ratio of the two separate benchmarks' medians (more exposed to load drift).")
        out("")
        out("| case | photos | imgedge ms | libvips ms | naive ms | floor ms | imgedge/libvips | imgedge/naive "
            "| imgedge/floor | PSNR dB imgedge / libvips / naive | bytes imgedge/libvips | targets |")
        out("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for case, per_photo in cases.items():
            full = {p: v for p, v in per_photo.items() if "imgedge" in v}
            t = {i: geomean(stat(v[i]) for v in full.values() if i in v)
                 for i in ("imgedge", "libvips", "naive", "floor")}
            q = {i: mean(v[i]["extra_info"]["psnr"] for v in full.values() if i in v)
                 for i in ("imgedge", "libvips", "naive")}
            by = geomean(v["imgedge"]["extra_info"]["bytes"] / v["libvips"]["extra_info"]["bytes"]
                         for v in full.values() if "libvips" in v)
            r_naive = t["imgedge"] / t["naive"]
            sep_vips, sep_floor = t["imgedge"] / t["libvips"], t["imgedge"] / t["floor"]
            r_vips = geomean(paired_ratio(v["imgedge"], "libvips") for v in full.values())
            r_floor = geomean(paired_ratio(v["imgedge"], "floor") for v in full.values())
            if math.isnan(r_vips):
                r_vips = sep_vips
            if math.isnan(r_floor):
                r_floor = sep_floor
            checks = [("time", r_vips <= 1.0), ("PSNR", q["imgedge"] >= q["libvips"] - 0.2), ("bytes", by <= 1.05)]
            if case.startswith("640-jpeg"):
                checks.append(("floor", r_floor <= 1.1))
            verdict = " ".join(f"{name} {'ok' if good else 'MISS'}" for name, good in checks)
            out(f"| {case} | {len(full)} | {t['imgedge']:.1f} | {t['libvips']:.1f} | {t['naive']:.1f} "
                f"| {t['floor']:.1f} | **{r_vips:.2f}** ({sep_vips:.2f}) | {r_naive:.2f} "
                f"| **{r_floor:.2f}** ({sep_floor:.2f}) "
                f"| {q['imgedge']:.2f} / {q['libvips']:.2f} / {q['naive']:.2f} | {by:.3f} | {verdict} |")
        out("")
        out("The floor's output is a crop, not the picture: it is a time floor only, so it has no PSNR here.")
        out("")
        out("### Per photo (median ms; PSNR dB; bytes)")
        out("")
        out("| case | photo | imgedge | libvips | naive | floor (scale) | imgedge/libvips paired (separate) "
            "| PSNR imgedge − libvips | bytes imgedge/libvips |")
        out("|---|---|---|---|---|---|---|---|---|")
        for case, per_photo in cases.items():
            for photo, v in per_photo.items():
                if not {"imgedge", "libvips"} <= set(v):
                    continue
                ie, lv = v["imgedge"], v["libvips"]  # (rows need both)
                fl = v.get("floor")
                na = v.get("naive")

                def cell(b):
                    if not b:
                        return "–"
                    return f"{stat(b):.1f} ({b['extra_info']['psnr']:.2f} dB, {b['extra_info']['bytes']:,} B)"
                floor_cell = f"{stat(fl):.1f} ({fl['extra_info'].get('floor_scale', '')})" if fl else "–"
                out(f"| {case} | {photo} | {cell(ie)} | {cell(lv)} | {f'{stat(na):.1f}' if na else '–'} | {floor_cell} "
                    f"| {paired_ratio(ie, 'libvips'):.2f} ({stat(ie) / stat(lv):.2f}) "
                    f"| {ie['extra_info']['psnr'] - lv['extra_info']['psnr']:+.2f} "
                    f"| {ie['extra_info']['bytes'] / lv['extra_info']['bytes']:.3f} |")

    rss = [b for b in rows if b["extra_info"]["kind"] == "rss"]
    if rss and "split" in rss[0]["extra_info"]:
        lines += corpus_rss_report(rss)
        rss = []
    if rss:
        out("")
        out(f"## Peak RSS added by one variant (fresh process; VmHWM after − before; {rss[0]['extra_info']['photo']})")
        out("")
        table = defaultdict(dict)
        for b in rss:
            table[b["extra_info"]["case"]][b["extra_info"]["impl"]] = b["extra_info"]["peak_delta_mib"]
        out("| case | imgedge MiB | libvips MiB | naive MiB |")
        out("|---|---|---|---|")
        for case, v in table.items():
            out(f"| {case} | {v.get('imgedge', float('nan')):.1f} | {v.get('libvips', float('nan')):.1f} "
                f"| {v.get('naive', float('nan')):.1f} |")

    imports = {b["extra_info"]["module"]: b for b in rows if b["extra_info"]["kind"] == "import"}
    if imports:
        out("")
        out("## Cold import (fresh interpreter; median wall time of `python -c 'import X'` minus `python -c pass`)")
        out("")
        bare = stat(imports["bare"]) if "bare" in imports else 0.0
        out(f"Bare interpreter: {bare:.1f} ms")
        out("")
        out("| module | over bare ms | in-process ms | budget ms | numpy / PIL / boto3 loaded |")
        out("|---|---|---|---|---|")
        for module, b in imports.items():
            if module == "bare":
                continue
            e = b["extra_info"]
            over = stat(b) - bare
            budget = IMPORT_BUDGET_MS.get(module)
            mark = "" if budget is None else (" ok" if over <= budget else " MISS")
            out(f"| {module} | {over:.1f} | {e.get('in_process_ms', float('nan')):.1f} | {budget}{mark} "
                f"| {e.get('numpy_loaded')} / {e.get('pil_loaded')} / {e.get('boto3_loaded')} |")

    ladder = defaultdict(lambda: defaultdict(dict))
    for b in rows:
        e = b["extra_info"]
        if e["kind"] == "ladder":
            ladder[e["case"]][e["megapixels"]][e["impl"]] = b
    for case, per_mp in ladder.items():
        out("")
        out(f"## Time against source megapixels: {case} (ladder photos, median ms)")
        out("")
        out("| MP | imgedge ms | libvips ms | imgedge/libvips paired (separate) | PSNR imgedge / libvips |")
        out("|---|---|---|---|---|")
        for mp in sorted(per_mp):
            v = per_mp[mp]
            if {"imgedge", "libvips"} <= set(v):
                out(f"| {mp:.1f} | {stat(v['imgedge']):.1f} | {stat(v['libvips']):.1f} | "
                    f"{paired_ratio(v['imgedge'], 'libvips'):.2f} ({stat(v['imgedge']) / stat(v['libvips']):.2f}) "
                    f"| {v['imgedge']['extra_info']['psnr']:.2f} / "
                    f"{v['libvips']['extra_info']['psnr']:.2f} |")
    return "\n".join(lines)


def psnr_comparable(photo: dict, case: str) -> bool:
    """Whether PSNR against the reference (full decode, alpha dropped, no colour management) says anything
    about both outputs: not for a wide-gamut original (imgedge converts it to sRGB, libvips' ``thumbnail``
    keeps its numbers) nor a transparent one (made JPEG, imgedge flattens onto white, libvips onto black;
    kept transparent, the colour under low alpha is whatever each encoder keeps there, premultiplied by
    imgedge's AVIF: ``quality.py`` composites them over white and black instead)."""
    wide = "srgb" not in (photo.get("icc") or "srgb").lower()
    return not wide and not photo.get("alpha")


def corpus_report(cases: dict) -> list[str]:
    """The corpus tables: per case and split, the paired imgedge/libvips ratios (wall and CPU) as a
    geometric mean and the worst original, beside PSNR (where ``psnr_comparable``) and bytes; then per
    kind of original and per original."""
    import corpus

    manifest = {p["name"]: p for p in corpus.ensure()["photos"]}
    out = ["", "## Corpus: imgedge / libvips, paired per round (wall; CPU), tune and validate parts", "",
           "| case | part | originals | time geomean | CPU geomean | worst original (time) | originals > 1.3x "
           "| PSNR dB imgedge / libvips (mean, comparable) | PSNR diff worst | bytes imgedge/libvips |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    by_kind: dict = defaultdict(lambda: defaultdict(list))
    for case, per_photo in cases.items():
        for split in ("tune", "validate", "all"):
            pairs = [v["imgedge"] for v in per_photo.values() if "imgedge" in v
                     and (split == "all" or v["imgedge"]["extra_info"]["split"] == split)]
            if not pairs:
                continue
            wall = {b["extra_info"]["photo"]: paired_ratio(b, "libvips") for b in pairs}
            cpu = geomean(paired_ratio(b, "libvips", "cpu") for b in pairs)
            worst = max(wall, key=lambda name: wall[name])
            psnr_vips = {b["extra_info"]["photo"]: b["extra_info"]["libvips_psnr"] for b in pairs
                         if "libvips_psnr" in b["extra_info"] and math.isfinite(b["extra_info"]["psnr"])
                         and math.isfinite(b["extra_info"]["libvips_psnr"])
                         and psnr_comparable(manifest.get(b["extra_info"]["photo"], {}), case)}
            diffs = [b["extra_info"]["psnr"] - psnr_vips[b["extra_info"]["photo"]] for b in pairs
                     if b["extra_info"]["photo"] in psnr_vips]
            mean_vips = mean(psnr_vips[b["extra_info"]["photo"]] for b in pairs
                             if b["extra_info"]["photo"] in psnr_vips)
            bytes_vips = {b["extra_info"]["photo"]: b["extra_info"]["libvips_bytes"] for b in pairs
                          if "libvips_bytes" in b["extra_info"]}
            by = geomean(b["extra_info"]["bytes"] / bytes_vips[b["extra_info"]["photo"]] for b in pairs
                         if b["extra_info"]["photo"] in bytes_vips)
            over = sum(1 for r in wall.values() if r > 1.3)
            mean_own = mean(b["extra_info"]["psnr"] for b in pairs if b["extra_info"]["photo"] in psnr_vips)
            out.append(f"| {case} | {split} | {len(pairs)} | **{geomean(wall.values()):.2f}** | {cpu:.2f} "
                       f"| {wall[worst]:.2f} {worst} | {over} | {mean_own:.2f} / "
                       f"{mean_vips:.2f} | {min(diffs, default=float('nan')):+.2f} | {by:.3f} |")
            if split == "all":
                for b in pairs:
                    by_kind[b["extra_info"]["original_kind"]][case].append(wall[b["extra_info"]["photo"]])
    names = list(cases)
    out += ["", "### By kind of original (time geomean; worst)", "",
            "| kind | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for kind, per_case in sorted(by_kind.items()):
        cells = [f"{geomean(per_case[c]):.2f}; {max(per_case[c]):.2f}" if per_case.get(c) else "–" for c in names]
        out.append(f"| {kind} | " + " | ".join(cells) + " |")
    out += ["", "### Per original (paired time ratio; CPU ratio; imgedge ms; PSNR imgedge − libvips)", "",
            "| original | part | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    photos = sorted({p for per_photo in cases.values() for p in per_photo})
    for photo in photos:
        cells, split = [], ""
        for case in names:
            v = cases[case].get(photo, {})
            b = v.get("imgedge")
            if not b:
                cells.append("–")
                continue
            e = b["extra_info"]
            split = e["split"]
            comparable = "libvips_psnr" in e and psnr_comparable(manifest.get(photo, {}), case)
            diff = f"{e['psnr'] - e['libvips_psnr']:+.2f}" if comparable else "n/c"
            cells.append(f"{paired_ratio(b, 'libvips'):.2f}; {paired_ratio(b, 'libvips', 'cpu'):.2f}; "
                         f"{b['stats']['median'] * 1000:.0f}; {diff}")
        out.append(f"| {photo} | {split} | " + " | ".join(cells) + " |")
    return out


def corpus_rss_report(rss: list[dict]) -> list[str]:
    """Peak memory added by one variant, imgedge beside libvips, per case and original."""
    table: dict = defaultdict(dict)
    for b in rss:
        e = b["extra_info"]
        table[(e["case"], e["photo"])][e["impl"]] = e["peak_delta_mib"]
    out = ["", "## Peak memory added by one variant (fresh process; VmHWM after − before; MiB)", "",
           "| case | original | imgedge | libvips | imgedge/libvips |", "|---|---|---|---|---|"]
    for (case, photo), v in table.items():
        mine, theirs = v.get("imgedge", float("nan")), v.get("libvips", float("nan"))
        ratio = mine / theirs if theirs else float("nan")
        out.append(f"| {case} | {photo} | {mine:.1f} | {theirs:.1f} | {ratio:.2f} |")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 7)))
    parser.add_argument("--only", choices=("cases", "ladder", "startup"))
    parser.add_argument("--photos", choices=("cases", "corpus"), default="cases",
                        help="the photo set (fetch_photos.py) or the broad corpus (corpus.py)")
    parser.add_argument("-k", help="pytest -k expression")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--report", type=Path, help="print the tables of an existing JSON and exit")
    parser.add_argument("--cpu", type=int, default=0, help="CPU to pin to (default 0)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin to one CPU")
    parser.add_argument("--offline", action="store_true", help="no apt: use fixtures/photos")
    parser.add_argument("-v", "--verbose", action="store_true", help="show pytest's own output")
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args(argv)
    if args.no_pin:
        args.cpu = None
    if args.report:
        print(report(args.report))
        return 0

    sys.path.insert(0, str(HERE))
    import fetch_photos

    manifest = fetch_photos.ensure(offline=args.offline)
    if args.photos == "corpus":
        import corpus

        corpus.ensure()
    if manifest["origin"] != "debian":
        print(f"NOTE: photos from {manifest['origin']} (apt-get unavailable): a smaller set than the Debian one")
    json_path = args.json or ROOT / ".benchmarks" / f"imgedge-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    json_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.time()
    code = run_pytest(args, json_path)
    if not json_path.exists():
        print("pytest wrote no JSON", file=sys.stderr)
        return code or 1
    data = json.loads(json_path.read_text())
    data["imgedge_machine"] = machine() + (f"; pinned to CPU {args.cpu}" if args.cpu is not None else "; not pinned")
    data["imgedge_photos_origin"] = manifest["origin"]
    json_path.write_text(json.dumps(data, indent=1))
    print(report(json_path))
    print(f"\n({time.time() - started:.0f} s; pytest exit code {code})")
    return code


if __name__ == "__main__":
    sys.exit(main())
