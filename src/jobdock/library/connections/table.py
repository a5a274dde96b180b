"""The library as columns: one row per chunk, what the engines search.

Rows are in the caller's order (the store loads them ordered by document and chunk
index), and every engine breaks ties by row, so results never depend on chance.
Embeddings are one float32 matrix of unit vectors; similarity search is a blocked
matrix product, never a loop over pairs. Concept words get an inverted index (stem →
rows), so overlap counts for one source chunk are one ``bincount`` over posting lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

BLOCK_ROWS = 16384  # rows per matrix product: 150 sources x 16k rows = 10 MB of scores


@dataclass(frozen=True)
class ChunkRecord:
    """One chunk as the engines need it (what a store row or a fixture becomes)."""

    chunk_id: str
    document_id: str
    embedding: list[float] | np.ndarray | None
    importance: float = 0.0
    polarity: float = 0.0
    domain: str = "general"
    concepts: tuple[str, ...] = ()  # concept keys
    concept_texts: tuple[str, ...] = ()  # same order, for explanations


@dataclass
class ChunkTable:
    chunk_ids: list[str]
    document_ids: list[str]
    embeddings: np.ndarray  # (n, d) float32, unit rows; zero rows for chunks without one
    importance: np.ndarray  # (n,) float32
    polarity: np.ndarray  # (n,) float32
    domains: list[str]
    concepts: list[tuple[str, ...]]
    concept_texts: list[tuple[str, ...]]
    doc_codes: np.ndarray = field(init=False)  # (n,) int32: document as a small integer
    domain_codes: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.doc_codes, self.doc_names = _codes(self.document_ids)
        self.domain_codes, self.domain_names = _codes(self.domains)
        self.row_of = {cid: i for i, cid in enumerate(self.chunk_ids)}

    @classmethod
    def from_records(cls, records: list[ChunkRecord], dimensions: int | None = None
                     ) -> ChunkTable:
        dims = dimensions or next((len(r.embedding) for r in records
                                   if r.embedding is not None), 1)
        matrix = np.zeros((len(records), dims), dtype=np.float32)
        for i, r in enumerate(records):
            if r.embedding is not None and len(r.embedding) == dims:
                matrix[i] = r.embedding
        return cls(chunk_ids=[r.chunk_id for r in records],
                   document_ids=[r.document_id for r in records],
                   embeddings=normalise(matrix),
                   importance=np.array([r.importance for r in records], dtype=np.float32),
                   polarity=np.array([r.polarity for r in records], dtype=np.float32),
                   domains=[r.domain for r in records],
                   concepts=[tuple(r.concepts) for r in records],
                   concept_texts=[tuple(r.concept_texts) or tuple(r.concepts)
                                  for r in records])

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def rows_of_document(self, document_id: str) -> np.ndarray:
        code = self.doc_names.get(document_id)
        if code is None:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(self.doc_codes == code)

    def target_mask(self, document_ids: list[str] | None) -> np.ndarray:
        """Rows that may be targets: all, or only those of ``document_ids`` (add_new)."""
        if document_ids is None:
            return np.ones(len(self), dtype=bool)
        codes = [self.doc_names[d] for d in document_ids if d in self.doc_names]
        return np.isin(self.doc_codes, np.array(codes, dtype=np.int32))

    def terms_of(self, row: int) -> frozenset[str]:
        """The stems of a row's concepts: what overlaps are counted on, so that
        "minimum wage" in one passage meets "wage" and "minimum" in another."""
        return frozenset(w for key in self.concepts[row] for w in key.split())

    @cached_property
    def _term_postings(self) -> tuple[dict[str, int], np.ndarray, np.ndarray, np.ndarray]:
        """(term -> code, rows grouped by term, group starts, distinct terms per row),
        built with one pass in Python and a sort in numpy."""
        codes: dict[str, int] = {}
        pair_rows: list[int] = []
        pair_terms: list[int] = []
        for row, keys in enumerate(self.concepts):
            for word in {w for key in keys for w in key.split()}:
                pair_rows.append(row)
                pair_terms.append(codes.setdefault(word, len(codes)))
        rows = np.array(pair_rows, dtype=np.int64)
        terms = np.array(pair_terms, dtype=np.int64)
        order = np.argsort(terms, kind="stable")
        starts = np.searchsorted(terms[order], np.arange(len(codes) + 1))
        per_row = np.bincount(rows, minlength=len(self))
        return codes, rows[order], starts, per_row

    @property
    def term_counts(self) -> np.ndarray:
        return self._term_postings[3]

    def shared_counts(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """(candidate rows, number of concept terms each shares with ``row``), rows
        ascending; ``row`` itself included."""
        codes, grouped, starts, _ = self._term_postings
        found = sorted(codes[w] for w in self.terms_of(row) if w in codes)
        if not found:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        hits = np.concatenate([grouped[starts[c]:starts[c + 1]] for c in found])
        counts = np.bincount(hits, minlength=len(self))  # linear, no sort
        rows = np.flatnonzero(counts)
        return rows, counts[rows]

    def shared_concepts(self, source: int, target: int) -> list[str]:
        """The source's concepts (as people read them) all of whose words the target has."""
        words = self.terms_of(target)
        return [text for key, text in zip(self.concepts[source], self.concept_texts[source],
                                          strict=True) if set(key.split()) <= words]


def _codes(values: list[str]) -> tuple[np.ndarray, dict[str, int]]:
    names: dict[str, int] = {}
    codes = np.fromiter((names.setdefault(v, len(names)) for v in values),
                        dtype=np.int32, count=len(values))
    return codes, names


def normalise(matrix: np.ndarray) -> np.ndarray:
    """Unit rows, float32; in place when the matrix already is float32 (no copy of a
    150 MB library)."""
    if matrix.dtype != np.float32:
        matrix = matrix.astype(np.float32)
    norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix))[:, None]  # no n x d temporary
    norms[norms == 0] = 1.0
    matrix /= norms
    return matrix


def similarities_above(table: ChunkTable, sources: np.ndarray, candidates: np.ndarray,
                       threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All (source row, candidate row, cosine) with cosine > threshold.

    ``candidates`` is a boolean mask over the table's rows; cross-document filtering is
    the caller's. One matrix product per block of ``BLOCK_ROWS`` candidate rows.
    """
    query = table.embeddings[sources]
    found_s, found_t, found_v = [], [], []
    for start in range(0, len(table), BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, len(table))
        allowed = np.flatnonzero(candidates[start:stop])
        if not len(allowed):
            continue
        block = table.embeddings[start:stop] if len(allowed) == stop - start \
            else table.embeddings[start + allowed]
        scores = query @ block.T
        si, bi = np.nonzero(scores > threshold)
        if len(si):
            columns = bi if len(allowed) == stop - start else allowed[bi]
            found_s.append(sources[si])
            found_t.append(start + columns)
            found_v.append(scores[si, bi])
    if not found_s:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    return np.concatenate(found_s), np.concatenate(found_t), np.concatenate(found_v)


def top_per_source(sources: np.ndarray, targets: np.ndarray, scores: np.ndarray,
                   limit: int) -> np.ndarray:
    """Indexes into the triples: per source, the ``limit`` best (score desc, row asc)."""
    if not len(sources):
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((targets, -scores, sources))
    sorted_sources = sources[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_sources)) + 1]
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    result: np.ndarray = order[rank < limit]
    return result
