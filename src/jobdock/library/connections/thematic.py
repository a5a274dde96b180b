"""Thematic bridge engine (origin §8.4, without the LLM): important passages (importance
≥ 0.6) of *different* domains that are related — by embedding similarity and by shared
concepts. Per source chunk the 10 most related candidates are scored; those with
strength > 0.6 are kept (at most 3 into any one other document), each with a bridge
type and an explanation naming what bridges them. Relatedness = cosine + 0.1 per
shared concept (at most 3).

What makes a bridge, beyond that:

- both passages are confidently in a field: :mod:`.domains` labels a passage only on
  enough evidence (else ``general``, never a source or a target);
- the two *documents* are not of one field (the label of most of their labelled
  passages): a vote in a software manual is not a bridge to another manual;
- a shared concept whose every word is common across the library — in at least
  ``GENERIC_SHARE`` of its documents, and in ``GENERIC_MIN_DOCUMENTS`` or more — is
  generic ("name", "value", "file", "element" in a library of manuals): it neither
  strengthens nor explains a bridge;
- a bridge with no other shared concept rests on similarity alone and needs a cosine of
  ``min_contextual_similarity`` (0.5): a bag-of-words embedding gives two unrelated
  manuals 0.4.
"""

from __future__ import annotations

import math

import numpy as np

from jobdock.library.connections.concepts import stem
from jobdock.library.connections.model import (
    ENGINE_VERSION,
    THEMATIC,
    Connection,
    ThematicParams,
    clamp01,
    rounded,
)
from jobdock.library.connections.table import (
    BLOCK_ROWS,
    RESCORE_MARGIN,
    ChunkTable,
    exact_cosines,
    top_per_source,
)

SHARED_BONUS = 0.1
MAX_SHARED = 3
GENERIC_SHARE = 0.3
GENERIC_MIN_DOCUMENTS = 3


def select_sources(table: ChunkTable, rows: np.ndarray,
                   params: ThematicParams | None = None) -> np.ndarray:
    """A document's bridge sources: important, labelled chunks, the 50 most important."""
    params = params or ThematicParams()
    rows = np.asarray(rows, dtype=np.int64)
    ok = rows[(table.importance[rows] >= params.min_importance) & _labelled(table, rows)]
    order = np.lexsort((ok, -table.importance[ok]))
    return np.sort(ok[order][: params.max_source_chunks])


def find(table: ChunkTable, sources: np.ndarray, targets: np.ndarray,
         params: ThematicParams | None = None) -> list[Connection]:
    """Bridges from ``sources`` (rows picked by :func:`select_sources`)."""
    params = params or ThematicParams()
    sources = np.asarray(sources, dtype=np.int64)
    candidates = (targets & (table.importance >= params.min_importance)
                  & _labelled(table, np.arange(len(table))))
    if not len(sources) or not candidates.any():
        return []
    s, t, cos, shared = _related(table, sources, candidates, params)
    relatedness = np.round(cos + SHARED_BONUS * np.minimum(shared, MAX_SHARED), 6)
    out = []
    for i in top_per_source(s, t, relatedness, params.max_candidates_per_source):
        conn = _bridge(table, int(s[i]), int(t[i]), float(cos[i]), params)
        if conn is not None:
            out.append(conn)
    return _per_target_document(out, params.max_per_target_document)


def _per_target_document(found: list[Connection], limit: int) -> list[Connection]:
    """The strongest ``limit`` bridges from each source passage into each other document
    (ties: target chunk id): one passage bridging to every paragraph of one document
    says the same thing again and again."""
    taken: dict[tuple[str, object], int] = {}
    keep = set()
    for conn in sorted(found, key=lambda c: (c.source_chunk_id, -c.strength,
                                             c.target_chunk_id)):
        group = (conn.source_chunk_id, conn.metadata["target_document_id"])
        if taken.get(group, 0) < limit:
            taken[group] = taken.get(group, 0) + 1
            keep.add(conn.key)
    return [c for c in found if c.key in keep]


def document_fields(table: ChunkTable) -> np.ndarray:
    """Per document code, the domain code of its field: the label of more than half of
    its labelled passages; -1 when it has none. Two documents of one field are not
    bridged, whatever one of their passages strays into (a vote in a software manual)."""
    n_docs, n_domains = len(table.doc_names), max(1, len(table.domain_names))
    general = table.domain_names.get("general", -1)
    labelled = table.domain_codes != general
    counts = np.bincount(table.doc_codes[labelled].astype(np.int64) * n_domains
                         + table.domain_codes[labelled],
                         minlength=n_docs * n_domains).reshape(n_docs, n_domains)
    best = counts.argmax(axis=1)
    fields: np.ndarray = np.where(2 * counts.max(axis=1) > counts.sum(axis=1), best, -1)
    return fields


def _labelled(table: ChunkTable, rows: np.ndarray) -> np.ndarray:
    general = table.domain_names.get("general", -1)
    result: np.ndarray = table.domain_codes[rows] != general
    return result


