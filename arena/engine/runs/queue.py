"""The worker's side of the run queue: claim a request, close it, and clean up after a lost worker.

Exactly-once: a request is claimed by one guarded UPDATE (queued → claimed, only while the claimer holds the
lease), and `execute_run` then moves the run queued → running with another guarded UPDATE. Either step fails for
the second of two contenders, so no run is ever executed twice.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from arena.engine.runs.lease import LEASE_NAME, WORKER_PREFIX
from arena.kernel.clock import utcnow
from arena.kernel.ids import RunId
from arena.kernel.lifecycles import FINAL_RUN_STATUSES, RUN_TRANSITIONS
from arena.kernel.states import RunStatus
from arena.storage.models import ArenaRun
from arena.storage.models.runs import RUN_ERROR_MAX_CHARS
from arena.storage.repositories import queue as repo
from arena.storage.repositories import runs
from arena.storage.repositories.worker import db_now

log = logging.getLogger("arena.queue")


@dataclass(frozen=True)
class Claim:
    request_id: int
    run_id: RunId


@dataclass
class Recovery:
    """What a worker cleaned up when it took the lease over."""

    abandoned: list[RunId] = field(default_factory=list)
    requeued: list[RunId] = field(default_factory=list)
    closed: list[RunId] = field(default_factory=list)


ABANDONABLE = frozenset(s for s, allowed in RUN_TRANSITIONS.items() if RunStatus.ABANDONED in allowed)


def claim_next(
    *, sessions: sessionmaker[Session], worker_id: str, lease_name: str = LEASE_NAME, scan: int = 10
) -> Claim | None:
    """Claim the oldest queued request, or None when the queue is empty (or the lease is no longer ours)."""
    with sessions() as session, session.begin():
        now = db_now(session=session)
        for request in repo.queued_requests(session=session, limit=scan):
            if repo.claim_request(
                session=session, request_id=request.id, worker_id=worker_id, now=now, lease_name=lease_name
            ):
                return Claim(request.id, RunId(request.run_id))
    return None


def finish(*, sessions: sessionmaker[Session], run_id: str) -> None:
    with sessions() as session, session.begin():
        repo.finish_request(session=session, run_id=run_id)


def requeue(*, sessions: sessionmaker[Session], run_id: str, worker_id: str) -> bool:
    """Put a request `worker_id` claimed but never started back on the queue (no-op once someone else has it)."""
    with sessions() as session, session.begin():
        return repo.requeue_request(session=session, run_id=run_id, claimed_by=worker_id)


def abandon(*, sessions: sessionmaker[Session], run_id: str, reason: str) -> bool:
    """queued/running → abandoned with `reason` (guarded: a run that already finished is left alone)."""
    with sessions() as session, session.begin():
        return abandon_in(session, run_id, reason)


def abandon_in(session: Session, run_id: str, reason: str) -> bool:
    """`abandon` inside the caller's transaction (recovery and the overdue sweeper)."""
    run = session.get(ArenaRun, run_id)
    if run is None or run.status not in ABANDONABLE:
        return False
    moved = runs.move_run(
        session=session,
        run_id=run_id,
        from_status=run.status,
        to_status=RunStatus.ABANDONED,
        values={"error": reason[:RUN_ERROR_MAX_CHARS], "finished_at": utcnow()},
    )
    if moved:
        repo.finish_request(session=session, run_id=run_id)
    return moved


def recover_after_takeover(*, sessions: sessionmaker[Session], worker_id: str, keep: Collection[str] = ()) -> Recovery:
    """Run once by a worker that has just taken the lease, before it schedules or claims anything.

    - runs left `running` by another worker process are marked abandoned ("worker <id> lost its lease");
    - runs a lost worker's scheduled cycle created but never started are abandoned too;
    - requests another worker claimed go back to the queue when their run never started, else are closed;
    - the same for this worker's own runs and claims that are not in flight here (`keep`): after a database
      outage longer than the lease it cancelled them, but could not write that down until now.
    """
    out = Recovery()
    with sessions() as session, session.begin():
        for run_id, owner in repo.running_runs_not_by(
            session=session, worker_id=worker_id, worker_prefix=WORKER_PREFIX
        ):
            if abandon_in(session, run_id, f"worker {owner} lost its lease"):
                out.abandoned.append(RunId(run_id))
        for run_id in repo.unstarted_scheduled_runs(session=session):
            if abandon_in(
                session, run_id, "scheduled cycle interrupted: its worker lost the lease before the run started"
            ):
                out.abandoned.append(RunId(run_id))
        for run_id, status, claimer in repo.claims_not_by(session=session, worker_id=worker_id):
            if status == RunStatus.QUEUED:
                repo.requeue_request(session=session, run_id=run_id, claimed_by=claimer)
                out.requeued.append(RunId(run_id))
            else:
                repo.finish_request(session=session, run_id=run_id)
                out.closed.append(RunId(run_id))
        _settle_own(session, worker_id, set(keep), own_lease_lost_reason(worker_id), out)
    _log_recovery("took over", out)
    return out


def own_lease_lost_reason(worker_id: str) -> str:
    return (
        f"worker {worker_id} lost its lease while running it (database unreachable or renewals missed); "
        "settled when it took the lease back"
    )


def settle_own(*, sessions: sessionmaker[Session], worker_id: str, reason: str, keep: Collection[str] = ()) -> Recovery:
    """This worker's runs and claims not in flight here (`keep`): abandon, requeue or close them (at a stop)."""
    out = Recovery()
    with sessions() as session, session.begin():
        _settle_own(session, worker_id, set(keep), reason, out)
    _log_recovery(f"worker {worker_id} settled its own work", out)
    return out


def _settle_own(session: Session, worker_id: str, keep: set[str], reason: str, out: Recovery) -> None:
    """Same rules as for a lost worker: a started run is abandoned, an unstarted claim goes back to the queue."""
    for run_id in repo.running_runs_of(session=session, worker_id=worker_id):
        if run_id not in keep and abandon_in(session, run_id, reason):
            out.abandoned.append(RunId(run_id))
    for run_id, status in repo.claims_by(session=session, worker_id=worker_id):
        if run_id in keep:
            continue
        if status == RunStatus.QUEUED:
            if repo.requeue_request(session=session, run_id=run_id, claimed_by=worker_id):
                out.requeued.append(RunId(run_id))
        elif status in FINAL_RUN_STATUSES:
            repo.finish_request(session=session, run_id=run_id)
            out.closed.append(RunId(run_id))


def _log_recovery(what: str, out: Recovery) -> None:
    if out.abandoned or out.requeued or out.closed:
        log.warning(
            "%s: %d stale run(s) abandoned, %d request(s) requeued, %d closed",
            what,
            len(out.abandoned),
            len(out.requeued),
            len(out.closed),
        )


def queue_depth(*, sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return repo.queue_depth(session=session)
