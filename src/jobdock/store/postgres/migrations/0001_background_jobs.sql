-- background_jobs: the durable job record (field names fixed by DESIGN.md).
CREATE TABLE background_jobs (
    id                  uuid PRIMARY KEY,
    user_id             text,
    job_type            text NOT NULL,
    entity_type         text,
    entity_id           text,
    status              text NOT NULL DEFAULT 'pending'
        CONSTRAINT background_jobs_status_check
        CHECK (status IN ('pending', 'processing', 'paused', 'completed', 'failed', 'cancelled')),
    progress            jsonb NOT NULL DEFAULT '{}'::jsonb,
    input_data          jsonb NOT NULL DEFAULT '{}'::jsonb,
    output_data         jsonb,
    metadata            jsonb NOT NULL DEFAULT '{}'::jsonb,
    error_message       text,
    error_type          text
        CONSTRAINT background_jobs_error_type_check
        CHECK (error_type IN ('transient', 'permanent', 'paywall', 'invalid')),
    retry_count         integer NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
    max_retries         integer NOT NULL DEFAULT 3 CHECK (max_retries >= 0),
    next_retry_at       timestamptz,
    priority            integer NOT NULL DEFAULT 0,
    run_at              timestamptz NOT NULL,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    started_at          timestamptz,
    completed_at        timestamptz,
    heartbeat_at        timestamptz,
    worker_id           text,
    pause_requested_at  timestamptz,
    cancel_requested_at timestamptz,
    paused_at           timestamptz,
    pause_reason        text,
    resumed_at          timestamptz,
    resume_count        integer NOT NULL DEFAULT 0,
    last_checkpoint_path  text,
    last_checkpoint_stage text,
    checkpoint_hash       text,
    -- a processing job always has a worker; a finished one always has a finish time
    CONSTRAINT background_jobs_worker_check CHECK (status <> 'processing' OR worker_id IS NOT NULL),
    CONSTRAINT background_jobs_completed_check CHECK (status <> 'completed' OR completed_at IS NOT NULL)
);

-- Few indexes on purpose: every status change writes an entry into each full index, and
-- status changes are the queue's hot path. Partial indexes cost only for their rows.
-- claiming: the next pending jobs by priority, then age
CREATE INDEX background_jobs_claim_idx ON background_jobs (priority DESC, created_at, id)
    WHERE status = 'pending';
-- active jobs: the rescuer looks for running jobs whose heartbeat expired
CREATE INDEX background_jobs_active_idx ON background_jobs (heartbeat_at)
    WHERE status = 'processing';
-- retry eligibility
CREATE INDEX background_jobs_retry_idx ON background_jobs (next_retry_at)
    WHERE status = 'failed' AND next_retry_at IS NOT NULL;
-- listing (keyset pagination), overall and per user
CREATE INDEX background_jobs_created_idx ON background_jobs (created_at DESC, id DESC);
CREATE INDEX background_jobs_user_idx ON background_jobs (user_id, created_at DESC, id DESC);
-- a queue table churns: keep room for in-page (HOT) updates of progress and heartbeats,
-- and keep statistics fresh so the planner sees how many jobs are pending
ALTER TABLE background_jobs SET (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 500);

-- storage keys a job wrote, so deleting the job can delete them
CREATE TABLE background_job_files (
    job_id  uuid NOT NULL,
    key     text NOT NULL,
    final   boolean NOT NULL DEFAULT false,
    PRIMARY KEY (job_id, key)
);

-- change feed, one notification per statement (a bulk insert or a batch of completions
-- costs one NOTIFY, not one per row): jobdock_jobs carries the changed jobs (or only their
-- count when there are many) for the UI; jobdock_queue (empty payload) wakes workers when
-- a statement made jobs pending.
CREATE FUNCTION jobdock_notify_jobs() RETURNS trigger AS $$
DECLARE
    n integer;
    listed json;
    woke boolean;
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT count(*), false,
               CASE WHEN count(*) <= 40 THEN json_agg(json_build_array(id, status, job_type, user_id)) END
        INTO n, woke, listed FROM old_rows;
    ELSE
        SELECT count(*), bool_or(status = 'pending'),
               CASE WHEN count(*) <= 40 THEN json_agg(json_build_array(id, status, job_type, user_id)) END
        INTO n, woke, listed FROM new_rows;
    END IF;
    IF n = 0 THEN
        RETURN NULL;
    END IF;
    IF woke THEN
        PERFORM pg_notify('jobdock_queue', '');
    END IF;
    IF listed IS NULL THEN
        PERFORM pg_notify('jobdock_jobs', json_build_object('op', lower(TG_OP), 'count', n)::text);
    ELSE
        PERFORM pg_notify('jobdock_jobs', json_build_object('op', lower(TG_OP), 'jobs', listed)::text);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER background_jobs_notify_insert AFTER INSERT ON background_jobs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION jobdock_notify_jobs();
CREATE TRIGGER background_jobs_notify_update AFTER UPDATE ON background_jobs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION jobdock_notify_jobs();
CREATE TRIGGER background_jobs_notify_delete AFTER DELETE ON background_jobs
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION jobdock_notify_jobs();
