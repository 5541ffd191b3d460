"""WordPress's Photon query parameters (Jetpack, ``i0.wp.com``, WordPress.com media URLs), as WordPress and
unpic's ``wordpress`` provider write them: ``?w=640&h=480&crop=1&quality=70&format=webp``.

``w`` and ``h`` together fit inside the box unless ``crop=1`` crops to it; ``resize``, ``fit`` and ``lb`` give
the box as ``W,H`` (crop, fit inside, letterbox). ``crop=x,y,w,h`` in pixels (``12px,…``) is ``rect``; in
percent of the original it needs the original's size and is refused. Without ``format`` the format comes from
``Accept``, as Photon serves WebP to browsers that take it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .base import Dialect, Pairs, Reader, Translation, claimed_by, pixels

if TYPE_CHECKING:
    from ...config import Config

FORMATS = {"auto": "auto", "webp": "webp", "avif": "avif", "jpeg": "jpeg", "jpg": "jpeg", "png": "png",
           "gif": "gif"}
#: Box parameters ``W,H`` → the project's fit.
BOXES = {"resize": "cover", "fit": "inside", "lb": "contain"}
#: Read and ignored: ``strip`` (imgedge strips metadata anyway), ``ssl`` (which scheme Photon fetches with).
IGNORED = ("strip", "ssl")
NAMES = frozenset({"w", "h", "crop", "quality", "format", "zoom", *BOXES, *IGNORED})
_PIXEL_RECT = re.compile(r"([0-9]{1,5})px,([0-9]{1,5})px,([0-9]{1,5})px,([0-9]{1,5})px")
_BOX = re.compile(r"([0-9]{1,5}),([0-9]{1,5})")


def translate(uri: str, pairs: Pairs, config: "Config") -> Translation:
    reader = Reader("photon", pairs, NAMES, config)
    width, height = pixels(reader, "w"), pixels(reader, "h")
    crop = (reader.get("crop") or "0").lower()
    fit = "cover" if crop in ("1", "true") else "inside"
    if crop not in ("0", "1", "true", "false"):
        rect = _PIXEL_RECT.fullmatch(crop)
        if rect is None:
            raise reader.refuse("crop", "must be 1, 0 or x,y,w,h in pixels (12px,20px,300px,200px); percentages "
                                        "of the original are not supported")
        reader.emit("rect", ",".join(rect.groups()))
    boxes = [name for name in BOXES if reader.get(name) is not None]
    if len(boxes) > 1 or (boxes and (width is not None or height is not None)):
        raise reader.refuse(boxes[0], "give the box once: w and h, or one of resize, fit, lb")
    if boxes:
        box = _BOX.fullmatch(reader.get(boxes[0]) or "")
        if box is None or "0" in (box[1], box[2]):
            raise reader.refuse(boxes[0], "must be W,H in pixels")
        width, height, fit = float(box[1]), float(box[2]), BOXES[boxes[0]]
    reader.size(width, height, reader.number("zoom", 0.01, 10))
    if width is not None and height is not None:
        reader.emit("fit", fit)
    reader.emit("fmt", reader.choice("format", FORMATS))
    quality = reader.number("quality", 1, 100)
    reader.emit("q", None if quality is None else round(quality))
    return Translation(uri, reader.out)


#: What only Photon says: its box, zoom and strip parameters, ``crop`` as a switch or in pixels, ``fit=W,H``.
CLAIMS = claimed_by({"resize", "lb", "zoom", "strip", "ssl"},
                    {"crop": lambda v: v in ("0", "1", "true", "false") or bool(_PIXEL_RECT.fullmatch(v)),
                     "fit": lambda v: bool(_BOX.fullmatch(v))})
DIALECT = Dialect("photon", translate, claims=CLAIMS)
