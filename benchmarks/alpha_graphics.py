"""Transparent graphics from outside the corpus, for the AVIF alpha rule (``encode.avif_alpha``).

    python benchmarks/alpha_graphics.py          # builds them; prints each one's colour and imgedge's choice
    python benchmarks/alpha_graphics.py --time   # the rule's cost at 1080 px, beside the encode's

The corpus has two one-colour graphics, both in its validate part, so the rule's threshold is decided on
these as well, each with a tune / validate part of its own:

* **symbolic**: symbolic icons of Debian's ``adwaita-icon-theme`` (SVG, mostly one colour, some parts at
  lower opacity, a few with a second colour), drawn by headless Chromium at 1600 x 1600 on a transparent
  page (its un-premultiplied screenshot rounds the faint edges' colour, as any renderer does);
* **colour**: the same package's 512 x 512 full-colour PNG icons (graphics with alpha that are not one
  colour: the rule must keep premultiplying them);
* **derived** (tune): white, black and grey graphics made from the alpha of the corpus' tune RGBA originals.

Icons alternate between the parts in name order. Files are cached in ``.benchmarks/alpha-graphics``.
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _path in (str(HERE), str(ROOT)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from PIL import Image  # noqa: E402

import corpus  # noqa: E402

ICONS = Path("/usr/share/icons/Adwaita")
CACHE = ROOT / ".benchmarks" / "alpha-graphics"
SYMBOLIC = 24  # icons drawn, evenly spaced over the theme's symbolic icons in name order
COLOUR = 8
SIZE = 1600
#: (tune RGBA original, colour) pairs: the original's alpha under one colour.
DERIVED = (("gulp-2mp-rgba.png", (255, 255, 255)), ("gulp-2mp-rgba.png", (0, 0, 0)),
           ("seeding-5k-rgba.png", (255, 255, 255)), ("bridge-11mp-rgba.png", (128, 128, 128)))


def _spaced(paths: list[Path], count: int) -> list[Path]:
    paths = sorted(paths, key=lambda p: p.name)
    return [paths[i * len(paths) // count] for i in range(min(count, len(paths)))]


def _draw_symbolic(svgs: list[Path]) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                              args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = chromium.new_page(viewport={"width": SIZE, "height": SIZE})
        for svg in svgs:
            out = CACHE / f"symbolic-{svg.stem}.png"
            if out.exists():
                continue
            src = "data:image/svg+xml;base64," + base64.b64encode(svg.read_bytes()).decode()
            page.set_content(f'<!doctype html><body style="margin:0;background:transparent">'
                             f'<img src="{src}" style="display:block;width:{SIZE}px;height:{SIZE}px"></body>')
            page.wait_for_load_state()
            page.screenshot(path=str(out), omit_background=True, clip={"x": 0, "y": 0, "width": SIZE, "height": SIZE})
        chromium.close()


def graphics(split: str | None = None) -> list[dict]:
    """The graphics as corpus-like entries (``name``, ``split``, ``kind``, ``path``), built on first use."""
    if not ICONS.is_dir():
        raise SystemExit("adwaita-icon-theme is not installed (apt-get install adwaita-icon-theme)")
    CACHE.mkdir(parents=True, exist_ok=True)
    entries = []
    svgs = _spaced(list((ICONS / "scalable").rglob("*-symbolic.svg")), SYMBOLIC)
    _draw_symbolic(svgs)
    for index, svg in enumerate(svgs):
        entries.append({"name": f"symbolic-{svg.stem}", "kind": "symbolic", "split": corpus.SPLITS[index % 2],
                        "path": str(CACHE / f"symbolic-{svg.stem}.png")})
    for index, png in enumerate(_spaced(list((ICONS / "512x512").rglob("*.png")), COLOUR)):
        entries.append({"name": f"colour-{png.stem}", "kind": "colour", "split": corpus.SPLITS[index % 2],
                        "path": str(png)})
    manifest = corpus.ensure()
    for original, colour in DERIVED:
        (entry,) = [e for e in corpus.select(manifest, "tune", ["png-rgba"]) if e["name"] == original]
        name = f"derived-{original.split('-')[0]}-{'%02x%02x%02x' % colour}"
        out = CACHE / f"{name}.png"
        if not out.exists():
            alpha = Image.open(entry["path"]).getchannel("A")
            Image.merge("RGBA", (*Image.new("RGB", alpha.size, colour).split(), alpha)).save(out)
        entries.append({"name": name, "kind": "derived", "split": "tune", "path": str(out)})
    return [e for e in entries if split is None or e["split"] == split]


def timings(rounds: int = 15) -> None:
    """The rule's cost at 1080 px (median ``perf_counter`` ms of ``avif_alpha`` on the encoder's input),
    beside the AVIF encode it precedes: on the corpus' RGBA originals and one graphic of each kind here."""
    import io
    import statistics
    import time

    from imgedge.core.encode import avif_alpha, avif_settings

    from quality import _imgedge_lossless

    entries = corpus.select(corpus.ensure(), None, ["png-rgba"], distinct_pixels=True)
    entries += [next(e for e in graphics() if e["kind"] == kind) for kind in ("symbolic", "colour", "derived")]
    print("| image | size | choice | avif_alpha ms (median) | AVIF q60 encode ms |")
    print("|---|---|---|---|---|")
    for entry in entries:
        image = _imgedge_lossless(entry["path"], 1080).convert("RGBA")
        spent = []
        for _ in range(rounds):
            started = time.perf_counter()
            (flat,), premultiplied = avif_alpha([image])
            spent.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        flat.save(io.BytesIO(), "AVIF", **{**avif_settings(60, alpha=premultiplied), "max_threads": 1})
        encode_ms = (time.perf_counter() - started) * 1000
        print(f"| {entry['name']} | {image.width}x{image.height} | "
              f"{'premultiplied' if premultiplied else 'straight, one colour'} | {statistics.median(spent):.1f} "
              f"| {encode_ms:.0f} |", flush=True)


def main() -> int:
    import numpy as np

    from imgedge.core.encode import avif_alpha, one_colour

    from quality import _imgedge_lossless

    if "--time" in sys.argv:
        timings()
        return 0

    print("| graphic | part | width | colour span of the more opaque half (max band) | one colour "
          "| pixels flattened | imgedge's choice |")
    print("|---|---|---|---|---|---|---|")
    for entry in graphics():
        for width in (320, 1080):
            image = _imgedge_lossless(entry["path"], width).convert("RGBA")
            pixels = np.asarray(image)
            shown = pixels[pixels[..., 3] >= (int(pixels[..., 3].max()) + 1) // 2][:, :3].astype(int)
            span = int((shown.max(0) - shown.min(0)).max()) if len(shown) else 0
            colour = one_colour([image])
            (encoded,), premultiplied = avif_alpha([image])
            same = np.asarray(encoded)[..., :3] == np.asarray(colour or (0, 0, 0), dtype=np.uint8)
            flat = f"{same.all(-1)[pixels[..., 3] > 0].mean():.1%}" if colour else "-"
            print(f"| {entry['name']} | {entry['split']} | {image.width} | {span} | {colour or '-'} | {flat} "
                  f"| {'premultiplied' if premultiplied else 'straight'} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
