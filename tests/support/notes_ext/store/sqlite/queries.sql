-- name: note_insert
-- Add a note.
INSERT INTO notes (id, body, created_at) VALUES (:id, :body, :now) RETURNING *;

-- name: note_get
-- One note.
SELECT * FROM notes WHERE id = :id;

-- name: note_list
-- Every note, newest first.
SELECT * FROM notes ORDER BY created_at DESC, id;

-- name: note_set_words
-- Record a note's word count.
UPDATE notes SET word_count = :word_count WHERE id = :id RETURNING id;
