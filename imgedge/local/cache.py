"""A CloudFront-like response cache: keyed by what the behaviour's cache policy keys on, TTLs as CloudFront
computes them from the policy and the origin's headers, ``Age``, revalidation, invalidation by path.

TTL rules (CloudFront Developer Guide, "Manage how long content stays in the cache" and "How CloudFront
processes and caches HTTP 4xx and 5xx status codes"):

* 2xx/3xx with ``Cache-Control: s-maxage`` (preferred) or ``max-age``: that value clamped to
  ``[MinTTL, MaxTTL]``; with ``no-cache``/``no-store``/``private``: ``MinTTL`` (so not cached when it is 0);
  with ``Expires`` only: the time left, clamped; with none of these: ``DefaultTTL``.
* 404, 405, 410, 414, 501 are cached for the error caching minimum TTL (10 s unless the distribution's
  ``CustomErrorResponses`` say otherwise), or for the origin's ``max-age``/``s-maxage``/``Expires`` when
  longer (capped at ``MaxTTL``); ``no-store``/``no-cache``/``private`` on them means not cached.
* 400, 403, 412, 415, 500, 502, 503, 504 are cached only when the origin gave ``max-age``/``s-maxage``/
  ``Expires`` (the larger of it and the error caching minimum TTL, capped at ``MaxTTL``).
* 206, 304, 416 and other statuses are not stored.

The cache does not vary on ``Vary`` (CloudFront caches one object per cache key and passes ``Vary`` on to
the viewer unchanged); the cache key alone decides. Not played: serving a stale object when the origin
answers 5xx, range requests (206), Origin Shield and the regional edge cache tier (one cache here).
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Iterator

from .behaviour import CachePolicy


def _clock() -> float:
    """Seconds on a monotonic clock (tests replace it to let time pass)."""
    return time.monotonic()


ALWAYS_CACHED_ERRORS = frozenset({404, 405, 410, 414, 501})
CACHED_ERRORS_WITH_MAX_AGE = frozenset({400, 403, 412, 415, 500, 502, 503, 504})
_DIRECTIVE = re.compile(r"\s*([a-zA-Z-]+)\s*(?:=\s*\"?([^\",]*)\"?)?\s*(?:,|$)")


@dataclass(frozen=True)
class CacheKey:
    """What CloudFront's cache key holds for one request: the URI, the query strings the policy selects,
    and a canonical form of the selected headers, cookies and normalised Accept-Encoding."""

    uri: str
    query: str = ""
    extra: str = ""

    @property
    def path(self) -> str:
        """The URL the key stands for, as an invalidation path matches it."""
        return self.uri + (f"?{self.query}" if self.query else "")


@dataclass
class CachedResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    stored_at: float = field(default_factory=lambda: _clock())
    ttl: float = 0.0

    def age(self) -> int:
        return int(_clock() - self.stored_at)

    def fresh(self) -> bool:
        return _clock() - self.stored_at < self.ttl

    def validators(self) -> dict[str, str]:
        """``If-None-Match`` / ``If-Modified-Since`` for a revalidation (empty: cannot revalidate)."""
        out = {}
        etag = _get(self.headers, "ETag")
        if etag:
            out["If-None-Match"] = etag
        modified = _get(self.headers, "Last-Modified")
        if modified:
            out["If-Modified-Since"] = modified
        return out

    def refreshed(self, ttl: float) -> None:
        self.stored_at, self.ttl = _clock(), ttl


def cache_directives(cache_control: str | None) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for match in _DIRECTIVE.finditer(cache_control or ""):
        if match.group(1):
            out[match.group(1).lower()] = match.group(2)
    return out


def _seconds(value: str | None) -> int | None:
    try:
        return max(0, int(value)) if value is not None else None
    except ValueError:
        return None


def _get(headers: dict[str, str], name: str) -> str | None:
    lower = name.lower()
    for key, value in headers.items():
        if key.lower() == lower:
            return value
    return None


def origin_ttl(headers: dict[str, str]) -> tuple[int | None, bool]:
    """(explicit TTL from ``s-maxage``/``max-age``/``Expires`` or None, whether no-cache/no-store/private)."""
    directives = cache_directives(_get(headers, "Cache-Control"))
    refuses = any(d in directives for d in ("no-cache", "no-store", "private"))
    for name in ("s-maxage", "max-age"):
        value = _seconds(directives.get(name)) if name in directives else None
        if value is not None:
            return value, refuses
    expires = _get(headers, "Expires")
    if expires:
        try:
            delta = parsedate_to_datetime(expires).timestamp() - time.time()
        except (TypeError, ValueError):
            delta = 0  # an invalid Expires is "already expired"
        return max(0, int(delta)), refuses
    return None, refuses


def cloudfront_ttl(policy: CachePolicy, status: int, headers: dict[str, str], error_min_ttl: int) -> float:
    """Seconds CloudFront keeps this response under ``policy`` (0: not cached)."""
    explicit, refuses = origin_ttl(headers)
    if status >= 400:
        if status in ALWAYS_CACHED_ERRORS:
            if explicit is not None:
                return min(max(explicit, error_min_ttl), policy.max_ttl)
            return 0.0 if refuses else float(error_min_ttl)
        if status in CACHED_ERRORS_WITH_MAX_AGE and explicit is not None:
            return min(max(explicit, error_min_ttl), policy.max_ttl)
        return 0.0
    if status in (206, 304) or status < 200:
        return 0.0
    if refuses:
        return float(policy.min_ttl)
    if explicit is not None:
        return float(min(max(explicit, policy.min_ttl), policy.max_ttl))
    return float(policy.default_ttl)


#: What one entry costs beyond its body and strings (the entry, its key, the headers dict): charged so that
#: a flood of distinct URLs with empty or tiny bodies (errors, 304s) still fills the byte bound.
ENTRY_OVERHEAD_BYTES = 1024


class ResponseCache:
    """Bounded in bytes (bodies, headers, keys and a per-entry overhead) and in entries, least recently used
    out. Stale entries stay until replaced or evicted (for revalidation)."""

    def __init__(self, max_bytes: int = 256 * 1024 * 1024, max_entries: int = 100_000) -> None:
        if max_bytes <= 0 or max_entries <= 0:
            raise ValueError("max_bytes and max_entries must be positive")
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self._entries: OrderedDict[CacheKey, tuple[CachedResponse, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        """Bytes charged for what is cached now (never above ``max_bytes``)."""
        return self._bytes

    def get(self, key: CacheKey) -> CachedResponse | None:
        """The entry for ``key``, fresh or stale (check ``fresh()``), or None."""
        with self._lock:
            held = self._entries.get(key)
            if held is None:
                return None
            self._entries.move_to_end(key)
            return held[0]

    def put(self, key: CacheKey, entry: CachedResponse) -> bool:
        size = entry_size(key, entry)
        if entry.ttl <= 0 or size > self.max_bytes:
            self.drop(key)
            return False
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (entry, size)
            self._bytes += size
            while self._bytes > self.max_bytes or len(self._entries) > self.max_entries:
                self._drop(next(iter(self._entries)))
        return True

    def drop(self, key: CacheKey) -> None:
        with self._lock:
            if key in self._entries:
                self._drop(key)

    def invalidate(self, paths: list[str]) -> int:
        """Drop what CloudFront's invalidation of ``paths`` drops: ``/a/b.jpg`` that URL (every header and
        cookie version of it), ``/a/*`` everything starting with ``/a/`` (query strings included)."""
        for path in paths:
            if "*" in path[:-1] or not path.startswith("/"):
                raise ValueError(f"invalid invalidation path {path!r}: starts with /, * only at the end")
        with self._lock:
            doomed = [key for key in self._entries if any(_invalidated(key, p) for p in paths)]
            for key in doomed:
                self._drop(key)
        return len(doomed)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def _drop(self, key: CacheKey) -> None:
        _entry, size = self._entries.pop(key)
        self._bytes -= size


def entry_size(key: CacheKey, entry: CachedResponse) -> int:
    """What ``entry`` under ``key`` is charged against the cache's byte bound."""
    strings = len(key.uri) + len(key.query) + len(key.extra)
    strings += sum(len(name) + len(value) for name, value in entry.headers.items())
    return ENTRY_OVERHEAD_BYTES + strings + len(entry.body)


class InFlight:
    """Request collapsing: at most one origin fetch per cache key at a time.

    A key's lock exists only while some request holds it or waits for it (exceptions and abandoned waits
    included), so the map is bounded by the requests in progress, not by how many distinct URLs were ever
    asked for.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[CacheKey, _KeyLock] = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @contextmanager
    def hold(self, key: CacheKey, timeout: float | None = None) -> Iterator[bool]:
        """Hold ``key``'s lock for the block; yields False (lock not held) when it is not had in ``timeout``
        seconds (None: as long as it takes)."""
        with self._lock:
            slot = self._entries.get(key)
            if slot is None:
                slot = self._entries[key] = _KeyLock()
            slot.users += 1
        try:
            held = slot.lock.acquire(timeout=-1 if timeout is None else timeout)
            try:
                yield held
            finally:
                if held:
                    slot.lock.release()
        finally:
            with self._lock:
                slot.users -= 1
                if slot.users == 0:
                    del self._entries[key]


class _KeyLock:
    """One key's lock and how many requests hold or wait for it (the entry goes when that reaches 0)."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0


def _invalidated(key: CacheKey, path: str) -> bool:
    if path.endswith("*"):
        return key.path.startswith(path[:-1])
    return key.uri == path and not key.query
