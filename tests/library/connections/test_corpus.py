"""The shipped labelled corpus: each engine finds what a reader would expect, and the
unrelated document gets nothing. Figures print with ``-s``."""

from pathlib import Path

import numpy as np
import pytest

from jobdock.library.connections import contradiction, semantic, thematic
from tests.library.connections.labelled import CORPUS, HELDOUT, corpus_table, labels, score


def _detect(engine, corpus=CORPUS):
    t = corpus_table(corpus)
    mask = np.ones(len(t), dtype=bool)
    found = []
    for doc in t.doc_names:
        rows = t.rows_of_document(doc)
        if engine is thematic:
            rows = thematic.select_sources(t, rows)
        found += engine.find(t, rows, mask)
    return t, found


@pytest.mark.parametrize("engine", [semantic, contradiction, thematic])
def test_engine_finds_the_labelled_connections(engine):
    t, found = _detect(engine)
    name = found[0].engine
    result = score(name, found, t)
    print(f"\n{name}: found {len(result.found)} pairs, recall {result.recall:.2f}, "
          f"precision {result.precision:.2f} (strict {result.strict_precision:.2f})")
    assert result.recall == 1.0
    assert result.precision == 1.0
    for unrelated in labels()["unrelated"]:
        assert not [c for c in found if unrelated in (c.source_chunk_id.split("#")[0],
                                                       c.target_chunk_id.split("#")[0])]


def test_enrichment_labels_the_corpus_domains():
    t = corpus_table()
    domains = {doc: {t.domains[r] for r in t.rows_of_document(doc)} for doc in t.doc_names}
    assert domains == {"ab-testing": {"technology"}, "natural-selection": {"biology"},
                       "sourdough": {"cooking"}, "wage-raise-helps": {"economics"},
                       "wage-raise-hurts": {"economics"}}
    polarity = {doc: float(np.mean(t.polarity[t.rows_of_document(doc)]))
                for doc in t.doc_names}
    assert polarity["wage-raise-helps"] > 0.3 > -0.3 > polarity["wage-raise-hurts"]


# Held-out corpora, each committed before the change it checks and never tuned against
# (docs/connections.md has the figures and why the misses happen: VADER scores
# sentiment, not stance; the seed vocabularies of the domain labels are small). The
# floors are what was measured; a zero floor says the engine finds none of them there.
HELDOUT2 = Path(__file__).parent / "heldout2"


@pytest.mark.parametrize(("corpus", "engine", "min_recall", "min_precision"), [
    (HELDOUT, semantic, 1.0, 1.0), (HELDOUT, contradiction, 0.66, 1.0),
    (HELDOUT, thematic, 1.0, 1.0),  # precision 0.4 before labels needed evidence
    (HELDOUT2, semantic, 1.0, 1.0), (HELDOUT2, contradiction, 0.0, 1.0),
    (HELDOUT2, thematic, 0.0, 0.0)], ids=lambda v: getattr(v, "name", None) or str(v))
def test_engine_on_a_heldout_corpus(corpus, engine, min_recall, min_precision):
    t, found = _detect(engine, corpus)
    name = {semantic: "semantic_similarity", contradiction: "contradiction_detection",
            thematic: "thematic_bridge"}[engine]
    result = score(name, found, t, corpus)
    print(f"\n{corpus.name} {name}: found {len(result.found)} pairs, recall "
          f"{result.recall:.2f}, precision {result.precision:.2f} "
          f"(strict {result.strict_precision:.2f})")
    assert result.recall >= min_recall
    assert result.precision >= min_precision
    for unrelated in labels(corpus)["unrelated"]:
        assert not [c for c in found if unrelated in (c.source_chunk_id.split("#")[0],
                                                       c.target_chunk_id.split("#")[0])]
