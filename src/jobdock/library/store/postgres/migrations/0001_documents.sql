-- documents and their chunks: what process_document produces and import/export move.
CREATE TABLE documents (
    id                       text PRIMARY KEY,
    user_id                  text NOT NULL,
    title                    text NOT NULL,
    source_type              text NOT NULL,
    filename                 text,
    storage_path             text NOT NULL,
    status                   text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
    processing_error         text,
    processing_started_at    timestamptz,
    processing_completed_at  timestamptz,
    page_count               integer,
    chunk_count              integer NOT NULL DEFAULT 0,
    word_count               integer,
    markdown_available       boolean NOT NULL DEFAULT false,
    embeddings_available     boolean NOT NULL DEFAULT false,
    embedder                 text,
    metadata                 jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at               timestamptz NOT NULL,
    updated_at               timestamptz NOT NULL
);
CREATE INDEX documents_user_idx ON documents (user_id, created_at DESC);

CREATE TABLE chunks (
    id                text PRIMARY KEY,
    document_id       text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    chunk_index       integer NOT NULL,
    content           text NOT NULL,
    start_offset      integer NOT NULL,
    end_offset        integer NOT NULL,
    heading_path      jsonb NOT NULL DEFAULT '[]'::jsonb,
    page_start        integer,
    page_end          integer,
    word_count        integer NOT NULL DEFAULT 0,
    token_count       integer,
    keywords          jsonb NOT NULL DEFAULT '[]'::jsonb,
    themes            jsonb NOT NULL DEFAULT '[]'::jsonb,
    summary           text,
    importance_score  double precision,
    embedding         jsonb,
    user_data         jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at        timestamptz NOT NULL,
    UNIQUE (document_id, chunk_index),
    CHECK (end_offset >= start_offset)
);
