"""Real photos from fixtures/photos (see its SOURCES.md), read once per test session."""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from PIL import Image

PHOTOS = Path(__file__).resolve().parent.parent / "fixtures" / "photos"


@lru_cache(maxsize=None)
def photo(name: str) -> bytes:
    return (PHOTOS / name).read_bytes()


def open_bytes(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def encoded(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()
