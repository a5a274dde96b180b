import numpy as np

from jobdock.library.connections import thematic
from jobdock.library.connections.model import ThematicParams
from tests.library.connections.records import record, table, unit


def _run(t, doc="A"):
    sources = thematic.select_sources(t, t.rows_of_document(doc))
    return thematic.find(t, sources, np.ones(len(t), dtype=bool))


def test_bridges_important_passages_of_different_domains():
    t = table(record("a", "A", unit(1, 0.6), importance=0.9, domain="biology",
                     concepts=("variation", "selection")),
              record("b", "B", unit(1, 0.7), importance=0.8, domain="technology",
                     concepts=("variation", "selection", "users")),
              record("same-domain", "C", unit(1, 0.6), importance=0.9, domain="biology"),
              record("unimportant", "D", unit(1, 0.6), importance=0.5, domain="arts"),
              record("unlabelled", "E", unit(1, 0.6), importance=0.9, domain="general"),
              record("unrelated", "F", unit(0, 0, 1), importance=0.9, domain="physics",
                     concepts=("variation",)))
    [c] = _run(t)
    assert c.target_chunk_id == "b" and c.engine == "thematic_bridge"
    assert c.strength > 0.6
    assert c.metadata["bridge_type"] == "conceptual"
    assert c.metadata["bridge_concepts"] == ["variation", "selection"]
    assert "between biology and technology" in c.metadata["explanation"]
    assert "'variation', 'selection'" in c.metadata["explanation"]


def test_weak_bridges_are_dropped_and_unshared_ones_named_by_their_concepts():
    t = table(record("a", "A", unit(1, 1.2), importance=0.9, domain="biology",
                     concepts=("genes",)),
              record("b", "B", unit(1, 0.1), importance=0.9, domain="economics",
                     concepts=("markets",)),
              record("far", "C", unit(0.45, 0, 1), importance=0.9, domain="arts"))
    [c] = _run(t)
    assert c.target_chunk_id == "b"
    assert c.metadata["bridge_type"] == "contextual"
    assert "'genes' and 'markets'" in c.metadata["explanation"]


def test_sources_are_the_most_important_labelled_chunks():
    rows = [record(f"a{i}", "A", importance=0.6 + i / 100, domain="biology")
            for i in range(5)]
    rows.append(record("low", "A", importance=0.59, domain="biology"))
    rows.append(record("plain", "A", importance=0.99, domain="general"))
    t = table(*rows)
    picked = thematic.select_sources(t, t.rows_of_document("A"),
                                     ThematicParams(max_source_chunks=3))
    assert [t.chunk_ids[r] for r in picked] == ["a2", "a3", "a4"]


def test_top_candidates_per_source_and_batch_invariance():
    rng = np.random.default_rng(3)
    rows = [record(f"a{i}", "A", list(rng.normal(size=8) + 3), importance=0.9,
                   domain="biology") for i in range(6)]
    rows += [record(f"t{i:02}", f"T{i}", list(rng.normal(size=8) + 3), importance=0.9,
                    domain="economics") for i in range(40)]
    t = table(*rows)
    sources = thematic.select_sources(t, t.rows_of_document("A"))
    mask = np.ones(len(t), dtype=bool)
    whole = thematic.find(t, sources, mask, ThematicParams(max_candidates_per_source=4))
    per_source = {}
    for c in whole:
        per_source[c.source_chunk_id] = per_source.get(c.source_chunk_id, 0) + 1
    assert per_source and max(per_source.values()) <= 4
    halves = [c for part in np.array_split(sources, 2)
              for c in thematic.find(t, part, mask, ThematicParams(max_candidates_per_source=4))]
    assert [c.to_dict() for c in halves] == [c.to_dict() for c in whole]


