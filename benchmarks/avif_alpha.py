"""AVIF transparency: straight against premultiplied alpha and imgedge's choice, as a browser shows it and as
Pillow reads it.

    python benchmarks/avif_alpha.py [--split tune|validate] [--graphics] [--widths 320,1080] [--qualities 40,52,64,76]
    python benchmarks/avif_alpha.py --peers [--split tune|validate] [--graphics] [--widths 320,1080]

For every RGBA original of the corpus (``--graphics``: the transparent graphics of ``alpha_graphics.py``
instead), imgedge's own lossless resize (the encoder's input) is encoded as AVIF with imgedge's settings
three times per quality (``MODES``): with straight alpha, with libavif's premultiplied alpha (the colour
planes hold colour x alpha, flagged by the ``prem`` item reference), and as imgedge chooses
(``encode.avif_alpha``: straight with one flat colour for a one-colour graphic). Each file is then

* drawn by headless Chromium (Debian's ``chromium``, through Playwright) onto a canvas filled white and one
  filled black, and read back (``toDataURL``, lossless);
* decoded by Pillow and composited over the same two backgrounds;

and each composite is compared (PSNR) with the encoder's input composited the same way (Pillow: the
squared errors of both backgrounds averaged). A browser that ignored the premultiplied flag would multiply
by alpha twice: too dark wherever alpha < 1, which the composite over black exposes (there the colour alone
shows). Over white the alpha shows: Debian's Chromium 156 reads every AVIF's alpha plane as limited-range
video, premultiplied or not (see benchmarks/RESULTS.md, "AVIF transparency").

``--peers`` asks what a viewer sees of each implementation's files instead: imgedge's (``imgedge.transform``),
libvips' and sharp's AVIF of every RGBA original over ``quality.py``'s sweeps, each read by Chromium and by
Pillow and compared with ``quality.py``'s float reference composited over both backgrounds; the summary is
imgedge's BD-PSNR against each peer as each reader shows the files.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _path in (str(HERE), str(ROOT)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from tests.browser.canvas import drawn_over  # noqa: E402

import corpus  # noqa: E402
from quality import BACKGROUNDS, _imgedge_lossless, _premultiplied, composites, psnr_of  # noqa: E402


def browser_composites(page, avif: bytes) -> list[np.ndarray]:
    """``avif`` as Chromium draws it over each of ``BACKGROUNDS``: float RGB 0-255 arrays."""
    shown = drawn_over(page, avif, "image/avif", [int(b) for b in BACKGROUNDS])
    return [np.asarray(image, dtype=np.float32) for image in shown]


def pillow_composites(avif: bytes) -> list[np.ndarray]:
    image = Image.open(io.BytesIO(avif))
    image.load()
    return composites(*_premultiplied(image))


def psnr_over(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return psnr_of(statistics.mean(float(((x - y) ** 2).mean()) for x, y in zip(a, b)))


#: The encodings compared: straight alpha as the image is, premultiplied (every transparent AVIF before
#: the one-colour rule), and imgedge's choice (``encode.avif_alpha``: straight and flattened for a
#: one-colour graphic, premultiplied otherwise).
MODES = ("straight", "premultiplied", "imgedge")


def encode(image: Image.Image, quality: int, mode: str) -> bytes:
    from imgedge.core.encode import avif_alpha, avif_settings

    premultiplied = mode == "premultiplied"
    if mode == "imgedge":
        (image,), premultiplied = avif_alpha([image])
    out = io.BytesIO()
    image.save(out, "AVIF", **{**avif_settings(quality), "max_threads": 1, "alpha_premultiplied": premultiplied})
    return out.getvalue()


def summary(curves: dict[tuple, list[dict]]) -> str:
    """Per original and width, premultiplied against straight, and imgedge's choice against premultiplied:
    BD-PSNR (dB at equal bytes) and BD-rate (% bytes at equal PSNR), as Pillow reads the files and as
    Chromium shows them; then the mean and worst of the second per part."""
    from quality import bd_quality, bd_rate

    rows = ["", "| original | part | width | premultiplied vs straight: Pillow | Chromium "
            "| imgedge's choice vs premultiplied: Pillow | Chromium |", "|---|---|---|---|---|---|---|"]
    gains: dict[tuple, list[tuple[float, str]]] = {}
    for (name, split, width, mode), points in curves.items():
        if mode != "imgedge":
            continue
        cells = []
        for subject, base in (("premultiplied", "straight"), ("imgedge", "premultiplied")):
            for metric in ("pillow", "chromium"):
                a, b = curves[(name, split, width, subject)], curves[(name, split, width, base)]
                if all(p["bytes"] == q["bytes"] for p, q in zip(a, b)):
                    cells.append("the same files")
                    dq = 0.0
                else:
                    dq, dr = bd_quality(a, b, metric), bd_rate(a, b, metric)
                    cells.append(", ".join("no overlap" if v is None else f"{v:+.2f}{unit}"
                                           for v, unit in ((dq, " dB"), (dr, " %"))))
                if subject == "imgedge" and dq is not None:
                    gains.setdefault((split, width, metric), []).append((dq, name))
        rows.append(f"| {name} | {split} | {width} | " + " | ".join(cells) + " |")
    rows += ["", "| part | width | imgedge's choice vs premultiplied, BD-PSNR mean (worst): Pillow | Chromium |",
             "|---|---|---|---|"]
    for split, width in sorted({(s, w) for s, w, _ in gains}):
        cells = []
        for metric in ("pillow", "chromium"):
            values = gains.get((split, width, metric), [])
            worst = min(values) if values else (float("nan"), "")
            cells.append(f"{statistics.mean(v for v, _ in values):+.2f} ({worst[0]:+.2f} {worst[1]}), "
                         f"{len(values)} originals" if values else "-")
        rows.append(f"| {split} | {width} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


PEERS = ("libvips", "sharp")


def peer_summary(curves: dict[tuple, list[dict]]) -> str:
    """imgedge against each peer per original and width: BD-PSNR (dB at equal bytes; where the byte
    ranges do not overlap, the BD-rate) as Pillow reads the files and as Chromium shows them."""
    from quality import bd_quality, bd_rate

    head = " | ".join(f"vs {peer}, {reader}" for peer in PEERS for reader in ("Pillow", "Chromium"))
    rows = ["", f"| original | part | width | {head} |", "|---|---|---|" + "---|" * 2 * len(PEERS)]
    for (name, split, width, impl), points in curves.items():
        if impl != "imgedge":
            continue
        cells = []
        for peer in PEERS:
            theirs = curves[(name, split, width, peer)]
            for reader in ("pillow", "chromium"):
                dq = bd_quality(points, theirs, reader)
                dr = None if dq is not None else bd_rate(points, theirs, reader)
                cells.append(f"{dq:+.2f} dB" if dq is not None
                             else "no overlap" if dr is None else f"bytes {dr:+.0f} %")
        rows.append(f"| {name} | {split} | {width} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def peers_as_shown(page, entries: list[dict], widths: list[int]) -> dict[tuple, list[dict]]:
    """Every implementation's AVIF sweep of each original, as Chromium draws it and as Pillow reads it."""
    from quality import RDCase, produce, reference, sweep

    curves: dict[tuple, list[dict]] = {}
    print("| original | part | width | implementation | q | bytes | Pillow PSNR "
          "| Chromium PSNR over black, over white |")
    print("|---|---|---|---|---|---|---|---|")
    for entry in entries:
        for width in widths:
            case = RDCase(f"{width}-avif", width, "avif", 60)
            for impl in ("imgedge", *PEERS):
                for quality in sweep(impl, "avif"):
                    avif = produce(impl, entry, case, quality)
                    read = Image.open(io.BytesIO(avif))
                    expected = composites(*reference(entry["path"], read.size))
                    shown = browser_composites(page, avif)
                    point = {"bytes": len(avif), "pillow": psnr_over(pillow_composites(avif), expected),
                             "chromium": psnr_over(shown, expected)}
                    over = [psnr_over([drawn], [wanted]) for drawn, wanted in zip(shown, expected)]
                    curves.setdefault((entry["name"], entry["split"], width, impl), []).append(point)
                    print(f"| {entry['name']} | {entry['split']} | {width} | {impl} | {quality} | {len(avif):,} "
                          f"| {point['pillow']:.2f} | {over[1]:.2f}, {over[0]:.2f} |", flush=True)
    return curves


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=corpus.SPLITS)
    parser.add_argument("--widths", default="320,1080")
    parser.add_argument("--qualities", default="40,52,64,76")
    parser.add_argument("--peers", action="store_true",
                        help="imgedge's, libvips' and sharp's files as Chromium and Pillow show them")
    from playwright.sync_api import sync_playwright

    parser.add_argument("--graphics", action="store_true",
                        help="the transparent graphics of alpha_graphics.py instead of the corpus' RGBA originals")
    args = parser.parse_args(argv)
    if args.graphics:
        from alpha_graphics import graphics

        entries = graphics(args.split)
    else:
        entries = corpus.select(corpus.ensure(), args.split, ["png-rgba"], distinct_pixels=True)
    if args.peers:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                                  args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = chromium.new_page()
            page.set_content("<!doctype html><title>alpha</title>")
            curves = peers_as_shown(page, entries, [int(w) for w in args.widths.split(",")])
            chromium.close()
        print(peer_summary(curves))
        return 0
    print("| original | part | width | q | " + " | ".join(f"{mode}: bytes; Pillow PSNR; Chromium PSNR over black, "
                                                       "over white" for mode in MODES) + " |")
    print("|---|---|---|---|" + "---|" * len(MODES))
    curves: dict[tuple, list[dict]] = {}
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                              args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = chromium.new_page()
        page.set_content("<!doctype html><title>alpha</title>")
        for entry in entries:
            for width in (int(w) for w in args.widths.split(",")):
                source = _imgedge_lossless(entry["path"], width)
                expected = composites(*_premultiplied(source))
                for quality in (int(q) for q in args.qualities.split(",")):
                    cells = []
                    for mode in MODES:
                        avif = encode(source, quality, mode)
                        shown, read = browser_composites(page, avif), pillow_composites(avif)
                        point = {"bytes": len(avif), "pillow": psnr_over(read, expected),
                                 "chromium": psnr_over(shown, expected)}
                        for background, drawn, wanted in zip(BACKGROUNDS, shown, expected):
                            point[f"over {background:.0f}"] = psnr_over([drawn], [wanted])
                        curves.setdefault((entry["name"], entry["split"], width, mode), []).append(point)
                        cells.append(f"{len(avif):,} B; {point['pillow']:.2f}; {point['over 0']:.2f}, "
                                     f"{point['over 255']:.2f}")
                    print(f"| {entry['name']} | {entry['split']} | {width} | {quality} | " + " | ".join(cells) + " |",
                          flush=True)
        chromium.close()
    print(summary(curves))
    return 0


if __name__ == "__main__":
    sys.exit(main())
