-- Engine features of issue 15: queues and concurrency limits, unique jobs, dependencies,
-- periodic schedules and a table of live workers. (Postgres' migration explains each.)

ALTER TABLE background_jobs ADD COLUMN queue text NOT NULL DEFAULT 'default';
ALTER TABLE background_jobs ADD COLUMN unique_key text;
ALTER TABLE background_jobs ADD COLUMN unique_statuses text;
ALTER TABLE background_jobs ADD COLUMN limited integer NOT NULL DEFAULT 0;
ALTER TABLE background_jobs ADD COLUMN deps_pending integer NOT NULL DEFAULT 0
    CHECK (deps_pending >= 0);
ALTER TABLE background_jobs ADD COLUMN has_dependents integer NOT NULL DEFAULT 0;

DROP INDEX background_jobs_claim_idx;
CREATE INDEX background_jobs_claim_idx ON background_jobs (priority DESC, created_at, id)
    WHERE status = 'pending' AND NOT limited AND deps_pending = 0;
CREATE INDEX background_jobs_limited_idx ON background_jobs (queue, priority DESC, created_at)
    WHERE status = 'pending' AND limited;
CREATE UNIQUE INDEX background_jobs_unique_idx ON background_jobs (unique_key)
    WHERE unique_key IS NOT NULL AND instr(unique_statuses, ',' || status || ',') > 0;

CREATE TABLE background_job_deps (
    job_id     text NOT NULL,
    depends_on text NOT NULL,
    PRIMARY KEY (job_id, depends_on)
);
CREATE INDEX background_job_deps_depends_on_idx ON background_job_deps (depends_on);

-- (recursive_triggers is on for every connection, so a cancel cascades down a chain.)
CREATE TRIGGER background_jobs_dependents_completed AFTER UPDATE OF status ON background_jobs
WHEN NEW.has_dependents AND NEW.status = 'completed' AND OLD.status <> 'completed'
BEGIN
    UPDATE background_jobs SET deps_pending = deps_pending - 1, updated_at = NEW.updated_at
    WHERE id IN (SELECT job_id FROM background_job_deps WHERE depends_on = NEW.id)
      AND status IN ('pending', 'paused') AND deps_pending > 0;
END;

CREATE TRIGGER background_jobs_dependents_dead AFTER UPDATE OF status ON background_jobs
WHEN NEW.has_dependents AND NEW.status <> OLD.status AND (NEW.status = 'cancelled'
    OR (NEW.status = 'failed' AND NEW.next_retry_at IS NULL))
BEGIN
    UPDATE background_jobs
    SET status = 'cancelled', completed_at = NEW.updated_at, updated_at = NEW.updated_at,
        error_message = 'Cancelled: job ' || NEW.id || ' it depends on ' ||
            CASE WHEN NEW.status = 'cancelled' THEN 'was cancelled' ELSE 'failed permanently' END
    WHERE id IN (SELECT job_id FROM background_job_deps WHERE depends_on = NEW.id)
      AND status IN ('pending', 'paused');
END;

CREATE TRIGGER background_jobs_dependents_deleted AFTER DELETE ON background_jobs
WHEN OLD.has_dependents AND OLD.status <> 'completed'
BEGIN
    UPDATE background_jobs
    SET status = 'cancelled',
        completed_at = max(OLD.updated_at, strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z'),
        updated_at = max(OLD.updated_at, strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z'),
        error_message = 'Cancelled: job ' || OLD.id || ' it depends on was deleted'
    WHERE id IN (SELECT job_id FROM background_job_deps WHERE depends_on = OLD.id)
      AND status IN ('pending', 'paused');
END;

CREATE TABLE job_limits (
    kind        text NOT NULL CHECK (kind IN ('type', 'queue')),
    name        text NOT NULL,
    max_running integer CHECK (max_running IS NULL OR max_running >= 0),
    fair        integer NOT NULL DEFAULT 0,
    updated_at  text NOT NULL,
    PRIMARY KEY (kind, name)
);

CREATE TABLE job_schedules (
    name             text PRIMARY KEY,
    job_type         text NOT NULL,
    cron             text,
    interval_seconds real CHECK (interval_seconds IS NULL OR interval_seconds > 0),
    timezone         text NOT NULL DEFAULT 'UTC',
    input_data       text NOT NULL DEFAULT '{}',
    user_id          text,
    queue            text,
    priority         integer NOT NULL DEFAULT 0,
    max_retries      integer NOT NULL DEFAULT 3,
    source           text NOT NULL DEFAULT 'runtime' CHECK (source IN ('code', 'runtime')),
    next_run_at      text NOT NULL,
    last_run_at      text,
    last_job_id      text,
    claim_token      text,
    paused_at        text,
    created_at       text NOT NULL,
    updated_at       text NOT NULL,
    CHECK ((cron IS NULL) <> (interval_seconds IS NULL))
);
CREATE INDEX job_schedules_due_idx ON job_schedules (next_run_at) WHERE paused_at IS NULL;

CREATE TABLE job_workers (
    id           text PRIMARY KEY,
    host         text NOT NULL,
    pid          integer NOT NULL,
    concurrency  integer NOT NULL,
    queues       text,
    types        text,
    jobs_running integer NOT NULL DEFAULT 0,
    started_at   text NOT NULL,
    heartbeat_at text NOT NULL
);
