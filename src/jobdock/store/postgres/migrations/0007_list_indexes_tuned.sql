-- Tuning the indexes of 0006 after measuring them at a million jobs:
-- * the status index covers every status: left out, "processing" and "completed" were
--   answered by walking background_jobs_created_idx and filtering, which reads the whole
--   table when none or few match (2.0 s and 1.5 s at 1M). It costs a claim and a
--   completion one index entry each.
-- * the per-user list and counts always ask for one user (user_id = ...): jobs without a
--   user (system and scheduled jobs, most bulk imports) need no entry in the user index,
--   and their inserts and status changes write one index entry less.
DROP INDEX background_jobs_status_idx;
CREATE INDEX background_jobs_status_idx ON background_jobs (status, created_at DESC, id DESC);
DROP INDEX background_jobs_user_idx;
CREATE INDEX background_jobs_user_idx ON background_jobs (user_id, created_at DESC, id DESC)
    WHERE user_id IS NOT NULL;
