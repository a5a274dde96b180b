"""The library as columns: one row per chunk, what the engines search.

Rows are in the caller's order (the store loads them ordered by document and chunk
index), and every engine breaks ties by row, so results never depend on chance.
Embeddings are one float32 matrix of unit vectors; similarity search is a blocked
matrix product, never a loop over pairs. Concept words get an inverted index (stem →
rows, see :class:`Postings`), so overlap counts for one source chunk are a few
``bincount`` over posting lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain

import numpy as np

BLOCK_ROWS = 16384  # rows per matrix product: 150 sources x 16k rows = 10 MB of scores
# A float32 matrix product's last bits depend on its shape and on the CPU's BLAS kernel,
# so one pair's cosine could differ between a batch of 5 sources and one of 20 (seen on
# AMD EPYC: 0.941973 vs 0.941974 once rounded). The products only shortlist, with this
# berth (their error is ~1e-6 at 768 dimensions); the shortlist is rescored exactly.
RESCORE_MARGIN = 1e-4
RESCORE_PAIRS = 8192  # pairs rescored at a time: two 8192 x 768 float64 gathers, 100 MB


@dataclass(frozen=True)
class ChunkRecord:
    """One chunk as the engines need it (what a store row or a fixture becomes)."""

    chunk_id: str
    document_id: str
    embedding: list[float] | np.ndarray | None
    importance: float = 0.0
    polarity: float = 0.0
    domain: str = "general"
    concepts: tuple[str, ...] = ()  # concept keys, then vocabulary keys
    concept_texts: tuple[str, ...] = ()  # of the concepts proper, for explanations


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

    def document_frequency(self, word: str) -> int:
        """How many documents of the library have ``word`` (a stem) among the words of
        their passages' concept keys (core and vocabulary); one posting-list lookup,
        remembered for the table's lifetime."""
        known = self._document_frequencies.get(word)
        if known is None:
            rows = self._term_postings.rows_with([word])
            known = self._document_frequencies[word] = len(np.unique(self.doc_codes[rows]))
        return known

    @cached_property
    def _document_frequencies(self) -> dict[str, int]:
        return {}

    def core_of(self, row: int) -> tuple[str, ...]:
        """A row's concepts proper (those with a text, best first); the keys after them
        are its vocabulary, used only to tell whether it discusses another's concept."""
        return self.concepts[row][: len(self.concept_texts[row]) or len(self.concepts[row])]

    def terms_of(self, row: int) -> frozenset[str]:
        """The stems of a row's concept keys (core and vocabulary): what a passage is
        said to discuss, so that "minimum wage" in one passage meets "wage" and
        "minimum" in another."""
        return frozenset(w for key in self.concepts[row] for w in key.split())

    @cached_property
    def _term_postings(self) -> Postings:
        """Rows by the words of their concept keys (core and vocabulary). A one-word key
        is its own word, so only the library's distinct phrases are split in Python."""
        codes, rows = _pairs(self.concepts)
        phrases = sorted(k for k in set(chain.from_iterable(self.concepts)) if " " in k)
        if not phrases:
            return Postings(codes, rows, len(self))
        phrase_codes = np.array([hash(p) for p in phrases], dtype=np.int64)
        at = np.flatnonzero(np.isin(codes, phrase_codes))
        order = np.argsort(codes[at], kind="stable")
        at_codes, at_rows = codes[at][order], rows[at][order]
        extra_codes, extra_rows = [codes], [rows]
        for phrase in phrases:
            code = hash(phrase)
            lo = int(np.searchsorted(at_codes, code, side="left"))
            hi = int(np.searchsorted(at_codes, code, side="right"))
            for word in phrase.split():
                extra_codes.append(np.full(hi - lo, hash(word), dtype=np.int64))
                extra_rows.append(at_rows[lo:hi])
        return Postings(np.concatenate(extra_codes), np.concatenate(extra_rows), len(self))

    @cached_property
    def _core_postings(self) -> tuple[Postings, dict[str, list[str]]]:
        """Rows by their core keys, and word -> the core keys holding it."""
        cores = [self.core_of(row) for row in range(len(self))]
        by_word: dict[str, list[str]] = {}
        for key in sorted(set(chain.from_iterable(cores))):
            for word in dict.fromkeys(key.split()):
                by_word.setdefault(word, []).append(key)
        return Postings(*_pairs(cores), len(self)), by_word

    def overlap(self, row: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(candidate rows ascending, shared concepts, concepts in all) against ``row``.

        The concepts in all are the union of the two rows' core concepts; one is shared
        when both passages discuss it (all its words among each one's terms). Their
        ratio is the Jaccard overlap of the two passages on the concepts that matter to
        either. Every count is a ``bincount`` over posting lists, never a loop over rows.
        """
        n = len(self)
        words_index = self._term_postings
        keys_index, by_word = self._core_postings
        core = sorted(set(self.core_of(row)))
        if not core:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        terms = self.terms_of(row)
        # the row's core concepts that each candidate discusses (has all their words)
        mine = np.zeros(n, dtype=np.int64)
        for key in core:
            words = sorted(set(key.split()))
            present = words_index.rows_with(words[:1])
            for word in words[1:]:
                present = np.intersect1d(present, words_index.rows_with([word]),
                                         assume_unique=True)
            mine[present] += 1
        # each candidate's core concepts that the row discusses
        theirs_keys = sorted({k for w in terms for k in by_word.get(w, ())
                              if set(k.split()) <= terms})
        theirs = np.bincount(keys_index.rows_with(theirs_keys), minlength=n)
        both = np.bincount(keys_index.rows_with(core), minlength=n)
        shared = mine + theirs - both
        rows = np.flatnonzero(shared)
        union = len(core) + keys_index.per_row[rows] - both[rows]
        return rows, shared[rows], union

    def shared_concepts(self, source: int, target: int) -> list[str]:
        """The concepts (as people read them) that both passages discuss: the source's,
        then the target's that the source does not already name."""
        out: list[str] = []
        for a, b in ((source, target), (target, source)):
            words = self.terms_of(b)
            for key, text in zip(self.core_of(a), self.concept_texts[a] or self.concepts[a],
                                 strict=False):
                if set(key.split()) <= words and text not in out:
                    out.append(text)
        return out


def _pairs(items: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
    """(hash code, row) of every string of every row, in row order; the loops run in C
    (``map``), not in Python bytecode."""
    lengths = np.fromiter(map(len, items), dtype=np.int64, count=len(items))
    codes = np.fromiter(map(hash, chain.from_iterable(items)), dtype=np.int64,
                        count=int(lengths.sum()))
    return codes, np.repeat(np.arange(len(items), dtype=np.int32), lengths)


class Postings:
    """Inverted index of strings to rows, built without a Python loop over pairs.

    A string's code is its Python hash (64 bits, so two of a library's distinct words
    colliding is a one-in-billions chance; results never depend on the hash seed, only
    on which rows share a string). Pairs are sorted stably by code; a string's rows are
    one slice, ascending.
    """

    def __init__(self, codes: np.ndarray, rows: np.ndarray, n: int) -> None:
        order = np.argsort(codes, kind="stable")  # rows stay ascending within a code
        codes, rows = codes[order], rows[order]
        del order
        keep = np.ones(len(codes), dtype=bool)
        keep[1:] = (codes[1:] != codes[:-1]) | (rows[1:] != rows[:-1])  # repeats in a row
        codes, self.rows = codes[keep], rows[keep]
        first = np.ones(len(codes), dtype=bool)
        first[1:] = codes[1:] != codes[:-1]
        self.codes = codes[first]
        self.starts = np.r_[np.flatnonzero(first), len(codes)]
        self.per_row = np.bincount(self.rows, minlength=n)  # distinct strings per row

    def rows_with(self, names: Iterable[str]) -> np.ndarray:
        """The rows of each of ``names``, concatenated (a row once per name it has)."""
        parts = []
        for name in names:
            code = hash(name)
            at = int(np.searchsorted(self.codes, code))
            if at < len(self.codes) and self.codes[at] == code:
                parts.append(self.rows[self.starts[at]:self.starts[at + 1]])
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)


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


def exact_cosines(table: ChunkTable, sources: np.ndarray, targets: np.ndarray
                   ) -> np.ndarray:
    """The cosine of each (source row, target row) pair in float64, one pair at a time:
    a pair gets the same value whatever batch it is computed in."""
    out = np.empty(len(sources), dtype=np.float64)
    for start in range(0, len(sources), RESCORE_PAIRS):
        part = slice(start, start + RESCORE_PAIRS)
        a = table.embeddings[sources[part]].astype(np.float64)
        b = table.embeddings[targets[part]].astype(np.float64)
        out[part] = np.einsum("ij,ij->i", a, b)
    return out


def near_best(sources: np.ndarray, scores: np.ndarray, limit: int,
              margin: float = RESCORE_MARGIN) -> np.ndarray:
    """Mask of the triples that may be among their source's ``limit`` best once rescored:
    those within ``margin`` of the source's ``limit``-th best approximate score."""
    if not len(sources):
        return np.zeros(0, dtype=bool)
    order = np.lexsort((-scores, sources))
    sorted_sources = sources[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_sources)) + 1]
    sizes = np.diff(np.r_[starts, len(order)])
    kth = scores[order[starts + np.minimum(sizes, limit) - 1]]  # per source, in order
    group = np.repeat(np.arange(len(starts)), sizes)
    mask = np.zeros(len(sources), dtype=bool)
    mask[order] = scores[order] >= kth[group] - margin
    return mask


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
