"""The job state machine, written once.

Who moves a job out of each state:

- ``pending``: a worker claims it (processing); an admin pauses (paused), cancels
  (cancelled, then deleted) or force-fails it (failed).
- ``processing``: its worker completes it, fails it, pauses it at a safe point, hands it
  back on shutdown (pending) or stops it on cancel (cancelled); the rescuer hands it
  back when its heartbeat expired (pending); an admin force-fails it (failed).
- ``paused``: an admin resumes (pending), cancels or force-fails it.
- ``failed``: the retry scheduler or an admin retry re-queues it (pending); an admin
  cancels it.
- ``cancelled``: an admin retry re-queues it (pending).
- ``completed``: terminal.

Every transition is a compare-and-set on ``status`` in the store; the table below is
what the admin service checks first, to refuse with a clear message.
"""

from __future__ import annotations

from dataclasses import dataclass

from jobdock.jobs.model import JobStatus

P, R, Z, C, F, X = (
    JobStatus.PENDING,
    JobStatus.PROCESSING,
    JobStatus.PAUSED,
    JobStatus.COMPLETED,
    JobStatus.FAILED,
    JobStatus.CANCELLED,
)

TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    P: frozenset({R, Z, X, F}),
    R: frozenset({C, F, Z, P, X}),
    Z: frozenset({P, X, F}),
    F: frozenset({P, X}),
    X: frozenset({P}),
    C: frozenset(),
}


_PARTICIPLES = {"pause": "paused", "resume": "resumed", "fail": "failed", "retry": "retried",
                "delete": "deleted", "cancel": "cancelled"}


class IllegalTransition(Exception):
    """Raised when an action is not allowed from a job's current status."""

    def __init__(self, job_id: object, status: str, verb: str, allowed: str = "") -> None:
        self.job_id = job_id
        self.status = status
        self.verb = verb
        done = _PARTICIPLES.get(verb, f"{verb}ed")
        hint = f"; only {allowed} jobs can be {done}" if allowed else ""
        super().__init__(f"cannot {verb} job {job_id}: it is {status}{hint}")


def can_transition(current: JobStatus, target: JobStatus) -> bool:
    return target in TRANSITIONS[JobStatus(current)]


@dataclass(frozen=True)
class Action:
    """One thing a person can do to a job, everywhere (admin, web buttons, API, CLI).

    ``target`` None: the job is deleted (cancel). A running job's pause, fail and cancel
    are requests its worker honours at its next safe point.
    """

    verb: str
    sources: frozenset[JobStatus]
    target: JobStatus | None
    label: str
    confirm: str | None = None  # the question asked first, for destructive actions

    def allowed_from(self, status: JobStatus) -> bool:
        return JobStatus(status) in self.sources


# The action vocabulary, in the order buttons are shown. Each (source, target) pair must
# be a transition of the table above (a test checks it, and that every surface derives
# its actions from here).
ACTIONS: dict[str, Action] = {a.verb: a for a in (
    Action("pause", frozenset({P, R}), Z, "Pause"),
    Action("resume", frozenset({Z}), P, "Resume"),
    Action("retry", frozenset({F, X}), P, "Retry"),
    Action("fail", frozenset({P, R, Z}), F, "Force fail", "Force this job to fail?"),
    Action("cancel", frozenset(JobStatus), None, "Cancel & delete",
           "Cancel this job and delete it and its files?"),
)}

# (sources, target) of the actions that move a job to another status.
ADMIN_ACTIONS: dict[str, tuple[frozenset[JobStatus], JobStatus]] = {
    verb: (a.sources, a.target) for verb, a in ACTIONS.items() if a.target is not None}


def check_action(job_id: object, status: JobStatus, verb: str) -> None:
    """Refuse an admin action the job's status does not allow, saying which would."""
    sources = ACTIONS[verb].sources
    if JobStatus(status) not in sources:
        names = [s.value for s in JobStatus if s in sources]
        allowed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
        raise IllegalTransition(job_id, status, verb, allowed)
