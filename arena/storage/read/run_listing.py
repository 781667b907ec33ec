"""Newest-first run listing with an opaque keyset cursor (stable while new runs keep arriving)."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, String, and_, cast, exists, false, func, or_, select
from sqlalchemy.orm import Session

from arena.kernel.errors import BadCursor
from arena.kernel.kinds import FinalAction, RunMode, Trigger
from arena.kernel.states import ExecutionOutcome, RunStatus
from arena.storage.models import AgentDecision, ArenaRun, Consensus, Strategy
from arena.storage.read.values import optional, project

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


# --- the Runs page's search: the same keyset order, over the whole history, with filters ---------------------


@dataclass(frozen=True, slots=True)
class RunFilters:
    """What the operator narrows the run history by; empty fields filter nothing."""

    statuses: tuple[RunStatus, ...] = ()
    actions: tuple[FinalAction, ...] = ()
    symbol: str | None = None  # one of the run's symbols (exact, upper-case)
    profile: str | None = None  # an agent profile that answered in the run
    escalated: bool | None = None
    since: datetime | None = None  # created at or after (UTC)
    until: datetime | None = None  # created before (UTC)
    run_id_prefix: str | None = None  # the start of a run id (hex), as copied from a log or a link


@dataclass(frozen=True, slots=True)
class RunSearchItem:
    """One run of the search, with what the table needs beyond the listing: the answers and the outcome."""

    run: RunListItem
    agents: int  # agent answers recorded (every phase)
    valid_agents: int  # of which valid or repaired
    outcome: ExecutionOutcome | None  # what became of the final decision (blocked, executed, …)

    @property
    def no_valid_agent(self) -> bool:
        """A finished run whose decision no valid answer backs (every agent failed): not a market judgement."""
        return self.run.status == RunStatus.COMPLETED and self.valid_agents == 0


_SYMBOL = re.compile(r"^[A-Z][A-Z0-9.]{0,9}$")
_HEX = re.compile(r"^[0-9a-f]{1,32}$")


def search_runs(
    *, session: Session, filters: RunFilters, limit: int = 25, cursor: str | None = None
) -> tuple[list[RunSearchItem], str | None]:
    """One page of the runs matching `filters` (newest first) and the next page's cursor, or None at the end.

    A symbol or run id that cannot exist (lower-case hex only, ticker characters only) matches nothing rather
    than reaching the database as a pattern."""
    limit = max(1, min(limit, MAX_LIMIT))
    answers = select(func.count(AgentDecision.id)).where(AgentDecision.run_id == ArenaRun.id).scalar_subquery()
    valid = (
        select(func.count(AgentDecision.id))
        .where(AgentDecision.run_id == ArenaRun.id, AgentDecision.valid.is_(True))
        .scalar_subquery()
    )
    stmt = (
        select(ArenaRun, Consensus.decision_id, Strategy.name, answers, valid, Consensus.outcome)
        .outerjoin(Consensus, Consensus.run_id == ArenaRun.id)
        .outerjoin(Strategy, Strategy.id == ArenaRun.strategy_id)
        .where(*_conditions(filters))
        .order_by(ArenaRun.created_at.desc(), ArenaRun.id.desc())
        .limit(limit + 1)
    )
    if cursor is not None:
        created, run_id = decode_cursor(cursor)
        stmt = stmt.where(
            or_(ArenaRun.created_at < created, and_(ArenaRun.created_at == created, ArenaRun.id < run_id))
        )
    rows = session.execute(stmt).all()
    items = [
        RunSearchItem(
            run=_item(run, decision_id, strategy),
            agents=int(n or 0),
            valid_agents=int(ok or 0),
            outcome=optional(ExecutionOutcome, outcome),
        )
        for run, decision_id, strategy, n, ok, outcome in rows[:limit]
    ]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        next_cursor = encode_cursor(last.created_at, last.id)
    return items, next_cursor


def _conditions(f: RunFilters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if f.statuses:
        where.append(ArenaRun.status.in_([str(s) for s in f.statuses]))
    if f.actions:
        where.append(ArenaRun.final_action.in_([str(a) for a in f.actions]))
    if f.symbol is not None:
        symbol = f.symbol.strip().upper()
        # the symbols column is a JSON list of tickers; its text holds each one quoted, on both backends
        ok = bool(_SYMBOL.match(symbol))
        where.append(cast(ArenaRun.symbols, String).like(f'%"{symbol}"%') if ok else false())
    if f.profile:
        where.append(
            exists().where(AgentDecision.run_id == ArenaRun.id, AgentDecision.profile_name == f.profile.strip())
        )
    if f.escalated is not None:
        where.append(ArenaRun.escalated.is_(f.escalated))
    if f.since is not None:
        where.append(ArenaRun.created_at >= f.since)
    if f.until is not None:
        where.append(ArenaRun.created_at < f.until)
    if f.run_id_prefix:
        prefix = f.run_id_prefix.strip().lower()
        where.append(ArenaRun.id.startswith(prefix) if _HEX.match(prefix) else false())
    return where
