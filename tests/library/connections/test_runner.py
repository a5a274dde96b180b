"""The runner's bound per target passage: one passage of another document is not the
target of every source passage of this one."""

from jobdock.library.connections.runner import PER_TARGET, limit_per_target


def _conn(source, target, strength):
    return {"source_chunk_id": source, "target_chunk_id": target,
            "engine": "thematic_bridge", "strength": strength, "metadata": {}}


def test_limit_per_target_keeps_the_strongest_in_their_order():
    found = [_conn(f"s{i}", "t", i / 100) for i in range(30)]
    found += [_conn("s0", "u", 0.5), _conn("s1", "u", 0.5)]
    kept = limit_per_target(found, 10)
    assert [c["source_chunk_id"] for c in kept if c["target_chunk_id"] == "t"] == \
        [f"s{i}" for i in range(20, 30)]
    assert [c["source_chunk_id"] for c in kept if c["target_chunk_id"] == "u"] == ["s0", "s1"]
    assert limit_per_target(list(reversed(found)), 10) == list(reversed(kept))


def test_every_engine_has_a_bound_per_target():
    assert PER_TARGET == {"semantic_similarity": 50, "contradiction_detection": 20,
                          "thematic_bridge": 10}
