-- Every SQL statement jobdock runs on SQLite. Blocks start with "-- name: NAME" and a
-- one-line comment; store/queries.py loads them. postgres/queries.sql defines the same names.
-- Lists travel as JSON text (json_each); timestamps as fixed-width ISO 8601 UTC text.

-- name: job_insert
-- Insert one job and return it; nothing when its unique key is taken (ON CONFLICT). A job
-- with dependencies (:after) waits for those not yet completed, and is cancelled at once
-- when one of them failed for good, was cancelled or is gone.
INSERT INTO background_jobs (id, user_id, job_type, entity_type, entity_id, status, input_data,
    metadata, max_retries, priority, run_at, created_at, updated_at, queue, unique_key,
    unique_statuses, limited, deps_pending, error_message, completed_at)
SELECT :id, :user_id, :job_type, :entity_type, :entity_id,
    CASE WHEN d.dead > 0 THEN 'cancelled' ELSE 'pending' END,
    :input_data, :metadata, :max_retries, :priority, :run_at, :now, :now,
    :queue, :unique_key, :unique_statuses,
    EXISTS (SELECT 1 FROM job_limits l WHERE (l.kind = 'type' AND l.name = :job_type)
                                          OR (l.kind = 'queue' AND l.name = :queue)),
    d.waiting,
    CASE WHEN d.dead > 0 THEN 'Cancelled: a job it depends on failed, was cancelled or is gone' END,
    CASE WHEN d.dead > 0 THEN :now END
FROM (SELECT coalesce(sum(status <> 'completed'), 0) AS waiting,
             coalesce(json_array_length(:after), 0) - coalesce(sum(status <> 'cancelled'
                 AND NOT (status = 'failed' AND next_retry_at IS NULL)), 0) AS dead
      FROM background_jobs WHERE id IN (SELECT value FROM json_each(:after))) AS d
WHERE true
ON CONFLICT DO NOTHING
RETURNING *;

-- name: job_insert_plain
-- Insert one job with no unique key and no dependencies (most submits): job_insert without
-- the conflict and dependency work, and returning nothing (the caller has the id).
INSERT INTO background_jobs (id, user_id, job_type, entity_type, entity_id, status, input_data,
    metadata, max_retries, priority, run_at, created_at, updated_at, queue, limited)
VALUES (:id, :user_id, :job_type, :entity_type, :entity_id, 'pending',
    :input_data, :metadata, :max_retries, :priority, :run_at, :now, :now,
    :queue, EXISTS (SELECT 1 FROM job_limits l
                       WHERE (l.kind = 'type' AND l.name = :job_type)
                          OR (l.kind = 'queue' AND l.name = :queue)));

-- name: job_get_unique
-- The job holding a unique key (in one of its unique statuses): what a duplicate returns.
SELECT * FROM background_jobs
WHERE unique_key = :unique_key AND instr(unique_statuses, ',' || status || ',') > 0;

-- name: job_mark_has_dependents
-- Before a job that waits for these is inserted (same transaction): flag them.
UPDATE background_jobs SET has_dependents = 1
WHERE id IN (SELECT value FROM json_each(:after))
RETURNING id;

-- name: job_deps_insert
-- Record what a just-inserted job waits for (nothing when the insert was a duplicate).
INSERT INTO background_job_deps (job_id, depends_on)
SELECT :id, value FROM json_each(:after)
WHERE EXISTS (SELECT 1 FROM background_jobs WHERE id = :id)
ON CONFLICT DO NOTHING;

-- name: job_dependencies
-- The jobs one job waits for, with their status.
SELECT j.id, j.status, j.job_type FROM background_job_deps d
JOIN background_jobs j ON j.id = d.depends_on WHERE d.job_id = :id ORDER BY j.created_at;

-- name: job_insert_unless_active
-- Insert a job unless the same user already has one of that type pending or running.
INSERT INTO background_jobs (id, user_id, job_type, entity_type, entity_id, status, input_data,
    metadata, max_retries, priority, run_at, created_at, updated_at, queue, limited)
SELECT :id, :user_id, :job_type, :entity_type, :entity_id, 'pending',
    :input_data, :metadata, :max_retries, :priority, :run_at, :now, :now, :queue,
    EXISTS (SELECT 1 FROM job_limits l WHERE (l.kind = 'type' AND l.name = :job_type)
                                          OR (l.kind = 'queue' AND l.name = :queue))
WHERE NOT EXISTS (
    SELECT 1 FROM background_jobs WHERE job_type = :job_type AND user_id IS :user_id
      AND status IN ('pending', 'processing'))
