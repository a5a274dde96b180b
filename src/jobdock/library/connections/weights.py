"""Weight presets that re-rank connections for reading (origin §8.5; display only).

``score = strength x weight[engine]``; the list is sorted by score, then strength, then
the connection's key, so equal scores keep a stable order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from jobdock.library.connections.model import CONTRADICTION, SEMANTIC, THEMATIC

PRESETS: dict[str, dict[str, float]] = {
    "balanced": {SEMANTIC: 0.25, THEMATIC: 0.35, CONTRADICTION: 0.40},
    "max-friction": {SEMANTIC: 0.10, THEMATIC: 0.20, CONTRADICTION: 0.70},
    "thematic-focus": {SEMANTIC: 0.15, THEMATIC: 0.70, CONTRADICTION: 0.15},
    "semantic-only": {SEMANTIC: 1.0, THEMATIC: 0.0, CONTRADICTION: 0.0},
}
DEFAULT_PRESET = "balanced"


def weights_for(preset: str | None) -> dict[str, float]:
    name = preset or DEFAULT_PRESET
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[name]


def rank(connections: Iterable[Mapping[str, Any]], preset: str | None = None,
         min_score: float = 0.0) -> list[dict[str, Any]]:
    """Connections (dicts with engine and strength) with a ``score``, best first; those
    scoring below ``min_score`` (or zero) left out."""
    weights = weights_for(preset)
    scored = []
    for conn in connections:
        score = round(float(conn["strength"]) * weights.get(str(conn["engine"]), 0.0), 6)
        if score > 0 and score >= min_score:
            scored.append({**conn, "score": score})
    scored.sort(key=lambda c: (-c["score"], -float(c["strength"]), str(c["engine"]),
                               str(c.get("source_chunk_id")), str(c.get("target_chunk_id"))))
    return scored
