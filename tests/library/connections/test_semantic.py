import numpy as np
import pytest

from jobdock.library.connections import semantic
from jobdock.library.connections import table as table_module
from jobdock.library.connections.model import SemanticParams
from tests.library.connections.records import record, table, unit


def _all(t):
    return np.ones(len(t), dtype=bool)


def test_finds_other_documents_above_the_threshold_strongest_first():
    t = table(record("a0", "A", unit(1, 0)), record("a1", "A", unit(1, 0.01)),
              record("b0", "B", unit(1, 0.2)), record("b1", "B", unit(1, 1)),
              record("c0", "C", unit(1, 0.05)))
    found = semantic.find(t, t.rows_of_document("A"), _all(t))
    by_source = {}
    for c in found:
        by_source.setdefault(c.source_chunk_id, []).append(c.target_chunk_id)
    # a1 is the same document; b1 is at cosine 0.707, just above 0.7
    assert by_source["a0"] == ["c0", "b0", "b1"]
    assert all(c.engine == "semantic_similarity" for c in found)
    first = found[0]
    assert first.strength == first.metadata["raw_similarity"]
    assert first.metadata["explanation"].startswith("Semantic similarity: ")
    assert first.metadata["target_document_id"] == "C"


def test_threshold_is_strict_and_top_limit_holds():
    rows = [record("s", "S", unit(1, 0))]
    rows += [record(f"t{i:02}", f"T{i}", unit(1, 0.05 * i)) for i in range(30)]
    t = table(*rows)
    found = semantic.find(t, np.array([0]), _all(t), SemanticParams(0.9, 5))
    assert [c.target_chunk_id for c in found] == ["t00", "t01", "t02", "t03", "t04"]
    assert semantic.find(t, np.array([0]), _all(t), SemanticParams(1.0, 5)) == []


def test_target_mask_limits_targets():
    t = table(record("a", "A", unit(1)), record("b", "B", unit(1)), record("c", "C", unit(1)))
    found = semantic.find(t, np.array([0]), t.target_mask(["C"]))
    assert [c.target_chunk_id for c in found] == ["c"]


@pytest.fixture
def random_table():
    rng = np.random.default_rng(7)
    base = rng.normal(size=(8, 16))
    rows = []
    for i in range(400):
        v = base[i % 8] + 0.3 * rng.normal(size=16)
        rows.append(record(f"c{i:03}", f"D{i // 20}", list(v / np.linalg.norm(v))))
    return table(*rows)


def test_batches_and_blocks_do_not_change_the_result(random_table, monkeypatch):
    t = random_table
    sources = t.rows_of_document("D3")
    whole = semantic.find(t, sources, _all(t))
    assert len(whole) > 20
    batched = [c for part in np.array_split(sources, 4) for c in semantic.find(t, part, _all(t))]
    assert [c.to_dict() for c in batched] == [c.to_dict() for c in whole]
    monkeypatch.setattr(table_module, "BLOCK_ROWS", 37)
    blocked = semantic.find(t, sources, _all(t))
    assert {c.key: c.strength for c in blocked} == {c.key: c.strength for c in whole}


def test_matches_a_brute_force_reference(random_table):
    t = random_table
    sources = t.rows_of_document("D5")
    found = {c.key for c in semantic.find(t, sources, _all(t), SemanticParams(0.7, 3))}
    expected = set()
    for s in sources:
        sims = [(float(t.embeddings[s] @ t.embeddings[j]), j) for j in range(len(t))
                if t.document_ids[j] != "D5" and float(t.embeddings[s] @ t.embeddings[j]) > 0.7]
        for _, j in sorted(sims, key=lambda x: (-round(x[0], 6), x[1]))[:3]:
            expected.add((t.chunk_ids[s], t.chunk_ids[j], "semantic_similarity"))
    assert found == expected


def test_no_sources_no_connections():
    t = table(record("a", "A"))
    assert semantic.find(t, np.array([], dtype=np.int64), _all(t)) == []


def _exact(t, source_id, target_id):
    a = t.embeddings[t.chunk_ids.index(source_id)].astype(np.float64)
    b = t.embeddings[t.chunk_ids.index(target_id)].astype(np.float64)
    return round(float(sum(x * y for x, y in zip(a, b, strict=True))), 6)


def test_strengths_are_the_exact_cosines_whatever_the_cpu(random_table):
    # a float32 product's last bits depend on its shape and the BLAS kernel (batches of
    # 5 and 20 sources disagreed in the 6th decimal on AMD EPYC): every strength is the
    # float64 cosine of the two stored vectors, computed here pair by pair
    t = random_table
    found = semantic.find(t, t.rows_of_document("D3"), _all(t))
    assert len(found) > 20
    assert [c.strength for c in found] == [_exact(t, c.source_chunk_id, c.target_chunk_id)
                                          for c in found]


def test_the_shortlist_keeps_everything_within_the_margin_of_the_last_place():
    sources = np.array([0, 0, 0, 0, 1, 1, 2])
    scores = np.array([0.9, 0.8, 0.79995, 0.7, 0.5, 0.4, 0.3])
    mask = table_module.near_best(sources, scores, 2, margin=1e-4)
    # source 0: 2nd best 0.8, so 0.79995 stays; source 1 has only two; source 2 one
    assert mask.tolist() == [True, True, True, False, True, True, True]
