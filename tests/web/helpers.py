"""Small helpers shared by the web tests."""

from __future__ import annotations

from typing import Any

import httpx

SLOW_SLEEP = {"stages": 4, "steps_per_stage": 20, "step_seconds": 0.1}


async def submit(client: httpx.AsyncClient, job_type: str = "noop", **fields: Any
                 ) -> dict[str, Any]:
    response = await client.post("/api/jobs", json={"job_type": job_type, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
