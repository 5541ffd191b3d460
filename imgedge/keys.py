"""Variant keys: a pure, reversible mapping between (original key, VariantSpec) and an S3 key.

Layout::

    <variants_prefix>/<original key>/<segment>
    _variants/photos/cat.jpg/w640-q80.webp
    _variants/photos/cat.jpg/w480-h360-cover-q80.avif
    _variants/photos/logo.png/w320-q80.legacy        (JPEG, PNG if the original has alpha, GIF if animated)
    _variants/photos/cat.jpg/rect10_20_300_200-w480-h360-cover-smart-rot90-flip-bg1a73e8-bri-20-gray-blur3-sharpen1.5-wm_logo-copyright-still-mb50k-q60.avif
    _variants/photos/cat.jpg/w32-h24-cover-blurhash.txt     (placeholders: blurhash, lqip)
    _variants/photos/cat.jpg/info.json

* The segment is tokens joined by ``-``, each starting with a lowercase letter (so ``bri-20`` is one
  token), in one fixed order, and only the options that differ from their defaults: one spelling per
  variant. ``parse_variant_key`` reads the tokens back and refuses any other spelling.

* Readable: the segment spells the spec; the original's key is visible in the path.
* Reversible: the original key is everything between the prefix and the last ``/``.
* One prefix per original: purging every variant of ``photos/cat.jpg`` is deleting
  ``_variants/photos/cat.jpg/``.
* Safe for any original key: keys are handled decoded; ``uri_for_key`` percent-encodes everything but
  unreserved characters (``+`` too, which S3 would otherwise read as a space).

Originals are never under the prefix, and requests that address the prefix directly are refused, so a
variant can never be mistaken for an original nor an original overwritten.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from .errors import BadRequest, Forbidden, URITooLong
from .spec import COMPASS, FITS, PLACEHOLDER_FORMATS, VariantSpec

#: S3 keys are at most 1,024 bytes of UTF-8: no variant key may be longer (S3 would refuse to store it).
MAX_KEY_BYTES = 1024
#: Originals leave room for the prefix and the segment (a segment with many options still may not fit:
#: ``variant_key`` checks the whole key).
MAX_ORIGINAL_KEY_BYTES = 900

_EXT_BY_FORMAT = {"jpeg": "jpg", "png": "png", "webp": "webp", "avif": "avif", "gif": "gif", "legacy": "legacy",
                  "blurhash": "txt", "lqip": "txt", "json": "json"}
_IMAGE_EXTS = {"jpg": "jpeg", "png": "png", "webp": "webp", "avif": "avif", "gif": "gif", "legacy": "legacy"}
_INFO_SEGMENT = "info.json"
_NUM = r"(0|[1-9][0-9]{0,5})"
_POS = r"([1-9][0-9]{0,5})"
_SIGNED = r"(0|-?[1-9][0-9]{0,2})"
#: (field, pattern) in the order tokens appear; each pattern's groups are read by ``_apply``.
_TOKENS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, re.compile(pattern)) for name, pattern in (
    ("rect", rf"rect{_NUM}_{_NUM}_{_POS}_{_POS}"),
    ("width", rf"w{_POS}"),
    ("height", rf"h{_POS}"),
    ("fit", "(" + "|".join(FITS) + ")"),
    ("enlarge", "enlarge"),
    ("gravity", "(" + "|".join((*COMPASS, "smart")) + ")"),
    ("focal", rf"fp{_NUM}x{_NUM}"),
    ("rotate", "rot(90|180|270)"),
    ("flip", "flip"),
    ("background", "bg([0-9a-f]{6}(?:[0-9a-f]{2})?)"),
    ("brightness", rf"bri{_SIGNED}"),
    ("contrast", rf"con{_SIGNED}"),
    ("saturation", rf"sat{_SIGNED}"),
    ("grayscale", "gray"),
    ("blur", rf"blur{_POS}"),
    ("sharpen", r"sharpen((?:[1-9]|10)(?:\.5)?|0\.5)"),
    ("watermark", r"wm_([A-Za-z_][A-Za-z0-9_]{0,31})"),
    ("keep_copyright", "copyright"),
    ("animated", "still"),
    ("max_bytes", r"mb([1-9][0-9]{0,8})([km]?)"),
    ("quality", rf"q{_POS}"),
    ("placeholder", "(" + "|".join(PLACEHOLDER_FORMATS) + ")"),
))
_SPLIT = re.compile(r"-(?=[a-z])")


def variant_key(original_key: str, spec: VariantSpec, prefix: str) -> str:
    """The S3 key of one variant of ``original_key``; ``URITooLong`` if S3 could not store it."""
    return check_key_length(f"{prefix}/{original_key}/{segment_for(spec)}")


def check_key_length(key: str) -> str:
    """``key`` unchanged if it fits S3's 1,024-byte limit, else ``URITooLong`` (414): a key S3 cannot hold is
    refused where it is named, rather than rendered and then lost to PutObject's KeyTooLongError."""
    if len(key.encode("utf-8", "surrogateescape")) > MAX_KEY_BYTES:
        raise URITooLong("the image path and options name a key longer than 1024 bytes")
    return key


