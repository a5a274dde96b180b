-- (Postgres pins the schema of a trigger function here; SQLite has no schemas to pin.
-- Kept as an empty step so both dialects have the same migrations.)
SELECT 1;
