-- Job counts per status that stay cheap as the table grows (issue 13). count(*) GROUP BY
-- status was a sequential scan: 36 ms at 100k jobs, 280-480 ms at 1M.
--
-- One counter row per status would be a hot row: every claim and every completion of
-- every worker would update the same two rows and wait for each other's commit. Instead
-- each statement that changes statuses INSERTS one delta row per status it changed
-- (statement-level triggers over the transition tables, like the NOTIFY feed): inserts
-- never wait for one another. The maintenance loop folds the deltas into the totals
-- (job_counts_fold, one statement), and a read sums totals and the deltas not yet folded
-- (job_counts_all). The triggers run in the statement's own transaction, so a read sees a
-- job's change and its delta together: the counts are exact, never an estimate.
-- The functions keep the schema they were created in (SET search_path FROM CURRENT): a
-- statement from a session with another search_path (TRUNCATE schema.background_jobs)
-- still finds their tables.

-- Take the table's write lock first: no job can change between the backfill and the
-- triggers (the backfill counts exactly what the triggers then keep up to date).
LOCK TABLE background_jobs IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE job_status_counts (
    status text PRIMARY KEY,
    n      bigint NOT NULL
);
CREATE TABLE job_status_count_deltas (
    status text NOT NULL,
    n      bigint NOT NULL
);
-- inserted and deleted all day long: vacuum it often, it stays a few pages
ALTER TABLE job_status_count_deltas SET (autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 2000, autovacuum_vacuum_insert_scale_factor = 0,
    autovacuum_vacuum_insert_threshold = 2000);

INSERT INTO job_status_counts (status, n)
SELECT s, (SELECT count(*) FROM background_jobs WHERE status = s)
FROM unnest(ARRAY['pending', 'processing', 'paused', 'completed', 'failed', 'cancelled']) AS s;

CREATE FUNCTION jobdock_count_inserted() RETURNS trigger AS $$
BEGIN
    INSERT INTO job_status_count_deltas (status, n)
    SELECT status, count(*) FROM new_rows GROUP BY status;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql SET search_path FROM CURRENT;

CREATE FUNCTION jobdock_count_updated() RETURNS trigger AS $$
BEGIN
    -- only statuses whose number changed (a progress write or a heartbeat inserts nothing)
    INSERT INTO job_status_count_deltas (status, n)
    SELECT status, sum(d) FROM (
        SELECT status, -1 AS d FROM old_rows
        UNION ALL
        SELECT status, 1 FROM new_rows) AS changed
    GROUP BY status HAVING sum(d) <> 0;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql SET search_path FROM CURRENT;

CREATE FUNCTION jobdock_count_deleted() RETURNS trigger AS $$
BEGIN
    INSERT INTO job_status_count_deltas (status, n)
    SELECT status, -count(*) FROM old_rows GROUP BY status;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql SET search_path FROM CURRENT;

CREATE FUNCTION jobdock_count_truncated() RETURNS trigger AS $$
BEGIN
    DELETE FROM job_status_count_deltas;
    UPDATE job_status_counts SET n = 0 WHERE n <> 0;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql SET search_path FROM CURRENT;

CREATE TRIGGER background_jobs_count_insert AFTER INSERT ON background_jobs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION jobdock_count_inserted();
CREATE TRIGGER background_jobs_count_update AFTER UPDATE ON background_jobs
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION jobdock_count_updated();
CREATE TRIGGER background_jobs_count_delete AFTER DELETE ON background_jobs
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION jobdock_count_deleted();
CREATE TRIGGER background_jobs_count_truncate AFTER TRUNCATE ON background_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION jobdock_count_truncated();
