"""Issue 14, item 11 on the web: 422 for input the type's model refuses; the submit form
shows the fields and starts from a JSON template."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


async def test_api_refuses_with_422_and_the_form_shows_fields_and_a_template(
        client: httpx.AsyncClient) -> None:
    refused = await client.post("/api/jobs", json={"job_type": "staged_sleep",
                                                   "input_data": {"stages": "x"}})
    assert refused.status_code == 422 and "stages" in refused.json()["detail"]
    form = await client.post("/submit", data={"job_type": "staged_sleep",
                                              "input_json": '{"stages": "x"}'})
    assert form.status_code == 422 and "invalid input for staged_sleep" in form.text
    page = (await client.get("/submit")).text
    assert 'data-input-for="staged_sleep"' in page and "steps_per_stage" in page
    assert "&#34;stages&#34;: 8" in page  # the template, prefilled
    types = {t["name"]: t for t in (await client.get("/api/job-types")).json()}
    assert types["staged_sleep"]["input_schema"]["properties"]["stages"]["type"] == "integer"
