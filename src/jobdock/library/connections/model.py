"""What an engine returns, and the engines' names and parameters (origin §8.1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEMANTIC = "semantic_similarity"
CONTRADICTION = "contradiction_detection"
THEMATIC = "thematic_bridge"
ENGINES = (SEMANTIC, CONTRADICTION, THEMATIC)
ENGINE_VERSION = "local-1"
DECIMALS = 6  # strengths and scores are rounded so that reruns write identical rows


@dataclass(frozen=True)
class Connection:
    """A directed connection: source = a chunk of the document being processed."""

    source_chunk_id: str
    target_chunk_id: str
    engine: str
    strength: float
    metadata: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> tuple[str, str, str]:
        return self.source_chunk_id, self.target_chunk_id, self.engine

    def to_dict(self) -> dict[str, Any]:
        return {"source_chunk_id": self.source_chunk_id,
                "target_chunk_id": self.target_chunk_id, "engine": self.engine,
                "strength": self.strength, "metadata": self.metadata}


@dataclass(frozen=True)
class SemanticParams:
    threshold: float = 0.7
    max_results_per_chunk: int = 50


@dataclass(frozen=True)
class ContradictionParams:
    min_concept_overlap: float = 0.5
    polarity_threshold: float = 0.3
    min_source_polarity: float = 0.1
    max_results_per_chunk: int = 20


@dataclass(frozen=True)
class ThematicParams:
    min_importance: float = 0.6
    min_strength: float = 0.6
    max_source_chunks: int = 50
    max_candidates_per_source: int = 10
    max_per_target_document: int = 3  # of those kept, per source passage and other document
    min_similarity: float = 0.2  # below this, nothing is said to bridge two passages
    # a bridge with no shared concept (other than generic ones) rests on similarity alone
    min_contextual_similarity: float = 0.5


def rounded(value: float) -> float:
    return round(float(value), DECIMALS) + 0.0


def clamp01(value: float) -> float:
    return min(1.0, max(0.0, float(value)))
