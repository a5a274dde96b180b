"""``jobdock types``: the registered job types, their labels, stages and inputs."""

from __future__ import annotations

from typing import Any

import typer

from jobdock.app import ImportFailed, load_job_types
from jobdock.cli.common import console, fail, print_json, settings_of
from jobdock.jobs.inputs import input_fields, input_template
from jobdock.jobs.registry import JobType, default_registry


def describe_type(job_type: JobType) -> dict[str, Any]:
    model = job_type.input_model
    return {"name": job_type.name, "label": job_type.label,
            "description": job_type.description,
            "stages": [s.name for s in job_type.stages],
            "max_retries": job_type.retry.max_retries,
            "input": input_fields(model) if model else None,
            "input_template": input_template(model) if model else None}


def types(ctx: typer.Context,
          as_json: bool = typer.Option(False, "--json", help="Print the types as JSON.")) -> None:
    """List the job types (with --import modules): labels, stages and inputs."""
    try:
        registry = load_job_types(settings_of(ctx).imports, default_registry)
    except ImportFailed as exc:
        fail(str(exc))
    described = [describe_type(t) for t in registry.all()]
    if as_json:
        print_json(described)
        return
    for item in described:
        console.print(f"[bold]{item['name']}[/]  {item['label']}", highlight=False, soft_wrap=True)
        if item["description"]:
            console.print(f"  {item['description']}", highlight=False, soft_wrap=True)
        if item["stages"]:
            console.print(f"  stages: {', '.join(item['stages'])}", highlight=False, soft_wrap=True)
        console.print(f"  input:{_input_text(item['input'])}", highlight=False, soft_wrap=True)
        console.print()


def _input_text(fields: list[dict[str, Any]] | None) -> str:
    if fields is None:
        return " any JSON object (no model declared)"
    lines = []
    for field in fields:
        default = "required" if field["required"] else f"default {field['default']!r}"
        about = f" — {field['description']}" if field["description"] else ""
        lines.append(f"\n    {field['name']}: {field['type']} ({default}){about}")
    return "".join(lines) if lines else " {} (no fields)"
