-- The dependents trigger (0004) names background_jobs and background_job_deps without a
-- schema: a DELETE of a job with dependents from a session whose search path lacks the
-- job's schema (an operator's psql, "DELETE FROM myschema.background_jobs ...") failed
-- with "relation background_jobs does not exist". Pin the schema it was created in, as
-- the count triggers of 0005 do.
ALTER FUNCTION jobdock_release_dependents() SET search_path FROM CURRENT;
