-- Job counts per status that stay cheap as the table grows (issue 13): one counter row
-- per status, kept by triggers in the writing statement's own transaction (exact). SQLite
-- has one writer at a time, so the counter rows are never contended (on Postgres they
-- would be: there, statements insert delta rows instead; see its 0005_job_counts.sql).
-- The migration runs under the write lock: the backfill counts exactly what the triggers
-- then keep up to date.

CREATE TABLE job_status_counts (
    status text PRIMARY KEY,
    n      integer NOT NULL
);

INSERT INTO job_status_counts (status, n)
SELECT s.status, (SELECT count(*) FROM background_jobs j WHERE j.status = s.status)
FROM (SELECT 'pending' AS status UNION ALL SELECT 'processing' UNION ALL SELECT 'paused'
      UNION ALL SELECT 'completed' UNION ALL SELECT 'failed' UNION ALL SELECT 'cancelled') AS s;

CREATE TRIGGER background_jobs_count_insert AFTER INSERT ON background_jobs
BEGIN
    UPDATE job_status_counts SET n = n + 1 WHERE status = NEW.status;
END;

CREATE TRIGGER background_jobs_count_update AFTER UPDATE OF status ON background_jobs
WHEN NEW.status <> OLD.status
BEGIN
    UPDATE job_status_counts SET n = n + CASE WHEN status = NEW.status THEN 1 ELSE -1 END
    WHERE status IN (OLD.status, NEW.status);
END;

CREATE TRIGGER background_jobs_count_delete AFTER DELETE ON background_jobs
BEGIN
    UPDATE job_status_counts SET n = n - 1 WHERE status = OLD.status;
END;
