-- (Postgres adds indexes for the job list by status, by type and by updated_at here. On
-- SQLite the list's optional filters, "(:x IS NULL OR ...)", are not matched against an
-- index by its planner: it walks background_jobs_created_idx or background_jobs_updated_idx
-- (0001) in order and filters, so more indexes would only cost writes.)
-- By user: the per-user counts ask for one user (user_id = :user_id), so jobs without a
-- user need no entry (SQLite uses a partial index when the WHERE implies its condition).
CREATE INDEX IF NOT EXISTS background_jobs_by_user_idx
    ON background_jobs (user_id, created_at DESC, id DESC) WHERE user_id IS NOT NULL;
DROP INDEX IF EXISTS background_jobs_user_idx;
