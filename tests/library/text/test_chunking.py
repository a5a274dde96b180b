"""Chunking rules, and the offset invariant on arbitrary markdown-ish text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from jobdock.library.text import Chunk, chunk_markdown, count_tokens
from tests.library.text.test_text_pipeline import assert_chunk_invariants


def test_heading_path_is_the_stack_of_enclosing_headings() -> None:
    markdown = ("Preface text.\n\n# Part I\n\n## Chapter 1\n\nOne.\n\n## Chapter 2\n\nTwo.\n\n"
                "### Detail\n\nThree.\n\n# Part II\n\nFour.\n")
    chunks = chunk_markdown(markdown, target_tokens=50, max_tokens=60, min_tokens=0)
    assert [c.heading_path for c in chunks] == [
        [], ["Part I", "Chapter 1"], ["Part I", "Chapter 2"],
        ["Part I", "Chapter 2", "Detail"], ["Part II"]]
    # a bare heading is folded into its first child section instead of standing alone
    assert chunks[1].content.startswith("# Part I\n\n## Chapter 1")


def test_long_sections_split_at_paragraphs_then_sentences_then_words() -> None:
    paragraph = " ".join(f"Sentence number {i} is here." for i in range(40))
    markdown = "# Title\n\n" + paragraph + "\n\n" + paragraph + "\n\n" + "word " * 500
    chunks = chunk_markdown(markdown, target_tokens=60, max_tokens=80)
    assert_chunk_invariants(markdown, [c.to_dict() for c in chunks], 80)
    assert all(c.heading_path == ["Title"] for c in chunks)
    sentence_chunks = [c for c in chunks if "Sentence" in c.content]
    assert all(c.content.endswith(".") for c in sentence_chunks), "cut mid-sentence"


def test_a_run_without_whitespace_is_cut_between_tokens() -> None:
    url = "https://example.com/" + "/".join(f"segment{i}" for i in range(400))
    chunks = chunk_markdown(url, target_tokens=100, max_tokens=120)
    assert len(chunks) > 1
    assert_chunk_invariants(url, [c.to_dict() for c in chunks], 120)
    assert "".join(c.content for c in chunks) == url


def test_small_tail_joins_the_previous_chunk_within_max_tokens() -> None:
    body = "\n\n".join("alpha beta gamma delta " * 5 for _ in range(5)) + "\n\nomega."
    chunks = chunk_markdown(body, target_tokens=40, max_tokens=60)
    assert chunks[-1].content.endswith("omega.") and chunks[-1].token_count > 2


def test_page_ranges_come_from_page_spans() -> None:
    markdown = "one two three\n\nfour five six\n"
    spans = [(1, 0, 13), (2, 15, 28)]
    chunks = chunk_markdown(markdown, spans, target_tokens=3, max_tokens=3, min_tokens=0)
    assert [(c.page_start, c.page_end) for c in chunks] == [(1, 1), (2, 2)]
    whole = chunk_markdown(markdown, spans)
    assert (whole[0].page_start, whole[0].page_end) == (1, 2)


def test_tiny_sections_join_a_neighbour_under_their_shared_headings() -> None:
    body = " ".join(["The worker keeps its lease alive while the job runs."] * 8)
    markdown = (f"# Guide\n\n## Setup\n\nInstall it.\n\n## Running\n\n{body}\n\n"
                f"## Notes\n\n{body}\n\n## End\n\nDone.\n")
    chunks = chunk_markdown(markdown, target_tokens=200, max_tokens=200)
    assert all(c.token_count >= 50 for c in chunks), [c.token_count for c in chunks]
    assert chunks[0].content.startswith("# Guide\n\n## Setup") and "## Running" in \
        chunks[0].content
    assert chunks[0].heading_path == ["Guide"]
    assert chunks[-1].content.endswith("Done.") and chunks[-1].heading_path == ["Guide"]
    assert_chunk_invariants(markdown, [c.to_dict() for c in chunks], 200)


def test_no_chunk_is_longer_than_the_counters_window() -> None:
    def pieces(text: str) -> int:  # a stricter tokenizer: every 3 letters a token
        return sum(max(1, -(-len(word) // 3)) for word in text.split())

    markdown = "# T\n\n" + " ".join(f"extraordinarily{i} long words" for i in range(900))
    markdown += "\n\n" + "/".join(f"segment{i}" for i in range(300))  # no whitespace
    chunks = chunk_markdown(markdown, target_tokens=100, max_tokens=100, count=pieces)
    assert chunks and all(pieces(c.content) <= 100 for c in chunks)
    assert all(c.token_count == pieces(c.content) for c in chunks)


def test_chunk_round_trips_through_a_dict() -> None:
    chunk = chunk_markdown("# A\n\nbody text", [(1, 0, 12)])[0]
    assert Chunk.from_dict(chunk.to_dict()) == chunk
    assert chunk.word_count == 4 and chunk.token_count == count_tokens(chunk.content)


def test_empty_markdown_has_no_chunks() -> None:
    assert chunk_markdown("") == [] and chunk_markdown(" \n\n ") == []


PIECES = st.sampled_from(["word", "Word.", "x", "é", "#", "## Head", "\n", "\n\n", " ", "  ",
                          "-", "- item", "```", "?", "https://a.b/c?d=e", "\t", "1.", "»"])


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(PIECES, max_size=400), target=st.integers(1, 60),
       extra=st.integers(0, 40))
def test_offsets_reproduce_chunks_for_any_text(parts: list[str], target: int,
                                               extra: int) -> None:
    markdown = "".join(parts)
    chunks = chunk_markdown(markdown, target_tokens=target, max_tokens=target + extra)
    assert_chunk_invariants(markdown, [c.to_dict() for c in chunks], target + extra)
    covered = "".join(markdown[c.start_offset:c.end_offset] for c in chunks)
    assert "".join(covered.split()) == "".join(markdown.split()), "text was lost"
