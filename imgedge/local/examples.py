"""What the README's examples need from the local edge: the originals they name and the config they assume.

The demo page's samples are seeded under ``samples/`` (``server.seed_samples``); the examples name
``/photos/lake.jpg``, ``/photos/anim.gif`` and a watermark, so the subfolders of the samples folder are
seeded at their own keys (``samples/photos/lake.jpg`` → ``photos/lake.jpg``). The demo config opens every
option to unsigned URLs (a flood of variants costs nothing on one machine) and names the presets and the
watermark the examples use, so each example answers as written; ``imgedge serve`` starts with it unless
given ``--config`` or ``IMGEDGE_CONFIG``.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from ..store import DirectoryStore

#: The config ``imgedge serve`` (and ``imgedge sign``) use when given none.
DEMO_CONFIG = Path(__file__).with_name("demo-config.json")
#: What counts as an original to seed (the folder also holds its SOURCES.md).
ORIGINAL_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".avif")


def seed_examples(store: DirectoryStore) -> list[str]:
    """Copy the originals of the samples folder's subfolders into ``store`` at their relative paths,
    leaving objects already there alone; returns their keys, sorted."""
    keys = []
    for key, item in sorted(_subfolder_originals(resources.files(__package__).joinpath("samples"), "")):
        if not (store.root / key).exists():
            store.put_original(key, item.read_bytes())
        keys.append(key)
    return keys


def _subfolder_originals(folder: Traversable, prefix: str) -> Iterator[tuple[str, Traversable]]:
    """(key, file) for every original below ``folder``'s subfolders (top-level files are the demo page's)."""
    for item in folder.iterdir():
        if item.is_dir():
            yield from _subfolder_originals(item, f"{prefix}{item.name}/")
        elif prefix and item.name.lower().endswith(ORIGINAL_SUFFIXES):
            yield f"{prefix}{item.name}", item