def segment_for(spec: VariantSpec) -> str:
    """The last path segment naming ``spec`` (``w480-h360-cover-q60.avif``)."""
    if spec.format == "json":
        return _INFO_SEGMENT
    tokens = []
    if spec.rect is not None:
        tokens.append("rect{}_{}_{}_{}".format(*spec.rect))
    if spec.width is not None:
        tokens.append(f"w{spec.width}")
    if spec.height is not None:
        tokens.append(f"h{spec.height}")
    if spec.fit is not None:
        tokens.append(spec.fit)
    if spec.enlarge:
        tokens.append("enlarge")
    if spec.gravity == "fp" and spec.focal is not None:
        tokens.append("fp{}x{}".format(*spec.focal))
    elif spec.gravity is not None:
        tokens.append(spec.gravity)
    if spec.rotate:
        tokens.append(f"rot{spec.rotate}")
    if spec.flip:
        tokens.append("flip")
    if spec.background is not None:
        tokens.append(f"bg{spec.background}")
    for name, value in (("bri", spec.brightness), ("con", spec.contrast), ("sat", spec.saturation)):
        if value:
            tokens.append(f"{name}{value}")
    if spec.grayscale:
        tokens.append("gray")
    if spec.blur:
        tokens.append(f"blur{spec.blur}")
    if spec.sharpen:
        tokens.append(f"sharpen{spec.sharpen:g}")
    if spec.watermark is not None:
        tokens.append(f"wm_{spec.watermark}")
    if spec.keep_copyright:
        tokens.append("copyright")
    if not spec.animated:
        tokens.append("still")
    if spec.max_bytes is not None:
        tokens.append("mb" + _budget_text(spec.max_bytes))
    if spec.quality is not None:
        tokens.append(f"q{spec.quality}")
    if spec.format in PLACEHOLDER_FORMATS:
        tokens.append(spec.format)
    if not tokens:
        raise ValueError("a variant names at least a width, a height or a quality")
    return "-".join(tokens) + "." + _EXT_BY_FORMAT[spec.format]


def parse_variant_key(key: str, prefix: str) -> tuple[str, VariantSpec]:
    """Inverse of ``variant_key``: (original key, spec). ``BadRequest`` if ``key`` is not a variant key."""
    head = prefix + "/"
    if not key.startswith(head):
        raise BadRequest("not a variant key")
    check_key_length(key)
    original_key, _, segment = key[len(head):].rpartition("/")
    if not original_key:
        raise BadRequest("not a variant key")
    spec = parse_segment(segment)
    validate_original_key(original_key, prefix)
    return original_key, spec


