-- background_jobs: the durable job record (field names fixed by DESIGN.md).
-- Timestamps are ISO 8601 UTC text of fixed width, so they compare as text.
CREATE TABLE background_jobs (
    id                  text PRIMARY KEY,
    user_id             text,
    job_type            text NOT NULL,
    entity_type         text,
    entity_id           text,
    status              text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'processing', 'paused', 'completed', 'failed', 'cancelled')),
    progress            text NOT NULL DEFAULT '{}',
    input_data          text NOT NULL DEFAULT '{}',
    output_data         text,
    metadata            text NOT NULL DEFAULT '{}',
    error_message       text,
    error_type          text
        CHECK (error_type IN ('transient', 'permanent', 'paywall', 'invalid')),
    retry_count         integer NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
    max_retries         integer NOT NULL DEFAULT 3 CHECK (max_retries >= 0),
    next_retry_at       text,
    priority            integer NOT NULL DEFAULT 0,
    run_at              text NOT NULL,
    created_at          text NOT NULL,
    updated_at          text NOT NULL,
    started_at          text,
    completed_at        text,
    heartbeat_at        text,
    worker_id           text,
    pause_requested_at  text,
    cancel_requested_at text,
    paused_at           text,
    pause_reason        text,
    resumed_at          text,
    resume_count        integer NOT NULL DEFAULT 0,
    last_checkpoint_path  text,
    last_checkpoint_stage text,
    checkpoint_hash       text,
    CHECK (status <> 'processing' OR worker_id IS NOT NULL),
    CHECK (status <> 'completed' OR completed_at IS NOT NULL)
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
-- the change feed polls by updated_at (Postgres uses NOTIFY instead)
CREATE INDEX background_jobs_updated_idx ON background_jobs (updated_at);

CREATE TABLE background_job_files (
    job_id  text NOT NULL,
    key     text NOT NULL,
    final   integer NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, key)
);
