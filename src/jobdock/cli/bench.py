"""``jobdock bench``: W1/W2/W3 workloads (see bench/README.md)."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from types import ModuleType

import typer

from jobdock.cli.common import fail

# The benchmark code lives outside the runtime package, in the source checkout's
# bench/jobdock_bench (its worker processes import it too, through PYTHONPATH).
CHECKOUT_BENCH = Path(__file__).resolve().parents[3] / "bench"


def _load_bench() -> tuple[ModuleType, ModuleType]:
    folders = [Path.cwd() / "bench", CHECKOUT_BENCH]
    found = next((f for f in folders if (f / "jobdock_bench" / "__init__.py").is_file()), None)
    if found is None:
        fail("the benchmarks live in a source checkout's bench/ folder; run jobdock bench "
             "from the checkout (see bench/README.md)")
    if str(found) not in sys.path:
        sys.path.insert(0, str(found))
    paths = [str(found), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))  # for its workers
    return (importlib.import_module("jobdock_bench.runner"),
            importlib.import_module("jobdock_bench.workloads"))


def bench(
    ctx: typer.Context,
    backend: str = typer.Option("sqlite", "--backend", help="sqlite or postgres."),
    as_json: bool = typer.Option(False, "--json", help="Print figures as JSON."),
    n: int = typer.Option(5000, "--n", min=1, help="W1: jobs drained."),
    single_n: int = typer.Option(1000, "--single-n", min=1,
                                 help="W1: jobs enqueued one call each."),
    batch_size: int = typer.Option(1000, "--batch-size", min=1, help="W1/W3: jobs per bulk call."),
    concurrency: int = typer.Option(10, "--concurrency", min=1, help="Worker concurrency."),
    rate: float = typer.Option(50.0, "--rate", min=0.1, help="W2: enqueues per second."),
    duration: float = typer.Option(10.0, "--duration", min=0.1, help="W2: seconds."),
    w3_jobs: int = typer.Option(500, "--w3-jobs", min=1, help="W3: jobs of 8 stages."),
    workloads: str = typer.Option("w1,w2,w3", "--workloads", help="Any of w1,w2,w3."),
    handler: str = typer.Option("async", "--handler",
                                help="async (handlers on the worker's loop) or sync "
                                     "(plain def handlers, one thread each)."),
    drain_timeout: float = typer.Option(240.0, "--drain-timeout", help="Limit per drain (s)."),
) -> None:
    """Measure enqueue, drain, start latency and progress cost.

    Postgres: a fresh schema in --database-url (default
    postgresql://postgres@127.0.0.1:5432/test), dropped afterwards. SQLite: a temp file.
    """
    runner, workloads_module = _load_bench()
    run_bench, Params = runner.run_bench, workloads_module.Params
    if backend not in ("sqlite", "postgres"):
        raise typer.BadParameter("use sqlite or postgres", param_hint="--backend")
    if handler not in ("async", "sync"):
        raise typer.BadParameter("use async or sync", param_hint="--handler")
    params = Params(n=n, single_n=single_n, batch_size=batch_size, rate=rate, duration=duration,
                    w3_jobs=w3_jobs, drain_timeout=drain_timeout)
    try:
        run_bench(ctx, backend, as_json, workloads=workloads, concurrency=concurrency,
                  handler=handler, params=params)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
