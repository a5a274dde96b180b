-- Every SQL statement jobdock runs on Postgres. Blocks start with "-- name: NAME" and a
-- one-line comment; store/queries.py loads them. sqlite/queries.sql defines the same names.

-- name: job_insert
-- Insert one job and return it; nothing when its unique key is taken (ON CONFLICT). A job
-- with dependencies (:after) waits for those not yet completed, and is cancelled at once
-- when one of them failed for good, was cancelled or is gone.
INSERT INTO background_jobs (id, user_id, job_type, entity_type, entity_id, status, input_data,
    metadata, max_retries, priority, run_at, created_at, updated_at, queue, unique_key,
    unique_statuses, limited, deps_pending, error_message, completed_at)
SELECT %(id)s, %(user_id)s, %(job_type)s, %(entity_type)s, %(entity_id)s,
    CASE WHEN d.dead > 0 THEN 'cancelled' ELSE 'pending' END,
    %(input_data)s, %(metadata)s, %(max_retries)s, %(priority)s, %(run_at)s, %(now)s, %(now)s,
    %(queue)s, %(unique_key)s, %(unique_statuses)s,
    EXISTS (SELECT 1 FROM job_limits l WHERE (l.kind = 'type' AND l.name = %(job_type)s)
                                          OR (l.kind = 'queue' AND l.name = %(queue)s)),
    d.waiting,
    CASE WHEN d.dead > 0 THEN 'Cancelled: a job it depends on failed, was cancelled or is gone' END,
    CASE WHEN d.dead > 0 THEN %(now)s::timestamptz END
FROM (SELECT count(*) FILTER (WHERE status <> 'completed') AS waiting,
             COALESCE(cardinality(%(after)s::uuid[]), 0) - count(*) FILTER (
                 WHERE status <> 'cancelled' AND NOT (status = 'failed' AND next_retry_at IS NULL))
                 AS dead
      FROM background_jobs WHERE id = ANY(%(after)s::uuid[])) AS d
ON CONFLICT DO NOTHING
RETURNING *;

-- name: job_insert_plain
-- Insert one job with no unique key and no dependencies (most submits): job_insert without
-- the conflict and dependency work, and returning nothing (the caller has the id).
INSERT INTO background_jobs (id, user_id, job_type, entity_type, entity_id, status, input_data,
    metadata, max_retries, priority, run_at, created_at, updated_at, queue, limited)
VALUES (%(id)s, %(user_id)s, %(job_type)s, %(entity_type)s, %(entity_id)s, 'pending',
    %(input_data)s, %(metadata)s, %(max_retries)s, %(priority)s, %(run_at)s, %(now)s, %(now)s,
    %(queue)s, EXISTS (SELECT 1 FROM job_limits l
                       WHERE (l.kind = 'type' AND l.name = %(job_type)s)
                          OR (l.kind = 'queue' AND l.name = %(queue)s)));

-- name: job_get_unique
-- The job holding a unique key (in one of its unique statuses): what a duplicate returns.
SELECT * FROM background_jobs
WHERE unique_key = %(unique_key)s AND strpos(unique_statuses, ',' || status || ',') > 0;

-- name: job_mark_has_dependents
-- Before a job that waits for these is inserted (same transaction): flag them, and lock
-- them, so none finishes unseen between the count and the dependency rows.
UPDATE background_jobs SET has_dependents = true
WHERE id IN (SELECT id FROM background_jobs WHERE id = ANY(%(after)s::uuid[])
             ORDER BY id FOR UPDATE)
RETURNING id;

-- name: job_deps_insert
-- Record what a just-inserted job waits for (nothing when the insert was a duplicate).
INSERT INTO background_job_deps (job_id, depends_on)
SELECT %(id)s, parent FROM unnest(%(after)s::uuid[]) AS parent
WHERE EXISTS (SELECT 1 FROM background_jobs WHERE id = %(id)s)
ON CONFLICT DO NOTHING;

-- name: job_dependencies
-- The jobs one job waits for, with their status.
SELECT j.id, j.status, j.job_type FROM background_job_deps d
JOIN background_jobs j ON j.id = d.depends_on WHERE d.job_id = %(id)s ORDER BY j.created_at;

-- name: job_insert_unless_active
-- Insert a job unless the same user already has one of that type pending or running.
INSERT INTO background_jobs (id, user_id, job_type, entity_type, entity_id, status, input_data,
    metadata, max_retries, priority, run_at, created_at, updated_at, queue, limited)
