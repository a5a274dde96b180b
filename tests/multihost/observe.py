"""Read-only views of the rig's database for tests and benchmarks (over the Unix socket)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import psycopg


class Observer:
    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(url, autocommit=True)

    def close(self) -> None:
        self.conn.close()

    def counts(self) -> Counter[str]:
        rows = self.conn.execute("SELECT status, count(*) FROM background_jobs GROUP BY 1")
        return Counter({status: n for status, n in rows})

    def held_by(self, pid: int) -> set[uuid.UUID]:
        """Jobs a worker process holds (its id is ``host:pid:tag``)."""
        rows = self.conn.execute(
            "SELECT id FROM background_jobs WHERE status = 'processing' "
            "AND split_part(worker_id, ':', 2) = %s", (str(pid),))
        return {r[0] for r in rows}

    def still_held(self, ids: set[uuid.UUID], pid: int) -> set[uuid.UUID]:
        """Which of ``ids`` are still processing under that worker (not yet rescued)."""
        rows = self.conn.execute(
            "SELECT id FROM background_jobs WHERE id = ANY(%s) AND status = 'processing' "
            "AND split_part(worker_id, ':', 2) = %s", (list(ids), str(pid)))
        return {r[0] for r in rows}

    def jobs(self) -> list[dict[str, Any]]:
        cur = self.conn.cursor(row_factory=psycopg.rows.dict_row)
        return list(cur.execute(
            "SELECT id, status, input_data, output_data, metadata, worker_id, started_at, "
            "completed_at, retry_count, error_message FROM background_jobs"))

    def files(self) -> list[tuple[uuid.UUID, str, bool]]:
        return list(self.conn.execute("SELECT job_id, key, final FROM background_job_files"))


async def until(predicate: Callable[[], bool], timeout: float, what: str,
                every: float = 0.1) -> float:
    """Poll ``predicate`` until true; return the seconds it took (fail at the deadline)."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(every)
    return time.monotonic() - start
