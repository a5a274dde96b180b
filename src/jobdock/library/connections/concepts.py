"""Concepts of a passage: normalised keyphrases with an importance each.

Candidate phrases are runs of content words between stop words and punctuation (as in
RAKE); each word is lower-cased and reduced to its Snowball stem, so "Wages", "wage" and
"waging" are one concept and two documents that use different inflections still share
it. A concept's key is its stem sequence; its text is the most frequent surface form.

Why not YAKE: its wheel says LGPLv3 in one place and GPLv3 in another, and the project
takes no GPL at run time; rake-nltk has had no release since 2021 and drags in NLTK
and its data downloads. The scoring below is a few lines and fully deterministic.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from jobdock.library.text.stopwords import STOP_WORDS

WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*[A-Za-z]|[A-Za-z]")
# Anything that is not a word or a plain space ends a phrase (punctuation, digits, lines).
BREAK = re.compile(r"[^A-Za-z'\u2019\- ]+")
MAX_PHRASE_WORDS = 2
CONCEPTS_PER_CHUNK = 5
# Extra stop words: frequent in argument and exposition, and say nothing about a topic.
_FILLER_WORDS = """
argue argues argued claim claims say says think thinks way ways thing things lot lots
kind kinds part parts point points fact facts example examples case cases time times
people year years day days number numbers result results also called often simply good
better best great bad worse worst higher lower slightly rarely whole easily
"""
FILLER = frozenset(_FILLER_WORDS.split())

_STEMMER = snowballstemmer.stemmer("english")
# A Snowball stemmer keeps its working state in the object: one thread at a time (a
# worker enriches documents in several threads; unguarded, calls raced and raised
# "string index out of range" or returned another word's stem).
_STEM_LOCK = threading.Lock()


@dataclass(frozen=True)
class Concept:
    key: str  # stems joined by a space: what two passages must share to share the concept
    text: str  # the commonest surface form, for people
    importance: float  # 0 to 1 within its passage

    def to_dict(self) -> dict[str, object]:
        return {"key": self.key, "text": self.text, "importance": self.importance}


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    with _STEM_LOCK:
        return str(_STEMMER.stemWord(word))


def _is_content(word: str) -> bool:
    return len(word) >= 3 and word not in STOP_WORDS and word not in FILLER


def candidate_phrases(text: str) -> list[list[str]]:
    """Runs of content words (lower-case, apostrophes normalised), split at stop words."""
    phrases: list[list[str]] = []
    for piece in BREAK.split(text):
        run: list[str] = []
        for raw in WORD.findall(piece):
            word = raw.lower().replace("\u2019", "'").removesuffix("'s").strip("'-")
            if _is_content(word):
                run.append(word)
                continue
            if run:
                phrases.append(run)
            run = []
        if run:
            phrases.append(run)
    return phrases


def extract_concepts(text: str, context: Counter[str] | None = None,
                     limit: int = CONCEPTS_PER_CHUNK) -> list[Concept]:
    """The passage's top concepts, best first.

    A unigram scores its count in the passage; a two-word phrase counts only when it is
    a collocation (in the passage or the document), and then scores its count times two.
    ``context`` (stem counts over the whole document) lifts words the document keeps
    returning to: those are what a passage shares with other documents on its subject.
    Where a word first occurs lifts it too (up to x2 for the first word, x1 for the last):
    a passage states its topic early, and in a short passage, where most words occur
    once, that decides which of the tied words are its concepts (KEA and YAKE use the
    same signal). A phrase subsumes its words: once "minimum wage" is a concept, "wage"
    and "minimum" are not counted again as concepts of their own.
    """
    counts: Counter[str] = Counter()
    surfaces: dict[str, Counter[str]] = {}
    first: dict[str, int] = {}
    seen = 0
    for phrase in candidate_phrases(text):
        stems = [stem(w) for w in phrase]
        grams = [(s, w, seen + i) for i, (s, w) in enumerate(zip(stems, phrase, strict=True))]
        if len(phrase) >= 2:
            grams += [(" ".join(stems[i:i + 2]), " ".join(phrase[i:i + 2]), seen + i)
                      for i in range(len(phrase) - MAX_PHRASE_WORDS + 1)]
        seen += len(phrase)
        for key, surface, at in grams:
            counts[key] += 1
            first.setdefault(key, at)
            surfaces.setdefault(key, Counter())[surface] += 1
    phrases = {key for key in counts if " " in key
               and (_collocation(key, counts) or (context and _collocation(key, context)))}
    # A word met only inside a recurring phrase is that phrase, not a second concept.
    inside = {w for p in phrases for w in p.split() if counts[w] <= counts[p]}
    scores = {key: _score(key, n, context) * _position(first[key], seen)
              for key, n in counts.items()
              if (" " not in key and key not in inside) or key in phrases}
    ranked = _subsumed(sorted(scores.items(), key=lambda kv: (-kv[1], kv[0])), limit)
    if not ranked:
        return []
    top = ranked[0][1]
    return [Concept(key, _commonest(surfaces[key]), round(score / top, 4))
            for key, score in ranked]


def _position(first_word: int, words: int) -> float:
    """2 for a concept met at the passage's first content word, down to 1 at its last."""
    return round(2.0 - first_word / max(1, words - 1), 6) if words > 1 else 2.0


def _subsumed(ranked: list[tuple[str, float]], limit: int) -> list[tuple[str, float]]:
    """The best ``limit`` concepts, best first, where a phrase stands for its words: a
    word after a phrase that holds it is skipped; a phrase after one of its words takes
    that word's place (it says more)."""
    chosen: list[tuple[str, float]] = []
    for key, score in ranked:
        words = key.split()
        if len(words) == 1 and any(key in c.split() for c, _ in chosen if " " in c):
            continue
        if len(words) > 1:
            held = [i for i, (c, _) in enumerate(chosen) if c in words]
            if held:
                chosen[held[0]] = (key, chosen[held[0]][1])
                chosen = [c for i, c in enumerate(chosen) if i not in held[1:]]
                continue
        if len(chosen) < limit:
            chosen.append((key, score))
        elif not any(c in words for c, _ in chosen):
            break
    return chosen[:limit]


def _collocation(key: str, counts: Counter[str]) -> bool:
    """A phrase that recurs and whose words mostly occur in it ("minimum wage", not
    "higher minimum")."""
    n = counts.get(key, 0)
    return n >= 2 and n >= 0.5 * max(counts.get(w, 0) for w in key.split())


def _score(key: str, count: int, context: Counter[str] | None) -> float:
    score = float(count) * (2.0 if " " in key else 1.0)
    if context:
        score *= 1.0 + 0.5 * min(3.0, max(context.get(p, 0) for p in key.split()) / 2.0)
    return round(score, 6)


def _commonest(surfaces: Counter[str]) -> str:
    return sorted(surfaces.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def stem_counts(text: str) -> Counter[str]:
    """Counts of the content-word stems of ``text`` and of its two-word phrases (keys with
    a space): summed over a document, the ``context`` of its passages."""
    counts: Counter[str] = Counter()
    for phrase in candidate_phrases(text):
        stems = [stem(w) for w in phrase]
        counts.update(stems)
        counts.update(" ".join(stems[i:i + 2]) for i in range(len(stems) - 1))
    return counts


def jaccard(a: set[str] | frozenset[str], b: set[str] | frozenset[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0
