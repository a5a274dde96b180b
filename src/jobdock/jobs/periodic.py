"""Periodic jobs: a schedule enqueues one job per period, however many workers run.

A schedule is a cron expression read in a time zone (``cron="0 9 * * 1-5"``,
``timezone="Europe/Paris"``: 09:00 Paris time, summer or winter) or a fixed interval
(``every=timedelta(hours=6)``; periods are aligned to the Unix epoch, so every worker
agrees on them). ``next_after(t)`` is the first fire time strictly after ``t``: a
schedule whose due time passed long ago (no worker ran) fires once, then moves to the
next time after now, not once per missed period.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class BadSchedule(ValueError):
    pass


@dataclass(frozen=True)
class Schedule:
    name: str
    job_type: str
    cron: str | None = None
    every: timedelta | None = None
    timezone: str = "UTC"
    input_data: dict[str, Any] = field(default_factory=dict)
    user_id: str | None = None
    queue: str | None = None
    priority: int = 0
    max_retries: int = 3

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > 200:
            raise BadSchedule("a schedule needs a name (at most 200 characters)")
        if (self.cron is None) == (self.every is None):
            raise BadSchedule(f"schedule {self.name!r}: give exactly one of cron or every")
        if self.every is not None and self.every.total_seconds() <= 0:
            raise BadSchedule(f"schedule {self.name!r}: every must be positive")
        if self.cron is not None and not _croniter().is_valid(self.cron):
            raise BadSchedule(f"schedule {self.name!r}: invalid cron expression {self.cron!r}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise BadSchedule(f"schedule {self.name!r}: unknown time zone {self.timezone!r}")\
                from None

    @property
    def interval_seconds(self) -> float | None:
        return None if self.every is None else self.every.total_seconds()

    @property
    def spec(self) -> str:
        if self.cron is not None:
            zone = "" if self.timezone == "UTC" else f" ({self.timezone})"
            return f"cron {self.cron}{zone}"
        return f"every {format_seconds(self.interval_seconds or 0)}"

    def next_after(self, moment: datetime) -> datetime:
        if self.every is not None:
            step = self.every.total_seconds()
            periods = math.floor(moment.timestamp() / step) + 1
            return datetime.fromtimestamp(periods * step, UTC)
        local = moment.astimezone(ZoneInfo(self.timezone))
        fire: datetime = _croniter()(self.cron, local).get_next(datetime)
        return fire.astimezone(UTC)


def _croniter() -> Any:
    """croniter, imported when a cron schedule is first read: commands that never touch
    one (``jobs list``) do not pay for its import."""
    from croniter import croniter

    return croniter


def format_seconds(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def parse_every(text: str) -> timedelta:
    """``90s``, ``15m``, ``6h``, ``1d`` or plain seconds."""
    text = text.strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        if text and text[-1] in units:
            return timedelta(seconds=float(text[:-1]) * units[text[-1]])
        return timedelta(seconds=float(text))
    except ValueError:
        raise BadSchedule(f"cannot read interval {text!r} (use e.g. 90s, 15m, 6h, 1d)") from None


def schedule_of(row: dict[str, Any]) -> Schedule:
    """The Schedule a stored row describes."""
    every = row["interval_seconds"]
    return Schedule(name=row["name"], job_type=row["job_type"], cron=row["cron"],
                    every=timedelta(seconds=every) if every is not None else None,
                    timezone=row["timezone"], input_data=row["input_data"] or {},
                    user_id=row["user_id"], queue=row["queue"], priority=row["priority"],
                    max_retries=row["max_retries"])
