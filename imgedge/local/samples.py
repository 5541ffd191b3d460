"""The sample originals the local edge's embedded bucket starts with."""

from __future__ import annotations

from importlib import resources

from ..store import DirectoryStore, exists

SAMPLE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".avif")


def seed_samples(store: DirectoryStore) -> list[str]:
    """Copy the packaged sample originals into a directory bucket (those not there yet); returns their keys.

    A directory store only: the ``Store`` protocol never replaces or creates originals (``put_new`` is for
    variants), and seeding writes originals, which only the embedded bucket lets this process do.
    """
    keys = []
    for item in sorted(resources.files(__package__).joinpath("samples").iterdir(), key=lambda p: p.name):
        if item.name.lower().endswith(SAMPLE_SUFFIXES):
            key = f"samples/{item.name}"
            if not exists(store, key):
                store.put_original(key, item.read_bytes())
            keys.append(key)
    return keys
