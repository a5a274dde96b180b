"""``process_document``: source file → clean markdown → chunks → metadata → embeddings → saved.

Eight stages, each checkpointed; the embeddings stage saves a cursor every tenth of the
way and the save stage after every batch of chunks, so a pause or a crash there resumes
close to where it stopped. Everything is deterministic, so a resumed run writes the same
``chunks.json`` bytes as an uninterrupted one.

Memory is bounded by a few copies of the text, whatever the number of chunks: a stage
writes what it produces to a work file (``work/…`` beside the document's files, deleted
with the job's other intermediate files) as it goes, and its checkpoint holds only that
file's key and hash plus compact figures. The Markdown is held once while chunks are
enriched, embedded and saved; each chunk's text is a slice of it, taken when needed;
vectors go to storage a part at a time as float64 (exact: the JSON prints the same
numbers); ``chunks.json`` is streamed to storage; chunk rows go to the database in
batches.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator, Sequence
from typing import Any, overload

import numpy as np

from jobdock.jobs.context import JobContext
from jobdock.jobs.errors import PermanentError
from jobdock.jobs.registry import Stage
from jobdock.library.connections import hooks as connection_hooks
from jobdock.library.files import (
    CHUNK_KEYS,
    CHUNKS_VERSION,
    LazyList,
    chunk_id,
    encode,
    encode_pieces,
)
from jobdock.library.handlers.workfiles import (
    json_lines,
    read_json_lines,
    read_text,
    read_vectors,
    read_work,
    utf8_pieces,
    write_vectors_part,
    write_work,
)
from jobdock.library.repo import DOCUMENTS, DocumentRepo
from jobdock.library.rows import DocumentRow
from jobdock.library.text import (
    DocumentError,
    Page,
    embedder_window,
    extract,
    get_embedder,
)
from jobdock.library.text.chunking import ChunkSpan, chunk_spans
from jobdock.library.text.cleanup import iter_cleanup
from jobdock.library.text.metadata import DocumentTerms, document_metadata

STAGES = (
    Stage("download", 10), Stage("extract", 20, "extraction"), Stage("cleanup", 10),
    Stage("chunking", 10), Stage("metadata", 15), Stage("embeddings", 25),
    Stage("save", 7), Stage("finalize", 3),
)
EMBED_BATCH = 32
CURSOR_SHARE = 0.1
PART_CHUNKS = 1024  # vectors held before they go to storage as one part
SAVE_BATCH = 64  # chunk rows per database transaction (~2.5 MB of Python objects)
FORMAT = 2  # of the stage checkpoints: work files, not whole texts
_META_KEYS = ("keywords", "themes", "summary", "importance_score")


def process_document(ctx: JobContext) -> dict[str, Any]:
    """Extract, clean, chunk, enrich, embed and save one stored document."""
    repo = ctx.service(DOCUMENTS)
    document_id = str(ctx.input["document_id"])
    doc = repo.get(document_id)
    if doc is None:
        raise PermanentError(f"document {document_id} does not exist (deleted?)")
    repo.set_status(document_id, "processing")
    try:
        return _run(ctx, repo, doc)
    except Exception as exc:
        repo.set_status(document_id, "failed", str(exc).split("\n")[0][:500])
        raise


def _run(ctx: JobContext, repo: DocumentRepo, doc: DocumentRow) -> dict[str, Any]:
    source = ctx.run_stage("download", _download, ctx, doc)
    extracted = ctx.run_stage("extract", _extract, ctx, doc, accept=_current)
    cleaned = ctx.run_stage("cleanup", _cleanup, ctx, extracted, accept=_current)
    chunks = ctx.run_stage("chunking", _chunk, ctx, cleaned, accept=_current)
    meta = ctx.run_stage("metadata", _metadata, ctx, cleaned, chunks, accept=_current)
    embedder = str(ctx.input.get("embedder") or "hashing")
    vectors = ctx.run_stage("embeddings", _embed, ctx, cleaned, chunks, embedder,
                            accept=_current)
    saved = ctx.run_stage("save", _save, ctx, repo, doc, cleaned, chunks, meta, vectors,
                          embedder)
    return ctx.run_stage("finalize", _finalize, repo, doc, extracted, saved, meta, source,
                         embedder)


def _current(result: Any) -> bool:
    """A checkpoint of this format; one from before (whole texts in it) is redone."""
    return isinstance(result, dict) and result.get("format") == FORMAT


# ---- stages ------------------------------------------------------------------------------

def _download(ctx: JobContext, doc: DocumentRow) -> dict[str, Any]:
    data = ctx.with_retry(lambda: ctx.read_file(doc["storage_path"]), what="download")
    if data is None:
        raise PermanentError(f"the source file of {doc['filename'] or doc['id']} is missing "
                             f"from storage ({doc['storage_path']})")
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _extract(ctx: JobContext, doc: DocumentRow) -> dict[str, Any]:
    """The pages' text, one after the other, to ``work/pages.txt``; their sizes here."""
    try:  # the source bytes are referenced only inside extract()
        extracted = extract(ctx.read_file(doc["storage_path"]) or b"",
                            doc["filename"] or doc["title"])
    except DocumentError as exc:
        raise PermanentError(str(exc)) from exc
    pages: list[list[int]] = []

    def encoded() -> Iterator[bytes]:
        for page in extracted.pages:
            data = page.text.encode()
            pages.append([page.number, len(data)])
            yield data

    ref = write_work(ctx, "pages.txt", encoded())
    return {"format": FORMAT, "title": extracted.title, "kind": extracted.format,
            "pages": pages, **ref}


