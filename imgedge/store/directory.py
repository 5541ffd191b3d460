"""A bucket that is a directory: the local edge's embedded default store.

Objects are files under ``root``; their Content-Type, Cache-Control and metadata sit in a JSON sidecar
under ``root/.imgedge-meta/`` (a name no valid key can reach: keys are validated before they get here).
Writes go to a temporary file that is hard-linked into place, which fails if the target exists: the
same create-once semantics as S3's ``IfNoneMatch='*'``, and no reader ever sees half a file. Folders are
S3's "common prefixes": they appear with their first object and go with their last.
"""

from __future__ import annotations

import contextlib
import json
import mimetypes
import os
import stat
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

from ..errors import BadRequest, NotFound, PayloadTooLarge, UpstreamError
from . import StoredObject

META_DIR = ".imgedge-meta"
#: Where ``_atomic_write`` stages a file; never listed.
TMP_PREFIX = ".tmp-"


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
        with _mapped(), path.open("rb") as fh:
            if max_bytes is not None and os.fstat(fh.fileno()).st_size > max_bytes:
                raise PayloadTooLarge(f"the original exceeds {max_bytes} bytes")
            data = fh.read() if max_bytes is None else fh.read(max_bytes + 1)  # the file may have grown
            if max_bytes is not None and len(data) > max_bytes:
                raise PayloadTooLarge(f"the original exceeds {max_bytes} bytes")
            return self._describe(key, path, data)

    def head(self, key: str) -> StoredObject | None:
        path = self._path(key)
        try:
            with _mapped():
                if not stat.S_ISREG(path.stat().st_mode):
                    return None
                return self._describe(key, path, b"")
        except NotFound:
            return None

    def put_new(
        self, key: str, data: bytes, *, content_type: str, cache_control: str, metadata: dict[str, str]
    ) -> bool:
        path = self._path(key)
        meta_path = self._path(key, meta=True)
        with _mapped():
            if path.exists():
                return False
            # Sidecar first: once the object is linked into place its metadata must already be readable.
            _atomic_write(meta_path, json.dumps(
                {"content_type": content_type, "cache_control": cache_control, "metadata": metadata}
            ).encode(), replace=True)
            return _atomic_write(path, data, replace=False)

    def list(self, prefix: str) -> Iterator[str]:
        folder, _, start = prefix.rpartition("/")
        top = self._path(folder) if folder else self.root
        with _mapped():
            yield from self._walk(top, folder + "/" if folder else "", start)

    def _walk(self, directory: Path, key_prefix: str, start: str) -> Iterator[str]:
        """Keys under ``directory`` whose name there starts with ``start``, in the order AWS lists them (UTF-8
        bytes): a folder sorts as its name plus "/", which is where all of its keys fall among its siblings."""
        try:
            with os.scandir(directory) as entries:
                named = [((entry.name + "/" if entry.is_dir() else entry.name), entry.path)
                         for entry in entries if entry.name.startswith(start)]
        except (FileNotFoundError, NotADirectoryError):
            return
        named.sort(key=lambda item: item[0].encode())
        for name, path in named:
            if name.endswith("/"):
                if not (key_prefix == "" and name == META_DIR + "/"):
                    yield from self._walk(Path(path), key_prefix + name, "")
            elif not name.startswith(TMP_PREFIX):
                yield key_prefix + name

    def delete(self, keys: Iterable[str]) -> None:
        with _mapped():
            for key in keys:
                for base, path in ((self.root, self._path(key)), (self.root / META_DIR, self._path(key, meta=True))):
                    with contextlib.suppress(FileNotFoundError, NotADirectoryError, IsADirectoryError):
                        path.unlink()
                    _remove_empty_folders(path.parent, base)

    def put_original(self, key: str, data: bytes) -> None:
        """Seed an original (local edge and tests only; the edge itself never writes originals)."""
        with _mapped():
            _atomic_write(self._path(key), data, replace=True)

    def _describe(self, key: str, path: Path, data: bytes) -> StoredObject:
        """``data`` with the object's headers: its sidecar's, else guessed from the key and the file."""
        meta_path = self._path(key, meta=True)
        meta = json.loads(meta_path.read_text("utf-8")) if meta_path.exists() else {}
        info = path.stat()
        return StoredObject(
            data=data,
            content_type=meta.get("content_type") or mimetypes.guess_type(key)[0],
            etag=meta.get("etag") or f'"{info.st_mtime_ns:x}-{info.st_size:x}"',
            cache_control=meta.get("cache_control"),
            metadata=meta.get("metadata", {}),
        )


@contextlib.contextmanager
def _mapped() -> Iterator[None]:
    """The directory's failures as the errors every store raises (see ``imgedge.store``)."""
    try:
        yield
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        raise NotFound("no such image") from None
    except PermissionError as exc:
        raise UpstreamError("the image store refused access") from exc
    except OSError as exc:
        raise UpstreamError("the image store failed") from exc


def _remove_empty_folders(folder: Path, base: Path) -> None:
    """Remove ``folder`` and its parents up to (not including) ``base`` while they are empty."""
    while folder != base and base in folder.parents:
        try:
            folder.rmdir()
        except OSError:  # not empty (or already gone)
            return
        folder = folder.parent


def _atomic_write(path: Path, data: bytes, *, replace: bool) -> bool:
    for attempt in range(3):
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TMP_PREFIX)
            break
        except FileNotFoundError:  # a delete removed the folder it had just emptied: make it again
            if attempt == 2:
                raise
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
