"""Where uploaded files live: a small interface, the local-disk backend, and the choice between backends.

The application never builds a path from a user's file name. It asks ``new_key()`` for a key
(``2025/09/3f2a…``: year, month, a random UUID) and keeps the user's name in the database
(``EvidenceFile.original_name``); the backend stores bytes under the key and nothing else.

``LocalStorage`` writes under ``UPLOAD_ROOT`` (``instance/uploads`` by default), outside the web root: files
are served only through the evidence views, which check who may read them. Writes are atomic: the bytes go
to a temporary file in the target folder, which is then renamed over the key (``os.replace``), so a reader
never sees half a file and a failed write leaves nothing behind.

Adding a backend (for example S3-compatible object storage when several app servers share the files,
DESIGN.md §8): write a class with the four methods of ``Storage`` — ``put`` uploads the stream under the key
(``upload_fileobj``) and returns its size, ``open`` returns a readable binary stream (the body of
``get_object``, or a temporary file), ``exists`` asks for the object's head, ``delete`` removes it and
ignores a missing key — then add a branch to ``get_storage()`` that builds it from the settings (bucket,
endpoint, credentials from the environment) when ``STORAGE_BACKEND`` names it. Keys stay valid object names
as they are. Nothing else in the application changes: services and views only call ``get_storage()``.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from flask import current_app

from models import utcnow

CHUNK = 1024 * 1024
# Keys are made by new_key(); this is what any key must look like before it reaches a file system.
_KEY_RE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}){0,7}")


class StorageError(RuntimeError):
    """The storage is misconfigured or refused a key."""


class InvalidKeyError(StorageError, ValueError):
    """A key that could escape the storage root, or that ``new_key()`` would never make."""


@runtime_checkable
class Storage(Protocol):
    """Bytes under application-made keys. Implementations must be safe to use from several processes."""

    def put(self, key: str, stream: BinaryIO) -> int:
        """Store everything ``stream`` yields (from its current position) under ``key``, replacing what
        was there, atomically; return the number of bytes stored."""
        ...

    def open(self, key: str) -> BinaryIO:
        """A binary stream of the bytes under ``key``; raises ``FileNotFoundError`` if there are none.
        The caller closes it."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error."""
        ...


def new_key() -> str:
    """A fresh storage key, ``yyyy/mm/<uuid4 hex>``: unguessable, unique, and never derived from user
    input (the month folders keep directories small and make backups by period easy)."""
    now = utcnow()
    return f"{now:%Y}/{now:%m}/{uuid.uuid4().hex}"


def check_key(key: str) -> str:
    """Return ``key`` if it is a safe relative key, else raise ``InvalidKeyError``."""
    if (
        not isinstance(key, str)
        or not key
        or key.startswith("/")
        or ".." in key
        or not _KEY_RE.fullmatch(key)
    ):
        raise InvalidKeyError(f"invalid storage key {key!r}")
    return key


class LocalStorage:
    """Files on a local (or shared, mounted) disk under ``root``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def path(self, key: str) -> Path:
        """The file that holds ``key``; refuses keys that would leave ``root``."""
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise InvalidKeyError(f"invalid storage key {key!r}")
        return path

    def put(self, key: str, stream: BinaryIO) -> int:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Same folder as the target, so that os.replace is a rename on one file system (atomic).
        handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as out:
                shutil.copyfileobj(stream, out, CHUNK)
                out.flush()
                os.fsync(out.fileno())
                size = out.tell()
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        return size

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)


BACKENDS = ("local",)


def get_storage() -> Storage:
    """The storage the configuration names (``STORAGE_BACKEND``, default ``local`` under
    ``UPLOAD_ROOT``). Built per call: it holds no state beyond its settings."""
    config = current_app.config
    backend = config.get("STORAGE_BACKEND", "local")
    if backend == "local":
        root = Path(config["UPLOAD_ROOT"]).resolve()
        static = Path(current_app.static_folder or "").resolve()
        if current_app.static_folder and (root == static or root.is_relative_to(static)):
            raise StorageError("UPLOAD_ROOT must not be inside the static folder")
        return LocalStorage(root)
    raise StorageError(
        f"Unknown STORAGE_BACKEND {backend!r}; available: {', '.join(BACKENDS)} "
        "(see awards/storage.py for adding one)"
    )
