"""Registers the document job types (through the same public API users have)."""

from __future__ import annotations

from jobdock.documents import exporter, importer, process
from jobdock.jobs.registry import Registry, default_registry


def register(registry: Registry) -> None:
    registry.job_type("process_document", label="Processing", stages=process.STAGES,
                      description="Extract, clean, chunk, enrich and embed a document."
                      )(process.process_document)
    registry.job_type("import_document", label="Importing", stages=importer.STAGES,
                      description="Load a document's chunks from storage.")(
        importer.import_document)
    registry.job_type("export_documents", label="Exporting", stages=exporter.STAGES,
                      description="Bundle documents into one ZIP.")(exporter.export_documents)


register(default_registry)