def parse_segment(segment: str) -> VariantSpec:
    """Inverse of ``segment_for``; ``BadRequest`` for anything but the one canonical spelling."""
    if segment == _INFO_SEGMENT:
        return VariantSpec(None, None, None, None, "json")
    stem, dot, ext = segment.rpartition(".")
    if not dot or not stem or len(segment) > 300 or (ext not in _IMAGE_EXTS and ext != "txt"):
        raise BadRequest("not a variant key")
    values: dict[str, object] = {}
    position = 0
    for token in _SPLIT.split(stem):
        for index in range(position, len(_TOKENS)):
            name, pattern = _TOKENS[index]
            match = pattern.fullmatch(token)
            if match:
                values[name] = _value(name, match)
                position = index + 1
                break
        else:
            raise BadRequest("not a variant key")
    placeholder = values.pop("placeholder", None)
    if (ext == "txt") != (placeholder is not None):
        raise BadRequest("not a variant key")
    values["format"] = placeholder if placeholder is not None else _IMAGE_EXTS[ext]
    focal = values.pop("focal", None)
    if focal is not None:
        if "gravity" in values:
            raise BadRequest("not a variant key")
        values["gravity"], values["focal"] = "fp", focal
    try:
        spec = VariantSpec(**{"width": None, "height": None, "fit": None, "quality": None, **values})  # type: ignore[arg-type]
    except (ValueError, TypeError):
        raise BadRequest("not a variant key") from None
    if segment_for(spec) != segment:  # one spelling per variant, no aliases
        raise BadRequest("not a canonical variant key")
    return spec


def _value(name: str, match: re.Match[str]) -> object:
    groups = match.groups()
    if name in ("enlarge", "flip", "grayscale", "keep_copyright"):
        return True
    if name == "animated":
        return False
    if name in ("fit", "gravity", "background", "watermark", "placeholder"):
        return groups[0]
    if name == "rect":
        return tuple(int(g) for g in groups)
    if name == "focal":
        return int(groups[0]), int(groups[1])
    if name == "sharpen":
        return float(groups[0])
    if name == "max_bytes":
        return int(groups[0]) * {"": 1, "k": 1000, "m": 1_000_000}[groups[1]]
    return int(groups[0])


def _budget_text(value: int) -> str:
    if value % 1_000_000 == 0:
        return f"{value // 1_000_000}m"
    if value % 1000 == 0:
        return f"{value // 1000}k"
    return str(value)


def validate_original_key(key: str, prefix: str) -> str:
    """Refuse keys that are unsafe or ambiguous as originals; return the key unchanged if fine.

    S3 itself would accept all of these; we refuse them so that one original has one spelling and no
    request can address the variants prefix or smuggle path tricks through a rewrite.
    """
    if not key or key.endswith("/"):
        raise BadRequest("the path must name an image")
    if len(key.encode("utf-8", "surrogatepass")) > MAX_ORIGINAL_KEY_BYTES:
        raise URITooLong("the path is too long")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in key):
        raise BadRequest("the path contains control characters")
    segments = key.split("/")
    if any(seg in ("", ".", "..") for seg in segments):
        raise BadRequest("the path contains empty, '.' or '..' segments")
    if segments[0] == prefix:
        raise Forbidden("variants cannot be requested directly")
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest("the path is not valid UTF-8") from None
    return key


def key_for_uri(uri: str) -> str:
    """The decoded S3 key a CloudFront ``request.uri`` (percent-encoded, leading ``/``) addresses."""
    if not uri.startswith("/"):
        raise BadRequest("the path must start with /")
    return unquote(uri[1:], errors="surrogateescape")


def uri_for_key(key: str) -> str:
    """The percent-encoded URI for an S3 key (inverse of ``key_for_uri``)."""
    return "/" + quote(key, safe="/-_.~", errors="surrogateescape")


__all__ = [
    "variant_key",
    "check_key_length",
    "segment_for",
    "parse_segment",
    "parse_variant_key",
    "validate_original_key",
    "key_for_uri",
    "uri_for_key",
]
