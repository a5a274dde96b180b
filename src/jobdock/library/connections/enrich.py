"""Enrich the chunks of one document: concepts, importance, polarity and domain.

Deterministic and local (no model): concepts from :mod:`.concepts`, polarity from VADER
(:mod:`.polarity`), domain from seed vocabularies (:mod:`.domains`). Importance ranks a
passage within its document: how many of the document's main concepts it carries, how
dense in content words it is, and whether it takes a stance; half raw score (against
the best passage), half rank, so every document has a spread of important passages.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from jobdock.library.connections.concepts import (
    Concept,
    candidate_phrases,
    extract_concepts,
    stem,
    stem_counts,
)
from jobdock.library.connections.domains import DomainLabel, label
from jobdock.library.connections.polarity import polarity

ENRICHMENT_VERSION = 1
DOCUMENT_CONCEPTS = 10


@dataclass
class Enrichment:
    concepts: list[Concept] = field(default_factory=list)
    importance: float = 0.0
    polarity: float = 0.0
    domain: DomainLabel = field(default_factory=lambda: DomainLabel("general", 0.0))

    def to_dict(self) -> dict[str, Any]:
        return {"version": ENRICHMENT_VERSION,
                "concepts": [c.to_dict() for c in self.concepts],
                "importance": self.importance, "polarity": self.polarity,
                "domain": self.domain.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Enrichment:
        domain = data.get("domain") or {}
        return cls(
            concepts=[Concept(str(c["key"]), str(c["text"]), float(c["importance"]))
                      for c in data.get("concepts", [])],
            importance=float(data.get("importance", 0.0)),
            polarity=float(data.get("polarity", 0.0)),
            domain=DomainLabel(str(domain.get("primaryDomain", "general")),
                               float(domain.get("confidence", 0.0))))

    @property
    def concept_keys(self) -> frozenset[str]:
        return frozenset(c.key for c in self.concepts)


def enrich_texts(texts: list[str]) -> list[Enrichment]:
    """One :class:`Enrichment` per passage of one document, in order."""
    per_chunk = [stem_counts(t) for t in texts]
    context: Counter[str] = Counter()
    for counts in per_chunk:
        context.update(counts)
    main = {s for s, _ in sorted(context.items(), key=lambda kv: (-kv[1], kv[0]))
            [:DOCUMENT_CONCEPTS]}
    out = []
    raw = []
    for text, counts in zip(texts, per_chunk, strict=True):
        concepts = extract_concepts(text, context)
        pol = polarity(text)
        out.append(Enrichment(concepts=concepts, polarity=pol, domain=label(counts)))
        raw.append(_raw_importance(text, counts, main, pol))
    for item, value in zip(out, _spread(raw), strict=True):
        item.importance = value
    return out


def _raw_importance(text: str, counts: Counter[str], main: set[str], pol: float) -> float:
    words = max(1, len(text.split()))
    content = sum(len(p) for p in candidate_phrases(text))
    coverage = len(main & counts.keys()) / len(main) if main else 0.0
    density = content / words
    length = min(1.0, words / 60)
    return 0.5 * coverage + 0.2 * density + 0.15 * length + 0.15 * min(1.0, abs(pol) * 2)


def _spread(raw: list[float]) -> list[float]:
    """Half the score against the best passage, half its rank (ties share a rank)."""
    if not raw:
        return []
    best = max(raw) or 1.0
    if len(raw) == 1:
        return [round(min(1.0, 0.5 * raw[0] / best + 0.5), 4)]
    ordered = sorted(raw)
    ranks = [ordered.index(r) / (len(raw) - 1) for r in raw]
    return [round(min(1.0, max(0.0, 0.5 * r / best + 0.5 * k)), 4)
            for r, k in zip(raw, ranks, strict=True)]


def concept_stems(text: str) -> set[str]:
    """Every content-word stem of a text (for matching against concept keys)."""
    return {stem(w) for phrase in candidate_phrases(text) for w in phrase}
