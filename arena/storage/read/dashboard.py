"""Read-only aggregates for the dashboard: costs, outcome rates, worker health, audit trail, execution trail.

Every number is aggregated in the database (one statement per tile), so the Overview stays fast as runs pile up.
Times are UTC; "today" starts at UTC midnight, the same day the powerful-call budget counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from arena.kernel.clock import utc_day_start
from arena.kernel.kinds import FinalAction, RunMode
from arena.kernel.lifecycles import ACTIVE_RUN_STATUSES, FINAL_RUN_STATUSES
from arena.kernel.states import CallStatus, ExecutionOutcome, RequestState, RunStatus, WorkerRole
from arena.storage.models import (
    AgentProfile,
    AgentProfileVersion,
    ArenaRun,
    Consensus,
    CostTelemetry,
    RunRequest,
    SettingsAudit,
)
from arena.storage.read.values import as_float, optional, project
from arena.storage.repositories.budget import power_calls_used
from arena.storage.repositories.worker import list_heartbeats

BLOCKED_OUTCOMES = (ExecutionOutcome.BLOCKED, ExecutionOutcome.NOT_SIZED)


day_start = utc_day_start  # "today" on the dashboard is the UTC day, like the budgets and caps


@dataclass(frozen=True)
class RunRates:
    """How finished runs ended over a window; the four outcome counts add up to `finished`."""

    finished: int
    passed: int
    blocked: int
    no_trade: int
    failed: int
    completed: int
    escalated: int
    avg_cost_usd: float | None

    def rate(self, count: int) -> float | None:
        return count / self.finished if self.finished else None

    @property
    def escalation_rate(self) -> float | None:
        return self.escalated / self.completed if self.completed else None


@dataclass(frozen=True)
class Overview:
    now: datetime
    window_start: datetime
    runs_total: int
    runs_today: int
    in_flight: int
    cost_today_usd: float
    calls_today: int
    power_calls_today: int
    rates: RunRates


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def run_rates(*, session: Session, since: datetime) -> RunRates:
    """Pass / blocked / NO_TRADE / failed counts of runs created since `since` (queued and running excluded).

    failed = run failed or abandoned; NO_TRADE = completed with final action NO_TRADE; blocked = completed but a
    guardrail (or sizing) stopped the order; pass = every other completed run (BUY/SELL/HOLD that went through).
    """
    completed = ArenaRun.status == RunStatus.COMPLETED
    no_trade = and_(completed, ArenaRun.final_action == FinalAction.NO_TRADE)
    blocked = and_(
        completed,
        func.coalesce(ArenaRun.final_action, "") != FinalAction.NO_TRADE,
        Consensus.outcome.in_(BLOCKED_OUTCOMES),
    )
    row = session.execute(
        select(
            func.count(ArenaRun.id),
            _count_if(completed),
            _count_if(no_trade),
            _count_if(blocked),
            _count_if(ArenaRun.status.in_((RunStatus.FAILED, RunStatus.ABANDONED))),
            _count_if(and_(completed, ArenaRun.escalated)),
            func.avg(ArenaRun.cost_usd),
        )
        .select_from(ArenaRun)
        .outerjoin(Consensus, Consensus.run_id == ArenaRun.id)
        .where(ArenaRun.status.in_(FINAL_RUN_STATUSES), ArenaRun.created_at >= since)
    ).one()
    finished, done, nt, bl, failed, escalated = (int(v or 0) for v in row[:6])
    return RunRates(
        finished=finished,
        passed=done - nt - bl,
        blocked=bl,
        no_trade=nt,
        failed=failed,
        completed=done,
        escalated=escalated,
        avg_cost_usd=as_float(row[6]),
    )


def overview(*, session: Session, now: datetime | None = None, window: timedelta = timedelta(days=7)) -> Overview:
    """The Overview tiles: today's cost and runs, the rates over `window`, powerful calls used today."""
    now = now or datetime.now(UTC)
    today = day_start(now)
    runs_total, runs_today, in_flight = session.execute(
        select(
            func.count(ArenaRun.id),
            _count_if(ArenaRun.created_at >= today),
            _count_if(ArenaRun.status.in_(ACTIVE_RUN_STATUSES)),
        )
    ).one()
    cost, calls = session.execute(
        select(func.coalesce(func.sum(CostTelemetry.cost_usd), 0), func.count(CostTelemetry.id)).where(
            CostTelemetry.created_at >= today
        )
    ).one()
    return Overview(
        now=now,
        window_start=now - window,
        runs_total=int(runs_total or 0),
        runs_today=int(runs_today or 0),
        in_flight=int(in_flight or 0),
        cost_today_usd=float(cost or 0),
        calls_today=int(calls or 0),
        power_calls_today=power_calls_used(session=session, day=today.date().isoformat()),
        rates=run_rates(session=session, since=now - window),
    )


