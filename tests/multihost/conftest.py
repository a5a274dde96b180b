"""The multi-host rig as a fixture; it skips (with the reason) where namespaces cannot be
made, except as root under CI=true, where the rig must work and a failure to build it fails."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.multihost.rig import ROOT, Rig, why_rig_unavailable

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_rig() -> None:
    problem = why_rig_unavailable()
    if problem is None:
        return
    if IN_CI and os.geteuid() == 0:
        pytest.fail(f"the multi-host rig must run under CI as root: {problem}")
    pytest.skip(f"multi-host rig unavailable: {problem}")


@pytest.fixture
def rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    """A rig whose logs stay in ``test-artifacts/multihost/<test>/`` when the test fails
    (always with ``JOBDOCK_RIG_KEEP=1``)."""
    require_rig()
    where = ROOT / "test-artifacts" / "multihost" / request.node.name
    shutil.rmtree(where, ignore_errors=True)
    r = Rig(where)
    try:
        yield r.up()
    finally:
        r.down()
    if not getattr(request.node, "rig_failed", True) and not os.environ.get("JOBDOCK_RIG_KEEP"):
        shutil.rmtree(where, ignore_errors=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    if report.when == "call":
        item.rig_failed = report.failed  # type: ignore[attr-defined]
    return report