def _related(table: ChunkTable, sources: np.ndarray, candidates: np.ndarray,
             params: ThematicParams) -> tuple[np.ndarray, ...]:
    """Per block of rows: cosines, the shared-concept bonus, cross-domain and cross-document
    masks, then the best few per source; the caller keeps the best overall."""
    query = table.embeddings[sources]
    field = document_fields(table)
    source_fields = field[table.doc_codes[sources]]
    shared_rows = [table.overlap(int(r))[:2] for r in sources]
    k = params.max_candidates_per_source
    parts: list[tuple[np.ndarray, ...]] = []
    for start in range(0, len(table), BLOCK_ROWS):
        cols = start + np.flatnonzero(candidates[start:start + BLOCK_ROWS])
        if not len(cols):
            continue
        cos = query @ table.embeddings[cols].T
        bonus = np.zeros_like(cos)
        for i, (rows, counts) in enumerate(shared_rows):
            hit = np.searchsorted(cols, rows)
            inside = (hit < len(cols)) & (cols[np.minimum(hit, len(cols) - 1)] == rows)
            bonus[i, hit[inside]] = np.minimum(counts[inside], MAX_SHARED)
        target_fields = field[table.doc_codes[cols]]
        bad = ((table.domain_codes[sources][:, None] == table.domain_codes[cols][None, :])
               | (table.doc_codes[sources][:, None] == table.doc_codes[cols][None, :])
               | ((source_fields[:, None] >= 0)
                  & (source_fields[:, None] == target_fields[None, :]))
               | (cos < params.min_similarity - RESCORE_MARGIN))
        score = np.where(bad, -np.inf, cos + SHARED_BONUS * bonus)
        # float32 cosines shortlist: every candidate within the berth of the k-th best
        # (see RESCORE_MARGIN); exact cosines decide, in find()
        take = min(k, len(cols))
        kth = -np.partition(-score, take - 1, axis=1)[:, take - 1]
        si, bi = np.nonzero(np.isfinite(score) & (score >= kth[:, None] - RESCORE_MARGIN))
        exact = exact_cosines(table, sources[si], cols[bi])
        fine = exact >= params.min_similarity
        si, bi = si[fine], bi[fine]
        parts.append((sources[si], cols[bi], np.round(exact[fine], 6),
                      bonus[si, bi].astype(np.int64)))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), empty
    return tuple(np.concatenate([p[j] for p in parts]) for j in range(4))


def _bridge(table: ChunkTable, src: int, tgt: int, cos: float,
            params: ThematicParams) -> Connection | None:
    shared = [c for c in table.shared_concepts(src, tgt) if not generic(table, c)]
    if not shared and cos < params.min_contextual_similarity:
        return None
    importance = (float(table.importance[src]) + float(table.importance[tgt])) / 2
    strength = clamp01(0.3 + 0.8 * cos + 0.06 * min(len(shared), MAX_SHARED)
                       + 0.1 * (importance - params.min_importance))
    if strength <= params.min_strength:
        return None
    kind = _bridge_type(table, src, tgt, len(shared))
    source_domain, target_domain = table.domains[src], table.domains[tgt]
    if shared:
        what = "the shared concept" + ("s " if len(shared) > 1 else " ") + \
            ", ".join(f"'{c}'" for c in shared[:3])
    else:
        what = (f"'{_first(table.concept_texts[src])}' and "
                f"'{_first(table.concept_texts[tgt])}', which read alike")
    explanation = (f"A {kind} bridge between {source_domain} and {target_domain}: {what} "
                   f"(embedding similarity {cos:.2f}).")
    return Connection(
        table.chunk_ids[src], table.chunk_ids[tgt], THEMATIC, rounded(strength),
        {"bridge_type": kind, "explanation": explanation, "bridge_concepts": shared,
         "source_domain": source_domain, "target_domain": target_domain,
         "raw_similarity": rounded(cos), "engine_version": ENGINE_VERSION,
         "target_document_id": table.document_ids[tgt]})


def generic(table: ChunkTable, concept: str) -> bool:
    """Whether a concept (as people read it) is common across the library: each of its
    words in ``GENERIC_SHARE`` of the documents, and in ``GENERIC_MIN_DOCUMENTS`` or
    more (a library of fewer than three documents has no generic words)."""
    need = max(GENERIC_MIN_DOCUMENTS, math.ceil(GENERIC_SHARE * len(table.doc_names)))
    words = [stem(w) for w in concept.split()]
    return bool(words) and all(table.document_frequency(w) >= need for w in words)


def _bridge_type(table: ChunkTable, src: int, tgt: int, shared: int) -> str:
    """conceptual (two or more shared concepts), argumentative (both take a stance in
    the same direction), conceptual (one shared concept), else contextual."""
    if shared >= 2:
        return "conceptual"
    ps, pt = float(table.polarity[src]), float(table.polarity[tgt])
    if abs(ps) >= 0.3 and abs(pt) >= 0.3 and ps * pt > 0:
        return "argumentative"
    return "conceptual" if shared == 1 else "contextual"


def _first(texts: tuple[str, ...]) -> str:
    return texts[0] if texts else "its theme"
