"""Registers obsidian_export, obsidian_sync and readwise_import."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from jobdock.jobs.registry import Registry
from jobdock.library.files import document_job_prefix
from jobdock.library.integrations import obsidian_export, obsidian_sync, readwise_import


class ExportInput(BaseModel):
    document_id: str = Field(description="The document to write into the vault.")
    force: bool = Field(False, description="Overwrite a note edited in the vault.")


class SyncInput(BaseModel):
    document_id: str = Field(description="The exported document to sync with its note.")
    prefer: Literal["vault", "library"] | None = Field(
        None, description="Resolve a conflict: keep this side (the other is saved as a copy).")


class ReadwiseInput(BaseModel):
    source: Literal["file", "api"] = Field("api", description="An uploaded export file or "
                                                              "the Readwise API.")
    file_key: str | None = Field(None, description="file: the export's storage key.")
    filename: str | None = Field(None, description="file: its name (CSV or JSON).")
    document_id: str | None = Field(None, description="Match every highlight against this "
                                                      "document (else by book title).")
    updated_after: str | None = Field(None, description="api: only highlights updated after "
                                                        "this time (ISO 8601).")
    highlights: int | None = Field(None, description="file: how many it holds (shown).")


def register(registry: Registry) -> None:
    registry.job_type("obsidian_export", label="Exporting to Obsidian", input=ExportInput,
                      stages=obsidian_export.STAGES,
                      description="Write a document and its highlights into the vault.",
                      storage_prefix=document_job_prefix)(obsidian_export.obsidian_export)
    registry.job_type("obsidian_sync", label="Syncing with Obsidian", input=SyncInput,
                      stages=obsidian_sync.STAGES,
                      description="Carry vault edits into the library (or back).",
                      storage_prefix=document_job_prefix)(obsidian_sync.obsidian_sync)
    registry.job_type("readwise_import", label="Importing Readwise highlights",
                      input=ReadwiseInput,
                      stages=readwise_import.STAGES,
                      description="Match Readwise highlights to documents as annotations.")(
        readwise_import.readwise_import)
