"""Polarity of a passage, from -1 (against, negative) to +1 (for, positive).

VADER (vaderSentiment, MIT) scores each sentence with its lexicon and rules (negation,
intensifiers, "but"). A passage's polarity is the mean over its opinionated sentences
(|compound| ≥ 0.05), shrunk towards 0 by the share of neutral sentences, so one loaded
word in a long neutral passage does not make it a stance. Sentiment is not stance: a
passage can argue "for" in gloomy words. That is the method's known limit.
"""

from __future__ import annotations

import re
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)")
OPINIONATED = 0.05


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()  # reads its lexicon file once


def sentence_scores(text: str) -> list[float]:
    analyzer = _analyzer()
    sentences = [s.strip() for s in SENTENCE.findall(text) if s.strip(" #*-\t")]
    return [float(analyzer.polarity_scores(s)["compound"]) for s in sentences]


def polarity(text: str) -> float:
    scores = sentence_scores(text)
    loaded = [s for s in scores if abs(s) >= OPINIONATED]
    if not loaded:
        return 0.0
    mean = sum(loaded) / len(loaded)
    share = len(loaded) / len(scores)
    return float(round(max(-1.0, min(1.0, mean * share ** 0.5)), 4))
