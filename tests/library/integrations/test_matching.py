from jobdock.library.integrations.anchoring import Anchor, reanchor
from jobdock.library.integrations.anchoring import counts as reanchor_counts
from jobdock.library.integrations.matching import locate

TEXT = ("# Chapter one\n\nThe river remembers every stone it has carried to the sea.\n\n"
        "Light falls on the paper and the window holds the garden still.\n\n"
        "The river remembers every stone it has carried to the sea.\n")


def test_exact_ignores_whitespace_and_prefers_the_hinted_occurrence():
    quote = "The river remembers\nevery stone"
    first = locate(quote, TEXT)
    assert first.method == "exact" and TEXT[first.start:first.end].startswith("The river")
    second = locate(quote, TEXT, near=len(TEXT) - 10)
    assert second.start > first.start


def test_fuzzy_above_threshold_and_failure_below():
    found = locate("Light falls upon the paper and the window holds a garden still", TEXT)
    assert found.method == "fuzzy" and 0.7 < found.confidence < 1
    assert "paper" in TEXT[found.start:found.end]
    missing = locate("Completely unrelated words about quantum chromodynamics", TEXT)
    assert missing.method == "none" and "best similarity" in missing.reason
    assert locate("   ", TEXT).reason == "the highlight has no text"


def test_reanchor_after_edit_counts_exact_fuzzy_lost():
    old = "Para one stays the same.\n\nPara two will be edited slightly here.\n\n" \
          "Para three is deleted entirely now.\n\nPara four stays too.\n"
    new = "Inserted paragraph first.\n\nPara one stays the same.\n\n" \
          "Para two will be edited a bit here.\n\nPara four stays too.\n"
    anchors = [Anchor(str(i), old.index(q), old.index(q) + len(q), q) for i, q in enumerate(
        ["Para one stays", "two will be edited slightly here", "three is deleted entirely",
         "Para four stays too."])]
    results = reanchor(old, new, anchors)
    assert [r.method for r in results] == ["exact", "fuzzy", "lost", "exact"]
    for r, a in zip(results, anchors, strict=True):
        if r.method == "exact":
            assert new[r.start:r.end] == a.quote
    assert "edited a bit" in new[results[1].start:results[1].end]
    assert reanchor_counts(results) == {"exact": 2, "fuzzy": 1, "lost": 1}


def test_reanchor_prefers_the_edited_place_over_a_repeat_elsewhere():
    para = "Light falls on the paper while the open window holds the garden still."
    old = f"{para} (1)\n\nMiddle text here.\n\n{para} (2)\n\nEnd.\n"
    new = old.replace(f"{para} (2)", para.replace("on the", "across the") + " (2)")
    second = old.index(f"{para} (2)")
    [r] = reanchor(old, new, [Anchor("a", second, second + len(para), para)])
    assert r.method == "fuzzy" and r.start > new.index("Middle")


def test_fuzzy_match_covers_whole_words():
    found = locate("map is not the terrain, but a good map lets you argue about the t",
                   "A map is not the territory, but a good map lets you argue about the "
                   "territory with someone.")
    assert found.method == "fuzzy"
    text = ("A map is not the territory, but a good map lets you argue about the "
            "territory with someone.")
    passage = text[found.start:found.end]
    assert passage.startswith("map") and not passage.endswith(" t")
    assert text[found.end - 1].isalnum() and not text[found.end].isalnum()