def test_concepts_common_across_the_library_neither_strengthen_nor_explain():
    # "name" and "valu" are in every document of the library, "selection" in two
    def library(extra_docs):
        rows = [record("a", "A", unit(1, 1.5), importance=0.9, domain="biology",
                       concepts=("name", "valu", "select")),
                record("b", "B", unit(1, -0.3), importance=0.9, domain="technology",
                       concepts=("name", "valu", "select"))]
        rows += [record(f"x{i}", f"X{i}", unit(0, 0, 1), importance=0.2, domain="arts",
                        concepts=("name", "valu")) for i in range(extra_docs)]
        return table(*rows)

    [small] = _run(library(0))  # two documents: nothing is generic yet
    assert small.metadata["bridge_concepts"] == ["name", "valu", "select"]
    [big] = _run(library(4))  # six documents, "name" and "valu" in all six
    assert thematic.generic(library(4), "name") and not thematic.generic(library(4), "select")
    assert big.metadata["bridge_concepts"] == ["select"]
    assert "'name'" not in big.metadata["explanation"]
    assert 0.6 < big.strength < small.strength - 0.1


def test_a_passage_bridges_to_at_most_three_passages_of_one_other_document():
    rows = [record("a", "A", unit(1, 0.5), importance=0.9, domain="biology")]
    rows += [record(f"b{i}", "B", unit(1, 0.5 + i / 100), importance=0.9,
                    domain="technology") for i in range(6)]
    rows += [record("c", "C", unit(1, 0.5), importance=0.9, domain="economics")]
    found = _run(table(*rows))
    targets = sorted(c.target_chunk_id for c in found)
    assert targets == ["b0", "b1", "b2", "c"]  # the three closest of B, and C's passage


def test_a_bridge_on_similarity_alone_needs_a_close_one():
    # cosine 0.41: with a shared concept a bridge, without one (or with only a generic
    # one) not; the hashing embedder gives two unrelated manuals about that much
    def pair(concepts):
        return table(record("a", "A", unit(1, 2.2), importance=0.9, domain="politics",
                            concepts=concepts),
                     record("b", "B", unit(1, 0), importance=0.9, domain="technology",
                            concepts=concepts))
    [c] = _run(pair(("vote",)))
    assert c.metadata["bridge_type"] == "conceptual" and c.metadata["raw_similarity"] < 0.5
    assert _run(pair(())) == []


def test_documents_of_one_field_are_not_bridged_through_a_stray_passage():
    # B is a software manual with one passage on a vote; A another manual: no bridge.
    # C is an essay on politics: its passages bridge to A's, B's vote passage still not.
    def manual(doc, n, stray=None):
        rows = [record(f"{doc}{i}", doc, unit(1, 0.5), importance=0.9,
                       domain="technology", concepts=("proposal",)) for i in range(n)]
        if stray:
            rows.append(record(f"{doc}-vote", doc, unit(1, 0.5), importance=0.9,
                               domain=stray, concepts=("proposal",)))
        return rows
    t = table(*manual("A", 2), *manual("B", 3, stray="politics"))
    assert _run(t, "A") == [] and _run(t, "B") == []
    essay = [record(f"C{i}", "C", unit(1, 0.5), importance=0.9, domain="politics",
                    concepts=("proposal",)) for i in range(3)]
    t = table(*manual("A", 2), *manual("B", 3, stray="politics"), *essay)
    assert {c.target_chunk_id for c in _run(t, "A")} == {"C0", "C1", "C2"}
    fields = thematic.document_fields(t)
    assert [t.domains[t.domain_codes.tolist().index(f)] for f in fields] == \
        ["technology", "technology", "politics"]


def test_raw_similarity_is_the_exact_cosine_whatever_the_cpu():
    # sibling of the semantic engine's test: float32 products only shortlist
    rng = np.random.default_rng(3)
    rows = [record(f"a{i}", "A", list(rng.normal(size=8) + 3), importance=0.9,
                   domain="biology") for i in range(6)]
    rows += [record(f"t{i:02}", f"T{i}", list(rng.normal(size=8) + 3), importance=0.9,
                    domain="economics") for i in range(40)]
    t = table(*rows)
    found = thematic.find(t, thematic.select_sources(t, t.rows_of_document("A")),
                          np.ones(len(t), dtype=bool))
    assert found
    for c in found:
        a = t.embeddings[t.chunk_ids.index(c.source_chunk_id)].astype(np.float64)
        b = t.embeddings[t.chunk_ids.index(c.target_chunk_id)].astype(np.float64)
        exact = sum(x * y for x, y in zip(a, b, strict=True))
        assert c.metadata["raw_similarity"] == round(float(exact), 6)
