"""Contradiction engine (origin §8.3): passages of other documents about the same
concepts (Jaccard overlap ≥ 0.5: of the concepts of either passage, the share both
discuss, see :meth:`ChunkTable.overlap`) with opposite polarity (product < 0, distance
≥ 0.3); the 20 strongest per source chunk. Strength = 0.4·Jaccard + 0.4·distance/2 +
0.2·mean importance. Overlaps come from the table's inverted indexes: ``bincount`` over
posting lists per source chunk, never a loop over pairs.
"""

from __future__ import annotations

import numpy as np

from jobdock.library.connections.model import (
    CONTRADICTION,
    ENGINE_VERSION,
    Connection,
    ContradictionParams,
    rounded,
)
from jobdock.library.connections.table import ChunkTable, top_per_source


def find(table: ChunkTable, sources: np.ndarray, targets: np.ndarray,
         params: ContradictionParams | None = None) -> list[Connection]:
    params = params or ContradictionParams()
    found_s, found_t, found_j = [], [], []
    for row in np.asarray(sources, dtype=np.int64):
        if not table.concepts[row] or abs(table.polarity[row]) < params.min_source_polarity:
            continue
        rows, shared, union = table.overlap(int(row))
        jac = shared / np.maximum(union, 1)
        p = table.polarity[rows]
        ok = ((jac >= params.min_concept_overlap) & targets[rows]
              & (table.doc_codes[rows] != table.doc_codes[row])
              & (p * table.polarity[row] < 0)
              & (np.abs(p - table.polarity[row]) >= params.polarity_threshold))
        found_s.append(np.full(int(ok.sum()), row, dtype=np.int64))
        found_t.append(rows[ok])
        found_j.append(jac[ok])
    if not found_s:
        return []
    s, t, jac = np.concatenate(found_s), np.concatenate(found_t), np.concatenate(found_j)
    distance = np.abs(table.polarity[s].astype(np.float64) - table.polarity[t])
    importance = (table.importance[s].astype(np.float64) + table.importance[t]) / 2
    strength = np.round(np.minimum(1.0, 0.4 * jac + 0.4 * distance / 2 + 0.2 * importance), 6)
    return [_connection(table, int(s[i]), int(t[i]), float(jac[i]), float(strength[i]))
            for i in top_per_source(s, t, strength, params.max_results_per_chunk)]


def _connection(table: ChunkTable, src: int, tgt: int, jac: float,
                strength: float) -> Connection:
    shared = table.shared_concepts(src, tgt)
    ps, pt = float(table.polarity[src]), float(table.polarity[tgt])
    return Connection(
        table.chunk_ids[src], table.chunk_ids[tgt], CONTRADICTION, rounded(strength),
        {"concept_overlap": rounded(jac), "polarity_distance": rounded(abs(ps - pt)),
         "source_polarity": rounded(ps), "target_polarity": rounded(pt),
         "shared_concepts": shared, "engine_version": ENGINE_VERSION,
         "target_document_id": table.document_ids[tgt],
         "explanation": f"Discussing {', '.join(shared[:3])} with opposing stances "
                        f"(polarity difference: {abs(ps - pt):.2f})"})
