"""Reading an export ZIP for an import, within stated limits, after checking its manifest.

A ZIP is hostile until proven otherwise: its declared sizes may lie, one member may
inflate a thousandfold (a "zip bomb"), it may list thousands of documents. Everything
is checked *before* anything is written anywhere: the manifest against its schema, the
number of documents, each member's declared size and compression ratio; then every
member is read in bounded pieces and the actual bytes are counted against the same
limits. A refusal is one clear sentence (``ImportRefused``).
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

MiB = 1024 * 1024
_PIECE = 1 * MiB
# connections.json: present when exported with includeConnections (the import restores
# the connections whose two chunks exist; rows are checked there, see connections.hooks)
DOCUMENT_FILES = ("content.md", "chunks.json", "metadata.json", "manifest.json",
                  "connections.json")
DOCUMENT_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"


class ImportRefused(ValueError):
    """The archive breaks a limit or its manifest is malformed; nothing was written."""


@dataclass(frozen=True)
class ImportLimits:
    """What one import may hold (``JOBDOCK_IMPORT_*`` settings override these)."""

    max_total_bytes: int = 1024 * MiB  # all members, uncompressed
    max_file_bytes: int = 200 * MiB  # one member, uncompressed
    max_ratio: float = 200.0  # uncompressed / compressed, per member of 1 MiB or more
    max_documents: int = 500
    max_members: int = 10_000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ImportLimits:
        """Defaults, overridden by ``JOBDOCK_IMPORT_MAX_TOTAL_BYTES``, ``…_MAX_FILE_BYTES``,
        ``…_MAX_RATIO``, ``…_MAX_DOCUMENTS`` and ``…_MAX_MEMBERS``."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for item in fields(cls):
            raw = env.get(f"JOBDOCK_IMPORT_{item.name.upper()}")
            if raw is None:
                continue
            try:
                values[item.name] = float(raw) if item.name == "max_ratio" else int(raw)
            except ValueError:
                raise ImportRefused(f"JOBDOCK_IMPORT_{item.name.upper()}={raw!r} is not a "
                                    "number") from None
        return cls(**values)


class _Entry(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str = Field(pattern=DOCUMENT_ID)
    title: str | None = Field(default=None, max_length=1000)


class ExportManifest(BaseModel):
    """The top-level ``manifest.json`` of an export (extra fields are kept, not trusted)."""

    model_config = ConfigDict(extra="allow")

    version: str = Field(max_length=20)
    documents: list[_Entry]


class DocumentManifest(BaseModel):
    """A document's own ``manifest.json`` inside the export."""

    model_config = ConfigDict(extra="allow")

    title: str | None = Field(default=None, max_length=1000)


def _describe(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ())) or "the top level"
    return f"{where}: {err.get('msg', 'invalid')}"


