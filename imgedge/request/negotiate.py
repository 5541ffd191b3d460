"""Content negotiation: the ``Accept`` header → the output format for ``fmt=auto``; client hints →
``ClientHints`` (DPR, width, viewport width, Save-Data) for ``canonical.resolve``.

Only explicit ``image/avif`` / ``image/webp`` entries count: ``image/*`` and ``*/*`` are what every
client sends, including ones that cannot decode AVIF, so they never select a modern format. An entry
with ``q=0`` is an explicit refusal. The result is one of a handful of values, so it can sit in the
cache key without fragmenting the cache the way a raw ``Accept`` header would.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

from ..config import Config


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


@dataclass(frozen=True)
class ClientHints:
    """What the viewer's client hints say, validated. ``None``/False: not sent (or unusable).

    ``dpr`` (``Sec-CH-DPR``, or the legacy ``DPR``) is capped at 4; ``width`` (``Sec-CH-Width``/``Width``)
    is the image's layout width in physical pixels; ``viewport_width`` (``Sec-CH-Viewport-Width`` /
    ``Viewport-Width``) is in CSS pixels; ``save_data`` is ``Save-Data: on``. Headers cannot be signed,
    so a hint never fails a request: an unusable value is ignored, and every value is folded into the
    canonical spec (snapped to the ladder and the quality step), never into the cache key as sent.
    """

    dpr: float | None = None
    width: int | None = None
    viewport_width: int | None = None
    save_data: bool = False

    def __bool__(self) -> bool:
        return bool(self.dpr or self.width or self.viewport_width or self.save_data)

    def without_sizes(self) -> "ClientHints":
        """Only ``Save-Data``: for requests whose box is fixed (signed, presets only), where a hint may make
        the answer cheaper but never larger."""
        return ClientHints(save_data=self.save_data)


_HINT_NUMBER = re.compile(r"\s*([0-9]{1,5}(?:\.[0-9]{1,4})?)\s*")
#: The client hints ``client_hints`` reads, by their standard names (what a response's ``Vary`` and a page's
#: ``Accept-CH`` list), and the older spellings it also accepts.
HINT_HEADERS = ("Sec-CH-DPR", "Sec-CH-Width", "Sec-CH-Viewport-Width", "Save-Data")
LEGACY_HINT_HEADERS = ("DPR", "Width", "Viewport-Width")


def client_hints(headers: Mapping[str, str | None]) -> ClientHints:
    """``ClientHints`` from lowercase header names (``sec-ch-dpr``, ``dpr``, ``sec-ch-width``, ``width``,
    ``sec-ch-viewport-width``, ``viewport-width``, ``save-data``)."""

    def number(*names: str) -> float | None:
        for name in names:
            match = _HINT_NUMBER.fullmatch(headers.get(name) or "")
            if match and float(match[1]) > 0:
                return float(match[1])
        return None

    dpr = number("sec-ch-dpr", "dpr")
    width = number("sec-ch-width", "width")
    viewport = number("sec-ch-viewport-width", "viewport-width")
    save_data = (headers.get("save-data") or "").strip().lower() == "on"
    return ClientHints(
        dpr=min(4.0, max(1.0, round(dpr, 2))) if dpr else None,
        width=min(100_000, math.ceil(width)) if width else None,
        viewport_width=min(100_000, math.ceil(viewport)) if viewport else None,
        save_data=save_data,
    )

