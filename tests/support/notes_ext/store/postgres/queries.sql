-- name: note_insert
-- Add a note.
INSERT INTO notes (id, body, created_at) VALUES (%(id)s, %(body)s, %(now)s) RETURNING *;

-- name: note_get
-- One note.
SELECT * FROM notes WHERE id = %(id)s;

-- name: note_list
-- Every note, newest first.
SELECT * FROM notes ORDER BY created_at DESC, id;

-- name: note_set_words
-- Record a note's word count.
UPDATE notes SET word_count = %(word_count)s WHERE id = %(id)s RETURNING id;
