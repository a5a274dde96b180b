
from jobdock.library.connections.concepts import extract_concepts, jaccard
from jobdock.library.connections.domains import label, label_passages
from jobdock.library.connections.enrich import Enrichment, enrich_texts
from jobdock.library.connections.polarity import polarity


def test_concepts_are_stemmed_so_inflections_meet():
    a = {c.key for c in extract_concepts("Wages rose. The wage is a fair wage for workers.")}
    b = {c.key for c in extract_concepts("Raising wages helps the worker.")}
    assert "wage" in a and "wage" in b
    assert "worker" in a & b


def test_a_collocation_is_one_concept_and_its_words_do_not_repeat_it():
    text = ("The minimum wage rose. A higher minimum wage helps. "
            "Critics of the minimum wage disagree.")
    keys = [c.key for c in extract_concepts(text)]
    assert keys[0] == "minimum wage"
    assert "minimum" not in keys


def test_stop_words_and_fillers_are_not_concepts():
    keys = {c.key for c in extract_concepts("They argue that it is a better way, in fact.")}
    assert keys == set()


def test_concept_importance_is_relative_to_the_best_and_an_earlier_word_ranks_first():
    # count x (2 at the first content word .. 1 at the last): 2x2, 2x1.75, 1x1
    concepts = extract_concepts("Zebra. Apple. Zebra, apple; mango.")
    assert [c.key for c in concepts] == ["zebra", "appl", "mango"]
    assert [c.importance for c in concepts] == [1.0, 0.875, 0.25]


def test_a_phrase_subsumes_its_words_and_frees_their_place():
    text = ("Minimum wage laws differ. The minimum wage rose; the wage bill rose with "
            "the minimum wage. Economists debate inflation.")
    keys = [c.key for c in extract_concepts(text, limit=4)]
    assert keys[0] == "minimum wage"
    assert "wage" not in keys and "minimum" not in keys and len(keys) == 4


def test_jaccard():
    assert jaccard({"a", "b"}, {"b", "c"}) == 1 / 3
    assert jaccard(set(), set()) == 0.0


def test_polarity_sign_follows_the_stance_and_negation():
    assert polarity("This policy is wonderful and helps families thrive.") > 0.3
    assert polarity("This policy is terrible and destroys families.") < -0.3
    assert polarity("This policy is not good.") < 0
    assert polarity("The report has twelve pages.") == 0.0


def test_one_loaded_word_in_neutral_text_is_a_weak_stance():
    neutral = "The meeting is on Monday. It lasts an hour. There are ten seats. "
    assert 0 < polarity(neutral + "The coffee is great.") < polarity("The coffee is great.")


def test_domain_is_the_field_whose_seed_words_the_passage_uses():
    assert label("Genes mutate and natural selection shapes species.").domain == "biology"
    assert label("Knead the dough, add flour and yeast, bake the loaf.").domain == "cooking"
    assert label("Nothing here at all.").domain == "general"
    result = label("Genes, more genes, a mutation, and a market.")
    assert (result.domain, result.confidence) == ("biology", 0.75)


def test_a_passage_takes_its_documents_field_unless_its_own_evidence_points_elsewhere():
    essay = ["Wages, prices and the market: employers pay workers out of their profit.",
             "Inflation and taxes eat into income and investment.",
             "Remote teams meet less often and talk more in writing.",
             "Genes, genes and more genes."]
    # the third has no evidence: the essay's field; the fourth points to biology, not
    # strongly enough for a field of its own against the document's: no label
    assert [d.domain for d in label_passages(essay)] == \
        ["economics", "economics", "economics", "general"]
    # a document without a clear field lends none
    assert [d.domain for d in label_passages([*essay[2:3], "Wages rise."])] == \
        ["general", "general"]


def test_domain_abstains_without_enough_evidence():
    # one seed word, however often, is not a field ("vote" in a how-to, "cells" in a
    # spreadsheet manual); an even mix of fields is not one field either
    assert label("Vote, vote, vote: the vote counts.").domain == "general"
    assert label("Genes evolve; the server runs the software.").domain == "general"
    # everyday words that merely share a stem with a field's term do not count
    assert label("Select the person you mean; selected items reproducible.").domain \
        == "general"


def test_a_passage_off_its_documents_field_needs_more_evidence():
    manual = ["The library parses data with a function; the program calls the compiler.",
              "Each software package ships code for the user and a test suite.",
              "The server stores the database; the network interface serves each user.",
              "The cells of the table hold the population count, one row per release.",
              "Evolution of species: mutation, offspring and genes shape organisms."]
    labels = [d.domain for d in label_passages(manual)]
    # two biology words in a software manual: no label; four: biology
    assert labels == ["technology", "technology", "technology", "general", "biology"]
    assert label(manual[3]).domain == "biology"  # alone, the passage would be biology


def test_enrich_texts_is_deterministic_bounded_and_round_trips():
    texts = ["Markets set prices when supply meets demand. Prices fall when supply grows.",
             "The weather was fine.",
             "Taxes on income fund schools; higher taxes slow growth, critics warn."]
    first, second = enrich_texts(texts), enrich_texts(texts)
    assert [e.to_dict() for e in first] == [e.to_dict() for e in second]
    for e in first:
        assert 0.0 <= e.importance <= 1.0 and -1.0 <= e.polarity <= 1.0
        assert Enrichment.from_dict(e.to_dict()).to_dict() == e.to_dict()
    assert first[1].importance < first[0].importance
    assert first[0].domain.domain == "economics"
    assert max(e.importance for e in first) >= 0.6  # every document has important passages


def test_empty_inputs():
    assert enrich_texts([]) == []
    [only] = enrich_texts([""])
    assert only.concepts == [] and only.polarity == 0.0 and only.domain.domain == "general"
