"""detect_connections and reprocess_connections on both stores, with the labelled corpus:
what they save, idempotence, pause and resume at every stage and mid-engine, modes."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from jobdock.app import Dock
from jobdock.jobs.context import JobContext
from jobdock.jobs.interrupts import Interrupt
from jobdock.jobs.model import JobStatus
from jobdock.library.connections import detect as detect_module
from jobdock.library.connections import reprocess as reprocess_module
from jobdock.library.connections import semantic
from jobdock.library.connections.store import ConnectionStore
from tests.library.connections.labelled import corpus_table
from tests.library.connections.stored import (
    USER,
    completed,
    connection_rows,
    run_job,
    store_corpus,
)
from tests.support.documents import drain, final_job

WAGE = "wage-raise-helps"


async def test_detect_saves_what_the_engines_find_and_a_second_run_adds_nothing(
        dock: Dock) -> None:
    await store_corpus(dock)
    job = completed(await run_job(dock, "detect_connections", {}, WAGE))
    out = job.output_data
    t = corpus_table()
    expected = semantic.find(t, t.rows_of_document(WAGE), np.ones(len(t), dtype=bool))
    assert out["byEngine"]["semantic_similarity"] == len(expected) == 8
    assert out["byEngine"]["contradiction_detection"] >= 1
    assert out["added"] == out["connections"] > 0 and out["elapsedSeconds"] >= 0
    rows = await connection_rows(dock)
    assert {c.key: c.strength for c in expected} == \
        {k: v[0] for k, v in rows.items() if k[2] == "semantic_similarity"}
    assert all(k[0].startswith(WAGE + "#") for k in rows)  # directed: from this document
    again = completed(await run_job(dock, "detect_connections", {}, WAGE))
    assert again.output_data["added"] == 0
    assert await connection_rows(dock) == rows


async def test_the_unrelated_document_gets_no_connections(dock: Dock) -> None:
    for doc in await store_corpus(dock):
        completed(await run_job(dock, "detect_connections", {}, doc))
    rows = await connection_rows(dock)
    assert rows and not [k for k in rows if "sourdough" in k[0] or "sourdough" in k[1]]
    assert {k[2] for k in rows} == {"semantic_similarity", "contradiction_detection",
                                    "thematic_bridge"}


# ---- pause and resume --------------------------------------------------------------------
PAUSE_POINTS = ["loading", "semantic_similarity", "contradiction_detection",
                "thematic_bridge", "saving", "mid-semantic_similarity",
                "mid-contradiction_detection", "mid-thematic_bridge"]


def _arm_pause(ctx: JobContext, where: str) -> None:
    """Pause when stage ``where`` begins, or (``mid-ENGINE``) after that engine's first
    batch: the cursor then holds one batch and the rest runs after the resume."""
    original_run, original_safe = ctx.run_stage, ctx.safe_point

    def run_stage(name, fn, *args):  # type: ignore[no-untyped-def]
        if name == where:
            ctx.port.request(Interrupt.PAUSE)
        return original_run(name, fn, *args)

    def safe_point(done=None, total=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        cursor = kwargs.get("cursor")
        if isinstance(cursor, dict) and where == f"mid-{cursor.get('engine')}" and done == 1:
            ctx.port.request(Interrupt.PAUSE)
        return original_safe(done, total, *args, **kwargs)

    ctx.run_stage = run_stage  # type: ignore[method-assign]
    ctx.safe_point = safe_point  # type: ignore[method-assign]


@pytest.fixture
def pausing_detect(dock: Dock) -> str:
    def handler(ctx: JobContext) -> Any:
        if ctx.job.resume_count == 0:
            _arm_pause(ctx, ctx.input["pause_at"])
        return detect_module.detect_connections(ctx)

    dock.registry.job_type("test_detect_pausing", stages=detect_module.STAGES)(handler)
    return "test_detect_pausing"


@pytest.mark.parametrize("where", PAUSE_POINTS)
async def test_pause_anywhere_then_resume_saves_the_same_connections(
        dock: Dock, pausing_detect: str, where: str) -> None:
    await store_corpus(dock)
    completed(await run_job(dock, "detect_connections", {"batch_size": 1}, WAGE))
    reference = await connection_rows(dock)
    await dock.store.execute("DELETE FROM connections", {})

    job = await run_job(dock, pausing_detect, {"pause_at": where, "batch_size": 1}, WAGE)
    assert job.status is JobStatus.PAUSED
    await dock.admin.resume_job(job.id)
    await drain(dock)
    job = completed(await final_job(dock, job))
    assert job.resume_count == 1
    assert await connection_rows(dock) == reference


# ---- reprocess ------------------------------------------------------------------------------
async def _validate_one(dock: Dock, document_id: str) -> str:
    rows = await ConnectionStore(dock.store).list_for_document(document_id)
    chosen = sorted(rows, key=lambda r: r["id"])[0]
    await ConnectionStore(dock.store).set_validated(chosen["id"], True,
                                                     dock.admin.clock.now())
    return chosen["id"]


async def test_smart_keeps_validated_connections_and_backs_them_up(dock: Dock) -> None:
    await store_corpus(dock)
    completed(await run_job(dock, "detect_connections", {}, WAGE))
    kept = await _validate_one(dock, WAGE)
    # a stale unreviewed row that detection would not find again: smart removes it
    store = ConnectionStore(dock.store)
    await store.upsert([{"source_chunk_id": f"{WAGE}#0", "target_chunk_id": "sourdough#0",
                         "engine": "thematic_bridge", "strength": 0.9, "metadata": {}}],
                       dock.admin.clock.now())
    before = sum((await store.counts(WAGE)).values())
    job = completed(await run_job(dock, "reprocess_connections",
                                  {"mode": "smart", "backupFirst": True}, WAGE))
    out = job.output_data
    assert out["connectionsBefore"] == before and out["validatedPreserved"] == 1
    assert out["connectionsAfter"] == before - 1
    rows = {r["id"]: r for r in await store.list_for_document(WAGE)}
    assert rows[kept]["user_validated"] is True
    assert not [r for r in rows.values() if r["target_chunk_id"] == "sourdough#0"]
    assert out["backupPath"].startswith(f"documents/{USER}/{WAGE}/validated-connections-")
    backup = json.loads(dock.storage.get(out["backupPath"]))
    assert backup["count"] == 1 and backup["connections"][0]["id"] == kept
    assert set(out["byEngine"]) == {"semantic_similarity", "contradiction_detection"}


async def test_all_deletes_and_detects_again_with_selected_engines(dock: Dock) -> None:
    await store_corpus(dock)
    completed(await run_job(dock, "detect_connections", {}, WAGE))
    await _validate_one(dock, WAGE)
    job = completed(await run_job(dock, "reprocess_connections",
                                  {"mode": "all", "engines": ["semantic_similarity"]}, WAGE))
    assert job.output_data["foundByEngine"] == {"semantic_similarity": 8}
    rows = await ConnectionStore(dock.store).list_for_document(WAGE)
    assert rows and all(r["user_validated"] is None for r in rows)


async def test_add_new_only_connects_to_newer_documents(dock: Dock) -> None:
    # stored in name order: ab-testing, natural-selection, sourdough, wage-helps, wage-hurts
    await store_corpus(dock)
    older_partner = completed(await run_job(dock, "reprocess_connections",
                                            {"mode": "add_new"}, "natural-selection"))
    assert older_partner.output_data["connectionsAfter"] == 0  # its partner is older
    first = completed(await run_job(dock, "reprocess_connections", {"mode": "add_new"},
                                    "ab-testing"))
    rows = await connection_rows(dock)
    assert rows and first.output_data["connectionsAfter"] == len(rows)
    assert {k[1].split("#")[0] for k in rows} == {"natural-selection"}
    newest = completed(await run_job(dock, "reprocess_connections", {"mode": "add_new"},
                                     "wage-raise-hurts"))
    assert newest.output_data["connectionsAfter"] == newest.output_data["connectionsBefore"]
    assert await connection_rows(dock) == rows


async def test_reprocess_rejects_unknown_mode_and_engine(dock: Dock) -> None:
    await store_corpus(dock, ["sourdough"])
    bad_mode = await run_job(dock, "reprocess_connections", {"mode": "some"}, "sourdough")
    bad_engine = await run_job(dock, "reprocess_connections",
                               {"mode": "all", "engines": ["telepathy"]}, "sourdough")
    for job in (bad_mode, bad_engine):
        assert job.status is JobStatus.FAILED
    assert "unknown mode" in bad_mode.error_message
    assert "telepathy" in bad_engine.error_message


async def test_pausing_reprocess_mid_engine_resumes_to_the_same_result(dock: Dock) -> None:
    await store_corpus(dock)

    def handler(ctx: JobContext) -> Any:
        if ctx.job.resume_count == 0:
            _arm_pause(ctx, "mid-contradiction_detection")
        return reprocess_module.reprocess_connections(ctx)

    dock.registry.job_type("test_reprocess_pausing", stages=reprocess_module.STAGES)(handler)
    completed(await run_job(dock, "reprocess_connections", {"mode": "all", "batch_size": 1},
                            WAGE))
    reference = await connection_rows(dock)
    job = await run_job(dock, "test_reprocess_pausing", {"mode": "all", "batch_size": 1}, WAGE)
    assert job.status is JobStatus.PAUSED
    await dock.admin.resume_job(job.id)
    await drain(dock)
    completed(await final_job(dock, job))
    assert await connection_rows(dock) == reference
