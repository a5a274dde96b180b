"""``jobdock bench``: W1/W2/W3 workloads (see bench/README.md)."""

from __future__ import annotations

import typer


def bench(
    ctx: typer.Context,
    backend: str = typer.Option("sqlite", "--backend", help="sqlite or postgres."),
    as_json: bool = typer.Option(False, "--json", help="Print figures as JSON."),
) -> None:
    """Measure enqueue, drain, start latency and progress cost."""
    from jobdock.bench.runner import run_bench

    run_bench(ctx, backend, as_json)
