-- The example extension's own table (its own migration sequence: notes/0001_notes).
CREATE TABLE notes (
    id          text PRIMARY KEY,
    body        text NOT NULL,
    word_count  integer,
    created_at  timestamptz NOT NULL
);
