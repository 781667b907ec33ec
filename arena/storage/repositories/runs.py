"""Run rows: create, move through the lifecycle with guarded updates, store snapshots and results."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from arena.kernel.kinds import ExecutionMode
from arena.kernel.lifecycles import check_run_transition
from arena.kernel.states import RunStatus
from arena.storage.models import AgentDecision, ArenaRun, Consensus, CostTelemetry, RunRequest, Snapshot


def create_run(
    *,
    session: Session,
    trigger: str,
    mode: str,
    symbols: list[str],
    agents: list[str] | None,
    debaters: list[str] | None = None,
    strategy_id: int | None = None,
    cycle_id: str | None = None,
    execution_mode: str = ExecutionMode.ON,
    enqueue: bool = False,
    requested_by: str = "operator",
) -> ArenaRun:
    """A queued run (and its queue row when `enqueue`), flushed so its ids are known."""
    run = ArenaRun(
        trigger=trigger,
        mode=mode,
        symbols=symbols,
        requested_agents=agents,
        requested_debaters=debaters,
        strategy_id=strategy_id,
        cycle_id=cycle_id,
        status=RunStatus.QUEUED,
        execution_mode=execution_mode,
        escalation_reasons=[],
    )
    session.add(run)
    session.flush()
    if enqueue:
        session.add(RunRequest(run_id=run.id, requested_by=requested_by))
        session.flush()
    return run


def move_run(
    *, session: Session, run_id: str, from_status: str, to_status: str, values: dict[str, Any] | None = None
) -> bool:
    """Guarded UPDATE: succeeds only if the run is still in `from_status` (atomic claim/finish).

    The move itself must be one the run transition table allows, else IllegalTransition (nothing is written).
    """
    target = check_run_transition(from_status, to_status)
    result = session.execute(
        update(ArenaRun)
        .where(ArenaRun.id == run_id, ArenaRun.status == RunStatus(from_status))
        .values(status=target, **(values or {}))
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def store_snapshot(*, session: Session, digest: str, kind: str, payload: str) -> None:
    """Insert once per hash; equal inputs share one row."""
    if session.get(Snapshot, digest) is None:
        session.add(Snapshot(hash=digest, kind=kind, payload=payload))
        session.flush()


def add_decisions(*, session: Session, rows: list[AgentDecision]) -> None:
    session.add_all(rows)
    session.flush()


def add_consensus(*, session: Session, row: Consensus) -> None:
    session.add(row)
    session.flush()


def call_totals(*, session: Session, run_id: str) -> tuple[Decimal | None, int, int, int]:
    """(cost or None when no call was priced, tokens in, tokens out, calls) from the telemetry rows."""
    row = session.execute(
        select(
            func.sum(CostTelemetry.cost_usd),
            func.coalesce(func.sum(CostTelemetry.tokens_in), 0),
            func.coalesce(func.sum(CostTelemetry.tokens_out), 0),
            func.count(CostTelemetry.id),
        ).where(CostTelemetry.run_id == run_id)
    ).one()
    cost = Decimal(row[0]) if row[0] is not None else None
    return cost, int(row[1] or 0), int(row[2] or 0), int(row[3] or 0)


def profile_usage_since(*, session: Session, profile_id: int, since: datetime) -> tuple[Decimal, int]:
    """A profile's (all versions') LLM spend and call count since `since`, for its daily budget."""
    from arena.storage.models import AgentProfileVersion

    row = session.execute(
        select(func.coalesce(func.sum(CostTelemetry.cost_usd), 0), func.count(CostTelemetry.id))
        .join(AgentProfileVersion, AgentProfileVersion.id == CostTelemetry.profile_version_id)
        .where(AgentProfileVersion.profile_id == profile_id, CostTelemetry.created_at >= since)
    ).one()
    return Decimal(row[0] or 0), int(row[1] or 0)


def spend_since(*, session: Session, since: datetime) -> Decimal:
    value = session.scalar(
        select(func.coalesce(func.sum(CostTelemetry.cost_usd), 0)).where(CostTelemetry.created_at >= since)
    )
    return Decimal(value or 0)
