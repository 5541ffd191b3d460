"""Variant keys as S3 keys and URIs: ``<variants_prefix>/<original key>/<segment>``.

::

    _variants/photos/cat.jpg/w640-q80.webp
    _variants/photos/cat.jpg/info.json

* Readable: the segment spells the spec (``keys``); the original's key is visible in the path.
* Reversible: the original key is everything between the prefix and the last ``/``.
* One prefix per original: purging every variant of ``photos/cat.jpg`` is deleting
  ``_variants/photos/cat.jpg/``.
* Safe for any original key: keys are handled decoded; ``uri_for_key`` percent-encodes everything but
  unreserved characters (``+`` too, which S3 would otherwise read as a space).

Originals are never under the prefix, and requests that address the prefix directly are refused, so a
variant can never be mistaken for an original nor an original overwritten.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from ..errors import BadRequest, Forbidden, URITooLong
from .keys import parse_segment, segment_for
from .spec import VariantSpec

#: S3 keys are at most 1,024 bytes of UTF-8: no variant key may be longer (S3 would refuse to store it).
MAX_KEY_BYTES = 1024
#: Originals leave room for the prefix and the segment (a segment with many options still may not fit:
#: ``variant_key`` checks the whole key).
MAX_ORIGINAL_KEY_BYTES = 900


def variant_key(original_key: str, spec: VariantSpec, prefix: str) -> str:
    """The S3 key of one variant of ``original_key``; ``URITooLong`` if S3 could not store it."""
    return check_key_length(f"{prefix}/{original_key}/{segment_for(spec)}")


def check_key_length(key: str) -> str:
    """``key`` unchanged if it fits S3's 1,024-byte limit, else ``URITooLong`` (414): a key S3 cannot hold is
    refused where it is named, rather than rendered and then lost to PutObject's KeyTooLongError."""
    if len(key.encode("utf-8", "surrogateescape")) > MAX_KEY_BYTES:
        raise URITooLong("the image path and options name a key longer than 1024 bytes")
    return key


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
