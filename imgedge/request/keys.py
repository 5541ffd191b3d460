"""The variant key's last segment: a pure, reversible spelling of one ``VariantSpec``.

::

    w640-q80.webp
    w480-h360-cover-q80.avif
    w320-q80.legacy        (JPEG, PNG if the original has alpha, GIF if animated)
    rect10_20_300_200-w480-h360-cover-smart-rot90-flip-bg1a73e8-bri-20-gray-blur3-sharpen1.5-wm_logo-copyright-still-mb50k-q60.avif
    w32-h24-cover-blurhash.txt     (placeholders: blurhash, lqip)
    info.json

The segment is tokens joined by ``-``, each starting with a lowercase letter (so ``bri-20`` is one token),
in the option table's one order (``KEY_TOKENS``), and only the fields that differ from their defaults: one
spelling per variant. The encoder writes that sequence; the decoder reads it back in the same order and
refuses any other spelling.
"""

from __future__ import annotations

import re

from ..errors import BadRequest
from .options import KEY_TOKENS
from .spec import SPEC_DEFAULTS, VariantSpec

EXT_BY_FORMAT = {"jpeg": "jpg", "png": "png", "webp": "webp", "avif": "avif", "gif": "gif", "legacy": "legacy",
                 "blurhash": "txt", "lqip": "txt", "json": "json"}
_IMAGE_EXTS = {ext: fmt for fmt, ext in EXT_BY_FORMAT.items() if ext not in ("txt", "json")}
INFO_SEGMENT = "info.json"
_SPLIT = re.compile(r"-(?=[a-z])")
#: Longest segment read (a segment with every option is well under it).
MAX_SEGMENT_CHARS = 300


def segment_for(spec: VariantSpec) -> str:
    """The last path segment naming ``spec`` (``w480-h360-cover-q60.avif``)."""
    if spec.format == "json":
        return INFO_SEGMENT
    tokens = []
    for token in KEY_TOKENS:
        value = getattr(spec, token.field)
        text = token.write(value) if value != SPEC_DEFAULTS[token.field] else None
        if text is not None:
            tokens.append(text)
    if not tokens:
        raise ValueError("a variant names at least a width, a height or a quality")
    return "-".join(tokens) + "." + EXT_BY_FORMAT[spec.format]


def parse_segment(segment: str) -> VariantSpec:
    """Inverse of ``segment_for``; ``BadRequest`` for anything but the one canonical spelling."""
    if segment == INFO_SEGMENT:
        return VariantSpec(None, None, None, None, "json")
    stem, dot, ext = segment.rpartition(".")
    if not dot or not stem or len(segment) > MAX_SEGMENT_CHARS or (ext not in _IMAGE_EXTS and ext != "txt"):
        raise BadRequest("not a variant key")
    values: dict[str, object] = {}
    position = 0
    for text in _SPLIT.split(stem):
        for index in range(position, len(KEY_TOKENS)):
            token = KEY_TOKENS[index]
            match = token.regex.fullmatch(text)
            if match:
                values[token.field] = token.read(match.groups())
                position = index + 1
                break
        else:
            raise BadRequest("not a variant key")
    placeholder = values.pop("format", None)  # the format's own token names the placeholders only
    if (ext == "txt") != (placeholder is not None):
        raise BadRequest("not a variant key")
    values["format"] = placeholder if placeholder is not None else _IMAGE_EXTS[ext]
    if "focal" in values:  # a focal point is gravity fp: the one gravity spelled by its point
        if "gravity" in values:
            raise BadRequest("not a variant key")
        values["gravity"] = "fp"
    try:
        spec = VariantSpec(**{"width": None, "height": None, "fit": None, "quality": None, **values})  # type: ignore[arg-type]
    except (ValueError, TypeError):
        raise BadRequest("not a variant key") from None
    if segment_for(spec) != segment:  # one spelling per variant, no aliases
        raise BadRequest("not a canonical variant key")
    return spec
