"""Local, deterministic chunk metadata: keywords, themes, a summary and an importance.

No model: TF-IDF over the document's own chunks. A term is a lower-case word of three
or more letters that is not a stop word. Every ranking breaks ties by the term (or the
position), so the same document always gets the same metadata.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from jobdock.library.text.chunking import TOKEN, Chunk
from jobdock.library.text.headings import iter_headings
from jobdock.library.text.stopwords import STOP_WORDS

TERM = re.compile(r"[^\W\d_][\w'\u2019-]*[^\W_]|[^\W\d_]")
SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+[\"\u201d\u2019)\]]?|$)", re.MULTILINE)
KEYWORDS_PER_CHUNK = 8
THEMES_PER_CHUNK = 5
DOCUMENT_TERMS = 20
SUMMARY_CHARS = 300
WORD_RUN = re.compile(r"\S+")  # what str.split() counts


def _count(pattern: re.Pattern[str], text: str) -> int:
    """Matches counted one by one: a list of every word of a 100 MB text is ~5 GB."""
    return sum(1 for _ in pattern.finditer(text))


@dataclass
class ChunkMetadata:
    chunk_index: int
    keywords: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    summary: str = ""
    importance_score: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChunkMetadata:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in names})


def terms(text: str) -> list[str]:
    """Content words of ``text``, lower-cased, in order (stop words and short words out)."""
    words = (w.lower().replace("\u2019", "'") for w in TERM.findall(text))
    return [w for w in words if len(w) >= 3 and w not in STOP_WORDS]


def enrich(chunks: list[Chunk], markdown: str) -> list[ChunkMetadata]:
    """One :class:`ChunkMetadata` per chunk, in chunk order.

    Weights come from the chunks alone; ``markdown`` is taken so that the stage can grow
    document-level signals without changing its call.
    """
    found = DocumentTerms([c.content for c in chunks])
    return [found.metadata(i, c.chunk_index, c.content) for i, c in enumerate(chunks)]


class DocumentTerms:
    """TF-IDF statistics of one document's chunk texts, from two passes over them.

    ``texts`` is read again for each pass (and by :meth:`metadata`) rather than held as
    per-chunk term counts: it may be a lazy sequence slicing a big document's text, so
    memory stays the size of the vocabulary, not of every chunk's terms.
    """

    def __init__(self, texts: Sequence[str]) -> None:
        frequency: Counter[str] = Counter()
        for text in texts:
            frequency.update(Counter(terms(text)).keys())
        n = len(texts)
        self.idf = {t: math.log((1 + n) / (1 + df)) + 1.0 for t, df in frequency.items()}
        total: Counter[str] = Counter()
        self.mass: list[float] = []
        for text in texts:
            weight = self.weight(text)
            total.update(weight)
            self.mass.append(sum(weight.values()))
        self.top = _ranked({t: round(w, 9) for t, w in total.items()})[:DOCUMENT_TERMS]
        self.heaviest = max(self.mass, default=0.0) or 1.0

    def weight(self, text: str) -> dict[str, float]:
        """Term frequency times smoothed inverse chunk frequency, for one chunk."""
        count = Counter(terms(text))
        total = sum(count.values()) or 1
        return {t: round(c / total * self.idf[t], 9) for t, c in count.items()}

    def metadata(self, position: int, chunk_index: int, text: str) -> ChunkMetadata:
        """The metadata of the chunk at ``position`` in ``texts`` (its text: ``text``)."""
        weight = self.weight(text)
        top = self.top
        coverage = len(set(top) & weight.keys()) / len(top) if top else 0.0
        importance = 0.6 * coverage + 0.4 * (self.mass[position] / self.heaviest)
        return ChunkMetadata(
            chunk_index=chunk_index, keywords=_ranked(weight)[:KEYWORDS_PER_CHUNK],
            themes=[t for t in top if t in weight][:THEMES_PER_CHUNK],
            summary=summarise(text, weight),
            importance_score=round(min(1.0, max(0.0, importance)), 4))


def document_metadata(markdown: str, chunks: list[Chunk],
                      found: DocumentTerms | None = None) -> dict[str, Any]:
    """Whole-document facts for ``metadata.json``: counts, top keywords and the outline."""
    found = found or DocumentTerms([c.content for c in chunks])
    outline = [{"level": h.level, "title": h.title, "offset": h.start}
               for h in iter_headings(markdown)]
    return {"word_count": _count(WORD_RUN, markdown), "token_count": _count(TOKEN, markdown),
            "chunk_count": len(found.mass), "keywords": found.top, "outline": outline}


def summarise(text: str, weight: dict[str, float]) -> str:
    """The one or two best sentences (kept in reading order), at most 300 characters."""
    sentences = [s.strip() for s in SENTENCE.findall(_without_headings(text)) if s.strip()]
    if not sentences:
        return _shorten(" ".join(text.split()))
    scored = sorted(range(len(sentences)),
                    key=lambda i: (-_sentence_score(sentences[i], weight), i))
    best = [scored[0]]
    if len(scored) > 1:
        pair = sorted([scored[0], scored[1]])
        if len(" ".join(sentences[i] for i in pair)) <= SUMMARY_CHARS:
            best = pair
    return _shorten(" ".join(" ".join(sentences[i].split()) for i in best))


def _without_headings(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if not line.lstrip().startswith("#"))


def _sentence_score(sentence: str, weight: dict[str, float]) -> float:
    found = terms(sentence)
    if not found:
        return 0.0
    return round(sum(weight.get(t, 0.0) for t in found) / math.sqrt(len(found)), 9)


def _shorten(text: str) -> str:
    if len(text) <= SUMMARY_CHARS:
        return text
    cut = text[:SUMMARY_CHARS - 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"


def _ranked(weight: dict[str, float]) -> list[str]:
    return [t for t, _ in sorted(weight.items(), key=lambda kv: (-kv[1], kv[0]))]
