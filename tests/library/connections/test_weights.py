import pytest

from jobdock.library.connections.weights import PRESETS, rank


def _conns():
    return [{"engine": "semantic_similarity", "strength": 0.9, "target_chunk_id": "s"},
            {"engine": "contradiction_detection", "strength": 0.6, "target_chunk_id": "c"},
            {"engine": "thematic_bridge", "strength": 0.7, "target_chunk_id": "t"}]


def test_presets_reorder():
    order = {p: [c["target_chunk_id"] for c in rank(_conns(), p)] for p in PRESETS}
    assert order["balanced"] == ["t", "c", "s"]  # .245, .24, .225
    assert order["max-friction"] == ["c", "t", "s"]
    assert order["thematic-focus"] == ["t", "s", "c"]
    assert order["semantic-only"] == ["s"]
    assert rank(_conns(), "balanced")[0]["score"] == 0.245


def test_min_score_and_unknown_preset():
    assert [c["target_chunk_id"] for c in rank(_conns(), "balanced", 0.24)] == ["t", "c"]
    with pytest.raises(ValueError, match="unknown preset"):
        rank(_conns(), "nope")
