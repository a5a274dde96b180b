-- Every SQL statement jobdock runs on Postgres. Blocks start with "-- name: NAME" and a
-- one-line comment; store/queries.py loads them. sqlite/queries.sql defines the same names.

-- name: job_insert
-- Insert one job and return it.
INSERT INTO background_jobs (id, user_id, job_type, entity_type, entity_id, status, input_data,
    metadata, max_retries, priority, run_at, created_at, updated_at)
VALUES (%(id)s, %(user_id)s, %(job_type)s, %(entity_type)s, %(entity_id)s, 'pending',
    %(input_data)s, %(metadata)s, %(max_retries)s, %(priority)s, %(run_at)s, %(now)s, %(now)s)
RETURNING *;

-- name: job_insert_unless_active
-- Insert a job unless the same user already has one of that type pending or running.
INSERT INTO background_jobs (id, user_id, job_type, entity_type, entity_id, status, input_data,
    metadata, max_retries, priority, run_at, created_at, updated_at)
SELECT %(id)s, %(user_id)s, %(job_type)s, %(entity_type)s, %(entity_id)s, 'pending',
    %(input_data)s, %(metadata)s, %(max_retries)s, %(priority)s, %(run_at)s, %(now)s, %(now)s
WHERE NOT EXISTS (
    SELECT 1 FROM background_jobs WHERE job_type = %(job_type)s
      AND user_id IS NOT DISTINCT FROM %(user_id)s::text AND status IN ('pending', 'processing'))
RETURNING *;

-- name: job_insert_many
-- Insert many jobs in one statement from a JSON array of rows.
INSERT INTO background_jobs (id, user_id, job_type, entity_type, entity_id, status, input_data,
    metadata, max_retries, priority, run_at, created_at, updated_at)
SELECT r.id, r.user_id, r.job_type, r.entity_type, r.entity_id, 'pending',
    COALESCE(r.input_data, '{}'), COALESCE(r.metadata, '{}'), r.max_retries, r.priority,
    COALESCE(r.run_at, %(now)s), %(now)s, %(now)s
FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(id uuid, user_id text, job_type text,
    entity_type text, entity_id text, input_data jsonb, metadata jsonb, max_retries int,
    priority int, run_at timestamptz)
RETURNING id;

