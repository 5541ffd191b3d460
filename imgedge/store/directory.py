"""A bucket that is a directory: the local edge's embedded default store.

Objects are files under ``root``; their Content-Type, Cache-Control and metadata sit in a JSON sidecar
under ``root/.imgedge-meta/`` (a name no valid key can reach: keys are validated before they get here).
Writes go to a temporary file that is hard-linked into place, which fails if the target exists: the
same create-once semantics as S3's ``IfNoneMatch='*'``, and no reader ever sees half a file.
"""

from __future__ import annotations

import json
import mimetypes
import os
import tempfile
from pathlib import Path

from ..errors import BadRequest, NotFound, PayloadTooLarge
from . import StoredObject

META_DIR = ".imgedge-meta"


class DirectoryStore:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str, *, meta: bool = False) -> Path:
        base = self.root / META_DIR if meta else self.root
        path = (base / (key + ".json" if meta else key)).resolve()
        if base.resolve() not in path.parents or key.split("/")[0] == META_DIR:
            raise BadRequest("the path is outside the store")
        return path

    def get(self, key: str, *, max_bytes: int | None = None) -> StoredObject:
        path = self._path(key)
        try:
            size = path.stat().st_size
            if max_bytes is not None and size > max_bytes:
                raise PayloadTooLarge(f"the original exceeds {max_bytes} bytes")
            data = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise NotFound("no such image") from None
        return self._describe(key, path, data)

    def head(self, key: str) -> StoredObject | None:
        path = self._path(key)
        if not path.is_file():
            return None
        return self._describe(key, path, b"")

    def delete(self, key: str) -> None:
        for path in (self._path(key), self._path(key, meta=True)):
            try:
                path.unlink()
            except (FileNotFoundError, NotADirectoryError):
                pass

    def _describe(self, key: str, path: Path, data: bytes) -> StoredObject:
        """``data`` with the object's headers: its sidecar's, else guessed from the key and the file."""
        meta_path = self._path(key, meta=True)
        meta = json.loads(meta_path.read_text("utf-8")) if meta_path.exists() else {}
        stat = path.stat()
        return StoredObject(
            data=data,
            content_type=meta.get("content_type") or mimetypes.guess_type(key)[0],
            etag=meta.get("etag") or f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"',
            cache_control=meta.get("cache_control"),
            metadata=meta.get("metadata", {}),
        )

    def put_new(
        self, key: str, data: bytes, *, content_type: str, cache_control: str, metadata: dict[str, str]
    ) -> bool:
        path = self._path(key)
        meta_path = self._path(key, meta=True)
        if path.exists():
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        meta_path.parent.mkdir(parents=True, exist_ok=True)
        # Sidecar first: once the object is linked into place its metadata must already be readable.
        _atomic_write(meta_path, json.dumps(
            {"content_type": content_type, "cache_control": cache_control, "metadata": metadata}
        ).encode(), replace=True)
        return _atomic_write(path, data, replace=False)

    def put_original(self, key: str, data: bytes) -> None:
        """Seed an original (local edge and tests only; the edge itself never writes originals)."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(path, data, replace=True)

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under ``prefix`` (purge); returns how many."""
        count = 0
        for base in (self.root, self.root / META_DIR):
            top = (base / prefix).resolve()
            if not top.is_dir() or base.resolve() not in top.parents:
                continue
            for path in sorted(top.rglob("*"), reverse=True):
                if path.is_file():
                    path.unlink()
                    count += base == self.root
                elif path.is_dir():
                    path.rmdir()
            top.rmdir()
        return count


def _atomic_write(path: Path, data: bytes, *, replace: bool) -> bool:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if replace:
            os.replace(tmp, path)
            return True
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        return True
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
