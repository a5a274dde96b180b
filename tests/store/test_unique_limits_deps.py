"""Unique jobs, concurrency limits and fairness, dependencies: store and admin level, on
both stores (the multi-process acceptance tests are in test_features_processes.py)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from jobdock.admin import InvalidRequest
from jobdock.app import Dock
from jobdock.jobs.clock import FakeClock
from jobdock.jobs.model import ErrorType, Job, JobStatus, NewJob
from jobdock.jobs.registry import Registry
from jobdock.jobs.unique import Unique


async def claim(dock: Dock, worker: str = "w", limit: int = 10, **kw: object) -> list[Job]:
    return await dock.store.job_claim(worker, limit, None, dock.clock.now(), **kw)  # type: ignore[arg-type]


async def complete(dock: Dock, job: Job) -> None:
    assert await dock.store.job_complete(job.id, job.worker_id or "", {}, {}, dock.clock.now())


async def status(dock: Dock, job_id: uuid.UUID) -> Job:
    job = await dock.store.job_get(job_id)
    assert job is not None
    return job


# ---- unique -------------------------------------------------------------------------------
async def test_a_duplicate_submit_returns_the_existing_job(fake_dock: Dock) -> None:
    admin = fake_dock.admin
    first, inserted = await admin.submit_unique(NewJob("noop", unique_key="import:u1"))
    again, inserted_again = await admin.submit_unique(NewJob("noop", unique_key="import:u1"))
    assert inserted and not inserted_again and again.id == first.id
    other = await admin.submit(NewJob("noop", unique_key="import:u2"))
    assert other.id != first.id


async def test_a_key_held_only_in_its_statuses_frees_when_the_job_completes(
        fake_dock: Dock) -> None:
    new = NewJob("noop", unique_key="k", unique_statuses=("pending", "processing"))
    first = await fake_dock.admin.submit(new)
    [running] = await claim(fake_dock)
    assert (await fake_dock.admin.submit(NewJob("noop", unique_key="k",
                                                unique_statuses=("pending",)))).id == first.id
    await complete(fake_dock, running)
    second = await fake_dock.admin.submit(NewJob("noop", unique_key="k",
                                                 unique_statuses=("pending", "processing")))
    assert second.id != first.id


async def test_a_window_holds_the_key_for_its_bucket_only(fake_dock: Dock,
                                                          clock: FakeClock) -> None:
    first = await fake_dock.admin.submit(NewJob("noop", unique_key="w", unique_window=3600))
    clock.advance(60)
    assert (await fake_dock.admin.submit(NewJob("noop", unique_key="w",
                                                unique_window=3600))).id == first.id
    clock.advance(3600)
    assert (await fake_dock.admin.submit(NewJob("noop", unique_key="w",
                                                unique_window=3600))).id != first.id


async def test_a_job_type_can_declare_uniqueness_by_input_fields(settings: object) -> None:
    registry = Registry()
    registry.job_type("sync_vault", unique=Unique(by=("vault",)))(lambda ctx: None)
    dock = await Dock.open(settings, registry=registry)  # type: ignore[arg-type]
    try:
        a = await dock.admin.submit(NewJob("sync_vault", {"vault": "x", "n": 1}, user_id="u"))
        b = await dock.admin.submit(NewJob("sync_vault", {"vault": "x", "n": 2}, user_id="u"))
        c = await dock.admin.submit(NewJob("sync_vault", {"vault": "y"}, user_id="u"))
        assert a.id == b.id != c.id
    finally:
        await dock.close()


# ---- limits, queues, fairness ----------------------------------------------------------------
async def test_a_type_limit_caps_running_jobs_across_claimers(fake_dock: Dock) -> None:
    await fake_dock.admin.limit_set("type", "noop", 2)
    for _ in range(6):
        await fake_dock.admin.submit(NewJob("noop"))
    await fake_dock.admin.submit(NewJob("staged_sleep"))  # not limited: claimed freely
    taken = [j for w in ("w1", "w2", "w3") for j in await claim(fake_dock, w)]
    assert sorted(j.job_type for j in taken) == ["noop", "noop", "staged_sleep"]
    await complete(fake_dock, next(j for j in taken if j.job_type == "noop"))
    assert [j.job_type for j in await claim(fake_dock, "w4")] == ["noop"]
    assert await claim(fake_dock, "w5") == []


async def test_a_limit_set_later_applies_to_jobs_already_queued(fake_dock: Dock) -> None:
    for _ in range(4):
        await fake_dock.admin.submit(NewJob("noop"))
    await fake_dock.admin.limit_set("type", "noop", 1)
    assert len(await claim(fake_dock)) == 1
    await fake_dock.admin.limit_remove("type", "noop")
    assert len(await claim(fake_dock)) == 3


async def test_a_worker_serves_only_its_queues_and_a_queue_has_its_own_limit(
        fake_dock: Dock) -> None:
    await fake_dock.admin.limit_set("queue", "imports", 1)
    for _ in range(3):
        await fake_dock.admin.submit(NewJob("noop", queue="imports"))
        await fake_dock.admin.submit(NewJob("noop", queue="mail"))
    mail = await claim(fake_dock, "m", queues=("mail",))
    assert [j.queue for j in mail] == ["mail"] * 3
    imports = await claim(fake_dock, "i", queues=("imports", "mail"))
    assert [j.queue for j in imports] == ["imports"]


async def test_a_fair_queue_serves_each_user_in_turn(fake_dock: Dock, clock: FakeClock) -> None:
    await fake_dock.admin.limit_set("queue", "shared", None, fair=True)
    for _ in range(50):
        await fake_dock.admin.submit(NewJob("noop", user_id="a", queue="shared"))
        clock.advance(0.001)
    late = await fake_dock.admin.submit(NewJob("noop", user_id="b", queue="shared"))
    first_two = await claim(fake_dock, limit=2)
    assert {j.user_id for j in first_two} == {"a", "b"} and late.id in {j.id for j in first_two}


# ---- dependencies --------------------------------------------------------------------------------
async def test_a_diamond_becomes_claimable_in_order(fake_dock: Dock) -> None:
    admin = fake_dock.admin
    a = await admin.submit(NewJob("noop"))
    b = await admin.submit(NewJob("noop", after=(a.id,)))
    c = await admin.submit(NewJob("noop", after=(a.id,)))
    d = await admin.submit(NewJob("noop", after=(b.id, c.id)))
    assert (b.deps_pending, d.deps_pending) == (1, 2)
    [first] = await claim(fake_dock)
    assert first.id == a.id
    await complete(fake_dock, first)
    middle = await claim(fake_dock)
    assert {j.id for j in middle} == {b.id, c.id}
    await complete(fake_dock, middle[0])
    assert await claim(fake_dock) == []
    await complete(fake_dock, middle[1])
    assert [j.id for j in await claim(fake_dock)] == [d.id]
    assert {x["id"] for x in await admin.dependencies(d.id)} == {str(b.id), str(c.id)}


async def test_a_permanent_failure_cancels_dependents_down_the_chain_with_a_reason(
        fake_dock: Dock) -> None:
    admin = fake_dock.admin
    b = await admin.submit(NewJob("noop"))
    d = await admin.submit(NewJob("noop", after=(b.id,)))
    e = await admin.submit(NewJob("noop", after=(d.id,)))
    [running] = await claim(fake_dock)
    # a transient failure with a retry coming does not cancel anything
    assert await fake_dock.store.job_fail(running.id, "w", error_message="flaky",
                                          error_type=ErrorType.TRANSIENT,
                                          next_retry_at=fake_dock.clock.now(), progress={},
                                          metadata={}, now=fake_dock.clock.now())
    assert (await status(fake_dock, d.id)).status is JobStatus.PENDING
    await admin.retry_job(b.id)
    await admin.force_fail_job(b.id)
    for job_id in (d.id, e.id):
        cancelled = await status(fake_dock, job_id)
        assert cancelled.status is JobStatus.CANCELLED
        assert "depends on" in (cancelled.error_message or "")
    assert str(b.id) in ((await status(fake_dock, d.id)).error_message or "")


async def test_deleting_a_parent_cancels_its_dependents_and_late_children_see_the_outcome(
        fake_dock: Dock) -> None:
    admin = fake_dock.admin
    parent = await admin.submit(NewJob("noop"))
    child = await admin.submit(NewJob("noop", after=(parent.id,)))
    await admin.cancel_and_delete_job(parent.id)
    gone = await status(fake_dock, child.id)
    assert gone.status is JobStatus.CANCELLED and "deleted" in (gone.error_message or "")
    done = await admin.submit(NewJob("noop"))
    [job] = await claim(fake_dock)
    await complete(fake_dock, job)
    late = await admin.submit(NewJob("noop", after=(done.id,)))
    assert (late.status, late.deps_pending) == (JobStatus.PENDING, 0)
    failed = await admin.submit(NewJob("noop"))
    await admin.force_fail_job(failed.id)
    doomed = await admin.submit(NewJob("noop", after=(failed.id, done.id)))
    assert doomed.status is JobStatus.CANCELLED


async def test_a_fair_queue_keeps_serving_the_user_with_fewer_jobs_running(
        fake_dock: Dock, clock: FakeClock) -> None:
    """Regression: ranking only the queued jobs gave the busy user a first-in-line job at
    every claim, and the other user's job waited behind all of them."""
    await fake_dock.admin.limit_set("queue", "shared", 2, fair=True)
    for _ in range(20):
        await fake_dock.admin.submit(NewJob("noop", user_id="a", queue="shared"))
        clock.advance(0.001)
    running = await claim(fake_dock, limit=2)
    assert {j.user_id for j in running} == {"a"}
    late = await fake_dock.admin.submit(NewJob("noop", user_id="b", queue="shared"))
    await complete(fake_dock, running[0])
    assert [j.id for j in await claim(fake_dock, limit=1)] == [late.id]


