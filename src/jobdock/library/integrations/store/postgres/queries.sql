-- The integrations' named queries (postgres): annotations, integration settings, Obsidian
-- sync state and the review queue. Tables: the library's migration 0003_integrations.
-- Run through jobdock.library.integrations.store.IntegrationStore.

-- name: annotation_insert
-- Add an annotation; a highlight imported before (same source and external id) is skipped.
INSERT INTO annotations (id, user_id, document_id, start_offset, end_offset, quote, note,
    color, tags, source, external_id, chunk_id, chunk_index, anchor_method, anchor_confidence,
    created_at, updated_at)
VALUES (%(id)s, %(user_id)s, %(document_id)s, %(start_offset)s, %(end_offset)s, %(quote)s, %(note)s, %(color)s, %(tags)s,
    %(source)s, %(external_id)s, %(chunk_id)s, %(chunk_index)s, %(anchor_method)s, %(anchor_confidence)s,
    %(created_at)s, %(now)s)
ON CONFLICT (user_id, source, external_id) DO NOTHING
RETURNING *;

-- name: annotation_insert_from_review
-- The annotation an accepted review entry becomes (only if it was accepted with this id).
INSERT INTO annotations (id, user_id, document_id, start_offset, end_offset, quote, note,
    color, tags, source, external_id, chunk_id, chunk_index, anchor_method, anchor_confidence,
    created_at, updated_at)
SELECT %(id)s, user_id, document_id, suggested_start, suggested_end, suggested_text, %(note)s,
    %(color)s, %(tags)s, 'readwise', external_id, %(chunk_id)s, %(chunk_index)s, 'accepted', confidence,
    %(now)s, %(now)s
FROM review_queue
WHERE id = %(review_id)s AND user_id = %(user_id)s AND status = 'accepted' AND annotation_id = %(id)s
ON CONFLICT (user_id, source, external_id) DO NOTHING
RETURNING *;

-- name: annotation_get
-- One annotation, optionally scoped to its owner.
SELECT * FROM annotations WHERE id = %(id)s AND (%(user_id)s::text IS NULL OR user_id = %(user_id)s);

-- name: annotation_list
-- A document's annotations in text order.
SELECT * FROM annotations
WHERE document_id = %(document_id)s AND (%(user_id)s::text IS NULL OR user_id = %(user_id)s)
ORDER BY start_offset, created_at, id;

-- name: annotation_set_anchor
-- Move an annotation after its document's text changed (re-anchoring).
UPDATE annotations SET start_offset = %(start_offset)s, end_offset = %(end_offset)s,
    quote = %(quote)s, chunk_id = %(chunk_id)s, chunk_index = %(chunk_index)s,
    anchor_method = %(anchor_method)s, anchor_confidence = %(anchor_confidence)s, updated_at = %(now)s
WHERE id = %(id)s RETURNING id;

