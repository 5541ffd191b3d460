"""The words of the request grammar: formats, fits, gravities and the limits values are checked against.

Every other module of the request layer (and the image core) reads these names from here, so a format or a
gravity is spelled once.
"""

from __future__ import annotations

#: Fits, canonical names, and their aliases (imgproxy, imgix, sharp and CSS spellings).
FITS = ("cover", "contain", "fill", "inside", "outside")
FIT_ALIASES = {
    "crop": "cover", "pad": "contain", "letterbox": "contain",
    "force": "fill", "stretch": "fill", "scale": "fill",
    "clip": "inside", "scale-down": "inside", "max": "inside",
}

#: Concrete output formats, plus ``legacy``: what ``fmt=auto`` means for a viewer that accepts neither
#: AVIF nor WebP — JPEG, PNG when the original has transparency, GIF when it is animated (only the
#: original can tell). ``blurhash`` and ``lqip`` are text placeholders, ``json`` the original's metadata.
FORMATS = ("jpeg", "png", "webp", "avif", "gif", "legacy", "blurhash", "lqip", "json")
REQUESTABLE_FORMATS = ("auto", "jpeg", "png", "webp", "avif", "gif", "blurhash", "lqip", "json")
FORMAT_ALIASES = {"jpg": "jpeg"}
LOSSY_FORMATS = ("jpeg", "webp", "avif", "legacy")
IMAGE_FORMATS = ("jpeg", "png", "webp", "avif", "gif", "legacy")
PLACEHOLDER_FORMATS = ("blurhash", "lqip")
#: Formats that can carry an animation (``legacy`` becomes GIF for an animated original).
ANIMATED_FORMATS = ("webp", "avif", "gif", "legacy")
#: Formats whose files carry EXIF (GIF cannot).
EXIF_FORMATS = ("jpeg", "png", "webp", "avif", "legacy")

#: ``scale``: the step, in percent of the original's size, a relative size snaps up to on named variants (so
#: one original has ``100 // SCALE_STEP`` of them), and the finest an exact (``transform``) one may ask.
SCALE_STEP = 5

#: Gravities, canonical names. ``None`` in a spec is the centre.
COMPASS = ("north", "northeast", "east", "southeast", "south", "southwest", "west", "northwest")
GRAVITIES = (*COMPASS, "smart", "fp")
GRAVITY_ALIASES = {
    **{name: name for name in COMPASS},
    "centre": "centre", "center": "centre", "c": "centre", "ce": "centre", "middle": "centre", "mid": "centre",
    "n": "north", "no": "north", "top": "north", "t": "north",
    "s": "south", "so": "south", "bottom": "south", "b": "south",
    "e": "east", "ea": "east", "right": "east", "r": "east",
    "w": "west", "we": "west", "left": "west", "l": "west",
    "ne": "northeast", "noea": "northeast", "top-right": "northeast", "topright": "northeast",
    "nw": "northwest", "nowe": "northwest", "top-left": "northwest", "topleft": "northwest",
    "se": "southeast", "soea": "southeast", "bottom-right": "southeast", "bottomright": "southeast",
    "sw": "southwest", "sowe": "southwest", "bottom-left": "southwest", "bottomleft": "southwest",
    "smart": "smart", "sm": "smart", "auto": "smart", "entropy": "smart", "edges": "smart",
    "attention": "smart", "faces": "smart",
    "fp": "fp", "focalpoint": "fp", "focal": "fp",
}
#: Compass point → (x, y) anchor as a fraction of the free space (0 = left/top, 1 = right/bottom).
ANCHORS = {
    None: (0.5, 0.5), "north": (0.5, 0.0), "northeast": (1.0, 0.0), "east": (1.0, 0.5),
    "southeast": (1.0, 1.0), "south": (0.5, 1.0), "southwest": (0.0, 1.0), "west": (0.0, 0.5),
    "northwest": (0.0, 0.0),
}
FROM_ANCHOR = {anchor: name for name, anchor in ANCHORS.items()}

#: Flip spellings → h | v | hv (rotate first, then flip).
FLIPS = {"h": "h", "v": "v", "hv": "hv", "vh": "hv", "x": "h", "y": "v", "xy": "hv"}
#: ``meta`` spellings → whether EXIF Copyright and Artist are kept (EXIF is never kept whole: it carries GPS).
METADATA = {"none": False, "strip": False, "copyright": True}

#: ``q=auto``: the lowest quality whose output meets the config's perceptual target (``Config.quality_target``).
AUTO_QUALITY = "auto"
#: A perceptual target is an SSIMULACRA2 score within this range (100: identical).
MIN_TARGET, MAX_TARGET = 30, 95

MAX_DPR = 4.0
#: Largest coordinate ``rect`` accepts (JPEG's own limit; no original we decode is wider).
MAX_RECT = 65535
MAX_BLUR = 250
MAX_SHARPEN = 10.0
#: Named variants snap brightness/contrast/saturation to multiples of this (bounded key space).
ADJUST_STEP = 5
#: Longest side of the image a placeholder (blurhash, lqip) is computed from.
PLACEHOLDER_SIDE = 32
MIN_BUDGET = 100
MAX_BUDGET = 100_000_000


def canonical_hex(digits: str) -> str:
    """Lowercase ``rrggbb[aa]`` in its one spelling: opaque without alpha, fully transparent as ``00000000``."""
    if len(digits) == 8 and digits.endswith("ff"):
        return digits[:6]
    if len(digits) == 8 and digits.endswith("00"):
        return "00000000"  # fully transparent: the colour underneath does not matter
    return digits
