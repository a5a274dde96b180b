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

-- claiming: the next pending jobs by priority, then age
CREATE INDEX background_jobs_claim_idx ON background_jobs (priority DESC, created_at, id)
    WHERE status = 'pending';
-- active jobs (dock, rescuer)
CREATE INDEX background_jobs_active_idx ON background_jobs (status, heartbeat_at)
    WHERE status IN ('pending', 'processing', 'paused');
-- retry eligibility
CREATE INDEX background_jobs_retry_idx ON background_jobs (next_retry_at)
    WHERE status = 'failed' AND next_retry_at IS NOT NULL;
-- listing (keyset pagination), overall and per user
CREATE INDEX background_jobs_created_idx ON background_jobs (created_at DESC, id DESC);
CREATE INDEX background_jobs_updated_idx ON background_jobs (updated_at DESC, id DESC);
CREATE INDEX background_jobs_user_idx ON background_jobs (user_id, created_at DESC, id DESC);
CREATE INDEX background_jobs_status_created_idx ON background_jobs (status, created_at DESC, id DESC);
CREATE INDEX background_jobs_type_created_idx ON background_jobs (job_type, created_at DESC, id DESC);
CREATE INDEX background_jobs_entity_idx ON background_jobs (entity_type, entity_id);

-- storage keys a job wrote, so deleting the job can delete them
CREATE TABLE background_job_files (
    job_id  uuid NOT NULL,
    key     text NOT NULL,
    final   boolean NOT NULL DEFAULT false,
    PRIMARY KEY (job_id, key)
);

-- change feed: every insert, update and delete of a job is announced on jobdock_jobs (for
-- the UI); a job becoming pending also wakes workers on jobdock_queue (empty payload, so
-- Postgres folds a bulk insert's wake-ups into one).
CREATE FUNCTION jobdock_notify_job() RETURNS trigger AS $$
DECLARE
    r record;
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    IF TG_OP <> 'DELETE' AND r.status = 'pending' THEN
        PERFORM pg_notify('jobdock_queue', '');
    END IF;
    PERFORM pg_notify('jobdock_jobs', json_build_object(
        'op', lower(TG_OP), 'id', r.id, 'status', r.status, 'job_type', r.job_type,
        'user_id', r.user_id)::text);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER background_jobs_notify
    AFTER INSERT OR UPDATE OR DELETE ON background_jobs
    FOR EACH ROW EXECUTE FUNCTION jobdock_notify_job();