# ---- bulk submit: unique keys and dependencies ------------------------------------------------
async def test_submit_many_keeps_unique_keys_own_and_declared(settings: object) -> None:
    registry = Registry()
    registry.job_type("noop")(lambda ctx: None)
    registry.job_type("sync_vault", unique=Unique(by=("vault",)))(lambda ctx: None)
    dock = await Dock.open(settings, registry=registry)  # type: ignore[arg-type]
    try:
        held = await dock.admin.submit(NewJob("noop", unique_key="k1"))
        news = [NewJob("noop"), NewJob("noop", unique_key="k1"),  # duplicate of an existing
                NewJob("sync_vault", {"vault": "x", "n": 1}, user_id="u"),
                NewJob("sync_vault", {"vault": "x", "n": 2}, user_id="u"),  # same list
                NewJob("noop", unique_key="k2"), NewJob("noop")]
        ids = await dock.admin.submit_many(news)
        assert ids[0] == news[0].id and ids[5] == news[5].id
        assert ids[1] == held.id
        assert ids[2] == news[2].id and ids[3] == news[2].id
        assert ids[4] == news[4].id
        assert await dock.store.job_get(news[1].id) is None
        assert await dock.store.job_get(news[3].id) is None
        assert (await dock.store.job_counts())["pending"] == 5  # held + 4 inserted
        # a second bulk submit of the same keys inserts nothing
        again = await dock.admin.submit_many([NewJob("noop", unique_key="k2"),
                                              NewJob("sync_vault", {"vault": "x"}, user_id="u")])
        assert again == [news[4].id, news[2].id]
        assert (await dock.store.job_counts())["pending"] == 5
    finally:
        await dock.close()