class _Budget:
    def __init__(self, limits: ImportLimits) -> None:
        self.limits = limits
        self.total = 0

    def check_declared(self, info: zipfile.ZipInfo) -> None:
        limits = self.limits
        if info.file_size > limits.max_file_bytes:
            raise ImportRefused(f"{info.filename} would unpack to {info.file_size:,} bytes; "
                                f"the limit per file is {limits.max_file_bytes:,}")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= MiB and ratio > limits.max_ratio:
            raise ImportRefused(f"{info.filename} is compressed {ratio:,.0f} to 1; the limit "
                                f"is {limits.max_ratio:,.0f} to 1 (a zip bomb?)")

    def read(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
        """The member's bytes, counted as they come (declared sizes can lie)."""
        self.check_declared(info)
        out = io.BytesIO()
        with zf.open(info) as member:
            while piece := member.read(_PIECE):
                out.write(piece)
                self.total += len(piece)
                if out.tell() > self.limits.max_file_bytes:
                    raise ImportRefused(f"{info.filename} unpacks beyond the limit per file "
                                        f"({self.limits.max_file_bytes:,} bytes)")
                if self.total > self.limits.max_total_bytes:
                    raise ImportRefused(f"the archive unpacks beyond the total limit "
                                        f"({self.limits.max_total_bytes:,} bytes)")
        return out.getvalue()


def _open(data: bytes, limits: ImportLimits) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ImportRefused(f"not a ZIP archive ({exc})") from None
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise ImportRefused(f"the archive holds {len(infos):,} files; the limit is "
                            f"{limits.max_members:,}")
    declared = sum(i.file_size for i in infos)
    if declared > limits.max_total_bytes:
        raise ImportRefused(f"the archive would unpack to {declared:,} bytes; the total "
                            f"limit is {limits.max_total_bytes:,}")
    return zf


def _json(data: bytes, name: str) -> Any:
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ImportRefused(f"{name} is not valid JSON ({exc})") from None


def read_manifest(zf: zipfile.ZipFile, budget: _Budget) -> ExportManifest:
    try:
        info = zf.getinfo("manifest.json")
    except KeyError:
        raise ImportRefused("the archive has no manifest.json: not a jobdock export") from None
    try:
        manifest = ExportManifest.model_validate(_json(budget.read(zf, info), "manifest.json"))
    except ValidationError as exc:
        raise ImportRefused(f"manifest.json does not match the export schema: "
                            f"{_describe(exc)}") from None
    if len(manifest.documents) > budget.limits.max_documents:
        raise ImportRefused(f"the archive lists {len(manifest.documents):,} documents; the "
                            f"limit per import is {budget.limits.max_documents:,}")
    if len({d.id for d in manifest.documents}) != len(manifest.documents):
        raise ImportRefused("manifest.json lists a document twice")
    return manifest


def read_bundle(data: bytes, limits: ImportLimits | None = None
                ) -> dict[str, tuple[str | None, dict[str, bytes]]]:
    """{document id: (title, {file name: bytes})} of an export ZIP, all checked."""
    return {info["id"]: (info.get("title"), files)
            for info, files in read_bundle_documents(data, limits)}


# What an import may take over from the manifest (anything else in it is ignored).
_INFO_FIELDS = {"title": str, "source_type": str, "filename": str, "page_count": int,
                "word_count": int, "embedder": str, "metadata": dict}


def _info(entry: _Entry, own: dict[str, Any]) -> dict[str, Any]:
    """The document's details: the export manifest's entry, else its own manifest.json;
    values of the wrong type are dropped (they are not trusted)."""
    # the export manifest is written from the database row: it wins over the document's own
    merged = {**own, **(entry.model_extra or {}), "title": entry.title or own.get("title")}
    info: dict[str, Any] = {"id": entry.id}
    for key, kind in _INFO_FIELDS.items():
        value = merged.get(key)
        if isinstance(value, kind) and not isinstance(value, bool):
            info[key] = value
    return info


def read_bundle_documents(data: bytes, limits: ImportLimits | None = None
                          ) -> list[tuple[dict[str, Any], dict[str, bytes]]]:
    """Each document of an export ZIP, all checked: (its details, {file name: bytes})."""
    budget = _Budget(limits or ImportLimits.from_env())
    with _open(data, budget.limits) as zf:
        manifest = read_manifest(zf, budget)
        names = set(zf.namelist())
        for entry in manifest.documents:  # every declared size before any byte is read
            for name in DOCUMENT_FILES:
                if f"{entry.id}/{name}" in names:
                    budget.check_declared(zf.getinfo(f"{entry.id}/{name}"))
        out: list[tuple[dict[str, Any], dict[str, bytes]]] = []
        for entry in manifest.documents:
            files = {name: budget.read(zf, zf.getinfo(f"{entry.id}/{name}"))
                     for name in DOCUMENT_FILES if f"{entry.id}/{name}" in names}
            if "chunks.json" not in files:
                raise ImportRefused(f"document {entry.id} has no chunks.json in the archive")
            own: dict[str, Any] = {}
            if "manifest.json" in files:
                try:
                    own = DocumentManifest.model_validate(
                        _json(files["manifest.json"], f"{entry.id}/manifest.json")).model_dump()
                except ValidationError as exc:
                    raise ImportRefused(f"{entry.id}/manifest.json does not match the schema: "
                                        f"{_describe(exc)}") from None
            out.append((_info(entry, own), files))
    return out
