"""Registers obsidian_export, obsidian_sync and readwise_import."""

from __future__ import annotations

from jobdock.jobs.registry import Registry
from jobdock.library.files import document_job_prefix
from jobdock.library.integrations import obsidian_export, obsidian_sync, readwise_import


def register(registry: Registry) -> None:
    registry.job_type("obsidian_export", label="Exporting to Obsidian",
                      stages=obsidian_export.STAGES,
                      description="Write a document and its highlights into the vault.",
                      storage_prefix=document_job_prefix)(obsidian_export.obsidian_export)
    registry.job_type("obsidian_sync", label="Syncing with Obsidian",
                      stages=obsidian_sync.STAGES,
                      description="Carry vault edits into the library (or back).",
                      storage_prefix=document_job_prefix)(obsidian_sync.obsidian_sync)
    registry.job_type("readwise_import", label="Importing Readwise highlights",
                      stages=readwise_import.STAGES,
                      description="Match Readwise highlights to documents as annotations.")(
        readwise_import.readwise_import)
