"""A worker process whose clock is a file the test writes (epoch seconds).

``python -m tests.support.clock_worker DATABASE_URL STORAGE CLOCK_FILE [CONCURRENCY]``:
runs a worker with fast maintenance (so the periodic enqueuer runs every 10 ms of real
time) until SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from jobdock.app import Dock
from jobdock.settings import Settings
from jobdock.worker import WorkerSettings


class FileClock:
    """Reads the time the test last wrote (written with a rename, so never torn)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def now(self) -> datetime:
        return datetime.fromtimestamp(float(self.path.read_text()), UTC)


def set_clock(path: Path, moment: datetime) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(repr(moment.timestamp()))
    tmp.replace(path)


async def main(url: str, storage: str, clock_file: str, concurrency: int) -> None:
    settings = Settings(database_url=url, storage_url=storage, imports=["tests.support.jobtypes"])
    dock = await Dock.open(settings, clock=FileClock(Path(clock_file)))
    worker = dock.worker(WorkerSettings(
        concurrency=concurrency, poll_interval=0.02, sync_interval=0.02,
        maintenance_interval=0.01, heartbeat_interval=0.2, heartbeat_timeout=1e9))
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, worker.stop)
    try:
        await worker.run()
    finally:
        await dock.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3],
                     int(sys.argv[4]) if len(sys.argv) > 4 else 2))
