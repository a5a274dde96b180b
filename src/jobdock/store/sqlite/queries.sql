-- Every SQL statement jobdock runs on SQLite. Blocks start with "-- name: NAME" and a
-- one-line comment; store/queries.py loads them. postgres/queries.sql defines the same names.
-- Lists travel as JSON text (json_each); timestamps as fixed-width ISO 8601 UTC text.

-- name: job_insert
-- Insert one job and return it.
INSERT INTO background_jobs (id, user_id, job_type, entity_type, entity_id, status, input_data,
    metadata, max_retries, priority, run_at, created_at, updated_at)
VALUES (:id, :user_id, :job_type, :entity_type, :entity_id, 'pending',
    :input_data, :metadata, :max_retries, :priority, :run_at, :now, :now)
RETURNING *;

-- name: job_insert_unless_active
-- Insert a job unless the same user already has one of that type pending or running.
INSERT INTO background_jobs (id, user_id, job_type, entity_type, entity_id, status, input_data,
    metadata, max_retries, priority, run_at, created_at, updated_at)
SELECT :id, :user_id, :job_type, :entity_type, :entity_id, 'pending',
    :input_data, :metadata, :max_retries, :priority, :run_at, :now, :now
WHERE NOT EXISTS (
    SELECT 1 FROM background_jobs WHERE job_type = :job_type AND user_id IS :user_id
      AND status IN ('pending', 'processing'))
RETURNING *;

-- name: job_insert_many
-- Insert many jobs in one statement from a JSON array of rows.
INSERT INTO background_jobs (id, user_id, job_type, entity_type, entity_id, status, input_data,
    metadata, max_retries, priority, run_at, created_at, updated_at)
SELECT r.value->>'id', r.value->>'user_id', r.value->>'job_type', r.value->>'entity_type',
    r.value->>'entity_id', 'pending', COALESCE(r.value->>'input_data', '{}'),
    COALESCE(r.value->>'metadata', '{}'), r.value->>'max_retries', r.value->>'priority',
    COALESCE(r.value->>'run_at', :now), :now, :now
FROM json_each(:rows) AS r
RETURNING id;

-- name: job_claim
-- Take up to :limit due pending jobs (highest priority, then oldest) for a worker.
UPDATE background_jobs
SET status = 'processing', worker_id = :worker_id, heartbeat_at = :now,
    started_at = COALESCE(started_at, :now), updated_at = :now,
    error_message = NULL, error_type = NULL, next_retry_at = NULL
WHERE id IN (
    SELECT id FROM background_jobs
    WHERE status = 'pending' AND run_at <= :now
      AND (:types IS NULL OR job_type IN (SELECT value FROM json_each(:types)))
    ORDER BY priority DESC, created_at, id
    LIMIT :limit)
RETURNING *;

-- name: job_due_exists
-- Is any job due? A read, so an idle worker's frequent polls never take the write lock.
SELECT 1 AS due FROM background_jobs
WHERE status = 'pending' AND run_at <= :now
  AND (:types IS NULL OR job_type IN (SELECT value FROM json_each(:types)))
LIMIT 1;

-- name: job_get
-- One job by id, optionally scoped to a user.
SELECT * FROM background_jobs WHERE id = :id AND (:user_id IS NULL OR user_id = :user_id);