SELECT %(id)s, %(user_id)s, %(job_type)s, %(entity_type)s, %(entity_id)s, 'pending',
    %(input_data)s, %(metadata)s, %(max_retries)s, %(priority)s, %(run_at)s, %(now)s, %(now)s,
    %(queue)s, EXISTS (SELECT 1 FROM job_limits l WHERE (l.kind = 'type' AND l.name = %(job_type)s)
                                                   OR (l.kind = 'queue' AND l.name = %(queue)s))
WHERE NOT EXISTS (
    SELECT 1 FROM background_jobs WHERE job_type = %(job_type)s
      AND user_id IS NOT DISTINCT FROM %(user_id)s::text AND status IN ('pending', 'processing'))
RETURNING *;

-- name: job_insert_many
-- Insert many jobs in one statement from a JSON array of rows. A row leaves out what is
-- empty or default (user, entity, metadata, priority 0, run_at now, queue "default"):
-- less to encode and to parse. Limits are read once per statement (hashed), not per row.
INSERT INTO background_jobs (id, user_id, job_type, entity_type, entity_id, status, input_data,
    metadata, max_retries, priority, run_at, created_at, updated_at, queue, limited)
SELECT r.id, r.user_id, r.job_type, r.entity_type, r.entity_id, 'pending',
    COALESCE(r.input_data, '{}'), COALESCE(r.metadata, '{}'), r.max_retries,
    COALESCE(r.priority, 0), COALESCE(r.run_at, %(now)s), %(now)s, %(now)s,
    COALESCE(r.queue, 'default'),
    (r.job_type IN (SELECT name FROM job_limits WHERE kind = 'type')
     OR COALESCE(r.queue, 'default') IN (SELECT name FROM job_limits WHERE kind = 'queue'))
FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(id uuid, user_id text, job_type text,
    entity_type text, entity_id text, input_data jsonb, metadata jsonb, max_retries int,
    priority int, run_at timestamptz, queue text);

-- name: job_claim
-- Take up to :limit due pending jobs (highest priority, then oldest) for a worker. Jobs
-- under a concurrency limit or in a fair queue, and jobs waiting on others, are not
-- taken here (see job_claim_limited). Every row is a claimed job (a single all-NULL row
-- when none was), with limited_due: whether a limited job is due (the gated claim follows
-- only then, without a read of its own).
WITH next AS (
    SELECT id FROM background_jobs
    WHERE status = 'pending' AND NOT limited AND deps_pending = 0 AND run_at <= %(now)s
      AND (%(types)s::text[] IS NULL OR job_type = ANY(%(types)s::text[]))
      AND (%(queues)s::text[] IS NULL OR queue = ANY(%(queues)s::text[]))
    ORDER BY priority DESC, created_at, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE background_jobs j
    SET status = 'processing', worker_id = %(worker_id)s, heartbeat_at = %(now)s,
        started_at = COALESCE(j.started_at, %(now)s), updated_at = %(now)s,
        error_message = NULL, error_type = NULL, next_retry_at = NULL
    FROM next WHERE j.id = next.id
    RETURNING j.*)
SELECT EXISTS (
        SELECT 1 FROM background_jobs
        WHERE status = 'pending' AND limited AND deps_pending = 0 AND run_at <= %(now)s
          AND (%(types)s::text[] IS NULL OR job_type = ANY(%(types)s::text[]))
          AND (%(queues)s::text[] IS NULL OR queue = ANY(%(queues)s::text[]))) AS limited_due,
    c.*
FROM (SELECT 1) AS one LEFT JOIN claimed c ON true;

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
WHERE status = 'pending' AND deps_pending = 0 AND run_at <= %(now)s
  AND (%(types)s::text[] IS NULL OR job_type = ANY(%(types)s::text[]))
  AND (%(queues)s::text[] IS NULL OR queue = ANY(%(queues)s::text[]))
LIMIT 1;

-- name: job_get
-- One job by id, optionally scoped to a user.
SELECT * FROM background_jobs
WHERE id = %(id)s AND (%(user_id)s::text IS NULL OR user_id = %(user_id)s);

