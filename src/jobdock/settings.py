"""Configuration from the environment (``JOBDOCK_*``) and the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from jobdock.eventloop import EventLoopChoice

DEFAULT_HOME = Path(".jobdock")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JOBDOCK_", extra="ignore")

    database_url: str | None = None
    # Postgres: a dead network path (no reset) is an outage after about this many seconds
    # (TCP keepalives and tcp_user_timeout; see store/postgres/tcp.py). 0: libpq's defaults.
    database_tcp_timeout: float = Field(default=30.0, ge=0)
    # The loop `jobdock worker` and `serve` run on: uvloop where installed ("auto"), or
    # insist on one ("uvloop", "asyncio"); see eventloop.py.
    event_loop: EventLoopChoice = "auto"
    storage_url: str | None = None
    home: Path = DEFAULT_HOME  # where the embedded default keeps its database and files
    imports: Annotated[list[str], NoDecode] = Field(default_factory=list)
    admin_token: str | None = None
    # Host names the web UI answers to (JOBDOCK_ALLOWED_HOSTS=a.example,b.example);
    # empty: the loopback names and the name it is bound to; "*": any.
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'jobdock.db'}"

    def resolved_storage_url(self) -> str:
        return self.storage_url or str(self.home / "storage")

    @property
    def embedded(self) -> bool:
        return self.resolved_database_url().startswith("sqlite:")

    @field_validator("imports", "allowed_hosts", mode="before")
    @classmethod
    def split_imports(cls, value: str | list[str] | None) -> list[str]:
        """``JOBDOCK_IMPORTS=a.b,c.d`` names modules as a comma-separated list."""
        if value is None:
            return []
        items = value.split(",") if isinstance(value, str) else value
        return [i.strip() for i in items if i.strip()]
