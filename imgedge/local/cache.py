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
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

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


class ResponseCache:
    """Bounded in bytes, least recently used out. Stale entries stay until replaced (for revalidation)."""

    def __init__(self, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[CacheKey, CachedResponse] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: CacheKey) -> CachedResponse | None:
        """The entry for ``key``, fresh or stale (check ``fresh()``), or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: CacheKey, entry: CachedResponse) -> bool:
        if entry.ttl <= 0 or len(entry.body) > self.max_bytes:
            self.drop(key)
            return False
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = entry
            self._bytes += len(entry.body)
            while self._bytes > self.max_bytes:
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
        entry = self._entries.pop(key)
        self._bytes -= len(entry.body)


def _invalidated(key: CacheKey, path: str) -> bool:
    if path.endswith("*"):
        return key.path.startswith(path[:-1])
    return key.uri == path and not key.query
