"""Next.js' image optimizer URL, ``/_next/image?url=/photos/cat.jpg&w=640&q=75``, as ``next/image`` and unpic's
``nextjs`` provider write it.

``url`` must be a path of this host (``next/image`` sends remote images there too: those are refused, the
edge renders only its own bucket's originals). The format comes from ``Accept``, as Next.js negotiates it;
``q`` defaults to Next.js' 75.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Dialect, Pairs, Reader, Translation, pixels, same_origin_path

if TYPE_CHECKING:
    from ...config import Config

PATH = "/_next/image"
#: Next.js' own default quality.
DEFAULT_QUALITY = 75
NAMES = frozenset({"url", "w", "q"})


def owns_path(uri: str) -> bool:
    return uri in (PATH, PATH + "/")


def translate(uri: str, pairs: Pairs, config: "Config") -> Translation:
    reader = Reader("nextjs", pairs, NAMES, config)
    url, width = reader.get("url"), pixels(reader, "w")
    if url is None or width is None:
        raise reader.refuse("URL", "needs url (the image's path) and w")
    reader.size(width, None, None)
    quality = reader.number("q", 1, 100)
    reader.emit("q", round(quality) if quality is not None else DEFAULT_QUALITY)
    reader.emit("fmt", "auto")
    return Translation(same_origin_path(reader, "url", url), reader.out)


DIALECT = Dialect("nextjs", translate, owns_path=owns_path)