-- name: job_claim
-- Take up to :limit due pending jobs (highest priority, then oldest) for a worker.
WITH next AS (
    SELECT id FROM background_jobs
    WHERE status = 'pending' AND run_at <= %(now)s
      AND (%(types)s::text[] IS NULL OR job_type = ANY(%(types)s::text[]))
    ORDER BY priority DESC, created_at, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE background_jobs j
SET status = 'processing', worker_id = %(worker_id)s, heartbeat_at = %(now)s,
    started_at = COALESCE(j.started_at, %(now)s), updated_at = %(now)s,
    error_message = NULL, error_type = NULL, next_retry_at = NULL
FROM next WHERE j.id = next.id
RETURNING j.*;

-- name: planner_ordered_claim
-- (Postgres only; a session setting of the worker's own connections.) Claims must walk the
-- claim index in order. Right after a bulk insert the statistics still say "few pending
-- jobs", and the planner would sort them all instead (30 ms, not 0.3 ms).
SET enable_sort = off;

-- name: relaxed_commit
-- (Postgres only; a session setting of the worker's own connections.) The worker's own
-- bookkeeping (claims, completions, progress, heartbeats) does not wait for the WAL flush:
-- if Postgres itself crashes, the last few hundred ms of it may be lost, and the affected
-- jobs run again (at-least-once, as after a worker crash). Submissions and admin actions
-- use other connections and stay fully durable.
SET synchronous_commit = off;

-- name: job_due_exists
-- Is any job due? (SQLite polls with it; Postgres workers are woken by NOTIFY.)
SELECT 1 AS due FROM background_jobs
WHERE status = 'pending' AND run_at <= %(now)s
  AND (%(types)s::text[] IS NULL OR job_type = ANY(%(types)s::text[]))
LIMIT 1;

-- name: job_get
-- One job by id, optionally scoped to a user.
SELECT * FROM background_jobs
WHERE id = %(id)s AND (%(user_id)s::text IS NULL OR user_id = %(user_id)s);

-- name: job_list_by_created
-- A page of jobs, newest first, with filters; keyset pagination on (created_at, id).
SELECT * FROM background_jobs
WHERE (%(statuses)s::text[] IS NULL OR status = ANY(%(statuses)s::text[]))
  AND (%(job_type)s::text IS NULL OR job_type = %(job_type)s)
  AND (%(stage)s::text IS NULL OR progress->>'stage' = %(stage)s)
  AND (%(user_id)s::text IS NULL OR user_id = %(user_id)s)
  AND (%(text)s::text IS NULL OR job_type ILIKE %(text)s ESCAPE '\' OR error_message ILIKE %(text)s ESCAPE '\'
       OR entity_id ILIKE %(text)s ESCAPE '\' OR id::text ILIKE %(text)s ESCAPE '\' OR input_data::text ILIKE %(text)s ESCAPE '\')
  AND (%(after_ts)s::timestamptz IS NULL OR (created_at, id) < (%(after_ts)s, %(after_id)s::uuid))
ORDER BY created_at DESC, id DESC
LIMIT %(limit)s;

-- name: job_list_by_updated
-- A page of jobs, most recently updated first; keyset pagination on (updated_at, id).
SELECT * FROM background_jobs
WHERE (%(statuses)s::text[] IS NULL OR status = ANY(%(statuses)s::text[]))
  AND (%(job_type)s::text IS NULL OR job_type = %(job_type)s)
  AND (%(stage)s::text IS NULL OR progress->>'stage' = %(stage)s)
  AND (%(user_id)s::text IS NULL OR user_id = %(user_id)s)
  AND (%(text)s::text IS NULL OR job_type ILIKE %(text)s ESCAPE '\' OR error_message ILIKE %(text)s ESCAPE '\'
       OR entity_id ILIKE %(text)s ESCAPE '\' OR id::text ILIKE %(text)s ESCAPE '\' OR input_data::text ILIKE %(text)s ESCAPE '\')
  AND (%(after_ts)s::timestamptz IS NULL OR (updated_at, id) < (%(after_ts)s, %(after_id)s::uuid))
ORDER BY updated_at DESC, id DESC
LIMIT %(limit)s;

-- name: job_counts
-- Number of jobs per status, optionally for one user.
SELECT status, count(*) AS n FROM background_jobs
WHERE (%(user_id)s::text IS NULL OR user_id = %(user_id)s)
GROUP BY status;

-- name: job_stages
-- The distinct stages jobs are in (for the stage filter).
SELECT DISTINCT progress->>'stage' AS stage FROM background_jobs
WHERE progress->>'stage' IS NOT NULL ORDER BY 1;

-- name: job_outstanding
-- How many jobs are queued or running.
SELECT count(*) AS n FROM background_jobs WHERE status IN ('pending', 'processing');

-- name: job_sync_progress
-- A worker writes the newest progress of its running jobs; returns the ids still its own.
UPDATE background_jobs j SET progress = u.progress, updated_at = %(now)s
FROM jsonb_to_recordset(%(rows)s::jsonb) AS u(id uuid, progress jsonb)
WHERE j.id = u.id AND j.status = 'processing' AND j.worker_id = %(worker_id)s
RETURNING j.id;

-- name: job_control_flags
-- What admins asked of a worker's running jobs (and whether they are still its own).
SELECT id, status, worker_id, pause_requested_at, cancel_requested_at, pause_reason
FROM background_jobs WHERE id = ANY(%(ids)s::uuid[]);

-- name: job_heartbeat
-- A worker proves its running jobs are alive; returns the ids still its own.
UPDATE background_jobs SET heartbeat_at = %(now)s, updated_at = %(now)s
WHERE id = ANY(%(ids)s::uuid[]) AND status = 'processing' AND worker_id = %(worker_id)s
RETURNING id;

-- name: job_record_checkpoint
-- Link a stage checkpoint to its job (guarded: only the job's own worker may).
UPDATE background_jobs
SET last_checkpoint_path = %(path)s, last_checkpoint_stage = %(stage)s,
    checkpoint_hash = %(hash)s, progress = %(progress)s, updated_at = %(now)s,
    metadata = jsonb_set(metadata, '{checkpoints}',
        COALESCE(metadata->'checkpoints', '{}'::jsonb) || jsonb_build_object(%(stage)s::text, %(record)s::jsonb))
WHERE id = %(id)s AND status = 'processing' AND worker_id = %(worker_id)s
RETURNING id;

-- name: job_complete
-- Its worker finishes a job, unless a cancel or pause was asked for first (that wins).
UPDATE background_jobs
SET status = 'completed', output_data = %(output)s, progress = %(progress)s,
    completed_at = %(now)s, updated_at = %(now)s, heartbeat_at = NULL,
    pause_requested_at = NULL, error_message = NULL, error_type = NULL, next_retry_at = NULL
WHERE id = %(id)s AND status = 'processing' AND worker_id = %(worker_id)s
  AND cancel_requested_at IS NULL AND pause_requested_at IS NULL
RETURNING id;

-- name: job_complete_many
-- Its worker finishes many jobs at once; a job asked to cancel or pause is left out.
UPDATE background_jobs j
SET status = 'completed', output_data = u.output, progress = COALESCE(u.progress, j.progress),
    completed_at = %(now)s, updated_at = %(now)s, heartbeat_at = NULL,
    pause_requested_at = NULL, error_message = NULL, error_type = NULL, next_retry_at = NULL
FROM jsonb_to_recordset(%(rows)s::jsonb) AS u(id uuid, output jsonb, progress jsonb)
WHERE j.id = u.id AND j.status = 'processing' AND j.worker_id = %(worker_id)s
  AND j.cancel_requested_at IS NULL AND j.pause_requested_at IS NULL
RETURNING j.id;

-- name: job_fail
-- Its worker records a failure (unless a cancel came first); next_retry_at is set when a
-- retry will follow.
UPDATE background_jobs
SET status = 'failed', error_message = %(error_message)s, error_type = %(error_type)s,
    next_retry_at = %(next_retry_at)s, progress = %(progress)s, updated_at = %(now)s,
    completed_at = %(now)s, heartbeat_at = NULL, pause_requested_at = NULL,
    metadata = metadata || %(metadata)s::jsonb
WHERE id = %(id)s AND status = 'processing' AND worker_id = %(worker_id)s
  AND cancel_requested_at IS NULL
RETURNING id;

-- name: job_pause_at_safe_point
-- Its worker stopped a job at a safe point after a pause request.
UPDATE background_jobs
SET status = 'paused', paused_at = %(now)s, pause_reason = COALESCE(pause_reason, %(reason)s),
    pause_requested_at = NULL, progress = %(progress)s, updated_at = %(now)s,
    heartbeat_at = NULL, worker_id = NULL
WHERE id = %(id)s AND status = 'processing' AND worker_id = %(worker_id)s
RETURNING id;

-- name: job_release
-- Its worker hands a job back to the queue (shutdown); it resumes from its checkpoint.
UPDATE background_jobs
SET status = 'pending', progress = %(progress)s, updated_at = %(now)s,
    heartbeat_at = NULL, worker_id = NULL
WHERE id = %(id)s AND status = 'processing' AND worker_id = %(worker_id)s
RETURNING id;

-- name: job_release_worker
-- Hand back every job a stopping worker still holds.
UPDATE background_jobs
SET status = 'pending', updated_at = %(now)s, heartbeat_at = NULL, worker_id = NULL
WHERE status = 'processing' AND worker_id = %(worker_id)s
RETURNING id;

-- name: job_release_orphans
-- Hand back the jobs the database says a worker runs but the worker does not (their claim
-- or completion was lost when the database crashed); ``keep`` lists what it does run.
UPDATE background_jobs
SET status = 'pending', updated_at = %(now)s, heartbeat_at = NULL, worker_id = NULL
WHERE status = 'processing' AND worker_id = %(worker_id)s AND NOT (id = ANY(%(keep)s::uuid[]))
RETURNING id;

-- name: job_mark_cancelled
-- Its worker stopped a job after a cancel request (the admin then deletes it).
UPDATE background_jobs
SET status = 'cancelled', updated_at = %(now)s, completed_at = %(now)s,
    heartbeat_at = NULL, worker_id = NULL
WHERE id = %(id)s AND status = 'processing' AND worker_id = %(worker_id)s
RETURNING id;

-- name: job_pause_now
-- An admin pauses a job that is not running (compare-and-set on its status).
UPDATE background_jobs
SET status = 'paused', paused_at = %(now)s, pause_reason = %(reason)s, updated_at = %(now)s
WHERE id = %(id)s AND status = %(expected)s
RETURNING *;

-- name: job_request_pause
-- An admin asks a running job to pause at its next safe point; its worker hears at once
-- (jobdock_control: "pause <job id> <worker id>").
WITH asked AS (
    UPDATE background_jobs
    SET pause_requested_at = COALESCE(pause_requested_at, %(now)s), pause_reason = %(reason)s,
        updated_at = %(now)s
    WHERE id = %(id)s AND status = 'processing'
    RETURNING *)
SELECT asked.* FROM asked,
    LATERAL (SELECT pg_notify('jobdock_control', concat_ws(' ', 'pause', asked.id, asked.worker_id))) AS n;

-- name: job_resume
-- An admin resumes a paused job: back to the queue, from its checkpoint.
UPDATE background_jobs
SET status = 'pending', resumed_at = %(now)s, resume_count = resume_count + 1,
    pause_requested_at = NULL, run_at = %(now)s, updated_at = %(now)s
WHERE id = %(id)s AND status = 'paused'
RETURNING *;

-- name: job_request_cancel
-- An admin asks a running job to stop at its next safe point (then it is deleted); its
-- worker hears at once (jobdock_control: "cancel <job id> <worker id>").
WITH asked AS (
    UPDATE background_jobs
    SET cancel_requested_at = COALESCE(cancel_requested_at, %(now)s), updated_at = %(now)s
    WHERE id = %(id)s AND status = 'processing'
    RETURNING *)
SELECT asked.* FROM asked,
    LATERAL (SELECT pg_notify('jobdock_control', concat_ws(' ', 'cancel', asked.id, asked.worker_id))) AS n;

-- name: job_force_fail
-- An admin fails a job for good; a running one loses its claim (its worker writes nothing more).
UPDATE background_jobs
SET status = 'failed', error_type = 'permanent', error_message = %(message)s,
    next_retry_at = NULL, completed_at = %(now)s, updated_at = %(now)s,
    worker_id = NULL, heartbeat_at = NULL, pause_requested_at = NULL
WHERE id = %(id)s AND status = %(expected)s
RETURNING *;

-- name: job_retry_now
-- An admin re-queues a failed or cancelled job; it resumes from its checkpoint. It counts
-- as an attempt; when the retries are spent it grants this one more (no automatic ones).
UPDATE background_jobs
SET status = 'pending', retry_count = retry_count + 1,
    max_retries = GREATEST(max_retries, retry_count + 1),
    run_at = %(now)s, next_retry_at = NULL, completed_at = NULL,
    cancel_requested_at = NULL, updated_at = %(now)s
WHERE id = %(id)s AND status = %(expected)s
RETURNING *;

-- name: job_retry_eligible
-- Failed jobs eligible for retry (the seed's query): what the retry scheduler will pick.
SELECT * FROM background_jobs
WHERE status = 'failed' AND retry_count < max_retries AND next_retry_at < %(now)s
ORDER BY next_retry_at;

-- name: job_retry_due
-- Retry scheduler: move due failed jobs back to pending with retry_count + 1.
UPDATE background_jobs
SET status = 'pending', retry_count = retry_count + 1, run_at = %(now)s,
    next_retry_at = NULL, completed_at = NULL, updated_at = %(now)s
WHERE id IN (
    SELECT id FROM background_jobs
    WHERE status = 'failed' AND retry_count < max_retries AND next_retry_at < %(now)s
    ORDER BY next_retry_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED)
RETURNING *;

-- name: job_rescue_stale
-- Rescuer: hand back processing jobs whose heartbeat expired (their worker died).
UPDATE background_jobs
SET status = 'pending', worker_id = NULL, heartbeat_at = NULL, updated_at = %(now)s,
    metadata = jsonb_set(metadata, '{rescue_count}',
        to_jsonb(COALESCE((metadata->>'rescue_count')::int, 0) + 1))
WHERE id IN (
    SELECT id FROM background_jobs
    WHERE status = 'processing' AND heartbeat_at < %(cutoff)s
    LIMIT %(limit)s FOR UPDATE SKIP LOCKED)
RETURNING *;

-- name: job_delete
-- Delete one job (its files are deleted first by the admin service).
DELETE FROM background_jobs WHERE id = %(id)s AND status = %(expected)s RETURNING id;

-- name: job_ids_by_status
-- Ids of jobs in one status (for clearing), optionally for one user.
SELECT id FROM background_jobs
WHERE status = %(status)s AND (%(user_id)s::text IS NULL OR user_id = %(user_id)s)
ORDER BY created_at LIMIT %(limit)s;

-- name: job_changed_since
-- Jobs written after a moment (the SQLite change feed polls this; Postgres uses NOTIFY).
SELECT id, status, job_type, user_id, updated_at FROM background_jobs
WHERE updated_at > %(since)s ORDER BY updated_at LIMIT %(limit)s;

-- name: file_add
-- Remember a storage key a job wrote.
INSERT INTO background_job_files (job_id, key, final) VALUES (%(job_id)s, %(key)s, %(final)s)
ON CONFLICT (job_id, key) DO UPDATE SET final = background_job_files.final OR EXCLUDED.final;

-- name: file_add_owned
-- Remember a storage key a running job is about to write, only while its worker still owns
-- it (a run that lost its job, rescued while its worker was cut off, writes nothing).
INSERT INTO background_job_files (job_id, key, final)
SELECT id, %(key)s, %(final)s FROM background_jobs
WHERE id = %(job_id)s AND status = 'processing' AND worker_id = %(worker_id)s
ON CONFLICT (job_id, key) DO UPDATE SET final = background_job_files.final OR EXCLUDED.final
RETURNING job_id;

-- name: file_list
-- The storage keys a job wrote.
SELECT key, final FROM background_job_files WHERE job_id = %(job_id)s ORDER BY key;

-- name: file_forget
-- Forget some of a job's keys (after deleting them from storage).
DELETE FROM background_job_files WHERE job_id = %(job_id)s AND key = ANY(%(keys)s::text[]);

-- name: file_forget_job
-- Forget every key of a job.
DELETE FROM background_job_files WHERE job_id = %(job_id)s;
