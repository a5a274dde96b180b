-- The per-user list and counts always ask for one user (user_id = ...): jobs without a
-- user need no entry in the user index (SQLite uses a partial index when the query's
-- WHERE implies its condition, as "user_id = :user_id" does). (On Postgres this step also
-- widens the status index of 0006.)
DROP INDEX background_jobs_user_idx;
CREATE INDEX background_jobs_user_idx ON background_jobs (user_id, created_at DESC, id DESC)
    WHERE user_id IS NOT NULL;
