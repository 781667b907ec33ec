"""Newest-first run listing with an opaque keyset cursor (stable while new runs keep arriving)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from arena.kernel.errors import BadCursor
from arena.kernel.kinds import FinalAction, RunMode, Trigger
from arena.kernel.states import RunStatus
from arena.storage.models import ArenaRun, Consensus, Strategy
from arena.storage.read.values import project

MAX_LIMIT = 200


@dataclass(frozen=True, slots=True)
class RunListItem:
    """One run in the newest-first listing (the runs table, the run picker, `GET /runs`)."""

    run_id: str
    trace_id: str
    status: RunStatus
    trigger: Trigger
    strategy: str | None
    mode: RunMode
    symbols: list[str]
    final_action: FinalAction | None
    decision_id: str | None
    escalated: bool
    escalation_reasons: list[str]
    cost_usd: float | None
    llm_calls: int
    latency_ms: int | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None


def encode_cursor(created_at: datetime, run_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), run_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, run_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        when = datetime.fromisoformat(created)
        if when.tzinfo is None or not isinstance(run_id, str):
            raise ValueError
        return when, run_id
    except (ValueError, TypeError, json.JSONDecodeError):
        raise BadCursor() from None


def list_runs(
    *, session: Session, limit: int = 50, cursor: str | None = None, strategy_id: int | None = None
) -> tuple[list[RunListItem], str | None]:
    """One page of runs (newest first) and the cursor of the next page, or None at the end."""
    limit = max(1, min(limit, MAX_LIMIT))
    stmt = (
        select(ArenaRun, Consensus.decision_id, Strategy.name)
        .outerjoin(Consensus, Consensus.run_id == ArenaRun.id)
        .outerjoin(Strategy, Strategy.id == ArenaRun.strategy_id)
        .order_by(ArenaRun.created_at.desc(), ArenaRun.id.desc())
        .limit(limit + 1)
    )
    if strategy_id is not None:
        stmt = stmt.where(ArenaRun.strategy_id == strategy_id)
    if cursor is not None:
        created, run_id = decode_cursor(cursor)
        stmt = stmt.where(
            or_(ArenaRun.created_at < created, and_(ArenaRun.created_at == created, ArenaRun.id < run_id))
        )
    rows = session.execute(stmt).all()
    items = [_item(run, decision_id, strategy) for run, decision_id, strategy in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        next_cursor = encode_cursor(last.created_at, last.id)
    return items, next_cursor


def _item(run: ArenaRun, decision_id: str | None, strategy: str | None) -> RunListItem:
    return project(RunListItem, run, run_id=run.id, strategy=strategy, decision_id=decision_id)
