"""The document library: process, import and export documents as staged, resumable jobs.

An application on top of the engine, built only on its public API: handlers use the
``jobs`` API (stages, checkpoints, safe points), storage through the job context, and
the typed ``DOCUMENTS`` service (:class:`jobdock.library.repo.DocumentRepo`). It plugs in
as an extension (:mod:`jobdock.library.extension`), loaded by default.
"""

from jobdock.library.extension import extension

__all__ = ["extension"]
