"""One action vocabulary: the table in jobs.states drives the admin checks, the web
buttons and confirmations, the API routes and the CLI commands."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import typer

from jobdock.admin.service import DELETE_METHOD, TRANSITION_METHODS, AdminService
from jobdock.jobs.model import Job, JobStatus
from jobdock.jobs.states import (
    ACTIONS,
    ADMIN_ACTIONS,
    IllegalTransition,
    can_transition,
    check_action,
)


def _job(status: JobStatus, checkpoint: str | None = None) -> Job:
    now = datetime.now(UTC)
    return Job(id=uuid.uuid4(), user_id=None, job_type="noop", entity_type=None,
               entity_id=None, status=status, progress={}, input_data={}, output_data=None,
               metadata={}, error_message=None, error_type=None, retry_count=0,
               max_retries=3, next_retry_at=None, priority=0, run_at=now, created_at=now,
               updated_at=now, started_at=None, completed_at=None, heartbeat_at=None,
               worker_id=None, pause_requested_at=None, cancel_requested_at=None,
               paused_at=None, pause_reason=None, resumed_at=None, resume_count=0,
               last_checkpoint_path=checkpoint, last_checkpoint_stage=None,
               checkpoint_hash=None)


def test_every_action_is_a_transition_of_the_state_machine() -> None:
    for action in ACTIONS.values():
        assert action.sources, action.verb
        if action.target is not None:
            for source in action.sources:
                assert can_transition(source, action.target), (action.verb, source)
    assert {v: (a.sources, a.target) for v, a in ACTIONS.items()
                             if a.target is not None} == ADMIN_ACTIONS


@pytest.mark.parametrize("status", list(JobStatus))
def test_admin_checks_derive_from_the_table(status: JobStatus) -> None:
    assert set(TRANSITION_METHODS) == set(ADMIN_ACTIONS)
    assert set(DELETE_METHOD) == {v for v, a in ACTIONS.items() if a.target is None}
    for method in (*TRANSITION_METHODS.values(), *DELETE_METHOD.values()):
        assert callable(getattr(AdminService, method))
    for verb in ADMIN_ACTIONS:
        if ACTIONS[verb].allowed_from(status):
            check_action("j", status, verb)
        else:
            with pytest.raises(IllegalTransition):
                check_action("j", status, verb)


@pytest.mark.parametrize("status", list(JobStatus))
def test_web_buttons_and_confirmations_derive_from_the_table(status: JobStatus) -> None:
    from jobdock.web.pages import DESTRUCTIVE
    from jobdock.web.views import actions_for

    buttons = actions_for(_job(status))
    assert [verb for verb, _, _ in buttons] == \
        [verb for verb, a in ACTIONS.items() if a.allowed_from(status)]
    for verb, label, confirm in buttons:
        assert label == ACTIONS[verb].label and confirm == ACTIONS[verb].confirm
        if confirm:
            assert DESTRUCTIVE[verb] == confirm
    assert ("retry", "Resume from checkpoint", None) in actions_for(
        _job(JobStatus.FAILED, checkpoint="jobs/x/stage-a.json"))


def test_the_api_has_a_route_per_action() -> None:
    from jobdock.web.api import router

    posts = {route.path for route in router.routes  # type: ignore[attr-defined]
             if "POST" in getattr(route, "methods", set())}
    for verb in ACTIONS:
        assert f"/api/jobs/{{job_id}}/{verb}" in posts, verb


def test_the_cli_has_a_command_per_action() -> None:
    from jobdock.cli.jobs import app

    names = {c.name or (c.callback.__name__ if c.callback else "")
             for c in app.registered_commands}
    assert set(ACTIONS) <= names, set(ACTIONS) - names
    assert isinstance(app, typer.Typer)
