"""Where originals come from and variants go: one small interface, two implementations.

``S3Store`` (boto3, any S3-compatible endpoint) is what the Lambda handlers use; ``DirectoryStore`` is the
local edge's embedded default. Both refuse to overwrite: ``put_new`` is a conditional create, so a
variant is written once, completely, and an original can never be replaced through this interface.

Every caller (the generator, remembered refusals, purge, warm) works through ``Store`` alone, and every
store answers failures the same way (``imgedge.errors``): a missing key is ``NotFound`` (``None`` from
``head``, nothing to do for ``delete``); a refused permission, throttling or any other failure is
``UpstreamError`` (502, 503 when the store asks to slow down). A refused permission is never taken for a
missing key: the stack grants ``s3:ListBucket`` wherever it reads, so S3 answers 404 for a missing key and a
403 means a role is missing a permission, which must not become cached 404s, fallbacks or regenerations.
``tests/store/test_contract.py`` runs the same tests against every store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Iterator, Protocol

if TYPE_CHECKING:
    from .s3 import S3Store


@dataclass(frozen=True)
class StoredObject:
    data: bytes
    content_type: str | None = None
    etag: str | None = None
    cache_control: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


class Store(Protocol):
    def get(self, key: str, *, max_bytes: int | None = None) -> StoredObject:
        """The object at ``key``. ``NotFound`` if absent; ``PayloadTooLarge`` over ``max_bytes``, having read
        at most ``max_bytes + 1`` bytes of it."""

    def head(self, key: str) -> StoredObject | None:
        """The object's headers (``data`` empty; the ETag re-checks an original), or None if absent."""

    def put_new(
        self, key: str, data: bytes, *, content_type: str, cache_control: str, metadata: dict[str, str]
    ) -> bool:
        """Create ``key`` only if it does not exist. True if written, False if it already existed."""

    def list(self, prefix: str) -> Iterator[str]:
        """Every key that starts with ``prefix`` (a string prefix, not necessarily a folder), each once,
        fetched page by page: memory stays bounded however many there are. No order is promised (AWS gives
        UTF-8 byte order; SeaweedFS, for one, walks its folders depth first): callers sort what they show."""

    def delete(self, keys: Iterable[str]) -> None:
        """Remove ``keys``; absent ones are no error. Batched (S3: 1,000 per request), so a purge of many
        variants costs few requests; ``keys`` may be a generator."""


def exists(store: Store, key: str) -> bool:
    """Whether ``key`` is stored (one HEAD): the check ``imgedge warm`` makes before rendering."""
    return store.head(key) is not None


def __getattr__(name: str) -> object:
    """``S3Store`` on first use: botocore loads with it, not with every user of the protocol (the local edge)."""
    if name == "S3Store":
        from .s3 import S3Store

        return S3Store
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


from .directory import DirectoryStore  # noqa: E402

__all__ = ["Store", "StoredObject", "DirectoryStore", "S3Store", "exists"]
