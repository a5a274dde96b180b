"""Semantic similarity engine (origin §8.2): passages of other documents that say
nearly the same thing — cosine of the chunk embeddings above 0.7, the 50 best per
source chunk, never within the same document. Strength is the cosine.
"""

from __future__ import annotations

import numpy as np

from jobdock.library.connections.model import (
    ENGINE_VERSION,
    SEMANTIC,
    Connection,
    SemanticParams,
    rounded,
)
from jobdock.library.connections.table import (
    RESCORE_MARGIN,
    ChunkTable,
    exact_cosines,
    near_best,
    similarities_above,
    top_per_source,
)


def find(table: ChunkTable, sources: np.ndarray, targets: np.ndarray,
         params: SemanticParams | None = None) -> list[Connection]:
    """Connections from the chunks at rows ``sources``; ``targets`` masks allowed rows."""
    params = params or SemanticParams()
    sources = np.asarray(sources, dtype=np.int64)
    if not len(sources):
        return []
    # float32 products shortlist (see RESCORE_MARGIN); exact cosines decide
    s, t, v = similarities_above(table, sources, targets, params.threshold - RESCORE_MARGIN)
    other = table.doc_codes[s] != table.doc_codes[t]
    s, t, v = s[other], t[other], v[other]
    near = near_best(s, v, params.max_results_per_chunk)
    s, t = s[near], t[near]
    exact = exact_cosines(table, s, t)
    above = exact > params.threshold
    s, t, v = s[above], t[above], np.round(exact[above], 6)
    keep = top_per_source(s, t, v, params.max_results_per_chunk)
    out = []
    for i in keep:
        src, tgt, sim = int(s[i]), int(t[i]), rounded(v[i])
        out.append(Connection(
            table.chunk_ids[src], table.chunk_ids[tgt], SEMANTIC, min(1.0, sim),
            {"raw_similarity": sim, "threshold_used": params.threshold,
             "engine_version": ENGINE_VERSION,
             "target_document_id": table.document_ids[tgt],
             "explanation": f"Semantic similarity: {sim * 100:.1f}%"}))
    return out