RETURNING *;

-- name: job_insert_many
-- Insert many jobs in one statement from a JSON array of rows. A row leaves out what is
-- empty or default (user, entity, metadata, priority 0, run_at now, queue "default").
INSERT INTO background_jobs (id, user_id, job_type, entity_type, entity_id, status, input_data,
    metadata, max_retries, priority, run_at, created_at, updated_at, queue, limited)
SELECT r.value->>'id', r.value->>'user_id', r.value->>'job_type', r.value->>'entity_type',
    r.value->>'entity_id', 'pending', COALESCE(r.value->>'input_data', '{}'),
    COALESCE(r.value->>'metadata', '{}'), r.value->>'max_retries',
    COALESCE(r.value->>'priority', 0), COALESCE(r.value->>'run_at', :now), :now, :now,
    COALESCE(r.value->>'queue', 'default'),
    EXISTS (SELECT 1 FROM job_limits l WHERE (l.kind = 'type' AND l.name = r.value->>'job_type')
        OR (l.kind = 'queue' AND l.name = COALESCE(r.value->>'queue', 'default')))
FROM json_each(:rows) AS r;

-- name: job_claim
-- Take up to :limit due pending jobs (highest priority, then oldest) for a worker. Jobs
-- under a concurrency limit or in a fair queue, and jobs waiting on others, are not
-- taken here (see job_claim_limited).
UPDATE background_jobs
SET status = 'processing', worker_id = :worker_id, heartbeat_at = :now,
    started_at = COALESCE(started_at, :now), updated_at = :now,
    error_message = NULL, error_type = NULL, next_retry_at = NULL
WHERE id IN (
    SELECT id FROM background_jobs
    WHERE status = 'pending' AND NOT limited AND deps_pending = 0 AND run_at <= :now
      AND (:types IS NULL OR job_type IN (SELECT value FROM json_each(:types)))
      AND (:queues IS NULL OR queue IN (SELECT value FROM json_each(:queues)))
    ORDER BY priority DESC, created_at, id
    LIMIT :limit)
RETURNING *;

-- name: job_due_exists
-- Is any job due? A read, so an idle worker's frequent polls never take the write lock.
SELECT 1 AS due FROM background_jobs
WHERE status = 'pending' AND deps_pending = 0 AND run_at <= :now
  AND (:types IS NULL OR job_type IN (SELECT value FROM json_each(:types)))
  AND (:queues IS NULL OR queue IN (SELECT value FROM json_each(:queues)))
LIMIT 1;

-- name: job_get
-- One job by id, optionally scoped to a user.
SELECT * FROM background_jobs WHERE id = :id AND (:user_id IS NULL OR user_id = :user_id);

