-- Connections and chunk enrichments (Postgres). Migrations: library/store/postgres.

-- name: enrichment_delete_for_document
DELETE FROM chunk_enrichments WHERE document_id = %(document_id)s;

-- name: enrichment_insert
-- One chunk's enrichment (one statement per chunk: the vector is a binary parameter).
INSERT INTO chunk_enrichments (chunk_id, document_id, concepts, concept_keys, concept_texts,
    importance, polarity, domain, domain_confidence, vector)
SELECT %(chunk_id)s::text, %(document_id)s::text, %(concepts)s::jsonb, %(concept_keys)s::text,
    %(concept_texts)s::text, %(importance)s::float8, %(polarity)s::float8, %(domain)s::text,
    %(domain_confidence)s::float8, %(vector)s::bytea
WHERE EXISTS (SELECT 1 FROM chunks c WHERE c.id = %(chunk_id)s);

-- name: enrichment_for_document
SELECT e.* FROM chunk_enrichments e JOIN chunks c ON c.id = e.chunk_id
WHERE e.document_id = %(document_id)s ORDER BY c.chunk_index;

-- name: library_count
SELECT count(*) AS n FROM chunk_enrichments e
JOIN documents d ON d.id = e.document_id
WHERE d.user_id = %(user_id)s;

-- name: library_documents
-- The user's documents that have enrichments, in the library's stable order.
SELECT d.id FROM documents d
WHERE d.user_id = %(user_id)s
  AND EXISTS (SELECT 1 FROM chunk_enrichments e WHERE e.document_id = d.id)
ORDER BY d.created_at, d.id;

-- name: library_rows
-- Everything the engines read, for some documents (a page), in the library's order.
SELECT e.chunk_id, e.document_id, e.concept_keys, e.concept_texts, e.importance,
    e.polarity, e.domain, e.vector
FROM chunk_enrichments e
JOIN chunks c ON c.id = e.chunk_id
JOIN documents d ON d.id = e.document_id
WHERE e.document_id IN (SELECT jsonb_array_elements_text(%(ids)s::jsonb))
ORDER BY d.created_at, d.id, c.chunk_index;

-- name: documents_newer_than
SELECT d.id FROM documents d, documents me
WHERE me.id = %(document_id)s AND d.user_id = me.user_id AND d.created_at > me.created_at
ORDER BY d.created_at, d.id;

-- name: connection_count_existing
-- How many of these rows exist already (run with the upsert, in its transaction).
SELECT count(*) AS n FROM connections
WHERE id IN (SELECT r.id FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(id text));

-- name: connection_upsert_many
-- Idempotent: the same (source, target, engine) refreshes strength and metadata only.
INSERT INTO connections (id, source_chunk_id, target_chunk_id, source_document_id,
    target_document_id, engine, strength, metadata, discovered_at)
SELECT r.id, r.source_chunk_id, r.target_chunk_id, s.document_id, t.document_id, r.engine,
    r.strength, COALESCE(r.metadata, '{}'), %(now)s
FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(id text, source_chunk_id text,
    target_chunk_id text, engine text, strength double precision, metadata jsonb)
JOIN chunks s ON s.id = r.source_chunk_id
JOIN chunks t ON t.id = r.target_chunk_id
ON CONFLICT (source_chunk_id, target_chunk_id, engine) DO UPDATE
SET strength = EXCLUDED.strength, metadata = EXCLUDED.metadata
RETURNING id;

-- name: connection_count_for_document
SELECT engine, count(*) AS n FROM connections
WHERE source_document_id = %(document_id)s OR target_document_id = %(document_id)s
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
WHERE k.source_document_id = %(document_id)s OR k.target_document_id = %(document_id)s
ORDER BY k.engine, k.strength DESC, k.source_chunk_id, k.target_chunk_id;

-- name: connection_list_outgoing
-- A document's own connections (source in it), as export writes them.
SELECT k.* FROM connections k WHERE k.source_document_id = %(document_id)s
ORDER BY k.engine, k.source_chunk_id, k.target_chunk_id;

-- name: connection_validated_for_document
SELECT k.* FROM connections k
WHERE (k.source_document_id = %(document_id)s OR k.target_document_id = %(document_id)s)
  AND k.user_validated IS TRUE
ORDER BY k.engine, k.source_chunk_id, k.target_chunk_id;

-- name: connection_delete_for_document
DELETE FROM connections
WHERE source_document_id = %(document_id)s OR target_document_id = %(document_id)s
RETURNING id;

-- name: connection_delete_unreviewed_for_document
-- smart mode: validated and rejected rows stay (a rejection is a decision too).
DELETE FROM connections
WHERE (source_document_id = %(document_id)s OR target_document_id = %(document_id)s)
  AND user_validated IS NULL
RETURNING id;

-- name: connection_set_validated
UPDATE connections SET user_validated = %(value)s, validated_at = %(now)s
WHERE id = %(id)s RETURNING *;

-- name: connection_restore_many
-- Import: rows whose two chunks exist; a row already there keeps its review.
INSERT INTO connections (id, source_chunk_id, target_chunk_id, source_document_id,
    target_document_id, engine, strength, metadata, user_validated, validated_at,
    discovered_at)
SELECT r.id, r.source_chunk_id, r.target_chunk_id, s.document_id, t.document_id, r.engine,
    r.strength, COALESCE(r.metadata, '{}'), r.user_validated, r.validated_at,
    COALESCE(r.discovered_at, %(now)s)
FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(id text, source_chunk_id text,
    target_chunk_id text, engine text, strength double precision, metadata jsonb,
    user_validated boolean, validated_at timestamptz, discovered_at timestamptz)
JOIN chunks s ON s.id = r.source_chunk_id
JOIN chunks t ON t.id = r.target_chunk_id
ON CONFLICT (source_chunk_id, target_chunk_id, engine) DO NOTHING
RETURNING id;
