"""The images the configuration names (watermarks, rendered fallback images), read through the same store
as originals and under the same size limit.

What a configured image that cannot be read means is decided here, once: it is the operator's to fix, not
the viewer's request or the original's fault, so a missing or oversized asset is a 500 (never remembered as
a refusal of an original, never passed off as the original's 404 or 413), while a store failure stays the
store's 502/503, which retrying may fix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ImageEdgeError, NotFound, PayloadTooLarge
from . import StoredObject

if TYPE_CHECKING:
    from . import Store


class MissingAsset(ImageEdgeError):
    """A configured image is not stored (a fallback's rendering is then made; a watermark's is a 500)."""

    status = 500


def read_asset(store: "Store", key: str, *, kind: str, max_bytes: int) -> StoredObject:
    """The ``kind`` image (``watermark``, ``fallback``) stored at ``key``: ``MissingAsset`` when absent, a 500
    over ``max_bytes``, ``UpstreamError`` when the store fails."""
    try:
        return store.get(key, max_bytes=max_bytes)
    except NotFound:
        raise MissingAsset(f"the {kind} image is missing") from None
    except PayloadTooLarge:
        raise ImageEdgeError(f"the {kind} image exceeds {max_bytes} bytes", status=500) from None
