"""The schema variants the drain-cost benchmarks compare: with or without the count
triggers (migration 0005) and the list indexes (migration 0006)."""

from __future__ import annotations

COUNT_TRIGGERS = ("background_jobs_count_insert", "background_jobs_count_update",
                  "background_jobs_count_delete")
INDEXES = {  # the list indexes of migration 0006 (dropped for the variants without them)
    "status": "CREATE INDEX IF NOT EXISTS background_jobs_status_idx ON background_jobs "
              "(status, created_at DESC, id DESC)",
    "type": "CREATE INDEX IF NOT EXISTS background_jobs_type_idx ON background_jobs "
            "(job_type, created_at DESC, id DESC)",
    "updated": "CREATE INDEX IF NOT EXISTS background_jobs_updated_idx ON background_jobs "
               "(updated_at DESC, id DESC)",
}
VARIANTS: dict[str, tuple[bool, tuple[str, ...]]] = {  # name: (count triggers, indexes)
    "bare": (False, ()),  # no count triggers, no list indexes
    "counts": (True, ()),  # count triggers, no list indexes
    "counts+status+type": (True, ("status", "type")),
    "shipped": (True, ("status", "type", "updated")),
}
