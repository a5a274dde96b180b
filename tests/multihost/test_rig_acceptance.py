"""Issue 16's acceptance: 500 staged jobs across three worker hosts, over the network, with
a flaky object store; one host is killed and one cut off from Postgres mid-run.

Every job must complete exactly once with the digest of an uninterrupted run, deleted jobs
must leave no file behind, and the times to recover are reported (printed and written to
``test-artifacts/multihost/acceptance.json``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from collections import Counter
from typing import Any

import pytest

from jobdock.app import Dock
from jobdock.jobs.model import NewJob
from jobdock.settings import Settings
from tests.multihost.jobtypes import uninterrupted_digest
from tests.multihost.observe import Observer, until
from tests.multihost.rig import ROOT, Rig

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("multihost"), pytest.mark.timeout(400)]

N_JOBS = 500
JOB = {"stages": 3, "steps": 2, "step_seconds": 0.05}
PARTITION_SECONDS = 10.0  # > the rig's heartbeat timeout (3 s) plus a rescue round (2 s)
N_DELETED = 20
ARTIFACT = ROOT / "test-artifacts" / "multihost" / "acceptance.json"


def aggregate_digest(pairs: list[tuple[int, str]]) -> str:
    return hashlib.sha256("".join(f"{s}:{d}\n" for s, d in sorted(pairs)).encode()).hexdigest()


async def test_500_jobs_three_hosts_one_killed_one_partitioned(rig: Rig) -> None:
    rig.set_faults(delay=0.05, drop=0.02, error503=0.05)
    observer = Observer(rig.database_url(inside=False))
    dock = await Dock.open(Settings(database_url=rig.database_url(inside=False),
                                    storage_url=rig.storage_url(inside=False),
                                    imports=["tests.multihost.jobtypes"]))
    report: dict[str, Any] = {"jobs": N_JOBS, "job": JOB, "faults": json.loads(
        rig.faults_file.read_text()), "heartbeat_timeout": rig.heartbeat_timeout}
    try:
        await dock.admin.submit_many([NewJob("rig_staged", {"seed": i, **JOB})
                                      for i in range(N_JOBS)])
        started = time.monotonic()
        pids = {h.name: rig.start_worker(h, "--concurrency", "8").pid for h in rig.worker_hosts}
        rig.start_web()
        await _kill_one_host(rig, observer, pids["w1"], report)
        deleted = await _delete_some(dock, observer, report)
        report["deleted"] = len(deleted)
        await _partition_one_host(rig, observer, pids["w2"], report)
        # a job that failed transiently comes back after its backoff (30 s): wait for it too
        await until(lambda: observer.counts()["completed"] == N_JOBS - len(deleted), 180,
                    "every job to complete")
        report["total_seconds"] = round(time.monotonic() - started, 1)
        report["w2_alive_after_heal"] = rig.procs["w2"][0].poll() is None
        report["proxy"] = rig.proxy_stats()
        await _check_results(rig, observer, dock, deleted, report)
        report["web_counts"] = rig.web_get("/api/counts")
        assert report["web_counts"]["completed"] == N_JOBS - len(deleted)
    finally:
        ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
        ARTIFACT.write_text(json.dumps(report, indent=2, default=str))
        print(json.dumps(report, indent=2, default=str))
        observer.close()
        await dock.close()


async def _kill_one_host(rig: Rig, observer: Observer, pid: int,
                         report: dict[str, Any]) -> None:
    await until(lambda: observer.counts()["completed"] >= N_JOBS // 5 and
                bool(observer.held_by(pid)), 120, "a fifth of the jobs, and w1 busy")
    killed = rig.kill_host(rig.host("w1"))
    held = observer.held_by(pid)  # after the kill: the host can claim no more
    recovered = await until(lambda: not observer.still_held(held, pid), 60,
                            "the killed host's jobs to be rescued")
    report["kill"] = {"processes_killed": killed, "jobs_held": len(held),
                      "seconds_to_rescue": round(recovered, 2)}


async def _delete_some(dock: Dock, observer: Observer,
                       report: dict[str, Any]) -> set[uuid.UUID]:
    """Delete jobs mid-run: some still pending, some running (their worker deletes them).

    A running job that completed before its worker read the request used to stay
    completed (fixed; ``test_stale_writes.py``); should it happen, delete it again, as an
    operator would, and count it.
    """
    rows = [r for r in observer.jobs() if r["status"] in ("pending", "processing")]
    running = [r["id"] for r in rows if r["status"] == "processing"][: N_DELETED // 2]
    pending = [r["id"] for r in rows if r["status"] == "pending"][-(N_DELETED - len(running)):]
    for job_id in (*running, *pending):
        await dock.admin.cancel_and_delete_job(job_id)
    doomed = set(running) | set(pending)
    left: list[tuple[Any, ...]] = []
    completed_anyway: set[uuid.UUID] = set()

    def gone() -> bool:
        left[:] = [(r["id"], r["status"], r["worker_id"]) for r in observer.jobs()
                   if r["id"] in doomed]
        completed_anyway.update(i for i, status, _ in left if status == "completed")
        return not left or all(status == "completed" for _, status, _ in left)

    try:
        await until(gone, 60, "the deleted jobs to be gone", every=0.5)
        for job_id in completed_anyway & {i for i, _, _ in left}:
            assert (await dock.admin.cancel_and_delete_job(job_id))["deleted"]
        await until(gone, 10, "the deleted jobs to be gone")
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {left}") from None
    report["deleted_running_but_completed_first"] = sorted(str(i) for i in completed_anyway)
    return doomed


async def _partition_one_host(rig: Rig, observer: Observer, pid: int,
                              report: dict[str, Any]) -> None:
    await until(lambda: observer.counts()["completed"] >= N_JOBS // 2 and
                bool(observer.held_by(pid)), 120, "half of the jobs, and w2 busy")
    w2, pg = rig.host("w2"), rig.host("pg")
    cut = time.monotonic()
    rig.partition(w2, pg)
    try:
        held = observer.held_by(pid)  # after the cut: the host can claim no more
        rescued = await until(lambda: not observer.still_held(held, pid), 60,
                              "the cut-off host's jobs to be rescued")
        await until(lambda: time.monotonic() - cut >= PARTITION_SECONDS, 60, "the partition")
    finally:
        rig.heal(w2, pg)
        healed_at = time.time()
    report["partition"] = {"healed_at": healed_at, "seconds": PARTITION_SECONDS,
                           "jobs_held": len(held),
                           "seconds_to_rescue": round(rescued, 2), "held_ids": held}


async def _check_results(rig: Rig, observer: Observer, dock: Dock, deleted: set[uuid.UUID],
                   report: dict[str, Any]) -> None:
    jobs = observer.jobs()
    statuses = Counter(j["status"] for j in jobs)
    report["statuses"] = dict(statuses)
    assert statuses == Counter({"completed": N_JOBS - len(deleted)}), \
        [(j["id"], j["status"], j["error_message"]) for j in jobs if j["status"] != "completed"]
    seeds = [j["input_data"]["seed"] for j in jobs]
    assert len(set(seeds)) == len(seeds), "a job was duplicated"
    expected = [(s, uninterrupted_digest(s, JOB["stages"], JOB["steps"])) for s in seeds]
    got = [(j["input_data"]["seed"], j["output_data"]["digest"]) for j in jobs]
    report["digest"] = aggregate_digest(got)
    assert report["digest"] == aggregate_digest(expected), "a result differs from a clean run"
    _check_exactly_once(rig, jobs, report)
    await _check_storage(rig, dock, observer, jobs, deleted, report)
    report["retried_jobs"] = sum(1 for j in jobs if j["retry_count"])
    healed = report["partition"]["healed_at"]
    report["w2_completed_after_heal"] = sum(
        1 for j in jobs if j["output_data"]["host"] == "w2" and
        j["completed_at"].timestamp() > healed)
    logs = "".join(p.read_text() for p in rig.root.glob("worker-*.log"))
    report["deadlocks_in_worker_logs"] = logs.count("deadlock detected")
    # a completion's cleanup that failed (the maintenance sweep finishes it later)
    report["cleanups_failed_in_worker_logs"] = [
        line[:300] for line in logs.splitlines() if "after job completion:" in line]
    report["rescued_jobs"] = sum(1 for j in jobs if (j["metadata"] or {}).get("rescue_count"))


def _check_exactly_once(rig: Rig, jobs: list[dict[str, Any]], report: dict[str, Any]) -> None:
    """One recorded completion per job, by a run that really finished; a run of the
    cut-off host that finished after losing its jobs must not be the one recorded."""
    lines = [line.split() for line in rig.trace_file.read_text().splitlines()]
    finished: dict[str, list[tuple[str, str]]] = {}
    for _, job_id, run, host in lines:
        finished.setdefault(job_id, []).append((run, host))
    held_w2 = {str(i) for i in report["partition"]["held_ids"]}
    twice = {j for j, runs in finished.items() if len(runs) > 1}
    report["stale_runs_finished_unrecorded"] = len(twice)
    assert twice <= held_w2, "a job ran to the end twice though nothing cut its worker off"
    for job in jobs:
        runs = finished.get(str(job["id"]), [])
        assert (job["output_data"]["run"], job["output_data"]["host"]) in runs


async def _check_storage(rig: Rig, dock: Dock, observer: Observer,
                         jobs: list[dict[str, Any]], deleted: set[uuid.UUID],
                         report: dict[str, Any]) -> None:
    """Only each completed job's final result is left: no checkpoint, no cursor, and
    nothing at all of a deleted job, in the object store or in the file records.

    A job's worker deletes its checkpoints after recording its completion, in the
    background, and the maintenance sweep (every 60 s) finishes a cleanup that did not
    happen (a worker killed or cut off in between): the last jobs' cleanup may still be
    under way when every job reads completed. So a leftover whose file record still
    exists is waited for (polling, up to a sweep and a half); a leftover with no record
    can never be cleaned and fails at once.

    Known gaps, counted and allowed only where they can come from; any other file fails
    (nothing at all of a deleted job is ever allowed):
    - a run of the cut-off host whose file record went through just before the cut (its
      answer arriving after the heal) puts one more checkpoint of a job rescued meanwhile:
      the ownership fence is at record time, not at put time. Only under the jobs that
      host held.
    - the killed host's worker may have recorded a completion and died before deleting
      the job's checkpoints (xfail in ``test_stale_writes.py``). Only under jobs
      completed by that host, and only checkpoints and cursors.
    """
    held = {str(i) for i in report["partition"]["held_ids"]}
    by_killed = {str(j["id"]) for j in jobs if j["output_data"]["host"] == "w1"}
    by_id = {str(j["id"]): j for j in jobs}

    def unexplained(keys: list[str]) -> list[str]:
        expected = {f"jobs/{j['id']}/result.json" for j in jobs}
        return [k for k in sorted(set(keys) - expected)
                if k.split("/")[1] not in held | by_killed or k.endswith("/result.json")]

    def orphans(pending: list[str]) -> list[str]:
        """Of ``pending``, the files no record points at (read records, then list again:
        a cleanup deletes the file before it forgets the record)."""
        recorded = {k for _, k, _ in observer.files()}
        return [k for k in unexplained(dock.storage.list()) if k in pending and
                k not in recorded]

    pending = unexplained(dock.storage.list())
    first = sorted({k.split("/")[1] for k in pending})
    report["cleanup_pending_when_all_completed"] = [
        {"job": i, "host": by_id[i]["output_data"]["host"] if i in by_id else None,
         "completed_after_heal_s": round(by_id[i]["completed_at"].timestamp() -
                                         report["partition"]["healed_at"], 2)
         if i in by_id else None} for i in first]
    waited = time.monotonic()
    while pending:
        lost = orphans(pending)
        assert not lost, f"{len(lost)} file(s) left behind with no record, e.g. {lost[:5]}"
        if time.monotonic() - waited > 90:
            break
        await asyncio.sleep(0.5)
        pending = unexplained(dock.storage.list())
    report["seconds_until_cleaned_up"] = round(time.monotonic() - waited, 1)
    if first:  # what the workers said about those jobs
        logs = [line for p in sorted(rig.root.glob("worker-*.log"))
                for line in p.read_text(errors="replace").splitlines()]
        report["worker_log_of_pending_cleanups"] = {
            i: [line[:300] for line in logs if i in line][-8:] for i in first}
    assert not pending, f"{len(pending)} file(s) left behind, e.g. {pending[:5]}"
    keys = dock.storage.list()
    expected = {f"jobs/{j['id']}/result.json" for j in jobs}
    assert expected <= set(keys), "a completed job's result is missing"
    of_deleted = [k for k in keys if k.split("/")[1] in {str(d) for d in deleted}]
    # A job deleted after it completed takes its own jobs/{id}/ files with it too
    # (test_stale_writes.py::test_deleting_a_completed_job_leaves_no_file).
    assert not of_deleted, f"files of deleted jobs left behind: {of_deleted[:5]}"
    leftovers = sorted(set(keys) - expected)
    report["stale_files_left_by_cut_off_host"] = [k for k in leftovers
                                                  if k.split("/")[1] in held]
    report["checkpoints_left_by_killed_host"] = [k for k in leftovers
                                                 if k.split("/")[1] in by_killed]
    records = {(str(j), k, f) for j, k, f in observer.files()}
    finals = {(str(j["id"]), f"jobs/{j['id']}/result.json", True) for j in jobs}
    assert finals <= records
    # A record whose file is gone is harmless by design (a worker killed between deleting
    # files and forgetting them); count those.
    report["file_records_without_file"] = len({k for _, k, _ in records} - set(keys))
    for job in jobs[:50]:  # the stored result is the recorded one
        raw = dock.storage.get(f"jobs/{job['id']}/result.json")
        assert raw is not None and json.loads(raw)["digest"] == job["output_data"]["digest"]
