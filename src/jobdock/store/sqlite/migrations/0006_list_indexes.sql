-- (Postgres adds indexes for the job list by status, by type and by updated_at here. On
-- SQLite the list's optional filters, "(:x IS NULL OR ...)", are not matched against an
-- index by its planner: it walks background_jobs_created_idx or background_jobs_updated_idx
-- (0001) in order and filters, so more indexes would only cost writes. Kept as an empty
-- step so both dialects have the same migrations.)
SELECT 1;
