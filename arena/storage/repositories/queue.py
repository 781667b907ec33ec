"""The run queue (ai_run_requests): atomic claims and the look-ups crash recovery needs.

A request moves queued → claimed → done. A claim is one guarded UPDATE (`WHERE state = 'queued'` and the
claimer still holds the scheduler lease), so of two claimers racing for a row exactly one changes it: PostgreSQL
re-checks the condition after the first writer commits, SQLite serialises writers with BEGIN IMMEDIATE.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session

from arena.kernel.kinds import Trigger
from arena.kernel.states import RequestState, RunStatus
from arena.storage.models import ArenaRun, RunRequest, WorkerLease


def queued_requests(*, session: Session, limit: int) -> list[RunRequest]:
    """Oldest first (first come, first served)."""
    return list(
        session.scalars(
            select(RunRequest)
            .where(RunRequest.state == RequestState.QUEUED)
            .order_by(RunRequest.created_at, RunRequest.id)
            .limit(limit)
        )
    )


def claim_request(*, session: Session, request_id: int, worker_id: str, now: datetime, lease_name: str) -> bool:
    """queued → claimed for `worker_id`, only while it holds the lease `lease_name`; False if anyone else won."""
    lease_held = exists().where(
        WorkerLease.name == lease_name, WorkerLease.holder == worker_id, WorkerLease.expires_at > now
    )
    result = session.execute(
        update(RunRequest)
        .where(RunRequest.id == request_id, RunRequest.state == RequestState.QUEUED, lease_held)
        .values(state=RequestState.CLAIMED, claimed_by=worker_id, claimed_at=now)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def finish_request(*, session: Session, run_id: str) -> None:
    """The request's run reached a final state (or can never start): done."""
    session.execute(update(RunRequest).where(RunRequest.run_id == run_id).values(state=RequestState.DONE))


def requeue_request(*, session: Session, run_id: str, claimed_by: str | None) -> bool:
    """claimed (by `claimed_by`) → queued again: its run never started, so the next active worker runs it."""
    owner = RunRequest.claimed_by.is_(None) if claimed_by is None else RunRequest.claimed_by == claimed_by
    result = session.execute(
        update(RunRequest)
        .where(RunRequest.run_id == run_id, RunRequest.state == RequestState.CLAIMED, owner)
        .values(state=RequestState.QUEUED, claimed_by=None, claimed_at=None)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def claims_not_by(*, session: Session, worker_id: str) -> list[tuple[str, str, str | None]]:
    """(run_id, run status, claimed_by) of requests claimed by any worker but `worker_id`."""
    rows = session.execute(
        select(RunRequest.run_id, ArenaRun.status, RunRequest.claimed_by)
        .join(ArenaRun, ArenaRun.id == RunRequest.run_id)
        .where(
            RunRequest.state == RequestState.CLAIMED,
            or_(RunRequest.claimed_by != worker_id, RunRequest.claimed_by.is_(None)),
        )
    )
    return [(r[0], r[1], r[2]) for r in rows]


def running_runs_not_by(*, session: Session, worker_id: str, worker_prefix: str) -> list[tuple[str, str]]:
    """(run_id, worker_id) of runs `running` under another worker process (ids starting with `worker_prefix`).

    Runs executed in-process by `python -m arena run` carry worker_id "cli" and are never touched.
    """
    rows = session.execute(
        select(ArenaRun.id, ArenaRun.worker_id).where(
            ArenaRun.status == RunStatus.RUNNING,
            ArenaRun.worker_id != worker_id,
            ArenaRun.worker_id.startswith(worker_prefix, autoescape=True),
        )
    )
    return [(r[0], r[1] or "") for r in rows]


def unstarted_scheduled_runs(*, session: Session) -> list[str]:
    """Runs a scheduled cycle created but never started (they have no queue row): left by a lost worker."""
    has_request = exists().where(RunRequest.run_id == ArenaRun.id)
    return list(
        session.scalars(
            select(ArenaRun.id).where(
                ArenaRun.status == RunStatus.QUEUED, ArenaRun.trigger == Trigger.SCHEDULE, ~has_request
            )
        )
    )


def queue_depth(*, session: Session) -> int:
    return int(session.scalar(select(func.count(RunRequest.id)).where(RunRequest.state == RequestState.QUEUED)) or 0)


def running_runs_of(*, session: Session, worker_id: str) -> list[str]:
    """Ids of the runs `running` under `worker_id` (a worker settling its own after losing its lease)."""
    return list(
        session.scalars(
            select(ArenaRun.id).where(ArenaRun.status == RunStatus.RUNNING, ArenaRun.worker_id == worker_id)
        )
    )


def claims_by(*, session: Session, worker_id: str) -> list[tuple[str, str]]:
    """(run_id, run status) of the requests `worker_id` holds claimed."""
    rows = session.execute(
        select(RunRequest.run_id, ArenaRun.status)
        .join(ArenaRun, ArenaRun.id == RunRequest.run_id)
        .where(RunRequest.state == RequestState.CLAIMED, RunRequest.claimed_by == worker_id)
    )
    return [(r[0], r[1]) for r in rows]


def running_runs(*, session: Session) -> list[tuple[str, str, datetime | None, str | None]]:
    """(run_id, mode, started_at, worker_id) of every `running` run: what the overdue sweeper checks."""
    rows = session.execute(
        select(ArenaRun.id, ArenaRun.mode, ArenaRun.started_at, ArenaRun.worker_id).where(
            ArenaRun.status == RunStatus.RUNNING
        )
    )
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def claimed_requests(*, session: Session) -> list[tuple[str, str, str, str | None, datetime | None]]:
    """(run_id, run status, run mode, claimed_by, claimed_at) of every `claimed` request."""
    rows = session.execute(
        select(RunRequest.run_id, ArenaRun.status, ArenaRun.mode, RunRequest.claimed_by, RunRequest.claimed_at)
        .join(ArenaRun, ArenaRun.id == RunRequest.run_id)
        .where(RunRequest.state == RequestState.CLAIMED)
    )
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]
