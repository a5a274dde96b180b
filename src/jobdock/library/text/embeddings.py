"""Embedders: text → unit-length vectors, rounded so that their JSON is deterministic.

``hashing`` needs nothing and is instant (a signed feature hash of word unigrams and
bigrams): good for tests and as a fallback, blind to meaning. ``minilm`` is the real
all-MiniLM-L6-v2 sentence model, on onnxruntime or numpy (:mod:`.minilm`). An embedder
with a ``window`` sees that many tokens at most (``count_tokens`` counts them); the
chunker keeps chunks within it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from functools import lru_cache
from itertools import pairwise
from typing import Protocol, runtime_checkable

import numpy as np

from jobdock.library.text.minilm import (
    WINDOW,
    EmbedderUnavailable,
    count_wordpieces,
    load_encoder,
)

DECIMALS = 6
WORD = re.compile(r"\w+")


@runtime_checkable
class Embedder(Protocol):
    name: str
    dimensions: int
    window: int | None  # tokens it sees per text (None: any length)

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One L2-normalised vector per text, in order."""
        ...


def _rounded(vector: np.ndarray) -> list[float]:
    """Round to 6 decimals; ``+ 0.0`` turns -0.0 into 0.0 so equal vectors print alike."""
    return [float(v) + 0.0 for v in np.round(vector.astype(np.float64), DECIMALS)]


class HashingEmbedder:
    """Feature hashing (blake2b, signed) of lower-cased word unigrams and bigrams."""

    name = "hashing"
    window: int | None = None

    def __init__(self, dimensions: int = 384) -> None:
        if dimensions < 1:
            raise ValueError("dimensions must be positive")
        self.dimensions = dimensions

    def embed(self, texts: list[str]) -> list[list[float]]:
        return [_rounded(self._vector(text)) for text in texts]

    def _vector(self, text: str) -> np.ndarray:
        words = WORD.findall(text.lower())
        features = words + [f"{a} {b}" for a, b in pairwise(words)]
        vector = np.zeros(self.dimensions, dtype=np.float64)
        for feature in features:
            index, sign = _slot(feature, self.dimensions)
            vector[index] += sign
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector


@lru_cache(maxsize=65536)
def _slot(feature: str, dimensions: int) -> tuple[int, float]:
    """A stable (index, sign) for a feature; Python's ``hash`` changes per process."""
    value = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "big")
    return (value >> 1) % dimensions, 1.0 if value & 1 else -1.0


class MiniLMEmbedder:
    """sentence-transformers/all-MiniLM-L6-v2 (384-d); longer texts pooled over windows."""

    name = "minilm"
    dimensions = 384
    window: int | None = WINDOW

    def __init__(self, runtime: str = "auto") -> None:
        self._encoder = load_encoder(runtime)  # raises EmbedderUnavailable when missing

    @property
    def runtime(self) -> str:
        return self._encoder.backend.name

    def count_tokens(self, text: str) -> int:
        return count_wordpieces(text)

    def embed(self, texts: list[str]) -> list[list[float]]:
        return [_rounded(v) for v in self._encoder.encode_many(texts)]


def embedder_window(name: str) -> tuple[int | None, Callable[[str], int] | None]:
    """``(window, token counter)`` of an embedder, without loading its model."""
    key = name.strip().lower()
    if key in ("minilm", "all-minilm-l6-v2"):
        return WINDOW, count_wordpieces
    get_embedder(key)  # refuses unknown names
    return None, None


def get_embedder(name: str) -> Embedder:
    """``"hashing"`` or ``"minilm"`` (alias ``"all-MiniLM-L6-v2"``)."""
    key = name.strip().lower()
    if key == "hashing":
        return HashingEmbedder()
    if key in ("minilm", "all-minilm-l6-v2"):
        return MiniLMEmbedder()
    raise ValueError(f"unknown embedder {name!r}; choose 'hashing' or 'minilm'")


__all__ = ["Embedder", "EmbedderUnavailable", "HashingEmbedder", "MiniLMEmbedder",
           "embedder_window", "get_embedder"]
