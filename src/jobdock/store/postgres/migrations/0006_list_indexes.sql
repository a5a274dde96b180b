-- Every job list query answered from an index at a million jobs (issue 13). Before, the
-- list by status, by type and sorted by updated_at walked background_jobs_created_idx
-- and filtered (far, for a rare status or type) or scanned the table (sort=updated:
-- 450-820 ms at 1M). Each index costs every status change one more index entry (a status
-- change is never a HOT update: status is in the claim index's predicate); measured with
-- bench/hotpath_cost.py and bench/drain_cost.py, see bench/results/NOTES-*-perf.md.
-- Creating them locks writes to the table for the time of the build (seconds at 1M).

-- By status, newest first, for the statuses a job stays in: a claim and a completion (the
-- drain's transitions) write no entry here. "completed" (most of a healthy table) is
-- answered by background_jobs_created_idx at once; "processing" (at most the workers'
-- concurrency) by background_jobs_active_idx and a sort of those few rows.
CREATE INDEX background_jobs_status_idx ON background_jobs (status, created_at DESC, id DESC)
    WHERE status IN ('pending', 'paused', 'failed', 'cancelled');
-- By type, newest first.
CREATE INDEX background_jobs_type_idx ON background_jobs (job_type, created_at DESC, id DESC);
-- Recently changed first (sort=updated). It makes a progress write a non-HOT update too
-- (heartbeats and status changes already were); progress writes are coalesced per worker
-- (one UPDATE every 0.25 s), so that costs little.
CREATE INDEX background_jobs_updated_idx ON background_jobs (updated_at DESC, id DESC);
