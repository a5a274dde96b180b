"""An Obsidian vault on disk: safe names, paths that stay inside it, atomic writes.

Every path is resolved (symlinks included) and checked to lie under the vault's
resolved root before anything is written; files are written to a temporary file in
the same folder, fsynced and renamed over the target, so a reader (Obsidian, a sync
client) sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from jobdock.jobs.errors import PermanentError

MAX_NAME_CHARS = 120
# Not allowed in file names somewhere (Windows, macOS) or meaningful to Obsidian links.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*#^\[\]]+')
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
             *(f"lpt{i}" for i in range(10))}


class VaultError(PermanentError):
    """The vault cannot be used as configured (missing, not writable, a path escapes it)."""


def safe_file_name(title: str, fallback: str = "Untitled") -> str:
    """A file name (no extension) from any title: no separators, no dot-names, bounded."""
    name = unicodedata.normalize("NFC", title or "")
    name = _UNSAFE.sub(" ", name)
    name = " ".join(name.split()).strip(" .")
    name = re.sub(r"\.{2,}", ".", name)
    if len(name) > MAX_NAME_CHARS:
        name = name[:MAX_NAME_CHARS].rstrip(" .")
    if not name:
        name = fallback
    if name.split(".")[0].lower() in _RESERVED:
        name = f"{name}_"
    return name


class Vault:
    def __init__(self, root: str | Path, name: str | None = None) -> None:
        self.root = Path(root).expanduser()
        self.name = name or self.root.name

    def check(self) -> Vault:
        """Raise :class:`VaultError` unless the vault folder exists and can be written."""
        if not str(self.root).strip() or not self.root.is_absolute():
            raise VaultError(f"the vault path must be an absolute folder path: {self.root}")
        if not self.root.exists():
            raise VaultError(f"the vault folder does not exist: {self.root}")
        if not self.root.is_dir():
            raise VaultError(f"the vault path is not a folder: {self.root}")
        try:
            with tempfile.TemporaryFile(dir=self.root, prefix=".jobdock-probe-"):
                pass
        except OSError as exc:
            raise VaultError(f"the vault folder is not writable: {self.root} "
                             f"({exc.strerror or exc})") from None
        return self

    @property
    def resolved_root(self) -> Path:
        return self.root.resolve()

    def path(self, relative: str | PurePosixPath) -> Path:
        """The absolute path of a vault-relative path; refuses anything outside the vault."""
        rel = PurePosixPath(str(relative))
        if rel.is_absolute() or ".." in rel.parts:
            raise VaultError(f"refusing a path outside the vault: {relative}")
        root = self.resolved_root
        target = (root / rel).resolve()
        if target != root and not target.is_relative_to(root):
            raise VaultError(f"refusing a path outside the vault: {relative}")
        return target

    def relative(self, path: Path) -> str:
        return path.resolve().relative_to(self.resolved_root).as_posix()

    def read_text(self, relative: str) -> str | None:
        target = self.path(relative)
        try:
            return target.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def write_text(self, relative: str, text: str) -> Path:
        """Write atomically (temp file + fsync + rename) inside the vault."""
        target = self.path(relative)
        folder = target.parent
        folder.mkdir(parents=True, exist_ok=True)
        if not folder.resolve().is_relative_to(self.resolved_root):  # a symlinked folder
            raise VaultError(f"refusing a path outside the vault: {relative}")
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".jobdock-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        _fsync_dir(folder)
        return target

    def uri(self, relative: str) -> str:
        return obsidian_uri(self.name, relative)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be fsynced
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def obsidian_uri(vault_name: str, relative: str) -> str:
    """``obsidian://open?vault=…&file=…``: Obsidian's own scheme (no plugin needed)."""
    file = relative[:-3] if relative.endswith(".md") else relative
    return f"obsidian://open?vault={quote(vault_name, safe='')}&file={quote(file, safe='')}"
