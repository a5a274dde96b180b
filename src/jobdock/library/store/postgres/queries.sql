-- The document library's named queries (postgres): documents and their chunks.
-- Each block starts with `-- name: NAME`; the library's repository runs them
-- through the engine store (jobdock.library.store.repository).

-- name: document_insert
-- Create a document row (its source file is already in storage).
INSERT INTO documents (id, user_id, title, source_type, filename, storage_path, metadata,
    created_at, updated_at)
VALUES (%(id)s, %(user_id)s, %(title)s, %(source_type)s, %(filename)s, %(storage_path)s,
    %(metadata)s, %(now)s, %(now)s)
RETURNING *;

-- name: document_get
-- One document, optionally scoped to its owner.
SELECT * FROM documents WHERE id = %(id)s AND (%(user_id)s::text IS NULL OR user_id = %(user_id)s);

-- name: document_list
-- A user's documents (or everyone's), newest first.
SELECT * FROM documents WHERE (%(user_id)s::text IS NULL OR user_id = %(user_id)s)
ORDER BY created_at DESC, id DESC LIMIT %(limit)s;

-- name: document_set_status
-- Record a document's processing status (and error, when failed).
UPDATE documents SET status = %(status)s, processing_error = %(error)s, updated_at = %(now)s,
    processing_started_at = CASE WHEN %(status)s = 'processing'
        THEN COALESCE(processing_started_at, %(now)s) ELSE processing_started_at END,
    processing_completed_at = CASE WHEN %(status)s IN ('completed', 'failed')
        THEN %(now)s ELSE NULL END
WHERE id = %(id)s RETURNING id;

-- name: document_set_processed
-- Record what processing produced.
UPDATE documents SET title = COALESCE(%(title)s, title), page_count = %(page_count)s,
    chunk_count = %(chunk_count)s, word_count = %(word_count)s,
    markdown_available = %(markdown_available)s, embeddings_available = %(embeddings_available)s,
    embedder = %(embedder)s, metadata = metadata || %(metadata)s::jsonb, updated_at = %(now)s
WHERE id = %(id)s RETURNING id;

-- name: document_delete
-- Delete a document and (cascade) its chunks.
DELETE FROM documents WHERE id = %(id)s RETURNING id;

-- name: chunk_delete_for_document
-- Remove every chunk of a document (first half of a replace).
DELETE FROM chunks WHERE document_id = %(document_id)s;

-- name: chunk_delete_from
-- Remove a document's chunks from one index on (a batched save resuming after a crash).
DELETE FROM chunks WHERE document_id = %(document_id)s AND chunk_index >= %(from_index)s;

-- name: chunk_insert_many
-- Insert a document's chunks from a JSON array of rows.
INSERT INTO chunks (id, document_id, chunk_index, content, start_offset, end_offset,
    heading_path, page_start, page_end, word_count, token_count, keywords, themes, summary,
    importance_score, embedding, user_data, created_at)
SELECT r.id, %(document_id)s, r.chunk_index, r.content, r.start_offset, r.end_offset,
    COALESCE(r.heading_path, '[]'), r.page_start, r.page_end, COALESCE(r.word_count, 0),
    r.token_count, COALESCE(r.keywords, '[]'), COALESCE(r.themes, '[]'), r.summary,
    r.importance_score, r.embedding, COALESCE(r.user_data, '{}'), %(now)s
FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(id text, chunk_index int, content text,
    start_offset int, end_offset int, heading_path jsonb, page_start int, page_end int,
    word_count int, token_count int, keywords jsonb, themes jsonb, summary text,
    importance_score double precision, embedding jsonb, user_data jsonb);

-- name: chunk_list
-- A document's chunks in order.
SELECT * FROM chunks WHERE document_id = %(document_id)s ORDER BY chunk_index;
