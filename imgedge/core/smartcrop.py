"""Smart crop (``g=smart``): where a ``cover`` crop should sit, from a saliency map of a reduced image.

No model, no face detector: a few cheap cues that libvips' ``attention`` and smartcrop.js also use,
computed with numpy on the region reduced to at most ``SIDE`` px on its longer side (~2 ms for any
original, since the pipeline hands over the already-decoded, DCT-scaled pixels):

* **detail**: the gradient magnitude of luminance, so in-focus subjects beat bokeh, sky and walls;
* **distinctness**: how far each pixel's colour is from the image's mean colour after a light blur
  (Achanta et al.'s frequency-tuned saliency): a red boat on a grey lake, a bird on a leafy blur;
* **skin**: closeness to skin tones in normalised RGB, weighted by brightness (people are what viewers
  look for first; this is a boost, not face detection);
* **saturation**, a little.

Each cue is normalised to its own maximum, summed with the weights below, and the crop window (its size
is fixed by the box) slides over every position on a summed-area table; the best total wins, ties going
to the window nearest the centre. The result is the window's centre as fractions of the region, which
``geometry.plan`` turns into the crop.
"""

from __future__ import annotations

from PIL import Image

from . import decode, geometry, resize

#: Longest side of the image the saliency map is computed on.
SIDE = 128
WEIGHTS = {"detail": 1.0, "distinct": 0.4, "skin": 0.8, "saturation": 0.1}
#: Skin colour direction in RGB (smartcrop.js) and how far (unit-vector distance) still counts.
SKIN = (0.78, 0.57, 0.44)
SKIN_RADIUS = 0.12
#: Scores within this fraction of the best count as ties (then the most central window wins).
TIE = 0.01


def reduce_for_saliency(image: Image.Image) -> Image.Image:
    """``image`` shrunk (box filter) to at most ``SIDE`` px on its longer side, in RGB."""
    scale = SIDE / max(image.size)
    if scale < 1:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.BOX, reducing_gap=2.0)
    if image.mode != "RGB":
        if image.mode in ("LA", "RGBA", "P", "PA"):
            image = image.convert("RGBA").convert("RGB")
        else:
            image = image.convert("RGB")
    return image


def saliency(image: Image.Image):
    """The saliency map (float32 numpy array, image-sized) of a small RGB image."""
    import numpy as np

    rgb = np.asarray(image, dtype=np.float32) / 255.0
    lum = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    gy, gx = np.gradient(lum)
    detail = np.hypot(gx, gy)
    smooth = _box3(rgb)
    distinct = np.sqrt(((smooth - smooth.reshape(-1, 3).mean(axis=0)) ** 2).sum(axis=2))
    tone = np.array(SKIN, dtype=np.float32)
    unit = rgb / (np.sqrt((rgb ** 2).sum(axis=2, keepdims=True)) + 1e-6)
    skin_dist = np.sqrt(((unit - tone / np.linalg.norm(tone)) ** 2).sum(axis=2))
    skin = np.clip(1 - skin_dist / SKIN_RADIUS, 0, 1) * np.clip(lum * 2.5 - 0.25, 0, 1)
    high, low = rgb.max(axis=2), rgb.min(axis=2)
    saturation = (high - low) / (high + 1e-6) * np.clip(1 - np.abs(lum - 0.5) * 1.6, 0, 1)
    score = np.zeros_like(lum)
    for name, cue in (("detail", detail), ("distinct", distinct), ("skin", skin), ("saturation", saturation)):
        peak = float(cue.max())
        if peak > 1e-6:
            score += WEIGHTS[name] * cue / peak
    return score


def best_window(score, window: tuple[int, int]) -> tuple[int, int]:
    """Top-left of the ``window``-sized rectangle with the largest total ``score`` (ties: most central)."""
    import numpy as np

    h, w = score.shape
    ww, wh = max(1, min(w, window[0])), max(1, min(h, window[1]))
    table = np.zeros((h + 1, w + 1), dtype=np.float64)
    table[1:, 1:] = score.cumsum(axis=0).cumsum(axis=1)
    sums = table[wh:, ww:] - table[:-wh, ww:] - table[wh:, :-ww] + table[:-wh, :-ww]
    best = float(sums.max())
    ys, xs = np.nonzero(sums >= best * (1 - TIE))
    cy, cx = (h - wh) / 2, (w - ww) / 2
    pick = int(np.argmin((ys - cy) ** 2 + (xs - cx) ** 2))
    return int(xs[pick]), int(ys[pick])


def focus(image: Image.Image, window: tuple[float, float]) -> tuple[float, float]:
    """The centre of the most salient ``window`` (a fraction of the image's width and height, each <= 1),
    as fractions of ``image``'s width and height."""
    small = reduce_for_saliency(image)
    score = saliency(small)
    size = (max(1, round(window[0] * small.width)), max(1, round(window[1] * small.height)))
    x, y = best_window(score, size)
    return (x + size[0] / 2) / small.width, (y + size[1] / 2) / small.height


def output_focus(pixels: Image.Image, region: geometry.Box | None, space: tuple[int, int], orientation: int,
                 scale: tuple[float, float], layout: geometry.Plan) -> geometry.Point:
    """Where the most salient crop window of ``layout`` is centred, in output space. Works on the
    already-decoded (DCT-scaled) ``pixels``: only the region is reduced, then oriented like the output."""
    area = region or (0.0, 0.0, float(space[0]), float(space[1]))
    box = geometry.scale_box(geometry.to_stored(area, space, orientation), scale, pixels.size)
    left, top, right, bottom = box
    window = (round(left), round(top), round(right), round(bottom))
    reduced = reduce_for_saliency(resize.normalise_mode(pixels).crop(window))
    reduced = decode.orient(reduced, orientation)
    width, height = area[2] - area[0], area[3] - area[1]
    crop_w, crop_h = layout.crop[2] - layout.crop[0], layout.crop[3] - layout.crop[1]
    fx, fy = focus(reduced, (min(1.0, crop_w / width), min(1.0, crop_h / height)))
    return area[0] + fx * width, area[1] + fy * height


def _box3(rgb):
    """A 3x3 box blur of an H x W x 3 array (edges repeated)."""
    import numpy as np

    padded = np.pad(rgb, ((1, 1), (1, 1), (0, 0)), mode="edge")
    out = np.zeros_like(rgb)
    for dy in range(3):
        for dx in range(3):
            out += padded[dy:dy + rgb.shape[0], dx:dx + rgb.shape[1]]
    return out / 9
