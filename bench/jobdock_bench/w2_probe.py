"""Worker-side timestamps for ``bench/w2_breakdown.py`` (imported by the worker process
with ``--import jobdock_bench.w2_probe``): when the worker hears the NOTIFY, when its
claim is sent and answered, and when the handler starts. Lines go to $W2_PROBE_OUT."""

from __future__ import annotations

import os
import time
from typing import Any

import jobdock
from jobdock.events import feeds
from jobdock.store.postgres import store as pgstore

_OUT = open(os.environ.get("W2_PROBE_OUT", os.devnull), "a", buffering=1)  # noqa: SIM115
_parse = feeds._parse
_fetch = pgstore.PostgresStore.fetch
CLAIMS = ("job_claim", "job_complete_and_claim")


def _heard(channel: str, payload: str) -> list[Any]:
    if channel == feeds.QUEUE_CHANNEL:
        _OUT.write(f"notify {time.time():.6f}\n")
    return _parse(channel, payload)


async def _timed_fetch(self: pgstore.PostgresStore, name: str,
                       params: dict[str, Any]) -> list[dict[str, Any]]:
    sent = time.time()
    rows = await _fetch(self, name, params)
    if name in CLAIMS:
        for row in rows:
            if row.get("id") is not None:
                _OUT.write(f"claim {sent:.6f} {time.time():.6f} {row['input_data']['i']}\n")
    return rows


feeds._parse = _heard  # type: ignore[assignment]
pgstore.PostgresStore.fetch = _timed_fetch  # type: ignore[method-assign]


@jobdock.job_type("w2_probe")
async def w2_probe(ctx: jobdock.JobContext) -> None:
    _OUT.write(f"start {time.time():.6f} {ctx.input['i']} {ctx.input['t']:.6f}\n")
