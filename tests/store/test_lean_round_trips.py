"""The lean paths of the hot round trips (issue 13): a plain submit is one statement that
reads nothing back, and a claim that comes back short learns in the same statement
whether a limited job is due (no read of its own). Each must store and claim exactly what
the full path does."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest

from jobdock.app import Dock
from jobdock.jobs.clock import FakeClock
from jobdock.jobs.model import JobStatus, NewJob
from jobdock.store.base import Store

clock = FakeClock()
# what a submit sets itself, or the database does: not compared
_OWN = {"id", "created_at", "updated_at", "run_at"}


@contextmanager
def statements(store: Store) -> Iterator[list[str]]:
    """The named statements ``store`` runs meanwhile (a spy on the real store)."""
    names: list[str] = []
    real, real_steps = store.fetch, store.fetch_in_transaction

    async def fetch(name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        names.append(name)
        return await real(name, params)

    async def fetch_in_transaction(
            steps: list[tuple[str, dict[str, Any]]]) -> list[list[dict[str, Any]]]:
        names.extend(name for name, _ in steps)
        return await real_steps(steps)
    store.fetch = fetch  # type: ignore[method-assign]
    store.fetch_in_transaction = fetch_in_transaction  # type: ignore[method-assign]
    try:
        yield names
    finally:
        del store.fetch, store.fetch_in_transaction


async def test_a_plain_submit_stores_what_the_full_insert_stores(dock: Dock) -> None:
    await dock.admin.limit_set("type", "staged_sleep", 2)
    for fields in ({}, {"user_id": "u1", "entity_type": "document", "entity_id": "d9",
                        "priority": 4, "queue": "bulk", "metadata": {"why": "test"}}):
        for job_type in ("noop", "staged_sleep"):
            lean = NewJob(job_type, {"n": 1}, **fields)
            full = dataclasses.replace(lean, id=NewJob(job_type).id)
            with statements(dock.store) as names:
                assert await dock.admin.submit_id(lean) == lean.id
            assert names == ["job_insert_plain"]
            await dock.admin.submit(full)
            a, b = await dock.store.job_get(lean.id), await dock.store.job_get(full.id)
            assert a is not None and b is not None
            assert {k: v for k, v in dataclasses.asdict(a).items() if k not in _OWN} == \
                {k: v for k, v in dataclasses.asdict(b).items() if k not in _OWN}
            assert a.limited is (job_type == "staged_sleep")


async def test_submit_id_of_a_duplicate_or_a_dependent_takes_the_full_path(dock: Dock) -> None:
    first = await dock.admin.submit_id(NewJob("noop", unique_key="k1"))
    assert await dock.admin.submit_id(NewJob("noop", unique_key="k1")) == first
    child = await dock.admin.submit_id(NewJob("noop", after=[first]))
    job = await dock.store.job_get(child)
    assert job is not None and job.deps_pending == 1
    with pytest.raises(Exception, match="no job with id"):
        await dock.admin.submit_id(NewJob("noop", after=[NewJob("noop").id]))


@pytest.mark.postgres
async def test_a_short_claim_asks_about_limited_jobs_in_the_same_statement(
        pg_dock: Dock) -> None:
    store, now = pg_dock.store, clock.now()
    plain = await store.job_insert(NewJob("noop"), now)
    with statements(store) as names:
        won, jobs = await store.job_complete_and_claim("w1", [], 10, None, now)
    assert [j.id for j in jobs] == [plain.id] and names == ["job_claim"]

    # a limited job due: the gated claim follows, told by the round trip itself
    await pg_dock.admin.limit_set("type", "staged_sleep", 1)
    limited = await store.job_insert(NewJob("staged_sleep"), now)
    other = await store.job_insert(NewJob("noop"), now + timedelta(seconds=1))
    with statements(store) as names:
        won, jobs = await store.job_complete_and_claim(
            "w1", [(plain.id, {"ok": True}, None)], 10, None, now + timedelta(seconds=2))
    assert won == {plain.id}
    assert {j.id for j in jobs} == {limited.id, other.id}
    assert "job_limited_due_exists" not in names and "job_claim_limited" in names
    assert all(j.status is JobStatus.PROCESSING for j in jobs)
    # nothing due at all: one statement, nothing claimed
    with statements(store) as names:
        assert await store.job_complete_and_claim("w1", [], 10, None, now) == (set(), [])
    assert names == ["job_claim"]


async def test_a_store_that_skips_the_decoders_has_identity_decoders(dock: Dock) -> None:
    """``driver_decodes`` lets ``row_to_job`` skip dec_json/dec_time: only right while they
    change nothing; a job read back is equal either way."""
    store, now = dock.store, clock.now()
    job = await store.job_insert(NewJob("noop", {"a": [1, 2]}, metadata={"m": 1}), now)
    if store.driver_decodes:
        assert store.dec_json(job.input_data) is job.input_data
        assert store.dec_time(job.created_at) is job.created_at
    row = (await store.fetch("job_get", {"id": store.enc_id(job.id), "user_id": None}))[0]
    assert store.row_to_job(row) == job
    assert job.input_data == {"a": [1, 2]} and job.metadata == {"m": 1} and job.run_at == now
