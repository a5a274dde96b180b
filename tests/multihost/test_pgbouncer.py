"""PgBouncer (Debian's 1.18) in transaction pooling mode in front of the rig's Postgres:
which of jobdock's uses of Postgres survive it. The answers are pinned, so an upgrade
that changes one (PgBouncer 1.21+ tracks protocol-level prepared statements) shows up.

Findings (see docs/deployment.md, "PgBouncer"): the claim works; prepared statements,
session SETs, LISTEN/NOTIFY and the migrator's session advisory lock do not.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.multihost.conftest import require_rig
from tests.multihost.pgbouncer_probe import probe_all
from tests.multihost.rig import ROOT, Rig

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("multihost")]


@pytest.fixture(scope="module")
def results() -> Iterator[dict[str, tuple[bool, str]]]:
    require_rig()
    if shutil.which("pgbouncer") is None:
        pytest.skip("PgBouncer is not installed (Debian package pgbouncer; make system-deps)")
    rig = Rig(ROOT / "test-artifacts" / "multihost" / "pgbouncer", workers=0,
              object_store=False).up()
    try:
        rig.start_pgbouncer(pool_size=3)
        assert rig.pg is not None
        via = f"postgresql://postgres@/jobdock?host={rig.pg.sockets}&port=6432"
        yield probe_all(via, rig.database_url(inside=False))
    finally:
        rig.down()


@pytest.mark.parametrize("probe", ["prepared statements", "session SET", "LISTEN/NOTIFY",
                                   "session advisory lock"])
def test_does_not_survive_transaction_pooling(results: dict[str, tuple[bool, str]],
                                             probe: str) -> None:
    works, detail = results[probe]
    assert not works, f"{probe} now works through PgBouncer: {detail}; update the docs"


def test_the_claim_survives_transaction_pooling(results: dict[str, tuple[bool, str]]) -> None:
    works, detail = results["claim (UPDATE ... SKIP LOCKED)"]
    assert works, detail
