"""Optional HMAC-signed URLs: only URLs minted by someone holding a key are rendered.

``/photos/cat.jpg?w=640&fmt=auto&sig=<signature>`` where the signature is
``base64url(HMAC-SHA256(key, "/photos/cat.jpg?w=640&fmt=auto"))`` truncated to 32 characters (192 bits):
the path exactly as sent (percent-encoded) and the query without ``sig``, parameters in the order sent.
Several keys may be configured at once so a key can be rotated: URLs signed with any of them verify;
remove the old key once no live page carries its URLs. A valid signature vouches for the whole query, so a
signed URL may use every option, even those ``allowed_options`` keeps from unsigned ones.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import NamedTuple

from ..config import Config
from ..errors import Forbidden

SIGNATURE_PARAM = "sig"
SIGNATURE_CHARS = 32


def signature(path: str, query: str, key: str) -> str:
    message = f"{path}?{query}".encode("utf-8", "surrogateescape")
    digest = hmac.new(key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:SIGNATURE_CHARS]


def sign_url(path: str, query: str, key: str) -> str:
    """The signed form of ``path?query`` (``path`` percent-encoded as the viewer will send it)."""
    sig = signature(path, query, key)
    return f"{path}?{query}&{SIGNATURE_PARAM}={sig}" if query else f"{path}?{SIGNATURE_PARAM}={sig}"


class Verified(NamedTuple):
    """A query without its ``sig``, and whether a valid signature vouched for it."""

    query: str
    signed: bool


def verify(path: str, query: str, config: Config) -> Verified:
    """Check the signature when signing is on; return the query without ``sig``. ``Forbidden`` otherwise."""
    if not config.signing_keys:
        return Verified(query, signed=False)
    kept: list[str] = []
    given: list[str] = []
    for part in query.split("&") if query else []:
        (given if part.split("=", 1)[0] == SIGNATURE_PARAM else kept).append(part)
    unsigned = "&".join(kept)
    if not given:
        if config.require_signature:
            raise Forbidden("this URL must be signed")
        return Verified(unsigned, signed=False)
    if len(given) != 1:
        raise Forbidden("invalid signature")
    offered = given[0].split("=", 1)[1] if "=" in given[0] else ""
    for key in config.signing_keys:
        if hmac.compare_digest(offered.encode(), signature(path, unsigned, key).encode()):
            return Verified(unsigned, signed=True)
    raise Forbidden("invalid signature")
