"""Blobs as files under one root directory, written so a crash never leaves a torn file.

``put`` writes a temp file (``.tmp-*``) beside the target, fsyncs it, renames it over
the target (atomic on POSIX) and fsyncs the directory so the rename itself survives a
power cut. A crash before the rename leaves the old file intact plus a stray temp
file, which ``list`` ignores.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from jobdock.storage.base import StorageError, os_error
from jobdock.storage.keys import TEMP_PREFIX, InvalidKey, validate_key, validate_prefix

# A concurrent delete may prune the directory between our mkdir and our temp file.
_MKDIR_ATTEMPTS = 3


class LocalStorage:
    """Storage on the local filesystem (one machine; the embedded default)."""

    def __init__(self, root: Path | str) -> None:
        try:
            Path(root).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create storage root {root}: {exc}") from exc
        self.root = Path(root).resolve(strict=True)

    @property
    def url(self) -> str:
        return self.root.as_uri()

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def put(self, key: str, data: bytes) -> None:
        self.put_stream(key, (data,))

    def put_stream(self, key: str, pieces: Iterable[bytes]) -> None:
        path = self._path(key)
        with _io_errors("put", key):
            fd, tmp = self._temp_file(path.parent)
            try:
                with os.fdopen(fd, "wb") as f:
                    for piece in pieces:
                        f.write(piece)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            _fsync_dir(path.parent)

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        with _io_errors("get", key):
            try:
                return path.read_bytes()
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                return None

    def delete(self, key: str) -> None:
        path = self._path(key)
        with _io_errors("delete", key):
            try:
                path.unlink()
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                return
            self._prune_empty_dirs(path.parent)

    def delete_many(self, keys: Iterable[str]) -> int:
        unique = _validated_unique(keys)
        for key in unique:
            self.delete(key)
        return len(unique)

    def exists(self, key: str) -> bool:
        return self.size(key) is not None

    def size(self, key: str) -> int | None:
        path = self._path(key)
        with _io_errors("size", key):
            try:
                st = path.stat()
            except (FileNotFoundError, NotADirectoryError):
                return None
        return st.st_size if stat.S_ISREG(st.st_mode) else None

    def list(self, prefix: str = "") -> builtins.list[str]:
        body = validate_prefix(prefix).removesuffix("/")
        base = self._inside_root(self.root / body, prefix) if body else self.root
        with _io_errors("list", prefix):
            return sorted(self._walk(base))

    def close(self) -> None:
        """Nothing to release: every operation opens and closes its own files."""

    # ---- helpers ---------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self._inside_root(self.root / validate_key(key), key)

    def _inside_root(self, path: Path, key: str) -> Path:
        # Validation stops '..' in the key; resolving stops a symlink inside the root
        # that points outside it.
        resolved = path.resolve()
        if resolved != self.root and not resolved.is_relative_to(self.root):
            raise InvalidKey(f"storage key escapes the storage root: {key!r}")
        return path

    def _temp_file(self, directory: Path) -> tuple[int, str]:
        attempts_left = _MKDIR_ATTEMPTS
        while True:
            directory.mkdir(parents=True, exist_ok=True)
            try:
                return tempfile.mkstemp(prefix=TEMP_PREFIX, dir=directory)
            except FileNotFoundError:
                attempts_left -= 1
                if not attempts_left:
                    raise

    def _prune_empty_dirs(self, directory: Path) -> None:
        while directory != self.root and directory.is_relative_to(self.root):
            try:
                directory.rmdir()
            except OSError:  # not empty (or already gone): stop climbing
                return
            directory = directory.parent

    def _walk(self, base: Path) -> Iterator[str]:
        for dirpath, _dirnames, filenames in os.walk(base):
            for name in filenames:
                full = os.path.join(dirpath, name)
                if name.startswith(TEMP_PREFIX) or os.path.islink(full):
                    continue
                yield Path(full).relative_to(self.root).as_posix()


def _validated_unique(keys: Iterable[str]) -> builtins.list[str]:
    """Validate every key before touching any, so a bad key deletes nothing."""
    return list(dict.fromkeys(validate_key(k) for k in keys))


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _io_errors(op: str, key: str) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise os_error(op, key, exc, "local") from exc
