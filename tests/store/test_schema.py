"""A migrated database equals the declared schema, on both dialects."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from jobdock.jobs.model import JOB_FIELDS
from jobdock.store.queries import load_queries, migration_files
from jobdock.store.sqlite.store import SqliteStore

DECLARED_INDEXES = {
    "background_jobs_claim_idx", "background_jobs_active_idx", "background_jobs_retry_idx",
    "background_jobs_created_idx", "background_jobs_by_user_idx", "background_jobs_limited_idx",
    "background_jobs_unique_idx", "background_jobs_updated_idx",
}
POSTGRES_ONLY_INDEXES = {"background_jobs_status_idx", "background_jobs_type_idx"}
MIGRATIONS = ["0001_background_jobs", "0004_engine_features", "0005_job_counts",
              "0006_list_indexes", "0007_trigger_schema"]


POSTGRES_ONLY_QUERIES = {
    "planner_ordered_claim", "relaxed_commit",  # session settings
    "job_counts_fold",  # SQLite keeps its totals directly
    "list_planner",  # a planner setting of list pages filtered on two indexed columns
    "job_complete_and_claim",  # one statement there; two in one transaction on SQLite
}


def test_both_dialects_define_the_same_queries() -> None:
    assert set(load_queries("postgres")) == set(load_queries("sqlite")) | POSTGRES_ONLY_QUERIES


def test_both_dialects_have_the_same_migrations() -> None:
    assert [v for v, _ in migration_files("postgres")] == [v for v, _ in migration_files("sqlite")]


async def test_sqlite_schema_matches_declared(tmp_path: Path) -> None:
    store = await SqliteStore(tmp_path / "db.sqlite").open()
    try:
        assert await store.migrate() == MIGRATIONS
        assert await store.migrate() == []  # idempotent
    finally:
        await store.close()
    conn = sqlite3.connect(tmp_path / "db.sqlite")
    columns = [r[1] for r in conn.execute("PRAGMA table_info(background_jobs)")]
    indexes = {r[1] for r in conn.execute("PRAGMA index_list(background_jobs)")
               if not r[1].startswith("sqlite_autoindex")}
    assert columns == list(JOB_FIELDS)
    assert indexes == DECLARED_INDEXES
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO background_jobs (id, job_type, status, run_at, created_at, "
                     "updated_at) VALUES ('x', 't', 'bogus', '', '', '')")


@pytest.mark.postgres
async def test_postgres_schema_matches_declared(pg_url: str) -> None:
    from jobdock.store.postgres.store import PostgresStore

    store = await PostgresStore(pg_url).open()
    try:
        assert await store.migrate() == MIGRATIONS
        assert await store.migrate() == []
    finally:
        await store.close()
    with psycopg.connect(pg_url) as conn:
        columns = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = "
            "'background_jobs' AND table_schema = current_schema() ORDER BY ordinal_position")]
        indexes = {r[0] for r in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'background_jobs' "
            "AND schemaname = current_schema()")} - {"background_jobs_pkey"}
        assert columns == list(JOB_FIELDS)
        assert indexes == DECLARED_INDEXES | POSTGRES_ONLY_INDEXES
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("INSERT INTO background_jobs (id, job_type, status, run_at, created_at,"
                         " updated_at) VALUES (gen_random_uuid(), 't', 'bogus', now(), now(), "
                         "now())")


def test_a_query_block_can_stand_for_one_query_per_value() -> None:
    from jobdock.store.queries import parse_queries

    text = ("-- name: list_by_{sort}\n-- each sort in: created updated\n"
            "SELECT * FROM t ORDER BY {sort}_at;\n\n-- name: other\nSELECT 1;\n")
    assert parse_queries(text) == {"list_by_created": "SELECT * FROM t ORDER BY created_at",
                                   "list_by_updated": "SELECT * FROM t ORDER BY updated_at",
                                   "other": "SELECT 1"}