-- name: job_list_by_{sort}
-- A page of jobs, newest first by {sort}_at, with filters; keyset pagination on
-- ({sort}_at, id). One status is asked as :status (an equality: the status index then
-- gives the rows in order); the store asks each of several statuses on its own.
-- each sort in: created updated
SELECT * FROM background_jobs
WHERE (%(statuses)s::text[] IS NULL OR status = ANY(%(statuses)s::text[]))
  AND (%(status)s::text IS NULL OR status = %(status)s)
  AND (%(job_type)s::text IS NULL OR job_type = %(job_type)s)
  AND (%(stage)s::text IS NULL OR progress->>'stage' = %(stage)s)
  AND (%(user_id)s::text IS NULL OR user_id = %(user_id)s)
  AND (%(text)s::text IS NULL OR job_type ILIKE %(text)s ESCAPE '\' OR error_message ILIKE %(text)s ESCAPE '\'
       OR entity_id ILIKE %(text)s ESCAPE '\' OR id::text ILIKE %(text)s ESCAPE '\' OR input_data::text ILIKE %(text)s ESCAPE '\')
  AND (%(after_ts)s::timestamptz IS NULL OR ({sort}_at, id) < (%(after_ts)s, %(after_id)s::uuid))
ORDER BY {sort}_at DESC, id DESC
LIMIT %(limit)s;

-- name: list_planner
-- (Postgres only; first statement of a list page's transaction when it filters on two
-- indexed columns.) Walk an index in order and stop at the page's end, rather than AND
-- two bitmaps and sort every matching row.
SET LOCAL enable_bitmapscan = off;

-- name: job_counts
-- Number of one user's jobs per status (through background_jobs_by_user_idx: reads that
-- user's jobs only).
SELECT status, count(*) AS n FROM background_jobs
WHERE user_id = %(user_id)s
GROUP BY status;

-- name: job_counts_all
-- Number of jobs per status: the folded totals plus the deltas not yet folded (see
-- migration 0005); parts = how many delta rows were summed (the store folds when many).
SELECT status, sum(n)::bigint AS n, count(*) - 1 AS parts FROM (
    SELECT status, n FROM job_status_counts
    UNION ALL
    SELECT status, n FROM job_status_count_deltas) AS c
GROUP BY status;

-- name: job_counts_fold
-- (Postgres only.) Move the delta rows into the totals, in one statement: a read sees
-- either both before or both after. Concurrent folds are safe (a deleted row is skipped).
WITH gone AS (DELETE FROM job_status_count_deltas RETURNING status, n)
INSERT INTO job_status_counts AS t (status, n)
SELECT status, sum(n) FROM gone GROUP BY status
ON CONFLICT (status) DO UPDATE SET n = t.n + EXCLUDED.n;

-- name: job_stages
-- The distinct stages jobs are in (for the stage filter).
SELECT DISTINCT progress->>'stage' AS stage FROM background_jobs
WHERE progress->>'stage' IS NOT NULL ORDER BY 1;

-- name: job_outstanding
-- How many jobs are queued or running.
SELECT count(*) AS n FROM background_jobs WHERE status IN ('pending', 'processing');

-- name: job_sync_progress
-- A worker writes the newest progress of its running jobs; returns the ids still its own.
-- Like every multi-row update here, it locks its rows in id order first: two of them
-- (this and a completion batch, say) then never wait for each other (deadlock).
WITH u AS (SELECT * FROM jsonb_to_recordset(%(rows)s::jsonb) AS u(id uuid, progress jsonb)),
locked AS (SELECT id FROM background_jobs
           WHERE id = ANY(ARRAY(SELECT id FROM u)) AND status = 'processing'
             AND worker_id = %(worker_id)s
           ORDER BY id FOR UPDATE)
UPDATE background_jobs j SET progress = u.progress, updated_at = %(now)s
FROM u WHERE j.id = u.id AND j.id IN (SELECT id FROM locked)
  AND j.status = 'processing' AND j.worker_id = %(worker_id)s
RETURNING j.id;

-- name: job_control_flags
-- What admins asked of a worker's running jobs (and whether they are still its own).
SELECT id, status, worker_id, pause_requested_at, cancel_requested_at, pause_reason
FROM background_jobs WHERE id = ANY(%(ids)s::uuid[]);

-- name: job_heartbeat
-- A worker proves its running jobs are alive; returns the ids still its own.
UPDATE background_jobs SET heartbeat_at = %(now)s, updated_at = %(now)s
WHERE id IN (SELECT id FROM background_jobs
             WHERE id = ANY(%(ids)s::uuid[]) AND status = 'processing'
               AND worker_id = %(worker_id)s
             ORDER BY id FOR UPDATE)
  AND status = 'processing' AND worker_id = %(worker_id)s
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
-- Rows locked in id order first (see job_sync_progress).
WITH u AS (SELECT * FROM jsonb_to_recordset(%(rows)s::jsonb)
           AS u(id uuid, output jsonb, progress jsonb)),
locked AS (SELECT id FROM background_jobs
           WHERE id = ANY(ARRAY(SELECT id FROM u)) AND status = 'processing'
             AND worker_id = %(worker_id)s
           ORDER BY id FOR UPDATE)
UPDATE background_jobs j
SET status = 'completed', output_data = u.output, progress = COALESCE(u.progress, j.progress),
    completed_at = %(now)s, updated_at = %(now)s, heartbeat_at = NULL,
    pause_requested_at = NULL, error_message = NULL, error_type = NULL, next_retry_at = NULL
FROM u WHERE j.id = u.id AND j.id IN (SELECT id FROM locked)
  AND j.status = 'processing' AND j.worker_id = %(worker_id)s
  AND j.cancel_requested_at IS NULL AND j.pause_requested_at IS NULL
RETURNING j.id;

-- name: job_complete_and_claim
-- (Postgres only.) A worker's round trip: record the jobs it finished (job_complete_many,
-- same guards; none is fine) and take up to :limit due jobs for the slots they freed
-- (job_claim), in one statement and one commit. Every row is a claimed job; completed_ids
-- (on each row, and on a single all-NULL row when nothing was claimed) lists the
-- completions that won, and limited_due says whether a limited job is due (what
-- job_limited_due_exists asks: the gated claim follows only then, without a read of its own).
WITH u AS (SELECT * FROM jsonb_to_recordset(%(rows)s::jsonb)
           AS u(id uuid, output jsonb, progress jsonb)),
