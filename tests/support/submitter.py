"""``python -m tests.support.submitter DATABASE_URL KEY N GO_FILE``: wait for GO_FILE, then
submit N jobs with the unique key KEY and print the id each submit returned. Once its
store is open it creates GO_FILE.ready.PID, so the test starts every process at once."""

from __future__ import annotations

import asyncio
import os
import sys
import time

from jobdock.app import Dock
from jobdock.jobs.model import NewJob
from jobdock.settings import Settings


async def main(url: str, key: str, n: int, go_file: str) -> None:
    dock = await Dock.open(Settings(database_url=url, imports=["tests.support.jobtypes"]),
                           migrate=False)
    try:
        with open(f"{go_file}.ready.{os.getpid()}", "w"):
            pass
        deadline = time.monotonic() + 60
        while not os.path.exists(go_file):  # a start line for every process at once
            if time.monotonic() > deadline:
                raise SystemExit("no go")
            await asyncio.sleep(0.005)
        ids = [str((await dock.admin.submit(NewJob("noop", unique_key=key))).id)
               for _ in range(n)]
    finally:
        await dock.close()
    print("\n".join(ids))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]))
