"""The shipped labelled corpora: documents as paragraphs, enriched and embedded for real
(all-MiniLM-L6-v2), and scoring of found connections against their labels.

``corpus/`` is the acceptance corpus; ``heldout/`` is a second one, written before the
enrichment it checks was tuned and never tuned against (a check against overfitting)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jobdock.library.connections.enrich import enrich_texts
from jobdock.library.connections.model import Connection
from jobdock.library.connections.table import ChunkRecord, ChunkTable
from jobdock.library.text.embeddings import get_embedder

CORPUS = Path(__file__).parent / "corpus"
HELDOUT = Path(__file__).parent / "heldout"


def paragraphs(path: Path) -> list[str]:
    return [p.strip() for p in path.read_text().split("\n\n")
            if p.strip() and not p.lstrip().startswith("#")]


@lru_cache(maxsize=2)
def corpus_records(corpus: Path = CORPUS) -> tuple[ChunkRecord, ...]:
    embedder = get_embedder("minilm")
    records = []
    for path in sorted(corpus.glob("*.md")):
        texts = paragraphs(path)
        for i, (enr, vector) in enumerate(zip(enrich_texts(texts), embedder.embed(texts),
                                              strict=True)):
            records.append(ChunkRecord(
                f"{path.stem}#{i}", path.stem, vector, enr.importance, enr.polarity,
                enr.domain.domain, tuple(enr.all_keys),
                tuple(c.text for c in enr.concepts)))
    return tuple(records)


def corpus_table(corpus: Path = CORPUS) -> ChunkTable:
    return ChunkTable.from_records(list(corpus_records(corpus)))


def labels(corpus: Path = CORPUS) -> dict:
    return json.loads((corpus / "labels.json").read_text())


@dataclass
class Score:
    found: set[frozenset[str]]
    expected: set[frozenset[str]]
    acceptable: set[frozenset[str]]

    @property
    def recall(self) -> float:
        return len(self.found & self.expected) / len(self.expected)

    @property
    def precision(self) -> float:
        return len(self.found & self.acceptable) / len(self.found) if self.found else 1.0

    @property
    def strict_precision(self) -> float:
        return len(self.found & self.expected) / len(self.found) if self.found else 1.0


def score(engine: str, connections: list[Connection], table: ChunkTable,
          corpus: Path = CORPUS) -> Score:
    label = labels(corpus)[engine]
    expected = {frozenset(p) for p in label["expected"]}
    acceptable = set(expected)
    for a, b in label["documents"]:
        acceptable |= {frozenset((x, y)) for x in table.chunk_ids if x.startswith(a + "#")
                       for y in table.chunk_ids if y.startswith(b + "#")}
    found = {frozenset((c.source_chunk_id, c.target_chunk_id)) for c in connections}
    return Score(found, expected, acceptable)
