"""The extension API: how an application adds itself to jobdock.

An extension is a module, loaded like job modules are (``--import`` / ``JOBDOCK_IMPORTS``;
the document library is loaded by default), with a module-level ``extension`` object::

    extension = Extension(
        name="notes",
        register=register_job_types,             # job types (each with its storage prefix)
        migrations=MigrationSet("notes", "notes_ext.store"),  # own tables, own sequence
        services=[bind(NOTES, NotesRepo.for_worker)],  # typed, ctx.service(NOTES)
        router=make_router, templates=HERE / "templates",  # pages and API routes
        nav=[NavEntry("Notes", "/notes", page="notes")],
        cli=make_cli, cli_name="notes",          # ``jobdock notes …``
    )

The engine never imports an extension; it reaches one only through this object. See
docs/extensions.md.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from jobdock.jobs.clock import Clock
from jobdock.jobs.model import NewJob
from jobdock.jobs.registry import Registry
from jobdock.jobs.services import LoopBridge, ServiceKey
from jobdock.storage import Storage
from jobdock.store import MigrationSet, Store

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter

T_co = TypeVar("T_co", covariant=True)
SubmitUnlessActive = Callable[[NewJob], Coroutine[Any, Any, "str | None"]]


@dataclass(frozen=True)
class ServiceEnv:
    """What a service factory may build on, for one job run by one worker."""

    store: Store
    storage: Storage
    clock: Clock
    bridge: LoopBridge  # run the store's coroutines from the handler's thread
    submit_unless_active: SubmitUnlessActive  # queue a follow-up job (None if one is active)


@dataclass(frozen=True)
class ServiceBinding(Generic[T_co]):
    key: ServiceKey[T_co]
    factory: Callable[[ServiceEnv], T_co]


def bind(key: ServiceKey[T_co], factory: Callable[[ServiceEnv], T_co]) -> ServiceBinding[T_co]:
    """Pair a key with the factory of its type (the type checker checks they agree)."""
    return ServiceBinding(key, factory)


@dataclass(frozen=True)
class NavEntry:
    label: str
    href: str
    page: str = ""  # the ``page`` value its templates set (marks the entry current)


@dataclass(frozen=True)
class Extension:
    name: str
    register: Callable[[Registry], None] | None = None
    migrations: MigrationSet | None = None
    services: Sequence[ServiceBinding[object]] = ()
    router: Callable[[], APIRouter] | None = None
    templates: Path | None = None
    nav: Sequence[NavEntry] = ()
    submit_panels: Sequence[str] = ()  # templates shown under the submit form
    cli: Callable[[], typer.Typer] | None = None
    cli_name: str | None = None
    description: str = ""
