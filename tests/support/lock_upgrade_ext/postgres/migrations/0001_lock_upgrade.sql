-- CREATE INDEX takes a SHARE lock on background_jobs, DROP INDEX then an ACCESS EXCLUSIVE
-- one: a lock upgrade inside one transaction, as engine migration 0006 had. The pause in
-- between is the test's window to start a claim that waits on the SHARE lock.
CREATE INDEX lock_upgrade_probe_idx ON background_jobs (priority);
SELECT pg_sleep(1);
DROP INDEX lock_upgrade_probe_idx;
