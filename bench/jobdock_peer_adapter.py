"""jobdock in the peer benchmark (../shared/bench/peers): an adapter kept in this repo.

Plugged in without editing the harness::

    /tmp/peerbench-venv/bin/pip install -e /work/main          # once, after run.py --setup-only
    PEERBENCH_ADAPTERS="jobdock=jobdock_peer_adapter" PYTHONPATH=/work/main/bench \\
      python3 /work/shared/bench/peers/run.py --systems jobdock,pgqueuer,procrastinate \\
      --results-dir /work/main/bench/results

Idiomatic setup from jobdock's README: job types declared with ``@jobdock.job_type``,
submitted with ``AsyncClient.submit`` / ``submit_many`` (the blocking ``Client`` is the
same calls through a background loop thread; an AsyncClient on the driver's own loop is
what the pgqueuer and procrastinate adapters do too), the worker started with the CLI
``jobdock --database-url DSN --import jobdock_peer_adapter worker --concurrency N``.
Objects live in their own schema ``pb_jobdock`` (search_path in the DSN).

Worker: one process, one event loop (uvloop, the CLI's default where it is installed),
``--concurrency`` = harness concurrency, ``--log-level warning``: the harness turns
per-job INFO logging off for every system (procrastinate, rq and celery get the same
flag); jobdock's worker logs one INFO line per finished job. The handlers are
``async def`` like the pgqueuer/procrastinate ones (a plain ``def`` handler runs in a
thread of its own per job; ``jobdock bench --handler sync`` measures that).
Bulk enqueue: ``AsyncClient.submit_many(new_jobs)`` (one INSERT ... jsonb_to_recordset).
Progress (W3): ``JobContext.update_progress(percent, stage)``: an in-memory update that
the worker writes to the job row at a bounded rate (every 0.25 s, all running jobs in
one UPDATE) and once more with the completion; it is not a database write per call.
"""
from __future__ import annotations

import asyncio
from collections.abc import Sequence
from urllib.parse import quote

import psycopg
from peerbench import config, sink
from peerbench.adapters.base import Adapter, JobSpec, python

import jobdock
from jobdock.client import AsyncClient

SCHEMA = "pb_jobdock"
DSN = config.PG_DSN + ("&" if "?" in config.PG_DSN else "?") + "options=" + quote(
    f"-c search_path={SCHEMA}")
STAGES = [f"stage{k}" for k in range(sink.STEPS)]
TYPES = {"noop": "pb_noop", "pipeline": "pb_pipeline"}


# ---------------------------------------------------------------- worker side

@jobdock.job_type("pb_noop")
async def noop(ctx: jobdock.JobContext) -> None:
    sink.noop_job(ctx.input["i"], ctx.input["t"])


@jobdock.job_type("pb_pipeline", stages=STAGES)
async def pipeline(ctx: jobdock.JobContext) -> None:
    def progress(stage: int) -> None:
        ctx.update_progress(100.0 * (stage + 1) / sink.STEPS, STAGES[stage])

    sink.pipeline_job(ctx.input["i"], ctx.input["t"], ctx.input["report"], progress)


# ---------------------------------------------------------------- driver side

class JobdockAdapter(Adapter):
    name = "jobdock"
    backend = "postgres"
    distributions = ("jobdock", "psycopg")
    bulk_api = "Client.submit_many"
    progress_api = "JobContext.update_progress"
    worker_note = ("jobdock worker, 1 process, uvloop (the CLI's loop where installed), "
                   "--concurrency 10, async handlers")

    def __init__(self, concurrency, workdir):
        super().__init__(concurrency, workdir)
        self.loop = asyncio.new_event_loop()
        self.admin = psycopg.connect(config.PG_DSN, autocommit=True)
        self.client: AsyncClient | None = None

    def _run(self, coro):
        return self.loop.run_until_complete(coro)

    def _storage(self) -> str:
        return str(self.workdir / "jobdock-storage")

    def setup(self) -> None:
        if self.client is not None:
            self._run(self.client.close())
        self.admin.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        self.admin.execute(f"CREATE SCHEMA {SCHEMA}")
        # opening a client migrates the schema; the adapter module is where the types live
        self.client = self._run(AsyncClient.connect(DSN, self._storage(), [__name__]))

    def reset(self) -> None:
        self.admin.execute(f"TRUNCATE {SCHEMA}.background_jobs, {SCHEMA}.background_job_files")

    def enqueue(self, jobs: Sequence[JobSpec], batch: bool) -> None:
        assert self.client is not None
        client = self.client

        def payload(j: JobSpec) -> dict:
            data = {"i": j.i, "t": j.t_enq}
            if j.task == "pipeline":
                data["report"] = j.report
            return data

        if batch:
            news = [client.new_job(TYPES[j.task], payload(j)) for j in jobs]
            self._run(client.submit_many(news))
        else:
            async def one_by_one():
                for j in jobs:
                    await client.submit(TYPES[j.task], payload(j))
            self._run(one_by_one())

    def worker_argv(self) -> list[str]:
        return [python(), "-m", "jobdock.cli.main", "--database-url", DSN,
                "--storage-url", self._storage(), "--import", "jobdock_peer_adapter",
                "worker", "--concurrency", str(self.concurrency), "--log-level", "warning"]

    def outstanding(self) -> int:
        row = self.admin.execute(
            f"SELECT count(*) FROM {SCHEMA}.background_jobs "
            "WHERE status IN ('pending', 'processing')").fetchone()
        return row[0]

    def teardown(self) -> None:
        if self.client is not None:
            self._run(self.client.close())
        self.loop.close()
        self.admin.close()


ADAPTER = JobdockAdapter