def _day_bucket(session: Session, column: Any) -> Any:
    """The UTC calendar day of a timestamp as 'YYYY-MM-DD', computed by the database."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", column)  # SQLite stores UTC text 'YYYY-MM-DD HH:MM:SS…'


@dataclass(frozen=True, slots=True)
class CostPoint:
    """LLM spend of one model on one UTC day."""

    day: date
    model: str
    cost_usd: float
    calls: int
    unpriced_calls: int


def cost_over_time(*, session: Session, since: datetime) -> list[CostPoint]:
    """LLM spend and calls per UTC day and model since `since` (failed calls counted; unpriced cost is 0)."""
    day = _day_bucket(session, CostTelemetry.created_at).label("day")
    rows = session.execute(
        select(
            day,
            CostTelemetry.model,
            func.coalesce(func.sum(CostTelemetry.cost_usd), 0),
            func.count(CostTelemetry.id),
            _count_if(CostTelemetry.cost_usd.is_(None)),
        )
        .where(CostTelemetry.created_at >= since)
        .group_by(day, CostTelemetry.model)
        .order_by(day, CostTelemetry.model)
    ).all()
    return [
        CostPoint(day=date.fromisoformat(d), model=m, cost_usd=float(c or 0), calls=int(n), unpriced_calls=int(u or 0))
        for d, m, c, n, u in rows
    ]


@dataclass(frozen=True, slots=True)
class WorkerBeat:
    """A worker's latest heartbeat. `role` is what the worker reported (starting, standby, active, stopping, stopped)."""

    worker_id: str
    hostname: str
    pid: int
    role: WorkerRole
    detail: str | None
    started_at: datetime
    heartbeat_at: datetime


def worker_heartbeats(*, session: Session) -> list[WorkerBeat]:
    """Every worker that ever reported, newest heartbeat first."""
    return [project(WorkerBeat, r) for r in list_heartbeats(session=session)]


@dataclass(frozen=True, slots=True)
class RunProgress:
    """Where a queued or running run is: its status, queue state, and the LLM calls recorded so far."""

    run_id: str
    trace_id: str
    status: RunStatus
    queue_state: RequestState | None
    claimed_by: str | None
    symbols: list[str]
    mode: RunMode
    final_action: FinalAction | None
    error: str | None
    llm_calls: int
    failed_calls: int
    cost_usd: float | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def run_progress(*, session: Session, run_id: str) -> RunProgress | None:
    """A queued or running run's progress: status, queue state, LLM calls and agent answers recorded so far."""
    row = session.execute(
        select(ArenaRun, RunRequest.state, RunRequest.claimed_by)
        .outerjoin(RunRequest, RunRequest.run_id == ArenaRun.id)
        .where(ArenaRun.id == run_id)
    ).first()
    if row is None:
        return None
    run, queue_state, claimed_by = row
    calls, failed_calls, cost = session.execute(
        select(
            func.count(CostTelemetry.id),
            _count_if(CostTelemetry.status != CallStatus.OK),
            func.sum(CostTelemetry.cost_usd),
        ).where(CostTelemetry.run_id == run_id)
    ).one()
    return RunProgress(
        run_id=run.id,
        trace_id=run.trace_id,
        status=RunStatus(run.status),
        queue_state=optional(RequestState, queue_state),
        claimed_by=claimed_by or run.worker_id,
        symbols=run.symbols,
        mode=RunMode(run.mode),
        final_action=optional(FinalAction, run.final_action),
        error=run.error,
        llm_calls=int(calls or 0),
        failed_calls=int(failed_calls or 0),
        cost_usd=as_float(cost),
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )


def profile_version_numbers(*, session: Session, version_ids: Iterable[int]) -> dict[int, int]:
    """{profile_version_id: version number} for the versions a run used."""
    ids = sorted(set(version_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(AgentProfileVersion.id, AgentProfileVersion.version).where(AgentProfileVersion.id.in_(ids))
    ).all()
    return {int(i): int(v) for i, v in rows}


@dataclass(frozen=True, slots=True)
class ProfileUsage:
    """One profile's LLM spend and calls (all its versions) over a period."""

    cost_usd: float = 0.0
    calls: int = 0


def profile_usage(*, session: Session, since: datetime) -> dict[str, ProfileUsage]:
    """Per profile name (all its versions): LLM spend and calls since `since`, for budgets vs usage."""
    rows = session.execute(
        select(
            AgentProfile.name,
            func.coalesce(func.sum(CostTelemetry.cost_usd), 0),
            func.count(CostTelemetry.id),
        )
        .join(AgentProfileVersion, AgentProfileVersion.profile_id == AgentProfile.id)
        .join(CostTelemetry, CostTelemetry.profile_version_id == AgentProfileVersion.id)
        .where(CostTelemetry.created_at >= since)
        .group_by(AgentProfile.name)
    ).all()
    return {name: ProfileUsage(cost_usd=float(cost or 0), calls=int(calls)) for name, cost, calls in rows}


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One settings change; `before`/`after` are the stored JSON values (None when created / deleted)."""

    at: datetime
    actor: str
    entity: str
    key: str
    before: Any
    after: Any


def audit_log(
    *, session: Session, entities: Iterable[str] | None = None, key: str | None = None, limit: int = 100
) -> list[AuditEntry]:
    """Settings changes, newest first: who, when, what, before → after."""
    stmt = select(SettingsAudit).order_by(SettingsAudit.at.desc(), SettingsAudit.id.desc()).limit(limit)
    if entities is not None:
        stmt = stmt.where(SettingsAudit.entity.in_(list(entities)))
    if key is not None:
        stmt = stmt.where(SettingsAudit.entity_key == key)
    return [
        AuditEntry(at=r.at, actor=r.actor, entity=r.entity, key=r.entity_key, before=r.before, after=r.after)
        for r in session.scalars(stmt)
    ]
