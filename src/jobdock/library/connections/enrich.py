"""Enrich the chunks of one document: concepts, importance, polarity and domain.

Deterministic and local (no model): concepts from :mod:`.concepts`, polarity from VADER
(:mod:`.polarity`), domain from seed vocabularies (:mod:`.domains`). Importance scores a
passage on absolute signals (length, density in content words, how many of the
document's main concepts it carries, stance), blended a quarter with its score against
the document's best passage; no ranking, so in a three-paragraph document every
substantial paragraph can be important (the ranking of version 1 put the last one of
every document below 0.6).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from jobdock.library.connections.concepts import (
    CONCEPTS_PER_CHUNK,
    Concept,
    candidate_phrases,
    extract_concepts,
    stem,
    stem_counts,
)
from jobdock.library.connections.domains import DomainLabel, label_passages
from jobdock.library.connections.polarity import polarity

ENRICHMENT_VERSION = 3  # 3: domain labels need evidence (domains.py)
DOCUMENT_CONCEPTS = 10
# Concept keys kept per passage beyond its concepts proper (best first): the passage's
# vocabulary, against which another passage's concepts are said to be discussed or not.
VOCABULARY = 30


@dataclass
class Enrichment:
    concepts: list[Concept] = field(default_factory=list)
    importance: float = 0.0
    polarity: float = 0.0
    domain: DomainLabel = field(default_factory=lambda: DomainLabel("general", 0.0))
    vocabulary: list[str] = field(default_factory=list)  # more keys, after the concepts

    def to_dict(self) -> dict[str, Any]:
        return {"version": ENRICHMENT_VERSION,
                "concepts": [c.to_dict() for c in self.concepts],
                "importance": self.importance, "polarity": self.polarity,
                "domain": self.domain.to_dict(), "vocabulary": list(self.vocabulary)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Enrichment:
        domain = data.get("domain") or {}
        return cls(
            concepts=[Concept(str(c["key"]), str(c["text"]), float(c["importance"]))
                      for c in data.get("concepts", [])],
            importance=float(data.get("importance", 0.0)),
            polarity=float(data.get("polarity", 0.0)),
            domain=DomainLabel(str(domain.get("primaryDomain", "general")),
                               float(domain.get("confidence", 0.0))),
            vocabulary=[str(k) for k in data.get("vocabulary", [])])

    @property
    def concept_keys(self) -> frozenset[str]:
        return frozenset(c.key for c in self.concepts)

    @property
    def all_keys(self) -> list[str]:
        """The concepts' keys, then the vocabulary's: what the store keeps per chunk."""
        return [c.key for c in self.concepts] + list(self.vocabulary)


def enrich_texts(texts: Sequence[str]) -> list[Enrichment]:
    """One :class:`Enrichment` per passage of one document, in order.

    ``texts`` is read twice rather than its stem counts held: it may be a lazy sequence
    slicing a big document's text."""
    context: Counter[str] = Counter()
    for text in texts:
        context.update(stem_counts(text))
    main = {s for s, _ in sorted(context.items(), key=lambda kv: (-kv[1], kv[0]))
            [:DOCUMENT_CONCEPTS]}
    out = []
    raw = []
    domains = label_passages(texts)
    for text, domain in zip(texts, domains, strict=True):
        counts = stem_counts(text)
        ranked = extract_concepts(text, context, limit=CONCEPTS_PER_CHUNK + VOCABULARY)
        pol = polarity(text)
        out.append(Enrichment(concepts=ranked[:CONCEPTS_PER_CHUNK], polarity=pol,
                              domain=domain,
                              vocabulary=[c.key for c in ranked[CONCEPTS_PER_CHUNK:]]))
        raw.append(_raw_importance(text, counts, main, pol))
    for item, value in zip(out, _spread(raw), strict=True):
        item.importance = value
    return out


def _raw_importance(text: str, counts: Counter[str], main: set[str], pol: float) -> float:
    """What makes a passage worth connecting, each signal 0-1 on an absolute scale:
    a full paragraph rather than a fragment (40 words and more), dense in content words
    (half of its words or more), carrying the document's main concepts (two in five of
    them or more), and taking a stance."""
    words = max(1, len(text.split()))
    content = sum(len(p) for p in candidate_phrases(text))
    length = min(1.0, words / 40)
    density = min(1.0, content / words / 0.5)
    coverage = min(1.0, (len(main & counts.keys()) / len(main) if main else 0.0) / 0.4)
    stance = min(1.0, abs(pol) * 2)
    return 0.3 * length + 0.25 * density + 0.3 * coverage + 0.15 * stance


def _spread(raw: list[float]) -> list[float]:
    """Three quarters the absolute score, one quarter the score against the document's
    best passage: a short document of substantial paragraphs has several important
    ones (no forced ranking pushes its last paragraph down), a fragment stays low."""
    if not raw:
        return []
    best = max(raw) or 1.0
    return [round(min(1.0, max(0.0, 0.75 * r + 0.25 * r / best)), 4) for r in raw]


def concept_stems(text: str) -> set[str]:
    """Every content-word stem of a text (for matching against concept keys)."""
    return {stem(w) for phrase in candidate_phrases(text) for w in phrase}
