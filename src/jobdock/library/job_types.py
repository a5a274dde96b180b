"""Registers the document job types (through the same public API users have)."""

from __future__ import annotations

from jobdock.jobs.registry import Registry
from jobdock.library.files import document_job_prefix
from jobdock.library.handlers import exporter, importer, process


def register(registry: Registry) -> None:
    registry.job_type("process_document", label="Processing document", stages=process.STAGES,
                      description="Extract, clean, chunk, enrich and embed a document.",
                      storage_prefix=document_job_prefix)(process.process_document)
    registry.job_type("import_document", label="Importing document", stages=importer.STAGES,
                      description="Load a document's chunks from storage.",
                      storage_prefix=document_job_prefix)(
        importer.import_document)
    registry.job_type("export_documents", label="Exporting documents", stages=exporter.STAGES,
                      description="Bundle documents into one ZIP.",
                      storage_prefix=document_job_prefix)(exporter.export_documents)