async def test_submit_many_keeps_dependencies_on_existing_and_earlier_jobs(
        fake_dock: Dock) -> None:
    admin = fake_dock.admin
    existing = await admin.submit(NewJob("noop"))
    parent = NewJob("noop")
    child = NewJob("noop", after=(parent.id, existing.id))
    ids = await admin.submit_many([parent, child, NewJob("noop")])
    assert ids == [parent.id, child.id, ids[2]]
    assert (await status(fake_dock, child.id)).deps_pending == 2
    assert {d["id"] for d in await admin.dependencies(child.id)} == {str(parent.id),
                                                                     str(existing.id)}
    # the child is not claimed before both parents completed
    for job in await claim(fake_dock):
        assert job.id != child.id
        await complete(fake_dock, job)
    assert [j.id for j in await claim(fake_dock)] == [child.id]


async def test_submit_many_refuses_what_it_cannot_keep_and_inserts_nothing(
        fake_dock: Dock) -> None:
    admin = fake_dock.admin
    later = NewJob("noop")
    for news, words in (
            ([NewJob("noop"), NewJob("noop", after=(later.id,)), later], "earlier in the list"),
            ([NewJob("noop", after=(uuid.uuid4(),))], "to wait for"),
            ([(keyed := NewJob("noop", unique_key="k")), NewJob("noop", after=(keyed.id,))],
             "unique key"),
            ([NewJob("noop"), NewJob("noop", {"x": float("nan")})], "not a finite number"),
            ([NewJob("noop", {"x": float("inf")}, unique_key="k9")], "not a finite number")):
        try:
            await admin.submit_many(news)
        except InvalidRequest as exc:
            assert words in str(exc)
        else:
            raise AssertionError(f"{words}: not refused")
    assert sum((await fake_dock.store.job_counts()).values()) == 0