def _pages(data: list[bytes], sizes: list[list[int]]) -> Iterator[Page]:
    """Pages decoded one at a time from ``data[0]``, which is let go before the last."""
    view = memoryview(data.pop())
    offset = 0
    for index, (number, size) in enumerate(sizes):
        text = str(view[offset:offset + size], "utf-8")
        offset += size
        if index == len(sizes) - 1:
            view.release()
        yield Page(int(number), text)
        del text


def _cleanup(ctx: JobContext, extracted: dict[str, Any]) -> dict[str, Any]:
    """Clean Markdown to ``work/content.md``, written as it is produced."""
    spans: list[tuple[int, int, int]] = []
    pieces = iter_cleanup(_pages([read_work(ctx, extracted)], extracted["pages"]), spans,
                          kind=extracted["kind"])
    ref = write_work(ctx, "content.md", utf8_pieces(pieces))
    if not ref["bytes"]:  # every block with text is written; none is whitespace only
        raise PermanentError("the document has no text left after cleanup")
    return {"format": FORMAT, "page_spans": [list(s) for s in spans], **ref}


def _chunk(ctx: JobContext, cleaned: dict[str, Any]) -> dict[str, Any]:
    """Chunk boundaries, compactly: ``[start, end, tokens, path, page_start, page_end]``."""
    spans = [(int(n), int(s), int(e)) for n, s, e in cleaned["page_spans"]]
    target = int(ctx.input.get("target_tokens", 512))
    limit = int(ctx.input.get("max_tokens", 800))
    window, counter = embedder_window(str(ctx.input.get("embedder") or "hashing"))
    if window is not None:  # no chunk longer than what the embedder sees
        target, limit = min(target, window), min(limit, window)
    found = chunk_spans(read_text(ctx, cleaned), spans, target_tokens=target,
                        max_tokens=limit, count=counter)
    paths: dict[tuple[str, ...], int] = {}
    rows = [[c.start, c.end, c.tokens, paths.setdefault(tuple(c.heading_path), len(paths)),
             c.page_start, c.page_end] for c in found]
    ctx.update_progress(details=f"{len(rows)} chunks")
    return {"format": FORMAT, "paths": [list(p) for p in paths], "rows": rows}


def _spans(chunks: dict[str, Any]) -> list[ChunkSpan]:
    paths = chunks["paths"]
    return [ChunkSpan(i, start, end, tokens, paths[path], first, last)
            for i, (start, end, tokens, path, first, last) in enumerate(chunks["rows"])]


class _Texts(Sequence[str]):
    """The chunks' texts, each sliced from the Markdown when asked for."""

    def __init__(self, markdown: str, spans: list[ChunkSpan]) -> None:
        self.markdown = markdown
        self.spans = spans

    def __len__(self) -> int:
        return len(self.spans)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self.markdown[s.start:s.end] for s in self.spans[index]]
        span = self.spans[index]
        return self.markdown[span.start:span.end]


