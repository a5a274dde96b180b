"""Connections as a jobdock extension: two job types, a service, the Library pages and
``jobdock connections``. Its tables are in the library's migration sequence."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from jobdock.extensions import Extension, ServiceEnv, bind
from jobdock.jobs.registry import Registry
from jobdock.library.connections.repo import CONNECTIONS, ConnectionsRepo

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter

HERE = Path(__file__).parent


def register(registry: Registry) -> None:
    from jobdock.library.connections import detect, reprocess
    from jobdock.library.files import document_job_prefix

    registry.job_type("detect_connections", label="Connecting", stages=detect.STAGES,
                      description="Find a document's connections to the rest of the library.",
                      storage_prefix=document_job_prefix)(detect.detect_connections)
    registry.job_type("reprocess_connections", label="Reconnecting",
                      stages=reprocess.STAGES,
                      description="Redo a document's connections (all, smart or add_new).",
                      storage_prefix=document_job_prefix)(reprocess.reprocess_connections)


def _repo(env: ServiceEnv) -> ConnectionsRepo:
    return ConnectionsRepo.for_worker(env)


def _router() -> APIRouter:
    from jobdock.library.connections.web.routes import router

    return router


def _cli() -> typer.Typer:
    from jobdock.library.connections.cli import app

    return app


extension = Extension(
    name="connections",
    description="Connections between passages of different documents: semantic "
                "similarity, contradiction, thematic bridge.",
    register=register,
    services=[bind(CONNECTIONS, _repo)],
    router=_router,
    templates=HERE / "web" / "templates",
    cli=_cli,
    cli_name="connections",
)
