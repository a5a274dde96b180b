import numpy as np

from jobdock.library.connections import contradiction
from jobdock.library.connections.model import ContradictionParams
from tests.library.connections.records import record, table

WAGE = ("minimum wage", "job", "price")


def _find(t, doc="A", params=None):
    return contradiction.find(t, t.rows_of_document(doc), np.ones(len(t), dtype=bool), params)


def test_shared_concepts_with_opposite_polarity_contradict():
    t = table(record("a", "A", polarity=0.6, importance=0.8, concepts=WAGE),
              record("b", "B", polarity=-0.5, importance=0.4, concepts=(*WAGE, "poverty")))
    [c] = _find(t)
    # of the 4 concepts of either (+ poverty), both discuss 3
    assert c.metadata["concept_overlap"] == 0.75
    assert c.strength == round(0.4 * 0.75 + 0.4 * 1.1 / 2 + 0.2 * 0.6, 6)
    assert c.metadata["shared_concepts"] == ["minimum wage", "job", "price"]
    assert "opposing stances (polarity difference: 1.10)" in c.metadata["explanation"]


def test_phrases_meet_their_words():
    t = table(record("a", "A", polarity=0.6, concepts=("minimum wage", "job")),
              record("b", "B", polarity=-0.6, concepts=("wage", "minimum", "job")))
    [c] = _find(t)
    assert c.metadata["concept_overlap"] == 1.0


def test_rules_out_same_sign_small_distance_low_overlap_same_document_and_weak_source():
    t = table(record("a", "A", polarity=0.15, concepts=WAGE),
              record("same-sign", "B", polarity=0.9, concepts=WAGE),
              record("too-close", "C", polarity=-0.1, concepts=WAGE),
              record("low-overlap", "D", polarity=-0.9, concepts=("wage", "tax", "school")),
              record("own-doc", "A", polarity=-0.9, concepts=WAGE),
              record("ok", "E", polarity=-0.9, concepts=WAGE))
    found = contradiction.find(t, np.array([0]), np.ones(len(t), dtype=bool))
    assert [c.target_chunk_id for c in found] == ["ok"]
    weak = table(record("a", "A", polarity=0.05, concepts=WAGE),
                 record("b", "B", polarity=-0.9, concepts=WAGE))
    assert _find(weak) == []


def test_at_most_top_n_by_strength():
    rows = [record("a", "A", polarity=0.8, concepts=WAGE)]
    rows += [record(f"t{i}", f"T{i}", polarity=-0.1 - 0.03 * i, concepts=WAGE)
             for i in range(25)]
    found = _find(table(*rows), params=ContradictionParams(max_results_per_chunk=20))
    assert len(found) == 20
    assert found[0].target_chunk_id == "t24"
    assert [c.strength for c in found] == sorted((c.strength for c in found), reverse=True)


def test_a_concept_counts_as_shared_when_the_other_passage_discusses_it():
    # b's concepts proper are (tax, school); "minimum wage" and "job" are only in its
    # vocabulary (keys after its concept texts), and still count as discussed there
    t = table(record("a", "A", polarity=0.6, concepts=("minimum wage", "job")),
              record("b", "B", polarity=-0.6,
                     concepts=("tax", "school", "minimum wage", "job"),
                     texts=("tax", "school")))
    [c] = _find(t)
    assert c.metadata["concept_overlap"] == 0.5  # 2 of {minimum wage, job, tax, school}
    assert c.metadata["shared_concepts"] == ["minimum wage", "job"]