def _metadata(ctx: JobContext, cleaned: dict[str, Any],
              chunks: dict[str, Any]) -> dict[str, Any]:
    """Per chunk, its metadata and enrichment, as JSON lines in ``work/chunk-meta.jsonl``."""
    markdown = read_text(ctx, cleaned)
    spans = _spans(chunks)
    texts = _Texts(markdown, spans)
    found = DocumentTerms(texts)
    enrichment = connection_hooks.enrichment_for(texts)

    def lines() -> Iterator[dict[str, Any]]:
        for i, span in enumerate(spans):
            extra = dataclasses.asdict(found.metadata(i, span.index, texts[i]))
            yield {**{k: extra[k] for k in _META_KEYS}, "enrichment": enrichment[i]}

    ref = write_work(ctx, "chunk-meta.jsonl", utf8_pieces(json_lines(lines())))
    return {"format": FORMAT, "document": document_metadata(markdown, [], found), **ref}


def _embed(ctx: JobContext, cleaned: dict[str, Any], chunks: dict[str, Any],
           embedder_name: str) -> dict[str, Any]:
    """Vectors to ``work/vectors-*.f64`` a part at a time; the cursor lists the parts."""
    embedder = get_embedder(embedder_name)
    texts = _Texts(read_text(ctx, cleaned), _spans(chunks))
    cursor = ctx.cursor or {"parts": []}
    if "vectors" in cursor:  # a cursor from before parts: its vectors become the first
        cursor = {"parts": [write_vectors_part(ctx, 0, [np.asarray(cursor["vectors"],
                                                            dtype=np.float64)])]}
    parts: list[dict[str, Any]] = list(cursor["parts"])
    done = sum(int(p["count"]) for p in parts)
    total = len(texts)
    size = int(ctx.input.get("embed_batch") or EMBED_BATCH)
    held: list[np.ndarray] = []
    saved = -total  # the first batch always saves a cursor
    for start in range(done, total, size):
        held.append(np.asarray(embedder.embed(texts[start:start + size]), dtype=np.float64))
        done = min(total, start + size)
        details = f"Embedding chunk {done} of {total}"
        # A part, and a cursor listing the parts, each tenth of the way (a resume redoes
        # at most that much); pauses and cancels are still heard per batch.
        if done - saved >= min(total * CURSOR_SHARE, PART_CHUNKS) or done == total:
            parts.append(write_vectors_part(ctx, done - sum(len(h) for h in held), held))
            held = []
            ctx.safe_point(done, total, details, cursor={"parts": parts})
            saved = done
        else:
            ctx.safe_point(done, total, details)
    return {"format": FORMAT, "parts": parts}


