"""SQL aggregation over scored decisions and agent decisions, and the leaderboard snapshot rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, case, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from arena.kernel.kinds import Action
from arena.kernel.states import AgentStatus
from arena.storage.models import (
    AgentDecision,
    AgentProfileVersion,
    ArenaRun,
    DecisionScore,
    LeaderboardSnapshot,
    Strategy,
)

SCORE_KEYS: dict[str, Any] = {
    "profile": DecisionScore.profile_name,
    "model": DecisionScore.model,
    "prompt": DecisionScore.prompt,
}
PROMPT_KEY = AgentProfileVersion.prompt_template_id + "@v" + cast(AgentProfileVersion.prompt_version, String)
DECISION_KEYS: dict[str, Any] = {
    "profile": AgentDecision.profile_name,
    "model": AgentDecision.model,
    "prompt": PROMPT_KEY,
}


def _score_filters(
    subject: str, since: datetime, until: datetime, market: str | None, strategy: str | None
) -> list[ColumnElement[bool]]:
    where = [DecisionScore.subject == subject, DecisionScore.exit_at >= since, DecisionScore.exit_at <= until]
    if market is not None:
        where.append(DecisionScore.market == market)
    if strategy is not None:
        where.append(DecisionScore.strategy == strategy)
    return where


def score_aggregates(
    *,
    session: Session,
    subject: str,
    group_by: str | None,
    since: datetime,
    until: datetime,
    market: str | None = None,
    strategy: str | None = None,
) -> list[dict[str, Any]]:
    """Per group: count, hits, mean signed return, shadow PnL, LLM cost, mean confidence (in the database)."""
    key = SCORE_KEYS[group_by] if group_by else DecisionScore.subject
    stmt = (
        select(
            key.label("key"),
            func.count(DecisionScore.id).label("n"),
            func.sum(cast(DecisionScore.hit, Integer)).label("hits"),
            func.avg(DecisionScore.signed_return_pct).label("mean_return_pct"),
            func.sum(DecisionScore.pnl_usd).label("pnl_usd"),
            func.sum(DecisionScore.llm_cost_usd).label("llm_cost_usd"),
            func.avg(DecisionScore.confidence).label("mean_confidence"),
            func.sum(case((DecisionScore.action == Action.HOLD, 1), else_=0)).label("holds"),
        )
        .where(*_score_filters(subject, since, until, market, strategy))
        .group_by(key)
    )
    return [dict(r._mapping) for r in session.execute(stmt) if r.key is not None]


def score_rows(
    *,
    session: Session,
    subject: str,
    group_by: str | None,
    key: str | None,
    since: datetime,
    until: datetime,
    market: str | None = None,
    strategy: str | None = None,
) -> list[DecisionScore]:
    stmt = select(DecisionScore).where(*_score_filters(subject, since, until, market, strategy))
    if group_by and key is not None:
        stmt = stmt.where(SCORE_KEYS[group_by] == key)
    return list(session.scalars(stmt.order_by(DecisionScore.exit_at, DecisionScore.id)))


def decision_stats(
    *,
    session: Session,
    group_by: str,
    since: datetime,
    until: datetime,
    market: str | None = None,
    strategy: str | None = None,
) -> dict[str, dict[str, Any]]:
    """Per group, over every agent decision in the window (scored or not): counts, failures, HOLDs, cost."""
    key = DECISION_KEYS[group_by]
    failed = case((AgentDecision.status.in_((AgentStatus.INVALID, AgentStatus.REPAIRED)), 1), else_=0)
    stmt = (
        select(
            key.label("key"),
            func.count(AgentDecision.id).label("decisions"),
            func.sum(failed).label("schema_failures"),
            func.sum(case((AgentDecision.action == Action.HOLD, 1), else_=0)).label("holds"),
            func.sum(case((AgentDecision.valid.is_(True), 1), else_=0)).label("valid"),
            func.sum(AgentDecision.cost_usd).label("cost_usd"),
        )
        .join(AgentProfileVersion, AgentProfileVersion.id == AgentDecision.profile_version_id)
        .join(ArenaRun, ArenaRun.id == AgentDecision.run_id)
        .outerjoin(Strategy, Strategy.id == ArenaRun.strategy_id)
        .where(AgentDecision.created_at >= since, AgentDecision.created_at <= until)
        .group_by(key)
    )
    if market is not None:
        stmt = stmt.where(func.coalesce(Strategy.market, "us_equities") == market)
    if strategy is not None:
        stmt = stmt.where(Strategy.name == strategy)
    return {r.key: dict(r._mapping) for r in session.execute(stmt)}


def filter_values(*, session: Session) -> tuple[list[str], list[str]]:
    """Markets and strategies that appear in scored decisions (the leaderboard's filter options)."""
    markets = sorted(m for m in session.scalars(select(DecisionScore.market).distinct()) if m)
    strategies = sorted(s for s in session.scalars(select(DecisionScore.strategy).distinct()) if s)
    return markets, strategies


def save_snapshot(
    *,
    session: Session,
    window: str,
    group_by: str,
    market: str,
    strategy: str,
    payload: dict[str, Any],
    computed_at: datetime,
) -> None:
    row = session.scalar(
        select(LeaderboardSnapshot).where(
            LeaderboardSnapshot.time_window == window,
            LeaderboardSnapshot.group_by == group_by,
            LeaderboardSnapshot.market == market,
            LeaderboardSnapshot.strategy == strategy,
        )
    )
    if row is None:
        session.add(
            LeaderboardSnapshot(
                time_window=window,
                group_by=group_by,
                market=market,
                strategy=strategy,
                payload=payload,
                computed_at=computed_at,
            )
        )
    else:
        row.payload, row.computed_at = payload, computed_at
    session.flush()


def load_snapshot(
    *, session: Session, window: str, group_by: str, market: str, strategy: str
) -> LeaderboardSnapshot | None:
    return session.scalar(
        select(LeaderboardSnapshot).where(
            LeaderboardSnapshot.time_window == window,
            LeaderboardSnapshot.group_by == group_by,
            LeaderboardSnapshot.market == market,
            LeaderboardSnapshot.strategy == strategy,
        )
    )
