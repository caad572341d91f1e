"""One storage interface for the files the app makes or receives (certificate PDFs, uploaded images).

Every process reads and writes through `get_storage()`, never through paths of its own, so several app
processes or hosts can share one store. The file system is the default; another backend (a network share
is a file system too; an object store would implement the same four methods) is chosen by configuration.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from flask import current_app

# Keys are relative, slash-separated and plain: nothing a caller passes can leave the store's root.
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


class StoredFileMissing(FileNotFoundError):
    pass


class Storage(Protocol):
    def save(self, key: str, data: bytes) -> None: ...

    def load(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...


def check_key(key: str) -> str:
    if not _KEY.match(key) or ".." in key.split("/"):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class FileSystemStorage:
    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def save(self, key: str, data: bytes) -> None:
        """Write to a temporary file and rename it into place: a reader never sees half a file."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def load(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as missing:
            raise StoredFileMissing(key) from missing

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def get_storage() -> Storage:
    backend = current_app.config["STORAGE_BACKEND"]
    if backend == "filesystem":
        return FileSystemStorage(Path(current_app.config["STORAGE_DIR"]))
    raise RuntimeError(f"unknown STORAGE_BACKEND {backend!r}")