-- name: job_list_by_{sort}
-- A page of jobs, newest first by {sort}_at, with filters; keyset pagination on
-- ({sort}_at, id).
-- each sort in: created updated
SELECT * FROM background_jobs
WHERE (:statuses IS NULL OR status IN (SELECT value FROM json_each(:statuses)))
  AND (:status IS NULL OR status = :status)
  AND (:job_type IS NULL OR job_type = :job_type)
  AND (:stage IS NULL OR json_extract(progress, '$.stage') = :stage)
  AND (:user_id IS NULL OR user_id = :user_id)
  AND (:text IS NULL OR job_type LIKE :text ESCAPE '\' OR error_message LIKE :text ESCAPE '\'
       OR entity_id LIKE :text ESCAPE '\' OR id LIKE :text ESCAPE '\' OR input_data LIKE :text ESCAPE '\')
  AND (:after_ts IS NULL OR ({sort}_at, id) < (:after_ts, :after_id))
ORDER BY {sort}_at DESC, id DESC
LIMIT :limit;

-- name: job_counts
-- Number of one user's jobs per status (through background_jobs_by_user_idx).
SELECT status, count(*) AS n FROM background_jobs
WHERE user_id = :user_id
GROUP BY status;

-- name: job_counts_all
-- Number of jobs per status: the counter rows the triggers keep (migration 0005).
SELECT status, n, 0 AS parts FROM job_status_counts;

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

-- name: job_ids_leftover_files
-- Completed jobs of the given types still recording intermediate files: their worker died
-- between the completion and its cleanup (the maintenance loop finishes that cleanup).
SELECT DISTINCT f.job_id AS id FROM background_job_files f
JOIN background_jobs j ON j.id = f.job_id
WHERE NOT f.final AND j.status = 'completed'
  AND j.job_type IN (SELECT value FROM json_each(:types))
LIMIT :limit;

-- name: claim_gate
-- (BEGIN IMMEDIATE already serialises the limited claim's transaction.)
SELECT 1 AS gate;

-- name: job_limited_due_exists
-- Is any limited job due? (A read, so a worker skips the gated claim when none is.)
SELECT 1 AS due FROM background_jobs
WHERE status = 'pending' AND limited AND deps_pending = 0 AND run_at <= :now
  AND (:types IS NULL OR job_type IN (SELECT value FROM json_each(:types)))
  AND (:queues IS NULL OR queue IN (SELECT value FROM json_each(:queues)))
LIMIT 1;

-- name: job_claim_limited
-- Take up to :limit due limited jobs: within each type's and queue's room (its limit less
-- its running jobs); in a fair queue the user with the fewest jobs running goes next.
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
        CASE WHEN coalesce(q.fair, 0) THEN coalesce(u.n, 0) + row_number() OVER (
            PARTITION BY j.queue, j.user_id ORDER BY j.priority DESC, j.created_at, j.id)
        ELSE 0 END AS turn
    FROM background_jobs j
    LEFT JOIN job_limits q ON q.kind = 'queue' AND q.name = j.queue
    LEFT JOIN user_running u ON u.queue = j.queue AND u.user_id IS j.user_id
    WHERE j.status = 'pending' AND j.limited AND j.deps_pending = 0 AND j.run_at <= :now
      AND (:types IS NULL OR j.job_type IN (SELECT value FROM json_each(:types)))
      AND (:queues IS NULL OR j.queue IN (SELECT value FROM json_each(:queues)))
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
    LIMIT :limit
)
UPDATE background_jobs
SET status = 'processing', worker_id = :worker_id, heartbeat_at = :now,
    started_at = COALESCE(started_at, :now), updated_at = :now,
    error_message = NULL, error_type = NULL, next_retry_at = NULL
WHERE id IN (SELECT id FROM picked) AND status = 'pending'
RETURNING *;

-- name: limit_upsert
-- Set a type's or a queue's concurrency limit (and whether the queue is fair).
INSERT INTO job_limits (kind, name, max_running, fair, updated_at)
VALUES (:kind, :name, :max_running, :fair, :now)
ON CONFLICT (kind, name) DO UPDATE SET max_running = excluded.max_running,
    fair = excluded.fair, updated_at = excluded.updated_at
RETURNING *;

-- name: limit_delete
-- Remove a limit.
DELETE FROM job_limits WHERE kind = :kind AND name = :name RETURNING kind;

-- name: limit_list
-- Every limit.
SELECT * FROM job_limits ORDER BY kind, name;

-- name: limit_mark_jobs
-- After limits changed: route unfinished jobs of limited types and queues through the
-- gated claim, and the others back to the plain one.
UPDATE background_jobs SET limited = EXISTS (
        SELECT 1 FROM job_limits l WHERE (l.kind = 'type' AND l.name = background_jobs.job_type)
                                      OR (l.kind = 'queue' AND l.name = background_jobs.queue))
WHERE status IN ('pending', 'processing', 'paused', 'failed')
  AND (job_type = :name OR queue = :name)
RETURNING id;

-- name: schedule_upsert
-- Create or replace a schedule; keeps its pause state and, when its timing is unchanged,
-- its next run.
INSERT INTO job_schedules (name, job_type, cron, interval_seconds, timezone, input_data,
    user_id, queue, priority, max_retries, source, next_run_at, created_at, updated_at)
VALUES (:name, :job_type, :cron, :interval_seconds, :timezone, :input_data,
    :user_id, :queue, :priority, :max_retries, :source, :next_run_at, :now, :now)
ON CONFLICT (name) DO UPDATE SET job_type = excluded.job_type, input_data = excluded.input_data,
    user_id = excluded.user_id, queue = excluded.queue, priority = excluded.priority,
    max_retries = excluded.max_retries, source = excluded.source,
    next_run_at = CASE WHEN job_schedules.cron IS excluded.cron
        AND job_schedules.interval_seconds IS excluded.interval_seconds
        AND job_schedules.timezone = excluded.timezone
        THEN job_schedules.next_run_at ELSE excluded.next_run_at END,
    cron = excluded.cron, interval_seconds = excluded.interval_seconds,
    timezone = excluded.timezone, updated_at = excluded.updated_at
RETURNING *;

-- name: schedule_get
-- One schedule.
SELECT * FROM job_schedules WHERE name = :name;

-- name: schedule_list
-- Every schedule, soonest first.
SELECT * FROM job_schedules ORDER BY next_run_at, name;

-- name: schedule_delete
-- Remove a schedule (jobs it enqueued stay).
DELETE FROM job_schedules WHERE name = :name RETURNING name;

-- name: schedule_set_paused
-- Pause (a time) or resume (NULL) a schedule; a resumed one fires next after now.
UPDATE job_schedules SET paused_at = :paused_at, updated_at = :now,
    next_run_at = COALESCE(:next_run_at, next_run_at)
WHERE name = :name RETURNING *;

-- name: schedule_due
-- Schedules whose next run has come.
SELECT * FROM job_schedules WHERE paused_at IS NULL AND next_run_at <= :now
ORDER BY next_run_at LIMIT :limit;

-- name: schedule_advance
-- Claim one period (compare-and-set on its due time): move the schedule to its next run.
-- Runs in one transaction with schedule_enqueue, which inserts only for this claim token.
UPDATE job_schedules SET next_run_at = :next_run_at, last_run_at = :due,
    last_job_id = :job_id, claim_token = :token, updated_at = :now
WHERE name = :name AND next_run_at = :due AND paused_at IS NULL
RETURNING name;

-- name: schedule_enqueue
-- Insert the claimed period's job (its unique key is the period: never twice).
INSERT INTO background_jobs (id, user_id, job_type, status, input_data, metadata, max_retries,
    priority, run_at, created_at, updated_at, queue, unique_key, unique_statuses, limited)
SELECT :job_id, s.user_id, s.job_type, 'pending', s.input_data, :metadata,
    s.max_retries, s.priority, :now, :now, :now, :queue, :unique_key,
    ',pending,processing,paused,completed,failed,cancelled,',
    EXISTS (SELECT 1 FROM job_limits l WHERE (l.kind = 'type' AND l.name = s.job_type)
                                          OR (l.kind = 'queue' AND l.name = :queue))
FROM job_schedules s WHERE s.name = :name AND s.claim_token = :token
ON CONFLICT DO NOTHING
RETURNING id;

-- name: worker_upsert
-- A worker announces itself (at start and with every heartbeat).
INSERT INTO job_workers (id, host, pid, concurrency, queues, types, jobs_running, started_at,
    heartbeat_at)
VALUES (:id, :host, :pid, :concurrency, :queues, :types, :jobs_running, :now, :now)
ON CONFLICT (id) DO UPDATE SET jobs_running = excluded.jobs_running,
    heartbeat_at = excluded.heartbeat_at;

-- name: worker_delete
-- A stopping worker removes itself.
DELETE FROM job_workers WHERE id = :id;

-- name: worker_prune
-- Forget workers silent since the cutoff (they died without removing themselves).
DELETE FROM job_workers WHERE heartbeat_at < :cutoff RETURNING id;

-- name: worker_list
-- Workers heard from since the cutoff.
SELECT * FROM job_workers WHERE heartbeat_at >= :cutoff ORDER BY started_at, id;

-- name: metrics_jobs
-- Jobs per type and status (Prometheus gauges).
SELECT job_type, status, count(*) AS n, coalesce(sum(retry_count), 0) AS retries,
    coalesce(sum(json_extract(metadata, '$.rescue_count')), 0) AS rescues
FROM background_jobs GROUP BY job_type, status;

-- name: metrics_durations
-- Histogram rows of finished jobs per type: how many fell in each bucket (the number of
-- bounds below the value) and their sum, for run time and for claim latency.
WITH finished AS (
    SELECT job_type,
        max((julianday(completed_at) - julianday(started_at)) * 86400.0, 0) AS run_s,
        max((julianday(started_at) - julianday(run_at)) * 86400.0, 0) AS wait_s
    FROM background_jobs
    WHERE status IN ('completed', 'failed') AND started_at IS NOT NULL
      AND completed_at IS NOT NULL
)
SELECT 'run' AS metric, job_type,
    (SELECT count(*) FROM json_each(:bounds) b WHERE b.value < run_s) AS bucket,
    count(*) AS n, sum(run_s) AS total
FROM finished GROUP BY job_type, bucket
UNION ALL
SELECT 'wait', job_type,
    (SELECT count(*) FROM json_each(:bounds) b WHERE b.value < wait_s) AS bucket,
    count(*), sum(wait_s)
FROM finished GROUP BY job_type, bucket;

-- name: job_ids_prunable
-- Completed and cancelled jobs untouched since the cutoff, oldest first (retention).
SELECT id, status FROM background_jobs
WHERE status IN ('completed', 'cancelled') AND updated_at < :cutoff
ORDER BY created_at LIMIT :limit;
