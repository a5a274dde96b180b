-- Connections and chunk enrichments (SQLite). Migrations: library/store/sqlite.

-- name: enrichment_delete_for_document
DELETE FROM chunk_enrichments WHERE document_id = :document_id;

-- name: enrichment_insert
-- One chunk's enrichment (one statement per chunk: the vector is a binary parameter).
INSERT INTO chunk_enrichments (chunk_id, document_id, concepts, concept_keys, concept_texts,
    importance, polarity, domain, domain_confidence, vector)
SELECT :chunk_id, :document_id, :concepts, :concept_keys, :concept_texts, :importance,
    :polarity, :domain, :domain_confidence, :vector
WHERE EXISTS (SELECT 1 FROM chunks c WHERE c.id = :chunk_id);

-- name: enrichment_for_document
SELECT e.* FROM chunk_enrichments e JOIN chunks c ON c.id = e.chunk_id
WHERE e.document_id = :document_id ORDER BY c.chunk_index;

-- name: library_count
SELECT count(*) AS n FROM chunk_enrichments e
JOIN documents d ON d.id = e.document_id
WHERE d.user_id = :user_id;

-- name: library_documents
-- The user's documents that have enrichments, in the library's stable order.
SELECT d.id FROM documents d
WHERE d.user_id = :user_id
  AND EXISTS (SELECT 1 FROM chunk_enrichments e WHERE e.document_id = d.id)
ORDER BY d.created_at, d.id;

-- name: library_rows
-- Everything the engines read, for some documents (a page), in the library's order.
SELECT e.chunk_id, e.document_id, e.concept_keys, e.concept_texts, e.importance,
    e.polarity, e.domain, e.vector
FROM chunk_enrichments e
JOIN chunks c ON c.id = e.chunk_id
JOIN documents d ON d.id = e.document_id
WHERE e.document_id IN (SELECT value FROM json_each(:ids))
ORDER BY d.created_at, d.id, c.chunk_index;

-- name: documents_newer_than
SELECT d.id FROM documents d, documents me
WHERE me.id = :document_id AND d.user_id = me.user_id AND d.created_at > me.created_at
ORDER BY d.created_at, d.id;

-- name: connection_count_existing
-- How many of these rows exist already (run with the upsert, in its transaction).
SELECT count(*) AS n FROM connections
WHERE id IN (SELECT r.value->>'id' FROM json_each(:rows) AS r);

-- name: connection_upsert_many
-- Idempotent: the same (source, target, engine) refreshes strength and metadata only.
-- (WHERE true: SQLite's parser needs it before ON CONFLICT after a SELECT with a join.)
INSERT INTO connections (id, source_chunk_id, target_chunk_id, source_document_id,
    target_document_id, engine, strength, metadata, discovered_at)
SELECT r.value->>'id', r.value->>'source_chunk_id', r.value->>'target_chunk_id',
    s.document_id, t.document_id, r.value->>'engine', r.value->>'strength',
    COALESCE(r.value->>'metadata', '{}'), :now
FROM json_each(:rows) AS r
JOIN chunks s ON s.id = r.value->>'source_chunk_id'
JOIN chunks t ON t.id = r.value->>'target_chunk_id'
WHERE true
ON CONFLICT (source_chunk_id, target_chunk_id, engine) DO UPDATE
SET strength = excluded.strength, metadata = excluded.metadata
RETURNING id;

-- name: connection_count_for_document
SELECT engine, count(*) AS n FROM connections
WHERE source_document_id = :document_id OR target_document_id = :document_id
GROUP BY engine ORDER BY engine;

-- name: connection_list_for_document
-- Both directions, with the passages at each end and the other document's title.
SELECT k.*, s.content AS source_content, s.chunk_index AS source_chunk_index,
    t.content AS target_content, t.chunk_index AS target_chunk_index,
    sd.title AS source_title, td.title AS target_title
FROM connections k
JOIN chunks s ON s.id = k.source_chunk_id
JOIN chunks t ON t.id = k.target_chunk_id
JOIN documents sd ON sd.id = k.source_document_id
JOIN documents td ON td.id = k.target_document_id
WHERE k.source_document_id = :document_id OR k.target_document_id = :document_id
ORDER BY k.engine, k.strength DESC, k.source_chunk_id, k.target_chunk_id;

-- name: connection_list_outgoing
-- A document's own connections (source in it), as export writes them.
SELECT k.* FROM connections k WHERE k.source_document_id = :document_id
ORDER BY k.engine, k.source_chunk_id, k.target_chunk_id;

-- name: connection_validated_for_document
SELECT k.* FROM connections k
WHERE (k.source_document_id = :document_id OR k.target_document_id = :document_id)
  AND k.user_validated = 1
ORDER BY k.engine, k.source_chunk_id, k.target_chunk_id;

-- name: connection_delete_for_document
DELETE FROM connections
WHERE source_document_id = :document_id OR target_document_id = :document_id
RETURNING id;

-- name: connection_delete_unreviewed_for_document
-- smart mode: validated and rejected rows stay (a rejection is a decision too).
DELETE FROM connections
WHERE (source_document_id = :document_id OR target_document_id = :document_id)
  AND user_validated IS NULL
RETURNING id;

-- name: connection_set_validated
UPDATE connections SET user_validated = :value, validated_at = :now
WHERE id = :id RETURNING *;

-- name: connection_restore_many
-- Import: rows whose two chunks exist; a row already there keeps its review.
INSERT INTO connections (id, source_chunk_id, target_chunk_id, source_document_id,
    target_document_id, engine, strength, metadata, user_validated, validated_at,
    discovered_at)
SELECT r.value->>'id', r.value->>'source_chunk_id', r.value->>'target_chunk_id',
    s.document_id, t.document_id, r.value->>'engine', r.value->>'strength',
    COALESCE(r.value->>'metadata', '{}'), r.value->>'user_validated',
    r.value->>'validated_at', COALESCE(r.value->>'discovered_at', :now)
FROM json_each(:rows) AS r
JOIN chunks s ON s.id = r.value->>'source_chunk_id'
JOIN chunks t ON t.id = r.value->>'target_chunk_id'
WHERE true
ON CONFLICT (source_chunk_id, target_chunk_id, engine) DO NOTHING
RETURNING id;
