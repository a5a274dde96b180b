-- The document library's named queries (sqlite): documents and their chunks.
-- Each block starts with `-- name: NAME`; the library's repository runs them
-- through the engine store (jobdock.library.store.repository).

-- name: document_insert
-- Create a document row (its source file is already in storage).
INSERT INTO documents (id, user_id, title, source_type, filename, storage_path, metadata,
    created_at, updated_at)
VALUES (:id, :user_id, :title, :source_type, :filename, :storage_path, :metadata, :now, :now)
RETURNING *;

-- name: document_get
-- One document, optionally scoped to its owner.
SELECT * FROM documents WHERE id = :id AND (:user_id IS NULL OR user_id = :user_id);

-- name: document_list
-- A user's documents (or everyone's), newest first.
SELECT * FROM documents WHERE (:user_id IS NULL OR user_id = :user_id)
ORDER BY created_at DESC, id DESC LIMIT :limit;

-- name: document_set_status
-- Record a document's processing status (and error, when failed).
UPDATE documents SET status = :status, processing_error = :error, updated_at = :now,
    processing_started_at = CASE WHEN :status = 'processing'
        THEN COALESCE(processing_started_at, :now) ELSE processing_started_at END,
    processing_completed_at = CASE WHEN :status IN ('completed', 'failed')
        THEN :now ELSE NULL END
WHERE id = :id RETURNING id;

-- name: document_set_processed
-- Record what processing produced.
UPDATE documents SET title = COALESCE(:title, title), page_count = :page_count,
    chunk_count = :chunk_count, word_count = :word_count,
    markdown_available = :markdown_available, embeddings_available = :embeddings_available,
    embedder = :embedder, metadata = json_patch(metadata, :metadata), updated_at = :now
WHERE id = :id RETURNING id;

-- name: document_delete
-- Delete a document and (cascade) its chunks.
DELETE FROM documents WHERE id = :id RETURNING id;

-- name: chunk_delete_for_document
-- Remove every chunk of a document (first half of a replace).
DELETE FROM chunks WHERE document_id = :document_id;

-- name: chunk_delete_from
-- Remove a document's chunks from one index on (a batched save resuming after a crash).
DELETE FROM chunks WHERE document_id = :document_id AND chunk_index >= :from_index;

-- name: chunk_insert_many
-- Insert a document's chunks from a JSON array of rows.
INSERT INTO chunks (id, document_id, chunk_index, content, start_offset, end_offset,
    heading_path, page_start, page_end, word_count, token_count, keywords, themes, summary,
    importance_score, embedding, user_data, created_at)
SELECT r.value->>'id', :document_id, r.value->>'chunk_index', r.value->>'content',
    r.value->>'start_offset', r.value->>'end_offset',
    COALESCE(r.value->>'heading_path', '[]'), r.value->>'page_start', r.value->>'page_end',
    COALESCE(r.value->>'word_count', 0), r.value->>'token_count',
    COALESCE(r.value->>'keywords', '[]'), COALESCE(r.value->>'themes', '[]'),
    r.value->>'summary', r.value->>'importance_score', r.value->>'embedding',
    COALESCE(r.value->>'user_data', '{}'), :now
FROM json_each(:rows) AS r;

-- name: chunk_list
-- A document's chunks in order.
SELECT * FROM chunks WHERE document_id = :document_id ORDER BY chunk_index;
