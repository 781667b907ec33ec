"""What policy replay needs from the record, read set-based: one query for the runs (with the few snapshot facts
the escalation triggers read, extracted by the database), one for every recorded answer, one for the scores.

Nothing here decides anything: arena/engine/evaluation/policy_replay.py re-runs the engine's own rules on it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Float, String, cast, func, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, aliased

from arena.kernel.kinds import ScoreSubject
from arena.storage.models import AgentDecision, ArenaRun, Consensus, DecisionScore, Snapshot


@dataclass(slots=True)  # not frozen: a frozen __init__ sets each field through object.__setattr__, and a replay
class RecordedAnswer:  # builds hundreds of thousands of these (nobody changes one after the read)
    """One stored agent answer (every phase; invalid ones too, they still cost money)."""

    agent: str
    role: str
    phase: str
    round: int
    status: str
    valid: bool
    action: str | None
    symbols: list[str]
    sizing: dict[str, Any] | None
    time_horizon: str | None
    risk_flags: list[str]
    confidence: float | None
    cost_usd: float | None


@dataclass(slots=True)
class RecordedRun:
    """A run with its recorded final decision and the snapshot facts the triggers need (regime, equity)."""

    run_id: str
    created_at: datetime
    status: str
    mode: str
    symbols: list[str]
    market_hash: str | None
    regime: str | None
    equity: float | None
    has_consensus: bool
    final_action: str | None
    final_symbol: str | None
    decided_by: str | None
    escalated: bool
    escalation_reasons: list[str]
    answers: list[RecordedAnswer] = field(default_factory=list)


@dataclass(slots=True)  # not frozen, like RecordedAnswer: many are built and none is changed
class RecordedScore:
    """A scored decision of a run (final consensus, cheap consensus, or one agent's vote)."""

    run_id: str
    subject: str
    action: str
    symbol: str
    horizon_days: int
    hit: bool
    signed_return_pct: float


def _json_text(column: Any, key: str, dialect: str) -> ColumnElement[Any]:
    """`column`'s top-level JSON `key` as text, extracted by the database (SQLite json_extract, PostgreSQL ->>)."""
    if dialect == "postgresql":
        extracted: ColumnElement[Any] = cast(column, JSONB)[key].astext
        return extracted
    return cast(func.json_extract(column, f"$.{key}"), String)


@lru_cache(maxsize=65536)
def _parse_text(text: str) -> Any:
    return json.loads(text)


def _parsed(value: Any) -> Any:
    """A JSON column's text parsed once per distinct value (symbols, flags and sizings repeat a lot; callers never
    change what they get); a driver that already decoded it (PostgreSQL's json) hands over the value itself."""
    return _parse_text(value) if isinstance(value, str) else value


def _raw(column: Any) -> ColumnElement[Any]:
    """A JSON column fetched as its stored text (parsed by `_parsed`)."""
    return type_coerce(column, String)


def read_replay_runs(*, session: Session, since: datetime) -> list[RecordedRun]:
    """Every run created at or after `since`, oldest first, each with all its recorded answers."""
    dialect = session.get_bind().dialect.name
    market, portfolio = aliased(Snapshot), aliased(Snapshot)
    connection = session.connection()
    rows = connection.execute(
        select(
            ArenaRun.id,
            ArenaRun.created_at,
            ArenaRun.status,
            ArenaRun.mode,
            _raw(ArenaRun.symbols),
            ArenaRun.market_snapshot_hash,
            _json_text(market.payload, "regime", dialect),
            cast(_json_text(portfolio.payload, "equity", dialect), Float),
            Consensus.id,
            Consensus.final_action,
            Consensus.symbol,
            Consensus.decided_by,
            Consensus.escalated,
            _raw(Consensus.escalation_reasons),
        )
        .outerjoin(Consensus, Consensus.run_id == ArenaRun.id)
        .outerjoin(market, market.hash == ArenaRun.market_snapshot_hash)
        .outerjoin(portfolio, portfolio.hash == ArenaRun.portfolio_snapshot_hash)
        .where(ArenaRun.created_at >= since)
        .order_by(ArenaRun.created_at, ArenaRun.id)
    ).all()
    runs = {
        r[0]: RecordedRun(
            run_id=r[0],
            created_at=r[1],
            status=r[2],
            mode=r[3],
            symbols=_parsed(r[4]) or [],
            market_hash=r[5],
            regime=r[6],
            equity=r[7],
            has_consensus=r[8] is not None,
            final_action=r[9],
            final_symbol=r[10],
            decided_by=r[11],
            escalated=bool(r[12]),
            escalation_reasons=_parsed(r[13]) or [],
        )
        for r in rows
    }
    if not runs:
        return []
    answers = connection.execute(
        select(
            AgentDecision.run_id,
            AgentDecision.profile_name,
            AgentDecision.role,
            AgentDecision.phase,
            AgentDecision.round,
            AgentDecision.status,
            AgentDecision.valid,
            AgentDecision.action,
            _raw(AgentDecision.symbols),
            _raw(AgentDecision.sizing),
            AgentDecision.time_horizon,
            _raw(AgentDecision.risk_flags),
            AgentDecision.confidence,
            cast(AgentDecision.cost_usd, Float),  # a float straight from the driver: no Decimal per row
        )
        .join(ArenaRun, ArenaRun.id == AgentDecision.run_id)
        .where(ArenaRun.created_at >= since)
    ).all()  # unordered: prepare() picks each agent's latest round and orders the votes itself
    for a in answers:
        run = runs.get(a[0])
        if run is None:  # a run created between the two reads
            continue
        run.answers.append(
            RecordedAnswer(
                agent=a[1],
                role=a[2],
                phase=a[3],
                round=a[4],
                status=a[5],
                valid=bool(a[6]),
                action=a[7],
                symbols=_parsed(a[8]) or [],
                sizing=_parsed(a[9]),
                time_horizon=a[10],
                risk_flags=_parsed(a[11]) or [],
                confidence=a[12],
                cost_usd=float(a[13]) if a[13] is not None else None,
            )
        )
    return list(runs.values())


def read_replay_scores(*, session: Session, since: datetime) -> list[RecordedScore]:
    """Scored decisions of the runs created at or after `since` (baseline rows are no run's decision)."""
    rows = session.connection().execute(
        select(
            DecisionScore.run_id,
            DecisionScore.subject,
            DecisionScore.action,
            DecisionScore.symbol,
            DecisionScore.horizon_days,
            DecisionScore.hit,
            DecisionScore.signed_return_pct,
        )
        .join(ArenaRun, ArenaRun.id == DecisionScore.run_id)
        .where(
            ArenaRun.created_at >= since,
            DecisionScore.subject.in_([ScoreSubject.CONSENSUS, ScoreSubject.CHEAP_CONSENSUS, ScoreSubject.AGENT]),
        )
    )
    return [RecordedScore(r[0], r[1], r[2], r[3], int(r[4]), bool(r[5]), float(r[6])) for r in rows]


def read_last_prices(*, session: Session, hashes: set[str]) -> dict[str, dict[str, float]]:
    """Each market snapshot's last price per symbol (only asked for runs whose sizing is in shares)."""
    if not hashes:
        return {}
    out: dict[str, dict[str, float]] = {}
    for digest, payload in session.execute(select(Snapshot.hash, Snapshot.payload).where(Snapshot.hash.in_(hashes))):
        data = json.loads(payload)
        out[digest] = {s["symbol"]: float(s["last_price"]) for s in data.get("symbols", [])}
    return out
