"""Retry policies: small pure objects, the formula in the docstring."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """Job-level exponential backoff with jitter.

    delay(n) = min(cap, base * 2**n) * U(1 - jitter, 1 + jitter), for the n-th retry
    (n = retry_count before the retry, starting at 0). Defaults: 30 s, 60 s, 120 s, ...
    capped at 30 min, ±20 %.
    """

    base_seconds: float = 30.0
    cap_seconds: float = 30 * 60.0
    jitter: float = 0.2
    max_retries: int = 3

    def derive(self, overrides: Mapping[str, object] | None = None, *,
               max_retries: int | None = None) -> RetryPolicy:
        """This policy with some fields replaced (a job's ``metadata.retry_policy``, a
        type's ``max_retries``): the one place a policy is rebuilt."""
        changes: dict[str, float | int] = {
            name: float(str(value)) for name, value in (overrides or {}).items()
            if name in ("base_seconds", "cap_seconds", "jitter")}
        if max_retries is not None:
            changes["max_retries"] = max_retries
        return dataclasses.replace(self, **changes) if changes else self  # type: ignore[arg-type]

    def nominal_delay(self, retry_count: int) -> float:
        return float(min(self.cap_seconds, self.base_seconds * (2**retry_count)))

    def delay(self, retry_count: int, rng: random.Random | None = None) -> float:
        factor = (rng or random).uniform(1 - self.jitter, 1 + self.jitter)
        return self.nominal_delay(retry_count) * factor

    def next_retry_at(
        self, now: datetime, retry_count: int, rng: random.Random | None = None
    ) -> datetime:
        return now + timedelta(seconds=self.delay(retry_count, rng))


@dataclass(frozen=True)
class OperationRetry:
    """In-stage retry of one flaky operation (``JobContext.with_retry``).

    Up to ``attempts`` tries; before try k+1 it waits min(cap, base * 2**k) ± jitter:
    2 s, 4 s, 8 s by default. Only transient errors are retried.
    """

    attempts: int = 4
    base_seconds: float = 2.0
    cap_seconds: float = 16.0
    jitter: float = 0.2

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        nominal = min(self.cap_seconds, self.base_seconds * (2**attempt))
        return float(nominal * (rng or random).uniform(1 - self.jitter, 1 + self.jitter))
