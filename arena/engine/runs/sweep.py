"""The overdue sweeper: nothing stays `running` or `claimed` past its deadline, whoever left it there.

The active worker runs `sweep_overdue` every ARENA_WORKER_SWEEP_S (arena/worker/periodic.py). Each kind of
background job that can be left behind is one `SweepableKind` in `SWEEPABLE`; today that is the arena run
(deadline: arena.engine.runs.deadline). Replay and backtest jobs join the list when they are built.

For runs: a run `running` longer than its deadline becomes `abandoned` ("overdue: running for N s, deadline M s");
a request `claimed` longer than its run's deadline whose run never started goes back to the queue (the same rule
as takeover recovery: it still runs once, guarded by queued → running); a claimed request whose run has ended is
closed. `queued` runs are never overdue: they wait for a worker. Every write is guarded, so a run that finished
meanwhile is left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from arena.engine.config.settings import Settings
from arena.engine.runs.deadline import load_policy, run_deadline_s
from arena.engine.runs.queue import abandon_in
from arena.kernel.lifecycles import FINAL_RUN_STATUSES
from arena.kernel.states import RunStatus
from arena.storage.repositories import queue as repo
from arena.storage.repositories.worker import db_now

log = logging.getLogger("arena.queue")


@dataclass
class Swept:
    """What one sweep did to one kind of job (ids)."""

    abandoned: list[str] = field(default_factory=list)
    requeued: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.abandoned or self.requeued or self.closed)


SweepFn = Callable[[Session, Settings, datetime, frozenset[str]], Swept]


@dataclass(frozen=True)
class SweepableKind:
    """A kind of job the sweeper watches: `sweep(session, settings, now, inflight)` ends its overdue rows."""

    name: str
    sweep: SweepFn


def overdue_reason(age_s: float, deadline_s: float) -> str:
    return f"overdue: running for {age_s:.0f} s, deadline {deadline_s:.0f} s"


def _sweep_runs(session: Session, settings: Settings, now: datetime, inflight: frozenset[str]) -> Swept:
    out = Swept()
    policy = load_policy(session=session, settings=settings)
    for run_id, mode, started_at, _worker in repo.running_runs(session=session):
        deadline = run_deadline_s(mode, policy)
        age = (now - started_at).total_seconds() if started_at is not None else 0.0
        if age > deadline and abandon_in(session, run_id, overdue_reason(age, deadline)):
            out.abandoned.append(run_id)
    for run_id, status, mode, claimer, claimed_at in repo.claimed_requests(session=session):
        if run_id in inflight:  # this worker's own, about to start or finishing: not left behind
            continue
        if status in FINAL_RUN_STATUSES:
            repo.finish_request(session=session, run_id=run_id)
            out.closed.append(run_id)
            continue
        never_started = status == RunStatus.QUEUED and _older_than(claimed_at, now, run_deadline_s(mode, policy))
        if never_started and repo.requeue_request(session=session, run_id=run_id, claimed_by=claimer):
            out.requeued.append(run_id)
    return out


def _older_than(moment: datetime | None, now: datetime, seconds: float) -> bool:
    return moment is not None and (now - moment).total_seconds() > seconds


SWEEPABLE: tuple[SweepableKind, ...] = (SweepableKind("run", _sweep_runs),)


def sweep_overdue(
    *,
    sessions: sessionmaker[Session],
    settings: Settings,
    inflight: Collection[str] = (),
    kinds: Collection[SweepableKind] = SWEEPABLE,
) -> dict[str, Swept]:
    """Sweep every kind, each in its own transaction; `inflight`: ids this process is running right now."""
    done: dict[str, Swept] = {}
    for kind in kinds:
        with sessions() as session, session.begin():
            swept = kind.sweep(session, settings, db_now(session=session), frozenset(inflight))
        if swept:
            log.warning(
                "sweeper (%s): %d overdue abandoned, %d requeued, %d closed: %s",
                kind.name,
                len(swept.abandoned),
                len(swept.requeued),
                len(swept.closed),
                ", ".join([*swept.abandoned, *swept.requeued, *swept.closed]),
            )
        done[kind.name] = swept
    return done
