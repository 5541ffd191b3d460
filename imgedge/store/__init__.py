"""Where originals come from and variants go: one small interface, two implementations.

``S3Store`` (boto3, any S3-compatible endpoint) is what the Lambda handlers use; ``DirectoryStore`` is the
local edge's embedded default. Both refuse to overwrite: ``put_new`` is a conditional create, so a
variant is written once, completely, and an original can never be replaced through this interface.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class StoredObject:
    data: bytes
    content_type: str | None = None
    etag: str | None = None
    cache_control: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


class Store(Protocol):
    def get(self, key: str, *, max_bytes: int | None = None) -> StoredObject:
        """The object at ``key``. ``NotFound`` if absent, ``PayloadTooLarge`` over ``max_bytes``,
        ``UpstreamError`` when the store fails."""

    def put_new(
        self, key: str, data: bytes, *, content_type: str, cache_control: str, metadata: dict[str, str]
    ) -> bool:
        """Create ``key`` only if it does not exist. True if written, False if it already existed."""

    def head(self, key: str) -> StoredObject | None:
        """The object's headers (``data`` empty), or None if absent; ``UpstreamError`` when the store fails."""

    def delete(self, key: str) -> None:
        """Remove ``key`` if present (a variant whose original changed under it, a stale refusal marker)."""


from .directory import DirectoryStore  # noqa: E402
from .s3 import S3Store  # noqa: E402

__all__ = ["Store", "StoredObject", "DirectoryStore", "S3Store"]
