"""Run the workloads against one backend and print the figures (Rich tables or JSON)."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
import traceback
from dataclasses import asdict
from importlib.metadata import version
from typing import Any

from rich.console import Console
from rich.table import Table

from jobdock_bench.target import DEFAULT_POSTGRES_URL, Target
from jobdock_bench.workloads import WORKLOADS, Params

out = Console()
err = Console(stderr=True)


def _postgres_url(ctx: Any) -> str:
    """--database-url when it names a Postgres database, else the default test database."""
    settings = getattr(ctx.find_root(), "obj", None) if ctx is not None else None
    url = getattr(settings, "database_url", None)
    if url and url.startswith(("postgresql://", "postgres://")):
        return str(url)
    return DEFAULT_POSTGRES_URL


def run_bench(ctx: Any, backend: str, as_json: bool, *, workloads: str = "w1,w2,w3",
              concurrency: int = 10, handler: str = "async", params: Params | None = None,
              postgres_url: str | None = None) -> dict[str, Any]:
    """Run the chosen workloads, each on a fresh schema (or SQLite file); print and return."""
    params = params or Params()
    names = [w.strip() for w in workloads.split(",") if w.strip()]
    unknown = [w for w in names if w not in WORKLOADS]
    if unknown:
        raise ValueError(f"unknown workload(s) {', '.join(unknown)}: use w1, w2, w3")
    url = postgres_url or _postgres_url(ctx)
    report: dict[str, Any] = {
        "system": "jobdock", "backend": backend, "handler": handler, "concurrency": concurrency,
        "params": asdict(params), "started": time.time(),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "jobdock": version("jobdock"), "platform": platform.platform()},
        "results": {},
    }
    for name in names:
        target = Target(backend, postgres_url=url, concurrency=concurrency, handler=handler)
        a = time.monotonic()
        try:
            target.setup()
            report["machine"]["server"] = target.server_version()
            result = WORKLOADS[name](target, params)
        except Exception as exc:
            result = {"error": f"{type(exc).__name__}: {exc}",
                      "traceback": traceback.format_exc()[-2000:]}
        finally:
            target.teardown()
        report["results"][name] = result
        err.print(f"[dim]{backend} {name}: {_summary(name, result)} "
                  f"({time.monotonic() - a:.0f} s)[/]", highlight=False)
    report["elapsed_s"] = time.time() - report["started"]
    if as_json:
        sys.stdout.write(json.dumps(report, indent=1, default=str) + "\n")
    else:
        print_tables(report)
    return report


def _summary(name: str, r: dict[str, Any]) -> str:
    if "error" in r:
        return f"error: {r['error']}"
    if name == "w1":
        return (f"single {r['single_enqueue_per_s']:,.0f}/s, bulk {r['bulk_enqueue_per_s']:,.0f}/s,"
                f" drain {r.get('drain_per_s', float('nan')):,.0f}/s "
                f"({r['completed']}/{r['jobs']}){_cpu(r)}")
    if name == "w2":
        return (f"p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms "
                f"({r['completed']}/{r['jobs']})")
    if "jobs_per_s" in r:
        return (f"{r['jobs_per_s']:,.0f} jobs/s (base {r['base_jobs_per_s']:,.0f}), "
                f"{r['step_overhead_us']:.0f} µs/step, call {r['step_call_us']:.1f} µs")
    return "incomplete"


def _cpu(r: dict[str, Any]) -> str:
    if "worker_cpu_s_per_1000" not in r:
        return ""
    load = r.get("load_before")
    return (f"; CPU s/1000 jobs: worker {r['worker_cpu_s_per_1000']:.3f}, postgres "
            f"{r['pg_cpu_s_per_1000']:.3f}" + (f"; load {load[0]:.2f}" if load else ""))


def _f(value: Any, fmt: str = ",.0f") -> str:
    return "—" if value is None else format(value, fmt)


def print_tables(report: dict[str, Any]) -> None:
    res, p = report["results"], report["params"]
    where = report["machine"].get("server", report["backend"])
    out.print(f"[bold]jobdock bench[/] — {report['backend']} ({where}), one worker process, "
              f"concurrency {report['concurrency']}, {report['handler']} handlers, "
              f"{report['machine']['cpus']} CPUs, Python {report['machine']['python']}")
    if "w1" in res:
        r = res["w1"]
        t = Table(title=f"W1 throughput ({p['n']:,} no-op jobs)")
        for c in ("single enqueue jobs/s", "bulk enqueue jobs/s", "drain jobs/s", "completed"):
            t.add_column(c, justify="right")
        if "error" in r:
            t.add_row("error", r["error"], "", "")
        else:
            t.add_row(_f(r["single_enqueue_per_s"]), _f(r["bulk_enqueue_per_s"]),
                      _f(r.get("drain_per_s")), f"{r['completed']}/{r['jobs']}")
        out.print(t)
    if "w2" in res:
        r = res["w2"]
        t = Table(title=f"W2 enqueue-to-start latency ({p['rate']:g}/s for {p['duration']:g} s)")
        for c in ("p50 ms", "p95 ms", "p99 ms", "max ms", "completed"):
            t.add_column(c, justify="right")
        if "error" in r:
            t.add_row("error", r["error"], "", "", "")
        else:
            t.add_row(*(_f(r[k], ".1f") for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")),
                      f"{r['completed']}/{r['jobs']}")
        out.print(t)
    if "w3" in res:
        r = res["w3"]
        t = Table(title=f"W3 steps ({p['w3_jobs']:,} jobs x 8 stages, JobContext.update_progress)")
        for c in ("jobs/s with progress", "jobs/s baseline", "overhead µs/step",
                  "µs per progress call"):
            t.add_column(c, justify="right")
        if "jobs_per_s" in r:
            t.add_row(_f(r["jobs_per_s"]), _f(r["base_jobs_per_s"]),
                      _f(r["step_overhead_us"]), _f(r["step_call_us"], ".1f"))
        else:
            t.add_row("error", str(r.get("error", "incomplete")), "", "")
        out.print(t)