-- name: job_list_by_created
-- A page of jobs, newest first, with filters; keyset pagination on (created_at, id).
SELECT * FROM background_jobs
WHERE (:statuses IS NULL OR status IN (SELECT value FROM json_each(:statuses)))
  AND (:job_type IS NULL OR job_type = :job_type)
  AND (:stage IS NULL OR json_extract(progress, '$.stage') = :stage)
  AND (:user_id IS NULL OR user_id = :user_id)
  AND (:text IS NULL OR job_type LIKE :text ESCAPE '\' OR error_message LIKE :text ESCAPE '\'
       OR entity_id LIKE :text ESCAPE '\' OR id LIKE :text ESCAPE '\' OR input_data LIKE :text ESCAPE '\')
  AND (:after_ts IS NULL OR (created_at, id) < (:after_ts, :after_id))
ORDER BY created_at DESC, id DESC
LIMIT :limit;

-- name: job_list_by_updated
-- A page of jobs, most recently updated first; keyset pagination on (updated_at, id).
SELECT * FROM background_jobs
WHERE (:statuses IS NULL OR status IN (SELECT value FROM json_each(:statuses)))
  AND (:job_type IS NULL OR job_type = :job_type)
  AND (:stage IS NULL OR json_extract(progress, '$.stage') = :stage)
  AND (:user_id IS NULL OR user_id = :user_id)
  AND (:text IS NULL OR job_type LIKE :text ESCAPE '\' OR error_message LIKE :text ESCAPE '\'
       OR entity_id LIKE :text ESCAPE '\' OR id LIKE :text ESCAPE '\' OR input_data LIKE :text ESCAPE '\')
  AND (:after_ts IS NULL OR (updated_at, id) < (:after_ts, :after_id))
ORDER BY updated_at DESC, id DESC
LIMIT :limit;

-- name: job_counts
-- Number of jobs per status, optionally for one user.
SELECT status, count(*) AS n FROM background_jobs
WHERE (:user_id IS NULL OR user_id = :user_id)
GROUP BY status;

-- name: job_stages
-- The distinct stages jobs are in (for the stage filter).
SELECT DISTINCT json_extract(progress, '$.stage') AS stage FROM background_jobs
WHERE json_extract(progress, '$.stage') IS NOT NULL ORDER BY 1;

-- name: job_outstanding
-- How many jobs are queued or running.
SELECT count(*) AS n FROM background_jobs WHERE status IN ('pending', 'processing');

-- name: job_sync_progress
-- A worker writes the newest progress of its running jobs; returns the ids still its own.
UPDATE background_jobs
SET progress = (SELECT u.value->>'progress' FROM json_each(:rows) AS u
                WHERE u.value->>'id' = background_jobs.id),
    updated_at = :now
WHERE id IN (SELECT u.value->>'id' FROM json_each(:rows) AS u)
  AND status = 'processing' AND worker_id = :worker_id
RETURNING id;

-- name: job_control_flags
-- What admins asked of a worker's running jobs (and whether they are still its own).
SELECT id, status, worker_id, pause_requested_at, cancel_requested_at, pause_reason
FROM background_jobs WHERE id IN (SELECT value FROM json_each(:ids));

-- name: job_heartbeat
-- A worker proves its running jobs are alive; returns the ids still its own.
UPDATE background_jobs SET heartbeat_at = :now, updated_at = :now
WHERE id IN (SELECT value FROM json_each(:ids)) AND status = 'processing'
  AND worker_id = :worker_id
RETURNING id;

-- name: job_record_checkpoint
-- Link a stage checkpoint to its job (guarded: only the job's own worker may).
UPDATE background_jobs
SET last_checkpoint_path = :path, last_checkpoint_stage = :stage,
    checkpoint_hash = :hash, progress = :progress, updated_at = :now,
    metadata = json_set(metadata, '$.checkpoints',
        json_patch(COALESCE(json_extract(metadata, '$.checkpoints'), '{}'),
                   json_object(:stage, json(:record))))
WHERE id = :id AND status = 'processing' AND worker_id = :worker_id
RETURNING id;

-- name: job_complete
-- Its worker finishes a job, unless a cancel or pause was asked for first (that wins).
UPDATE background_jobs
SET status = 'completed', output_data = :output, progress = :progress,
    completed_at = :now, updated_at = :now, heartbeat_at = NULL,
    pause_requested_at = NULL, error_message = NULL, error_type = NULL, next_retry_at = NULL
WHERE id = :id AND status = 'processing' AND worker_id = :worker_id
  AND cancel_requested_at IS NULL AND pause_requested_at IS NULL
RETURNING id;

-- name: job_complete_many
-- Its worker finishes many jobs at once; a job asked to cancel or pause is left out.
UPDATE background_jobs
SET status = 'completed',
    output_data = (SELECT u.value->>'output' FROM json_each(:rows) AS u
                   WHERE u.value->>'id' = background_jobs.id),
    progress = COALESCE((SELECT u.value->>'progress' FROM json_each(:rows) AS u
                         WHERE u.value->>'id' = background_jobs.id), progress),
    completed_at = :now, updated_at = :now, heartbeat_at = NULL,
    pause_requested_at = NULL, error_message = NULL, error_type = NULL, next_retry_at = NULL
WHERE id IN (SELECT u.value->>'id' FROM json_each(:rows) AS u)
  AND status = 'processing' AND worker_id = :worker_id
  AND cancel_requested_at IS NULL AND pause_requested_at IS NULL
RETURNING id;

-- name: job_fail
-- Its worker records a failure (unless a cancel came first); next_retry_at is set when a
-- retry will follow.
UPDATE background_jobs
SET status = 'failed', error_message = :error_message, error_type = :error_type,
    next_retry_at = :next_retry_at, progress = :progress, updated_at = :now,
    completed_at = :now, heartbeat_at = NULL, pause_requested_at = NULL,
    metadata = json_patch(metadata, :metadata)
WHERE id = :id AND status = 'processing' AND worker_id = :worker_id
  AND cancel_requested_at IS NULL
RETURNING id;

-- name: job_pause_at_safe_point
-- Its worker stopped a job at a safe point after a pause request.
UPDATE background_jobs
SET status = 'paused', paused_at = :now, pause_reason = COALESCE(pause_reason, :reason),
    pause_requested_at = NULL, progress = :progress, updated_at = :now,
    heartbeat_at = NULL, worker_id = NULL
WHERE id = :id AND status = 'processing' AND worker_id = :worker_id
RETURNING id;

-- name: job_release
-- Its worker hands a job back to the queue (shutdown); it resumes from its checkpoint.
UPDATE background_jobs
SET status = 'pending', progress = :progress, updated_at = :now,
    heartbeat_at = NULL, worker_id = NULL
WHERE id = :id AND status = 'processing' AND worker_id = :worker_id
RETURNING id;

-- name: job_release_worker
-- Hand back every job a stopping worker still holds.
UPDATE background_jobs
SET status = 'pending', updated_at = :now, heartbeat_at = NULL, worker_id = NULL
WHERE status = 'processing' AND worker_id = :worker_id
RETURNING id;

-- name: job_release_orphans
-- Hand back the jobs the database says a worker runs but the worker does not (their claim
-- or completion was lost when the database crashed); ``keep`` lists what it does run.
UPDATE background_jobs
SET status = 'pending', updated_at = :now, heartbeat_at = NULL, worker_id = NULL
WHERE status = 'processing' AND worker_id = :worker_id
  AND id NOT IN (SELECT value FROM json_each(:keep))
RETURNING id;

-- name: job_mark_cancelled
-- Its worker stopped a job after a cancel request (the admin then deletes it).
UPDATE background_jobs
SET status = 'cancelled', updated_at = :now, completed_at = :now,
    heartbeat_at = NULL, worker_id = NULL
WHERE id = :id AND status = 'processing' AND worker_id = :worker_id
RETURNING id;

-- name: job_pause_now
-- An admin pauses a job that is not running (compare-and-set on its status).
UPDATE background_jobs
SET status = 'paused', paused_at = :now, pause_reason = :reason, updated_at = :now
WHERE id = :id AND status = :expected
RETURNING *;

-- name: job_request_pause
-- An admin asks a running job to pause at its next safe point.
UPDATE background_jobs
SET pause_requested_at = COALESCE(pause_requested_at, :now), pause_reason = :reason,
    updated_at = :now
WHERE id = :id AND status = 'processing'
RETURNING *;

-- name: job_resume
-- An admin resumes a paused job: back to the queue, from its checkpoint.
UPDATE background_jobs
SET status = 'pending', resumed_at = :now, resume_count = resume_count + 1,
    pause_requested_at = NULL, run_at = :now, updated_at = :now
WHERE id = :id AND status = 'paused'
RETURNING *;

-- name: job_request_cancel
-- An admin asks a running job to stop at its next safe point (then it is deleted).
UPDATE background_jobs
SET cancel_requested_at = COALESCE(cancel_requested_at, :now), updated_at = :now
WHERE id = :id AND status = 'processing'
RETURNING *;

-- name: job_force_fail
-- An admin fails a job for good; a running one loses its claim (its worker writes nothing more).
UPDATE background_jobs
SET status = 'failed', error_type = 'permanent', error_message = :message,
    next_retry_at = NULL, completed_at = :now, updated_at = :now,
    worker_id = NULL, heartbeat_at = NULL, pause_requested_at = NULL
WHERE id = :id AND status = :expected
RETURNING *;

-- name: job_retry_now
-- An admin re-queues a failed or cancelled job; it resumes from its checkpoint. It counts
-- as an attempt; when the retries are spent it grants this one more (no automatic ones).
UPDATE background_jobs
SET status = 'pending', retry_count = retry_count + 1,
    max_retries = MAX(max_retries, retry_count + 1),
    run_at = :now, next_retry_at = NULL, completed_at = NULL,
    cancel_requested_at = NULL, updated_at = :now
WHERE id = :id AND status = :expected
RETURNING *;

-- name: job_retry_eligible
-- Failed jobs eligible for retry (the seed's query): what the retry scheduler will pick.
SELECT * FROM background_jobs
WHERE status = 'failed' AND retry_count < max_retries AND next_retry_at < :now
ORDER BY next_retry_at;

-- name: job_retry_due
-- Retry scheduler: move due failed jobs back to pending with retry_count + 1.
UPDATE background_jobs
SET status = 'pending', retry_count = retry_count + 1, run_at = :now,
    next_retry_at = NULL, completed_at = NULL, updated_at = :now
WHERE id IN (
    SELECT id FROM background_jobs
    WHERE status = 'failed' AND retry_count < max_retries AND next_retry_at < :now
    ORDER BY next_retry_at LIMIT :limit)
RETURNING *;

-- name: job_rescue_stale
-- Rescuer: hand back processing jobs whose heartbeat expired (their worker died).
UPDATE background_jobs
SET status = 'pending', worker_id = NULL, heartbeat_at = NULL, updated_at = :now,
    metadata = json_set(metadata, '$.rescue_count',
        COALESCE(json_extract(metadata, '$.rescue_count'), 0) + 1)
WHERE id IN (
    SELECT id FROM background_jobs
    WHERE status = 'processing' AND heartbeat_at < :cutoff LIMIT :limit)
RETURNING *;

-- name: job_delete
-- Delete one job (its files are deleted first by the admin service).
DELETE FROM background_jobs WHERE id = :id AND status = :expected RETURNING id;

-- name: job_ids_by_status
-- Ids of jobs in one status (for clearing), optionally for one user.
SELECT id FROM background_jobs
WHERE status = :status AND (:user_id IS NULL OR user_id = :user_id)
ORDER BY created_at LIMIT :limit;

-- name: job_changed_since
-- Jobs written after a moment (the SQLite change feed polls this; Postgres uses NOTIFY).
SELECT id, status, job_type, user_id, updated_at FROM background_jobs
WHERE updated_at > :since ORDER BY updated_at LIMIT :limit;

-- name: file_add
-- Remember a storage key a job wrote.
INSERT INTO background_job_files (job_id, key, final) VALUES (:job_id, :key, :final)
ON CONFLICT (job_id, key) DO UPDATE SET final = background_job_files.final OR excluded.final;

-- name: file_add_owned
-- Remember a storage key a running job is about to write, only while its worker still owns
-- it (a run that lost its job, rescued while its worker was cut off, writes nothing).
INSERT INTO background_job_files (job_id, key, final)
SELECT id, :key, :final FROM background_jobs
WHERE id = :job_id AND status = 'processing' AND worker_id = :worker_id
ON CONFLICT (job_id, key) DO UPDATE SET final = background_job_files.final OR excluded.final
RETURNING job_id;

-- name: file_list
-- The storage keys a job wrote.
SELECT key, final FROM background_job_files WHERE job_id = :job_id ORDER BY key;

-- name: file_forget
-- Forget some of a job's keys (after deleting them from storage).
DELETE FROM background_job_files
WHERE job_id = :job_id AND key IN (SELECT value FROM json_each(:keys));

-- name: file_forget_job
-- Forget every key of a job.
DELETE FROM background_job_files WHERE job_id = :job_id;
