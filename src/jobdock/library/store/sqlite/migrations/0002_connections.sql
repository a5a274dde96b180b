-- Connections between chunks, and the enrichment the engines read (one row per chunk).
CREATE TABLE chunk_enrichments (
    chunk_id           text PRIMARY KEY REFERENCES chunks (id) ON DELETE CASCADE,
    document_id        text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    concepts           text NOT NULL DEFAULT '[]',
    importance         real NOT NULL DEFAULT 0,
    polarity           real NOT NULL DEFAULT 0,
    domain             text NOT NULL DEFAULT 'general',
    domain_confidence  real NOT NULL DEFAULT 0,
    concept_keys       text NOT NULL DEFAULT '',  -- '|'-joined: what the engines read
    concept_texts      text NOT NULL DEFAULT '',
    vector             blob,  -- little-endian float32: 100k rows load fast
    version            integer NOT NULL DEFAULT 1
);
CREATE INDEX chunk_enrichments_document_idx ON chunk_enrichments (document_id);

CREATE TABLE connections (
    id                  text PRIMARY KEY,
    source_chunk_id     text NOT NULL REFERENCES chunks (id) ON DELETE CASCADE,
    target_chunk_id     text NOT NULL REFERENCES chunks (id) ON DELETE CASCADE,
    source_document_id  text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    target_document_id  text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    engine              text NOT NULL CHECK (engine IN
        ('semantic_similarity', 'contradiction_detection', 'thematic_bridge')),
    strength            real NOT NULL CHECK (strength >= 0 AND strength <= 1),
    metadata            text NOT NULL DEFAULT '{}',
    user_validated      integer CHECK (user_validated IN (0, 1)),
    validated_at        text,
    discovered_at       text NOT NULL,
    UNIQUE (source_chunk_id, target_chunk_id, engine),
    CHECK (source_chunk_id <> target_chunk_id)
);
CREATE INDEX connections_source_document_idx ON connections (source_document_id);
CREATE INDEX connections_target_document_idx ON connections (target_document_id);
