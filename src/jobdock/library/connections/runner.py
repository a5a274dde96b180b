"""Run an engine over a document's chunks in batches, with a cursor after each batch.

A batch's connections depend only on its source chunks and the library table, so a run
resumed from a cursor finds exactly what an uninterrupted run finds. The cursor holds the
next batch number and the connections found so far (as dicts).

Each engine keeps its best few per source passage; at the end of a run the same bound
holds per target passage (:func:`limit_per_target`), so one passage of another document
is not the target of every source of this one and the document pages stay readable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from jobdock.jobs.context import JobContext
from jobdock.library.connections import contradiction, semantic, thematic
from jobdock.library.connections.model import (
    CONTRADICTION,
    SEMANTIC,
    THEMATIC,
    Connection,
    ContradictionParams,
    SemanticParams,
    ThematicParams,
)
from jobdock.library.connections.table import ChunkTable

BATCH = 32  # source chunks per batch: a cursor every few hundred milliseconds at 100k
Finder = Callable[[ChunkTable, np.ndarray, np.ndarray], list[Connection]]
FINDERS: dict[str, Finder] = {SEMANTIC: semantic.find, CONTRADICTION: contradiction.find,
           THEMATIC: thematic.find}
# At most this many connections per target passage from one run: each engine's own bound
# per source passage.
PER_TARGET = {SEMANTIC: SemanticParams().max_results_per_chunk,
              CONTRADICTION: ContradictionParams().max_results_per_chunk,
              THEMATIC: ThematicParams().max_candidates_per_source}


def source_rows(table: ChunkTable, engine: str, chunk_ids: list[str]) -> np.ndarray:
    rows = np.array([table.row_of[c] for c in chunk_ids if c in table.row_of], dtype=np.int64)
    return thematic.select_sources(table, rows) if engine == THEMATIC else rows


def run_engine(ctx: JobContext, engine: str, load: Callable[[], ChunkTable],
               chunk_ids: list[str], target_documents: list[str] | None,
               batch: int = BATCH, carry: dict[str, Any] | None = None
               ) -> list[dict[str, Any]]:
    """All of ``engine``'s connections from ``chunk_ids``, batch by batch.

    ``load`` gives the library table (loaded once per process, and only when a batch is
    left to run); ``target_documents`` limits the targets (add_new), None = all.
    ``carry`` rides along in every cursor (earlier engines' results in one stage).
    """
    cursor = ctx.cursor if isinstance(ctx.cursor, dict) and \
        ctx.cursor.get("engine", engine) == engine else {}
    done = int(cursor.get("batch", 0))
    found: list[dict[str, Any]] = list(cursor.get("found", []))
    table = load()
    rows = source_rows(table, engine, chunk_ids)
    batches = [rows[i:i + batch] for i in range(0, len(rows), batch)]
    targets = table.target_mask(target_documents)
    name = engine.replace("_", " ")
    for index in range(done, len(batches)):
        found += [c.to_dict() for c in FINDERS[engine](table, batches[index], targets)]
        ctx.safe_point(index + 1, len(batches),
                       f"{name}: batch {index + 1} of {len(batches)}, {len(found)} found",
                       cursor={"engine": engine, "batch": index + 1, "found": found,
                               "done": carry or {}})
    return limit_per_target(found, PER_TARGET[engine])


def limit_per_target(found: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The strongest ``limit`` connections per target chunk (ties: source chunk id), in
    their original order. Depends only on ``found``, so a resumed run keeps the same."""
    ranked = sorted(range(len(found)), key=lambda i: (
        found[i]["target_chunk_id"], -found[i]["strength"], found[i]["source_chunk_id"]))
    keep: set[int] = set()
    taken: dict[str, int] = {}
    for i in ranked:
        target = found[i]["target_chunk_id"]
        if taken.get(target, 0) < limit:
            taken[target] = taken.get(target, 0) + 1
            keep.add(i)
    return [c for i, c in enumerate(found) if i in keep]
