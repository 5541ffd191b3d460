"""A CloudFront-like response cache: keyed by what the cache policy keys on (the rewritten URI), honouring
the origin's ``Cache-Control`` max-age, reporting ``Age``, bounded in bytes (least recently used out)."""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*(\d+)", re.I)
_NO_STORE = re.compile(r"(?:^|,)\s*(?:no-store|no-cache|private)\s*(?:,|$)", re.I)


@dataclass
class CachedResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    stored_at: float = field(default_factory=time.monotonic)
    ttl: float = 0.0

    def age(self) -> int:
        return int(time.monotonic() - self.stored_at)

    def fresh(self) -> bool:
        return time.monotonic() - self.stored_at < self.ttl


def ttl_of(cache_control: str | None) -> float:
    """Seconds a response may be cached, from its Cache-Control (0: do not cache)."""
    if not cache_control or _NO_STORE.search(cache_control):
        return 0.0
    match = _MAX_AGE.search(cache_control)
    return float(match.group(1)) if match else 0.0


class ResponseCache:
    def __init__(self, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, CachedResponse] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> CachedResponse | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if not entry.fresh():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: CachedResponse) -> bool:
        entry.ttl = ttl_of(entry.headers.get("Cache-Control"))
        if entry.ttl <= 0 or len(entry.body) > self.max_bytes:
            return False
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = entry
            self._bytes += len(entry.body)
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))
        return True

    def purge(self, prefix: str) -> int:
        with self._lock:
            doomed = [key for key in self._entries if key.startswith(prefix)]
            for key in doomed:
                self._drop(key)
        return len(doomed)

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key)
        self._bytes -= len(entry.body)