locked AS (SELECT id FROM background_jobs
           WHERE id = ANY(ARRAY(SELECT id FROM u)) AND status = 'processing'
             AND worker_id = %(worker_id)s
           ORDER BY id FOR UPDATE),
done AS (
    UPDATE background_jobs j
    SET status = 'completed', output_data = u.output,
        progress = COALESCE(u.progress, j.progress),
        completed_at = %(now)s, updated_at = %(now)s, heartbeat_at = NULL,
        pause_requested_at = NULL, error_message = NULL, error_type = NULL,
        next_retry_at = NULL
    FROM u WHERE j.id = u.id AND j.id IN (SELECT id FROM locked)
      AND j.status = 'processing' AND j.worker_id = %(worker_id)s
      AND j.cancel_requested_at IS NULL AND j.pause_requested_at IS NULL
    RETURNING j.id),
next AS (
    SELECT id FROM background_jobs
    WHERE status = 'pending' AND NOT limited AND deps_pending = 0 AND run_at <= %(now)s
      AND (%(types)s::text[] IS NULL OR job_type = ANY(%(types)s::text[]))
      AND (%(queues)s::text[] IS NULL OR queue = ANY(%(queues)s::text[]))
    ORDER BY priority DESC, created_at, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED),
claimed AS (
    UPDATE background_jobs j
    SET status = 'processing', worker_id = %(worker_id)s, heartbeat_at = %(now)s,
        started_at = COALESCE(j.started_at, %(now)s), updated_at = %(now)s,
        error_message = NULL, error_type = NULL, next_retry_at = NULL
    FROM next WHERE j.id = next.id
    RETURNING j.*)
SELECT d.completed_ids, EXISTS (
        SELECT 1 FROM background_jobs
        WHERE status = 'pending' AND limited AND deps_pending = 0 AND run_at <= %(now)s
          AND (%(types)s::text[] IS NULL OR job_type = ANY(%(types)s::text[]))
          AND (%(queues)s::text[] IS NULL OR queue = ANY(%(queues)s::text[]))) AS limited_due,
    c.*
FROM (SELECT array_agg(id) AS completed_ids FROM done) d LEFT JOIN claimed c ON true;

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
WHERE id IN (SELECT id FROM background_jobs
             WHERE status = 'processing' AND worker_id = %(worker_id)s
             ORDER BY id FOR UPDATE)
  AND status = 'processing' AND worker_id = %(worker_id)s
RETURNING id;

