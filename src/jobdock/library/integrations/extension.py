"""The library's integrations as a jobdock extension: Obsidian, Readwise, annotations.

Their tables are part of the library's migration sequence (0003_integrations), so this
extension declares none of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from jobdock.extensions import Extension, NavEntry, ServiceEnv, bind
from jobdock.jobs.registry import Registry
from jobdock.library.integrations.repo import INTEGRATIONS, IntegrationsRepo

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter

HERE = Path(__file__).parent


def _register(registry: Registry) -> None:
    from jobdock.library.integrations.job_types import register

    register(registry)


def _repo(env: ServiceEnv) -> IntegrationsRepo:
    return IntegrationsRepo.for_worker(env)


def _router() -> APIRouter:
    from jobdock.library.integrations.web.routes import router

    return router


def _cli() -> typer.Typer:
    from jobdock.library.integrations.cli import app

    return app


extension = Extension(
    name="integrations",
    description="Annotations, an Obsidian vault (export, sync) and Readwise highlights.",
    register=_register,
    services=[bind(INTEGRATIONS, _repo)],
    router=_router,
    templates=HERE / "web" / "templates",
    nav=[NavEntry("Review", "/review", page="review"),
         NavEntry("Integrations", "/integrations", page="integrations")],
    cli=_cli,
    cli_name="integrations",
)
