"""The document domain: process, import and export documents as staged, resumable jobs.

Handlers use only the ``jobs`` API (stages, checkpoints, safe points), storage through
the job context, and the ``documents`` service the application wires in
(:class:`jobdock.documents.repo.DocumentRepo`).
"""