-- name: job_release_orphans
-- Hand back the jobs the database says a worker runs but the worker does not (their claim
-- or completion was lost when the database crashed); ``keep`` lists what it does run.
UPDATE background_jobs
SET status = 'pending', updated_at = %(now)s, heartbeat_at = NULL, worker_id = NULL
WHERE id IN (SELECT id FROM background_jobs
             WHERE status = 'processing' AND worker_id = %(worker_id)s
               AND NOT (id = ANY(%(keep)s::uuid[]))
             ORDER BY id FOR UPDATE)
  AND status = 'processing' AND worker_id = %(worker_id)s AND NOT (id = ANY(%(keep)s::uuid[]))
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

-- name: job_ids_leftover_files
-- Completed jobs of the given types still recording intermediate files: their worker died
-- between the completion and its cleanup (the maintenance loop finishes that cleanup).
SELECT DISTINCT f.job_id AS id FROM background_job_files f
JOIN background_jobs j ON j.id = f.job_id
WHERE NOT f.final AND j.status = 'completed' AND j.job_type = ANY(%(types)s::text[])
LIMIT %(limit)s;

-- name: claim_gate
-- Serialise limited claims (first statement of their transaction, so the claim that
-- follows sees every claim committed before it: a limit is never overshot).
SELECT pg_advisory_xact_lock(7020901) AS gate;

-- name: job_limited_due_exists
-- Is any limited job due? (A read, so a worker skips the gated claim when none is.)
SELECT 1 AS due FROM background_jobs
WHERE status = 'pending' AND limited AND deps_pending = 0 AND run_at <= %(now)s
  AND (%(types)s::text[] IS NULL OR job_type = ANY(%(types)s::text[]))
  AND (%(queues)s::text[] IS NULL OR queue = ANY(%(queues)s::text[]))
LIMIT 1;

-- name: job_claim_limited
-- Take up to :limit due limited jobs: within each type's and queue's room (its limit less
-- its running jobs). In a fair queue a job's turn is its user's running jobs plus its
-- place in that user's queue: the user with the fewest jobs running goes next, so one
-- user's 1,000 jobs never starve another's one. Runs after claim_gate in one transaction.
WITH running AS (
    SELECT job_type, queue, user_id FROM background_jobs
    WHERE status = 'processing' AND limited
), user_running AS (
    SELECT queue, user_id, count(*) AS n FROM running GROUP BY queue, user_id
), type_room AS (
    SELECT l.name, l.max_running - (SELECT count(*) FROM running r WHERE r.job_type = l.name)
        AS room
    FROM job_limits l WHERE l.kind = 'type' AND l.max_running IS NOT NULL
), queue_room AS (
    SELECT l.name, l.max_running - (SELECT count(*) FROM running r WHERE r.queue = l.name)
        AS room
    FROM job_limits l WHERE l.kind = 'queue' AND l.max_running IS NOT NULL
), candidates AS (
    SELECT j.id, j.job_type, j.queue, j.priority, j.created_at,
        CASE WHEN COALESCE(q.fair, false) THEN COALESCE(u.n, 0) + row_number() OVER (
            PARTITION BY j.queue, j.user_id ORDER BY j.priority DESC, j.created_at, j.id)
        ELSE 0 END AS turn
    FROM background_jobs j
    LEFT JOIN job_limits q ON q.kind = 'queue' AND q.name = j.queue
    LEFT JOIN user_running u ON u.queue = j.queue AND u.user_id IS NOT DISTINCT FROM j.user_id
    WHERE j.status = 'pending' AND j.limited AND j.deps_pending = 0 AND j.run_at <= %(now)s
      AND (%(types)s::text[] IS NULL OR j.job_type = ANY(%(types)s::text[]))
      AND (%(queues)s::text[] IS NULL OR j.queue = ANY(%(queues)s::text[]))
), ranked AS (
    SELECT c.*,
        row_number() OVER (PARTITION BY c.job_type ORDER BY c.priority DESC, c.turn,
                           c.created_at, c.id) AS type_rank,
        row_number() OVER (PARTITION BY c.queue ORDER BY c.priority DESC, c.turn,
                           c.created_at, c.id) AS queue_rank
    FROM candidates c
), picked AS (
    SELECT r.id FROM ranked r
    LEFT JOIN type_room t ON t.name = r.job_type
    LEFT JOIN queue_room qr ON qr.name = r.queue
    WHERE (t.room IS NULL OR r.type_rank <= t.room) AND (qr.room IS NULL OR r.queue_rank <= qr.room)
    ORDER BY r.priority DESC, r.turn, r.created_at, r.id
    LIMIT %(limit)s
)
UPDATE background_jobs j
SET status = 'processing', worker_id = %(worker_id)s, heartbeat_at = %(now)s,
    started_at = COALESCE(j.started_at, %(now)s), updated_at = %(now)s,
    error_message = NULL, error_type = NULL, next_retry_at = NULL
