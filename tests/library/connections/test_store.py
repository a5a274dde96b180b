"""The connections store on both dialects: the library table read in pages, upserts."""

from __future__ import annotations

import numpy as np

from jobdock.app import Dock
from jobdock.library.connections.store import ConnectionStore, connection_id
from jobdock.store.queries import load_queries, migration_files
from tests.library.connections.labelled import corpus_table
from tests.library.connections.stored import USER, store_corpus


def test_both_dialects_define_the_same_queries() -> None:
    package = "jobdock.library.connections.sql"
    assert set(load_queries("postgres", package)) == set(load_queries("sqlite", package))
    lib = "jobdock.library.store"
    assert "0002_connections" in dict(migration_files("sqlite", lib))
    assert "0002_connections" in dict(migration_files("postgres", lib))


async def test_library_table_is_the_same_in_any_page_size(dock: Dock) -> None:
    await store_corpus(dock)
    store = ConnectionStore(dock.store)
    whole = await store.library_table(USER)
    paged = await store.library_table(USER, page=2)
    reference = corpus_table()
    for t in (whole, paged):
        assert t.chunk_ids == reference.chunk_ids  # documents in creation order
        assert t.concepts == reference.concepts and t.domains == reference.domains
        assert np.allclose(t.embeddings, reference.embeddings, atol=1e-6)
        assert np.allclose(t.polarity, reference.polarity)
    assert len(await store.library_table("nobody")) == 0


async def test_upsert_is_idempotent_and_keeps_reviews(dock: Dock) -> None:
    await store_corpus(dock, ["sourdough", "ab-testing"])
    store = ConnectionStore(dock.store)
    row = {"source_chunk_id": "sourdough#0", "target_chunk_id": "ab-testing#0",
           "engine": "semantic_similarity", "strength": 0.8, "metadata": {"x": 1}}
    now = dock.admin.clock.now()
    assert await store.upsert([row], now) == 1
    key = connection_id("sourdough#0", "ab-testing#0", "semantic_similarity")
    await store.set_validated(key, True, now)
    assert await store.upsert([{**row, "strength": 0.9}], now) == 0
    [saved] = await store.list_for_document("sourdough")
    assert (saved["strength"], saved["user_validated"], saved["id"]) == (0.9, True, key)
    # a row whose chunk is gone is not written
    assert await store.upsert([{**row, "target_chunk_id": "missing#0"}], now) == 0


def test_connections_json_from_an_archive_keeps_only_well_formed_rows():
    from jobdock.library.connections.hooks import valid_rows

    good = {"source_chunk_id": "a#0", "target_chunk_id": "b#0",
            "engine": "semantic_similarity", "strength": 0.8, "metadata": {},
            "user_validated": True, "id": "x", "discovered_at": "2026-01-01T00:00:00Z"}
    bad = [{**good, "engine": "telepathy"}, {**good, "strength": 7},
           {**good, "strength": True}, {**good, "source_chunk_id": 3},
           {**good, "user_validated": "yes"}, {**good, "metadata": "{}"},
           {**good, "discovered_at": 5}, "not a row"]
    assert valid_rows({"connections": [good, *bad]}) == [good]
    assert valid_rows({"connections": "many"}) == [] == valid_rows([good])
