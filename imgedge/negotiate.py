"""Content negotiation: the ``Accept`` header → the output format for ``fmt=auto``.

Only explicit ``image/avif`` / ``image/webp`` entries count: ``image/*`` and ``*/*`` are what every
client sends, including ones that cannot decode AVIF, so they never select a modern format. An entry
with ``q=0`` is an explicit refusal. The result is one of a handful of values, so it can sit in the
cache key without fragmenting the cache the way a raw ``Accept`` header would.
"""

from __future__ import annotations

from functools import lru_cache

from .config import Config


def negotiate_format(accept: str | None, config: Config) -> str:
    """``avif``, ``webp`` or ``legacy`` (JPEG, or PNG for originals with alpha) for this ``Accept``."""
    accepted = _accepted_image_types(accept or "")
    for fmt in config.auto_formats:
        if f"image/{fmt}" in accepted:
            return fmt
    return "legacy"


@lru_cache(maxsize=1024)
def _accepted_image_types(accept: str) -> frozenset[str]:
    """Media types listed with a non-zero q. Cached: a handful of distinct Accept strings cover traffic."""
    types = set()
    for item in accept[:2048].split(","):
        media, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media and quality > 0:
            types.add(media.lower())
    return frozenset(types)