FROM picked WHERE j.id = picked.id AND j.status = 'pending'
RETURNING j.*;

-- name: limit_upsert
-- Set a type's or a queue's concurrency limit (and whether the queue is fair).
INSERT INTO job_limits (kind, name, max_running, fair, updated_at)
VALUES (%(kind)s, %(name)s, %(max_running)s, %(fair)s, %(now)s)
ON CONFLICT (kind, name) DO UPDATE SET max_running = EXCLUDED.max_running,
    fair = EXCLUDED.fair, updated_at = EXCLUDED.updated_at
RETURNING *;

-- name: limit_delete
-- Remove a limit.
DELETE FROM job_limits WHERE kind = %(kind)s AND name = %(name)s RETURNING kind;

-- name: limit_list
-- Every limit.
SELECT * FROM job_limits ORDER BY kind, name;

-- name: limit_mark_jobs
-- After limits changed: route unfinished jobs of limited types and queues through the
-- gated claim, and the others back to the plain one.
UPDATE background_jobs j SET limited = EXISTS (
        SELECT 1 FROM job_limits l WHERE (l.kind = 'type' AND l.name = j.job_type)
                                      OR (l.kind = 'queue' AND l.name = j.queue))
WHERE j.id IN (SELECT id FROM background_jobs
               WHERE status IN ('pending', 'processing', 'paused', 'failed')
                 AND (job_type = %(name)s OR queue = %(name)s)
               ORDER BY id FOR UPDATE)
  AND j.status IN ('pending', 'processing', 'paused', 'failed')
RETURNING j.id;

-- name: schedule_upsert
-- Create or replace a schedule; keeps its pause state and, when its timing is unchanged,
-- its next run.
INSERT INTO job_schedules (name, job_type, cron, interval_seconds, timezone, input_data,
    user_id, queue, priority, max_retries, source, next_run_at, created_at, updated_at)
VALUES (%(name)s, %(job_type)s, %(cron)s, %(interval_seconds)s, %(timezone)s, %(input_data)s,
    %(user_id)s, %(queue)s, %(priority)s, %(max_retries)s, %(source)s, %(next_run_at)s,
    %(now)s, %(now)s)
ON CONFLICT (name) DO UPDATE SET job_type = EXCLUDED.job_type, input_data = EXCLUDED.input_data,
    user_id = EXCLUDED.user_id, queue = EXCLUDED.queue, priority = EXCLUDED.priority,
    max_retries = EXCLUDED.max_retries, source = EXCLUDED.source,
    next_run_at = CASE WHEN job_schedules.cron IS NOT DISTINCT FROM EXCLUDED.cron
        AND job_schedules.interval_seconds IS NOT DISTINCT FROM EXCLUDED.interval_seconds
        AND job_schedules.timezone = EXCLUDED.timezone
        THEN job_schedules.next_run_at ELSE EXCLUDED.next_run_at END,
    cron = EXCLUDED.cron, interval_seconds = EXCLUDED.interval_seconds,
    timezone = EXCLUDED.timezone, updated_at = EXCLUDED.updated_at
RETURNING *;

-- name: schedule_get
-- One schedule.
SELECT * FROM job_schedules WHERE name = %(name)s;

-- name: schedule_list
-- Every schedule, soonest first.
SELECT * FROM job_schedules ORDER BY next_run_at, name;

-- name: schedule_delete
-- Remove a schedule (jobs it enqueued stay).
DELETE FROM job_schedules WHERE name = %(name)s RETURNING name;

-- name: schedule_set_paused
-- Pause (a time) or resume (NULL) a schedule; a resumed one fires next after now.
UPDATE job_schedules SET paused_at = %(paused_at)s, updated_at = %(now)s,
    next_run_at = COALESCE(%(next_run_at)s, next_run_at)
WHERE name = %(name)s RETURNING *;

