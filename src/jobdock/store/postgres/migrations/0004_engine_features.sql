-- Engine features of issue 15: queues and concurrency limits, unique jobs, dependencies,
-- periodic schedules and a table of live workers.

ALTER TABLE background_jobs
    ADD COLUMN queue text NOT NULL DEFAULT 'default',
    -- unique jobs: the key (with its time bucket, when a window was given) and the statuses
    -- in which it blocks a duplicate, as ',pending,processing,' (see the unique index)
    ADD COLUMN unique_key text,
    ADD COLUMN unique_statuses text,
    -- true when a concurrency limit or a fair queue applies: such jobs are claimed only by
    -- the gated claim (job_claim_limited), the others by the plain, fast one
    ADD COLUMN limited boolean NOT NULL DEFAULT false,
    -- dependencies: how many jobs this one still waits for; whether others wait for it
    ADD COLUMN deps_pending integer NOT NULL DEFAULT 0 CHECK (deps_pending >= 0),
    ADD COLUMN has_dependents boolean NOT NULL DEFAULT false;

-- The plain claim walks only jobs it may take: not limited, not waiting on others.
DROP INDEX background_jobs_claim_idx;
CREATE INDEX background_jobs_claim_idx ON background_jobs (priority DESC, created_at, id)
    WHERE status = 'pending' AND NOT limited AND deps_pending = 0;
CREATE INDEX background_jobs_limited_idx ON background_jobs (queue, priority DESC, created_at)
    WHERE status = 'pending' AND limited;
-- One job per key among the jobs whose status is in their own unique_statuses: a duplicate
-- insert conflicts here (ON CONFLICT DO NOTHING), atomically, across processes.
CREATE UNIQUE INDEX background_jobs_unique_idx ON background_jobs (unique_key)
    WHERE unique_key IS NOT NULL AND strpos(unique_statuses, ',' || status || ',') > 0;

CREATE TABLE background_job_deps (
    job_id     uuid NOT NULL,
    depends_on uuid NOT NULL,
    PRIMARY KEY (job_id, depends_on)
);
CREATE INDEX background_job_deps_depends_on_idx ON background_job_deps (depends_on);

-- A job that others wait for finished: completed counts down their wait; a permanent
-- failure, a cancel or a delete cancels them (and, through this trigger, theirs).
CREATE FUNCTION jobdock_release_dependents() RETURNS trigger AS $$
DECLARE
    parent uuid;
    reason text;
    at timestamptz;
BEGIN
    IF TG_OP = 'DELETE' THEN
        parent := OLD.id;
        reason := 'was deleted';
        at := GREATEST(now(), OLD.updated_at);
    ELSE
        parent := NEW.id;
        at := NEW.updated_at;
        IF NEW.status = 'completed' THEN
            UPDATE background_jobs SET deps_pending = deps_pending - 1, updated_at = at
            WHERE id IN (SELECT job_id FROM background_job_deps WHERE depends_on = parent)
              AND status IN ('pending', 'paused') AND deps_pending > 0;
            RETURN NULL;
        END IF;
        reason := CASE WHEN NEW.status = 'cancelled' THEN 'was cancelled'
                       ELSE 'failed permanently' END;
    END IF;
    UPDATE background_jobs
    SET status = 'cancelled', completed_at = at, updated_at = at,
        error_message = 'Cancelled: job ' || parent || ' it depends on ' || reason
    WHERE id IN (SELECT job_id FROM background_job_deps WHERE depends_on = parent)
      AND status IN ('pending', 'paused');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER background_jobs_dependents_update AFTER UPDATE OF status ON background_jobs
    FOR EACH ROW WHEN (NEW.has_dependents AND NEW.status IS DISTINCT FROM OLD.status AND (
        NEW.status IN ('completed', 'cancelled')
        OR (NEW.status = 'failed' AND NEW.next_retry_at IS NULL)))
    EXECUTE FUNCTION jobdock_release_dependents();
CREATE TRIGGER background_jobs_dependents_delete AFTER DELETE ON background_jobs
    FOR EACH ROW WHEN (OLD.has_dependents AND OLD.status <> 'completed')
    EXECUTE FUNCTION jobdock_release_dependents();

-- Concurrency limits across all workers: kind 'type' (a job type) or 'queue'.
-- max_running NULL means no cap (a queue may be only fair); fair queues hand out their
-- jobs round-robin over users.
CREATE TABLE job_limits (
    kind        text NOT NULL CHECK (kind IN ('type', 'queue')),
    name        text NOT NULL,
    max_running integer CHECK (max_running IS NULL OR max_running >= 0),
    fair        boolean NOT NULL DEFAULT false,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (kind, name)
);

-- Periodic jobs: cron (time zone aware) or a fixed interval. claim_token marks which
-- enqueuer advanced the schedule in the transaction that inserts the period's job.
CREATE TABLE job_schedules (
    name             text PRIMARY KEY,
    job_type         text NOT NULL,
    cron             text,
    interval_seconds double precision CHECK (interval_seconds IS NULL OR interval_seconds > 0),
    timezone         text NOT NULL DEFAULT 'UTC',
    input_data       jsonb NOT NULL DEFAULT '{}'::jsonb,
    user_id          text,
    queue            text,
    priority         integer NOT NULL DEFAULT 0,
    max_retries      integer NOT NULL DEFAULT 3,
    source           text NOT NULL DEFAULT 'runtime' CHECK (source IN ('code', 'runtime')),
    next_run_at      timestamptz NOT NULL,
    last_run_at      timestamptz,
    last_job_id      uuid,
    claim_token      text,
    paused_at        timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CONSTRAINT job_schedules_spec_check CHECK ((cron IS NULL) <> (interval_seconds IS NULL))
);
CREATE INDEX job_schedules_due_idx ON job_schedules (next_run_at) WHERE paused_at IS NULL;

-- Live workers (each upserts its row with every heartbeat and deletes it when it stops).
CREATE TABLE job_workers (
    id           text PRIMARY KEY,
    host         text NOT NULL,
    pid          integer NOT NULL,
    concurrency  integer NOT NULL,
    queues       jsonb,
    types        jsonb,
    jobs_running integer NOT NULL DEFAULT 0,
    started_at   timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL
);