def _rows(ctx: JobContext, doc: DocumentRow, texts: _Texts, meta: dict[str, Any],
          vectors: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """``(chunk row, enrichment)`` per chunk, in order, built one at a time."""
    extras = read_json_lines(read_work(ctx, meta))
    for span, extra, vector in zip(texts.spans, extras, read_vectors(ctx, vectors), strict=True):
        content = texts.markdown[span.start:span.end]
        row = {"chunk_index": span.index, "content": content, "start_offset": span.start,
               "end_offset": span.end, "heading_path": list(span.heading_path),
               "page_start": span.page_start, "page_end": span.page_end,
               "word_count": len(content.split()), "token_count": span.tokens,
               **{k: extra.get(k) for k in _META_KEYS},
               "id": chunk_id(doc["id"], span.index), "embedding": vector}
        yield row, extra.get("enrichment")


def _save(ctx: JobContext, repo: DocumentRepo, doc: DocumentRow, cleaned: dict[str, Any],
          chunks: dict[str, Any], meta: dict[str, Any], vectors: dict[str, Any],
          embedder: str) -> dict[str, Any]:
    """The document's files, then its chunk rows a batch at a time (the cursor: how many
    are in; a resume first deletes any past that, written after the cursor was saved)."""
    cursor = ctx.cursor or {"files": False, "inserted": 0}
    spans = _spans(chunks)
    data = read_work(ctx, cleaned)
    if not cursor["files"]:
        _save_files(ctx, doc, data, cleaned, meta, embedder, len(spans))
    texts = _Texts(data.decode(), spans)
    del data
    if not cursor["files"]:
        ctx.save_file_stream("chunks.json", encode_pieces(
            {"version": CHUNKS_VERSION, "document_id": doc["id"], "embedder": embedder,
             "chunks": LazyList(len(spans), lambda: (
                 {k: row.get(k) for k in CHUNK_KEYS}
                 for row, _ in _rows(ctx, doc, texts, meta, vectors)))}))
        cursor = {"files": True, "inserted": 0}
        ctx.safe_point(cursor=cursor)
    inserted = int(cursor["inserted"])
    size = int(ctx.input.get("save_batch") or SAVE_BATCH)
    batch: list[tuple[dict[str, Any], Any]] = []
    for index, item in enumerate(_rows(ctx, doc, texts, meta, vectors)):
        if index >= inserted:
            batch.append(item)
        if len(batch) == size or (batch and index == len(spans) - 1):
            _insert(ctx, repo, doc["id"], batch, inserted)
            inserted += len(batch)
            batch = []
            ctx.safe_point(inserted, len(spans), f"Saving chunk {inserted} of {len(spans)}",
                           cursor={"files": True, "inserted": inserted})
    if not spans:
        repo.insert_chunks(doc["id"], [], from_index=0)
    # from the metadata stage: markdown.split() would list every word (~9x the text)
    return {"chunk_count": len(spans), "word_count": int(meta["document"]["word_count"])}


def _save_files(ctx: JobContext, doc: DocumentRow, markdown: bytes, cleaned: dict[str, Any],
                meta: dict[str, Any], embedder: str, count: int) -> None:
    ctx.save_file("content.md", markdown)
    ctx.save_file("metadata.json", encode({"version": "1.0", "document_id": doc["id"],
                                           **meta["document"]}))
    files = ["content.md", "chunks.json", "metadata.json", "manifest.json"]
    manifest = {"version": "1.0", "document_id": doc["id"], "title": doc["title"],
                "source_type": doc["source_type"], "filename": doc["filename"],
                "chunk_count": count, "embedder": embedder, "files": files,
                "markdown_sha256": cleaned["sha256"]}  # the work file is the Markdown's bytes
    ctx.save_file("manifest.json", encode(manifest))


def _insert(ctx: JobContext, repo: DocumentRepo, document_id: str,
            batch: list[tuple[dict[str, Any], Any]], first: int) -> None:
    """One batch of chunk rows (first deleting any from ``first`` on) and their enrichment."""
    rows = [row for row, _ in batch]
    repo.insert_chunks(document_id, rows, from_index=first)
    enrichment = [e for _, e in batch]
    connection_hooks.save_enrichment(ctx, document_id, rows,
                                     None if None in enrichment else enrichment,
                                     replace=first == 0)


def _finalize(repo: DocumentRepo, doc: DocumentRow, extracted: dict[str, Any],
              saved: dict[str, Any], meta: dict[str, Any], source: dict[str, Any],
              embedder: str) -> dict[str, Any]:
    title = extracted.get("title") or doc["title"]
    repo.set_processed(doc["id"], title=title, page_count=len(extracted.get("pages", [])),
                       chunk_count=saved["chunk_count"], word_count=saved["word_count"],
                       markdown_available=True, embeddings_available=True, embedder=embedder,
                       metadata={"outline": meta["document"].get("outline", []),
                                 "source_sha256": source["sha256"]})
    repo.set_status(doc["id"], "completed")
    follow_up = None
    if saved["chunk_count"] >= 2:  # connections need at least two chunks
        follow_up = repo.queue_unless_active(
            "detect_connections", {"document_id": doc["id"], "chunk_count": saved["chunk_count"],
                                   "trigger": "document-processing-complete"},
            user_id=doc["user_id"], entity_id=doc["id"])
    return {"success": True, "document_id": doc["id"], "chunks_created": saved["chunk_count"],
            "word_count": saved["word_count"], "title": title, "connections_job_id": follow_up}


__all__ = ["STAGES", "Page", "process_document"]
