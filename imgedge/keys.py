"""Variant keys: a pure, reversible mapping between (original key, VariantSpec) and an S3 key.

Layout::

    <variants_prefix>/<original key>/<segment>
    _variants/photos/cat.jpg/w640-q80.webp
    _variants/photos/cat.jpg/w480-h360-cover-q80.avif
    _variants/photos/logo.png/w320-q80.legacy        (JPEG, or PNG if the original has alpha)

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

from .errors import BadRequest, Forbidden
from .spec import FITS, VariantSpec

#: S3 keys are at most 1024 bytes; leave room for the prefix and the segment.
MAX_ORIGINAL_KEY_BYTES = 900

_EXT_BY_FORMAT = {"jpeg": "jpg", "png": "png", "webp": "webp", "avif": "avif", "legacy": "legacy"}
_FORMAT_BY_EXT = {ext: fmt for fmt, ext in _EXT_BY_FORMAT.items()}
_SEGMENT = re.compile(
    r"(?:w(?P<w>[1-9][0-9]{0,5}))?-?(?:h(?P<h>[1-9][0-9]{0,5}))?"
    r"(?:-(?P<fit>" + "|".join(FITS) + r"))?(?:-?q(?P<q>[1-9][0-9]{0,2}))?\.(?P<ext>[a-z]+)"
)


def variant_key(original_key: str, spec: VariantSpec, prefix: str) -> str:
    """The S3 key of one variant of ``original_key``."""
    tokens = []
    if spec.width is not None:
        tokens.append(f"w{spec.width}")
    if spec.height is not None:
        tokens.append(f"h{spec.height}")
    if spec.fit is not None:
        tokens.append(spec.fit)
    if spec.quality is not None:
        tokens.append(f"q{spec.quality}")
    if not tokens:
        raise ValueError("a variant names at least a width, a height or a quality")
    segment = "-".join(tokens) + "." + _EXT_BY_FORMAT[spec.format]
    return f"{prefix}/{original_key}/{segment}"


def parse_variant_key(key: str, prefix: str) -> tuple[str, VariantSpec]:
    """Inverse of ``variant_key``: (original key, spec). ``BadRequest`` if ``key`` is not a variant key."""
    head = prefix + "/"
    if not key.startswith(head):
        raise BadRequest("not a variant key")
    original_key, _, segment = key[len(head):].rpartition("/")
    match = _SEGMENT.fullmatch(segment)
    if not original_key or not match or match.group("ext") not in _FORMAT_BY_EXT:
        raise BadRequest("not a variant key")
    validate_original_key(original_key, prefix)
    try:
        spec = VariantSpec(
            width=int(match["w"]) if match["w"] else None,
            height=int(match["h"]) if match["h"] else None,
            fit=match["fit"],
            quality=int(match["q"]) if match["q"] else None,
            format=_FORMAT_BY_EXT[match["ext"]],
        )
    except ValueError:
        raise BadRequest("not a variant key") from None
    if variant_key(original_key, spec, prefix) != key:  # one spelling per variant, no aliases
        raise BadRequest("not a canonical variant key")
    return original_key, spec


def validate_original_key(key: str, prefix: str) -> str:
    """Refuse keys that are unsafe or ambiguous as originals; return the key unchanged if fine.

    S3 itself would accept all of these; we refuse them so that one original has one spelling and no
    request can address the variants prefix or smuggle path tricks through a rewrite.
    """
    if not key or key.endswith("/"):
        raise BadRequest("the path must name an image")
    if len(key.encode("utf-8", "surrogatepass")) > MAX_ORIGINAL_KEY_BYTES:
        raise BadRequest("the path is too long")
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
    "parse_variant_key",
    "validate_original_key",
    "key_for_uri",
    "uri_for_key",
]
