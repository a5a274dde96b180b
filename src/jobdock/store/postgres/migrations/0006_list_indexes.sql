-- Every job list query answered from an index at a million jobs (issue 13). Before, the
-- list by status, by type and sorted by updated_at walked background_jobs_created_idx
-- and filtered (reading the whole table when few or no rows match: 1.5-2 s at 1M) or
-- scanned it (sort=updated: 450-820 ms at 1M). Each index costs every status change one
-- more index entry (a status change is never a HOT update: status is in the claim
-- index's predicate); measured with bench/hotpath_cost.py, bench/drain_cost.py and the
-- peer harness, see bench/results/NOTES-2026-12-01-perf-2.md.
--
-- These statements run in the migration's transaction: writes to background_jobs wait
-- while the indexes build (a few seconds per million jobs). On a big table build them
-- first, without blocking, under the same names; this step then only drops the old user
-- index:
--   CREATE INDEX CONCURRENTLY IF NOT EXISTS background_jobs_status_idx ON background_jobs (status, created_at DESC, id DESC);
--   CREATE INDEX CONCURRENTLY IF NOT EXISTS background_jobs_type_idx ON background_jobs (job_type, created_at DESC, id DESC);
--   CREATE INDEX CONCURRENTLY IF NOT EXISTS background_jobs_updated_idx ON background_jobs (updated_at DESC, id DESC);
--   CREATE INDEX CONCURRENTLY IF NOT EXISTS background_jobs_by_user_idx ON background_jobs (user_id, created_at DESC, id DESC) WHERE user_id IS NOT NULL;

-- By status, newest first (every status: left out, a rare one is a walk of the table).
CREATE INDEX IF NOT EXISTS background_jobs_status_idx
    ON background_jobs (status, created_at DESC, id DESC);
-- By type, newest first.
CREATE INDEX IF NOT EXISTS background_jobs_type_idx
    ON background_jobs (job_type, created_at DESC, id DESC);
-- Recently changed first (sort=updated). It makes a progress write a non-HOT update too
-- (heartbeats and status changes already were); progress writes are coalesced per worker
-- (one UPDATE every 0.25 s), so that costs little.
CREATE INDEX IF NOT EXISTS background_jobs_updated_idx
    ON background_jobs (updated_at DESC, id DESC);
-- By user: the per-user list and counts always ask for one user (user_id = ...), so jobs
-- without a user (system and scheduled jobs, most bulk imports) need no entry, and their
-- inserts and status changes write one index entry less.
CREATE INDEX IF NOT EXISTS background_jobs_by_user_idx
    ON background_jobs (user_id, created_at DESC, id DESC) WHERE user_id IS NOT NULL;
DROP INDEX IF EXISTS background_jobs_user_idx;
