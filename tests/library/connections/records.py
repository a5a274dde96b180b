"""Hand-made chunk records for engine tests."""

from __future__ import annotations

import numpy as np

from jobdock.library.connections.table import ChunkRecord, ChunkTable


def unit(*values: float, dims: int = 4) -> list[float]:
    v = np.zeros(dims)
    v[: len(values)] = values
    return list(v / np.linalg.norm(v))


def record(cid: str, doc: str, vector: list[float] | None = None, *, importance=0.5,
           polarity=0.0, domain="general", concepts=(), texts=None) -> ChunkRecord:
    """``texts`` name the concepts proper (the first keys); keys after them are the
    chunk's vocabulary. By default every key is a concept named by itself."""
    return ChunkRecord(cid, doc, vector if vector is not None else unit(1.0), importance,
                       polarity, domain, tuple(concepts),
                       tuple(concepts) if texts is None else tuple(texts))


def table(*records: ChunkRecord) -> ChunkTable:
    return ChunkTable.from_records(list(records))
