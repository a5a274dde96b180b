"""Checkpoint files: their keys, their bytes and the hash that guards them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any


def encode_json(data: Any) -> bytes:
    """Canonical JSON bytes: the same data always gives the same bytes (and hash)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def default_prefix(job_id: object) -> str:
    """Where a job's files go unless its job type declares a ``storage_prefix``."""
    return f"jobs/{job_id}"


def intermediate_key(prefix: str, stage: str) -> str:
    return f"{prefix}/stage-{stage}.json"


def cursor_key(prefix: str, stage: str, version: str) -> str:
    """An in-stage cursor checkpoint; each save gets its own key (see JobContext)."""
    return f"{prefix}/stage-{stage}.cursor-{version}.json"


def final_key(prefix: str, stage: str) -> str:
    return f"{prefix}/{stage}.json"


@dataclass(frozen=True)
class CheckpointRecord:
    """What the job row remembers of one stage's checkpoint (``metadata.checkpoints``)."""

    stage: str
    path: str
    hash: str
    timestamp: str
    complete: bool

    def to_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "path": self.path, "hash": self.hash,
                "timestamp": self.timestamp, "complete": self.complete}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CheckpointRecord:
        return cls(d["stage"], d["path"], d["hash"], d["timestamp"], bool(d.get("complete", True)))
