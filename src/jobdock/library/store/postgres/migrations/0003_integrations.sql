-- Integrations: annotations, per-user integration settings, Obsidian sync state and the
-- review queue of fuzzy Readwise matches (jobdock.library.integrations).
CREATE TABLE annotations (
    id                 text PRIMARY KEY,
    user_id            text NOT NULL,
    document_id        text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    start_offset       integer NOT NULL,
    end_offset         integer NOT NULL,
    quote              text NOT NULL,
    note               text NOT NULL DEFAULT '',
    color              text NOT NULL DEFAULT 'yellow',
    tags               jsonb NOT NULL DEFAULT '[]'::jsonb,
    source             text NOT NULL CHECK (source IN ('manual', 'readwise', 'obsidian')),
    external_id        text,
    chunk_id           text,
    chunk_index        integer,
    anchor_method      text NOT NULL DEFAULT 'exact'
        CHECK (anchor_method IN ('exact', 'fuzzy', 'lost', 'accepted')),
    anchor_confidence  real NOT NULL DEFAULT 1.0,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    CHECK (end_offset >= start_offset),
    UNIQUE (user_id, source, external_id)
);
CREATE INDEX annotations_document_idx ON annotations (document_id, start_offset);

CREATE TABLE integration_settings (
    user_id               text PRIMARY KEY,
    vault_path            text,
    vault_name            text,
    export_folder         text NOT NULL DEFAULT 'jobdock',
    sync_annotations      boolean NOT NULL DEFAULT true,
    readwise_token        text,
    readwise_base_url     text,
    readwise_every_hours  integer CHECK (readwise_every_hours IS NULL OR readwise_every_hours > 0),
    readwise_synced_until text,
    updated_at            timestamptz NOT NULL
);

CREATE TABLE obsidian_sync_state (
    document_id          text PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    user_id              text NOT NULL,
    vault_root           text NOT NULL,
    note_path            text NOT NULL,
    vault_hash           text NOT NULL,
    library_hash         text NOT NULL,
    last_sync_direction  text NOT NULL CHECK (last_sync_direction IN ('to_vault', 'from_vault')),
    last_synced_at       timestamptz NOT NULL,
    conflict             jsonb,
    updated_at           timestamptz NOT NULL
);

CREATE TABLE review_queue (
    id               text PRIMARY KEY,
    user_id          text NOT NULL,
    document_id      text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    source           text NOT NULL CHECK (source IN ('readwise_export', 'readwise_api')),
    external_id      text NOT NULL,
    highlight        jsonb NOT NULL,
    suggested_start  integer NOT NULL,
    suggested_end    integer NOT NULL,
    suggested_text   text NOT NULL,
    confidence       real NOT NULL,
    method           text NOT NULL,
    status           text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'accepted', 'rejected')),
    annotation_id    text,
    created_at       timestamptz NOT NULL,
    decided_at       timestamptz,
    UNIQUE (user_id, external_id),
    CHECK ((status = 'pending') = (decided_at IS NULL))
);
CREATE INDEX review_queue_user_idx ON review_queue (user_id, status, created_at);