async def test_submit_many_stores_every_field_it_is_given(fake_dock: Dock) -> None:
    later = fake_dock.clock.now() + timedelta(hours=1)
    given = NewJob("noop", {"n": 1}, user_id="u", entity_type="document", entity_id="d1",
                   priority=5, max_retries=7, run_at=later, metadata={"title": "T"},
                   queue="slow")
    plain = NewJob("noop")
    await fake_dock.admin.submit_many([given, plain])
    job = await status(fake_dock, given.id)
    assert (job.input_data, job.user_id, job.entity_type, job.entity_id, job.priority,
            job.max_retries, job.run_at, job.metadata, job.queue) == (
        {"n": 1}, "u", "document", "d1", 5, 7, later, {"title": "T"}, "slow")
    other = await status(fake_dock, plain.id)
    assert (other.priority, other.queue, other.metadata, other.user_id) == (0, "default", {}, None)
    assert other.run_at == other.created_at
    assert [j.id for j in await claim(fake_dock)] == [plain.id]  # the other is not due yet
    fake_dock.clock.advance(3601)
    assert [j.id for j in await claim(fake_dock)] == [given.id]


@pytest.mark.postgres
async def test_deleting_a_parent_from_a_session_with_another_search_path_cancels_dependents(
        pg_url: str, tmp_path: object) -> None:
    """The dependents trigger finds its tables whatever the deleting session's search path
    (an operator's psql, a harness truncating by schema-qualified name)."""
    import psycopg

    from jobdock.settings import Settings

    dock = await Dock.open(Settings(database_url=pg_url, storage_url=f"{tmp_path}/s"))
    try:
        parent = await dock.admin.submit(NewJob("noop"))
        child = await dock.admin.submit(NewJob("noop", after=(parent.id,)))
        schema = pg_url.rsplit("search_path%3D", 1)[1]
        with psycopg.connect(pg_url.split("?")[0], autocommit=True) as conn:
            conn.execute(f"DELETE FROM {schema}.background_jobs WHERE id = %s", (parent.id,))
        assert (await status(dock, child.id)).status is JobStatus.CANCELLED
    finally:
        await dock.close()
