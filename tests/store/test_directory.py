"""What only the directory store has to get right: its folders, its sidecars, its temporary files."""

from __future__ import annotations

import pytest

from imgedge.errors import BadRequest
from imgedge.store import DirectoryStore
from imgedge.store.directory import META_DIR, TMP_PREFIX

HEADERS = {"content_type": "image/webp", "cache_control": "public, max-age=60", "metadata": {}}


def test_folders_go_with_their_last_object_in_both_trees(tmp_path):
    store = DirectoryStore(tmp_path)
    store.put_new("_variants/a/b.jpg/w320.webp", b"v", **HEADERS)
    store.put_new("_variants/a/c.jpg/w320.webp", b"v", **HEADERS)
    store.delete(["_variants/a/b.jpg/w320.webp"])
    assert not (tmp_path / "_variants/a/b.jpg").exists() and not (tmp_path / META_DIR / "_variants/a/b.jpg").exists()
    assert (tmp_path / "_variants/a/c.jpg/w320.webp").is_file()
    store.delete(["_variants/a/c.jpg/w320.webp"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [META_DIR] and not any((tmp_path / META_DIR).iterdir())
    assert store.put_new("_variants/a/c.jpg/w320.webp", b"again", **HEADERS)  # and come back with the next


def test_sidecars_and_staged_files_are_never_listed(tmp_path):
    store = DirectoryStore(tmp_path)
    store.put_new("a/v.webp", b"v", **HEADERS)
    (tmp_path / "a" / (TMP_PREFIX + "123")).write_bytes(b"half")
    assert list(store.list("")) == ["a/v.webp"] and list(store.list("a/")) == ["a/v.webp"]


@pytest.mark.parametrize("key", ["../outside.jpg", "a/../../outside.jpg", f"{META_DIR}/a.jpg.json"])
def test_keys_outside_the_store_are_refused(tmp_path, key):
    store = DirectoryStore(tmp_path / "bucket")
    for call in (lambda: store.get(key), lambda: store.head(key), lambda: store.delete([key]),
                 lambda: list(store.list(key + "/"))):
        with pytest.raises(BadRequest):
            call()