-- name: annotation_delete
-- Remove an annotation (its owner's).
DELETE FROM annotations WHERE id = %(id)s AND (%(user_id)s::text IS NULL OR user_id = %(user_id)s)
RETURNING id;

-- name: settings_get
-- A user's integration settings (the token column is read only by the import job).
SELECT * FROM integration_settings WHERE user_id = %(user_id)s;

-- name: settings_upsert
-- Save a user's integration settings, leaving the Readwise token as it is.
INSERT INTO integration_settings (user_id, vault_path, vault_name, export_folder,
    sync_annotations, readwise_base_url, readwise_every_hours, updated_at)
VALUES (%(user_id)s, %(vault_path)s, %(vault_name)s, %(export_folder)s, %(sync_annotations)s,
    %(readwise_base_url)s, %(readwise_every_hours)s, %(now)s)
ON CONFLICT (user_id) DO UPDATE SET vault_path = excluded.vault_path,
    vault_name = excluded.vault_name, export_folder = excluded.export_folder,
    sync_annotations = excluded.sync_annotations,
    readwise_base_url = excluded.readwise_base_url,
    readwise_every_hours = excluded.readwise_every_hours, updated_at = excluded.updated_at
RETURNING *;

-- name: settings_set_token
-- Store (or with NULL, forget) a user's Readwise token.
INSERT INTO integration_settings (user_id, readwise_token, updated_at)
VALUES (%(user_id)s, %(token)s, %(now)s)
ON CONFLICT (user_id) DO UPDATE SET readwise_token = excluded.readwise_token,
    updated_at = excluded.updated_at
RETURNING user_id;

-- name: settings_set_synced_until
-- Remember up to when the Readwise API import has run (its next updatedAfter).
UPDATE integration_settings SET readwise_synced_until = %(synced_until)s, updated_at = %(now)s
WHERE user_id = %(user_id)s RETURNING user_id;

-- name: settings_list_scheduled
-- Users who asked for a periodic Readwise import.
SELECT user_id, readwise_every_hours FROM integration_settings
WHERE readwise_every_hours IS NOT NULL AND readwise_token IS NOT NULL;

-- name: sync_state_get
-- A document's Obsidian sync state.
SELECT * FROM obsidian_sync_state WHERE document_id = %(document_id)s;

-- name: sync_state_upsert
-- Record a finished sync (either direction); clears any conflict.
INSERT INTO obsidian_sync_state (document_id, user_id, vault_root, note_path, vault_hash,
    library_hash, last_sync_direction, last_synced_at, conflict, updated_at)
VALUES (%(document_id)s, %(user_id)s, %(vault_root)s, %(note_path)s, %(vault_hash)s, %(library_hash)s,
    %(direction)s, %(now)s, NULL, %(now)s)
ON CONFLICT (document_id) DO UPDATE SET user_id = excluded.user_id,
    vault_root = excluded.vault_root, note_path = excluded.note_path,
    vault_hash = excluded.vault_hash, library_hash = excluded.library_hash,
    last_sync_direction = excluded.last_sync_direction,
    last_synced_at = excluded.last_synced_at, conflict = NULL, updated_at = excluded.updated_at
RETURNING *;

-- name: sync_state_set_conflict
-- Record that both sides changed since the last sync (NULL clears it).
UPDATE obsidian_sync_state SET conflict = %(conflict)s, updated_at = %(now)s
WHERE document_id = %(document_id)s RETURNING *;

-- name: sync_state_list
-- A user's synced documents, conflicts first.
SELECT s.*, d.title FROM obsidian_sync_state s JOIN documents d ON d.id = s.document_id
WHERE s.user_id = %(user_id)s
ORDER BY s.conflict IS NULL, s.updated_at DESC LIMIT %(limit)s;

-- name: review_insert
-- Queue a fuzzy match for review; a highlight already queued is skipped.
INSERT INTO review_queue (id, user_id, document_id, source, external_id, highlight,
    suggested_start, suggested_end, suggested_text, confidence, method, created_at)
VALUES (%(id)s, %(user_id)s, %(document_id)s, %(source)s, %(external_id)s, %(highlight)s, %(suggested_start)s,
    %(suggested_end)s, %(suggested_text)s, %(confidence)s, %(method)s, %(now)s)
ON CONFLICT (user_id, external_id) DO NOTHING
RETURNING *;

-- name: review_get
-- One review entry of a user.
SELECT * FROM review_queue WHERE id = %(id)s AND user_id = %(user_id)s;

-- name: review_list
-- A user's review entries (optionally of one status), oldest first.
SELECT r.*, d.title AS document_title FROM review_queue r
JOIN documents d ON d.id = r.document_id
WHERE r.user_id = %(user_id)s AND (%(status)s::text IS NULL OR r.status = %(status)s)
ORDER BY r.created_at, r.id LIMIT %(limit)s;

-- name: review_decide
-- Accept or reject a pending entry; zero rows: it was already decided.
UPDATE review_queue SET status = %(status)s, decided_at = %(now)s, annotation_id = %(annotation_id)s
WHERE id = %(id)s AND user_id = %(user_id)s AND status = 'pending'
RETURNING *;

-- name: connections_table_present
-- Whether the library's connections table exists (it comes with detect_connections).
SELECT 1 AS present WHERE to_regclass('connections') IS NOT NULL;

-- name: connection_links
-- The documents a document connects to (either direction), strongest first, for the
-- vault's connections note; rejected connections are left out.
SELECT d.id AS document_id, d.title, x.engine AS type, MAX(x.strength) AS strength
FROM (SELECT target_document_id AS other, engine, strength, user_validated
      FROM connections WHERE source_document_id = %(document_id)s
      UNION ALL
      SELECT source_document_id AS other, engine, strength, user_validated
      FROM connections WHERE target_document_id = %(document_id)s) x
JOIN documents d ON d.id = x.other
WHERE x.other <> %(document_id)s AND (x.user_validated IS NULL OR x.user_validated)
GROUP BY d.id, d.title, x.engine
ORDER BY strength DESC, d.title LIMIT %(limit)s;
