"""Schema-based fuzzing of the OpenAPI spec (schemathesis): no input yields a server error.

Runs every operation's strategy (valid and invalid data) against a live server through
Hypothesis directly; schemathesis's pytest plugin does not load under pytest 9.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.support.web import LiveServer

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning",
                                        "ignore::DeprecationWarning")
EXAMPLES = 60


@pytest.mark.timeout(600)  # 40 operations x 2 modes x EXAMPLES requests on a loaded machine
def test_no_input_causes_a_server_error(idle_server_any: LiveServer) -> None:
    schema = schemathesis.openapi.from_url(idle_server_any.url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    # list, submit, clear, get, 5 actions, counts, types; documents: upload, list, show, export;
    # schedules (3), limits (2),
    # workers, bulk, metrics, healthz; library integrations (12); connections: list, review,
    # detect, reprocess
    assert len(operations) == 40
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)

            @given(case=strategy)
            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def run(case: schemathesis.Case) -> None:
                case.call_and_validate(base_url=idle_server_any.url, checks=[not_a_server_error])

            try:
                run()
            except Unsatisfiable:
                # no invalid input exists (e.g. no parameters at all): nothing to fuzz
                assert mode is GenerationMode.NEGATIVE, operation.label
