"""The document library as a jobdock extension: what it adds to the engine.

Everything here reaches the engine through its public API only; the engine loads it
by default (``jobdock.app.BUILTIN_MODULES``) the way it loads a user's ``--import``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from jobdock.extensions import Extension, NavEntry, ServiceEnv, bind
from jobdock.jobs.registry import Registry
from jobdock.library.repo import DOCUMENTS, DocumentRepo
from jobdock.library.store.repository import MIGRATIONS

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter

HERE = Path(__file__).parent


def _register(registry: Registry) -> None:
    # The handlers pull in the text pipeline; import them only when types are registered.
    from jobdock.library.job_types import register

    register(registry)


def _documents(env: ServiceEnv) -> DocumentRepo:
    from jobdock.library.wiring import DocumentRepoAdapter

    return DocumentRepoAdapter.for_worker(env)


def _router() -> APIRouter:
    from jobdock.library.web.routes import router

    return router


def _cli() -> typer.Typer:
    from jobdock.library.cli import app

    return app


extension = Extension(
    name="library",
    description="Documents: upload, process (extract, clean, chunk, enrich, embed), "
                "export and import.",
    register=_register,
    migrations=MIGRATIONS,
    services=[bind(DOCUMENTS, _documents)],
    router=_router,
    templates=HERE / "web" / "templates",
    nav=[NavEntry("Library", "/library", page="library")],
    submit_panels=["library_upload_panel.html"],
    cli=_cli,
    cli_name="documents",
)