-- name: schedule_due
-- Schedules whose next run has come.
SELECT * FROM job_schedules WHERE paused_at IS NULL AND next_run_at <= %(now)s
ORDER BY next_run_at LIMIT %(limit)s;

-- name: schedule_advance
-- Claim one period (compare-and-set on its due time): move the schedule to its next run.
-- Runs in one transaction with schedule_enqueue, which inserts only for this claim token.
UPDATE job_schedules SET next_run_at = %(next_run_at)s, last_run_at = %(due)s,
    last_job_id = %(job_id)s, claim_token = %(token)s, updated_at = %(now)s
WHERE name = %(name)s AND next_run_at = %(due)s AND paused_at IS NULL
RETURNING name;

-- name: schedule_enqueue
-- Insert the claimed period's job (its unique key is the period: never twice).
INSERT INTO background_jobs (id, user_id, job_type, status, input_data, metadata, max_retries,
    priority, run_at, created_at, updated_at, queue, unique_key, unique_statuses, limited)
SELECT %(job_id)s, s.user_id, s.job_type, 'pending', s.input_data, %(metadata)s,
    s.max_retries, s.priority, %(now)s, %(now)s, %(now)s, %(queue)s, %(unique_key)s,
    ',pending,processing,paused,completed,failed,cancelled,',
    EXISTS (SELECT 1 FROM job_limits l WHERE (l.kind = 'type' AND l.name = s.job_type)
                                          OR (l.kind = 'queue' AND l.name = %(queue)s))
FROM job_schedules s WHERE s.name = %(name)s AND s.claim_token = %(token)s
ON CONFLICT DO NOTHING
RETURNING id;

-- name: worker_upsert
-- A worker announces itself (at start and with every heartbeat).
INSERT INTO job_workers (id, host, pid, concurrency, queues, types, jobs_running, started_at,
    heartbeat_at)
VALUES (%(id)s, %(host)s, %(pid)s, %(concurrency)s, %(queues)s, %(types)s, %(jobs_running)s,
    %(now)s, %(now)s)
ON CONFLICT (id) DO UPDATE SET jobs_running = EXCLUDED.jobs_running,
    heartbeat_at = EXCLUDED.heartbeat_at;

-- name: worker_delete
-- A stopping worker removes itself.
DELETE FROM job_workers WHERE id = %(id)s;

-- name: worker_prune
-- Forget workers silent since the cutoff (they died without removing themselves).
DELETE FROM job_workers WHERE heartbeat_at < %(cutoff)s RETURNING id;

-- name: worker_list
-- Workers heard from since the cutoff.
SELECT * FROM job_workers WHERE heartbeat_at >= %(cutoff)s ORDER BY started_at, id;

-- name: metrics_jobs
-- Jobs per type and status (Prometheus gauges).
SELECT job_type, status, count(*) AS n, COALESCE(sum(retry_count), 0) AS retries,
    COALESCE(sum((metadata->>'rescue_count')::int), 0) AS rescues
FROM background_jobs GROUP BY job_type, status;

-- name: metrics_durations
-- Histogram rows of finished jobs per type: how many fell in each bucket (the number of
-- bounds below the value) and their sum, for run time and for claim latency (started_at
-- less run_at), in seconds.
WITH finished AS (
    SELECT job_type,
        GREATEST(EXTRACT(EPOCH FROM (completed_at - started_at))::float8, 0) AS run_s,
        GREATEST(EXTRACT(EPOCH FROM (started_at - run_at))::float8, 0) AS wait_s
    FROM background_jobs
    WHERE status IN ('completed', 'failed') AND started_at IS NOT NULL
      AND completed_at IS NOT NULL
)
SELECT 'run' AS metric, job_type,
    (SELECT count(*) FROM unnest(%(bounds)s::float8[]) b WHERE b < run_s) AS bucket,
    count(*) AS n, sum(run_s) AS total
FROM finished GROUP BY job_type, bucket
UNION ALL
SELECT 'wait', job_type,
    (SELECT count(*) FROM unnest(%(bounds)s::float8[]) b WHERE b < wait_s) AS bucket,
    count(*), sum(wait_s)
FROM finished GROUP BY job_type, bucket;

-- name: job_ids_prunable
-- Completed and cancelled jobs untouched since the cutoff, oldest first (retention).
SELECT id, status FROM background_jobs
WHERE status IN ('completed', 'cancelled') AND updated_at < %(cutoff)s
ORDER BY created_at LIMIT %(limit)s;
