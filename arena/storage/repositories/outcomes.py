"""SQL aggregation over scored decisions and agent decisions, and the leaderboard snapshot rows.

`decision_stats` + `provisional_fields` are the provisional leaderboard: what is known of every agent from its
first run (cost, validity, votes, latency), whether or not anything is scored. They are plain aggregates over the
window's decisions (indexed by profile version and creation time), cheap enough to compute on every read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, String, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from arena.kernel.kinds import Action, Phase
from arena.kernel.states import AgentStatus
from arena.storage.models import (
    AgentDecision,
    AgentProfileVersion,
    ArenaRun,
    Consensus,
    DecisionScore,
    LeaderboardSnapshot,
    Strategy,
)

# phases of the cheap round: an escalated run counts as an escalation triggered by each entry that answered in them
CHEAP_ROUND = (Phase.CHEAP, Phase.DEBATE, Phase.JUDGE)
PERCENTILES = (50, 95)  # latency percentiles (nearest rank) listed per entry

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
    """Per group, over every agent decision created in the window (scored or not): counts, failures, HOLDs,
    agreement with the run's final decision, cost, escalations its cheap round triggered, latency percentiles."""
    key = DECISION_KEYS[group_by]
    failed = case((AgentDecision.status.in_((AgentStatus.INVALID, AgentStatus.REPAIRED)), 1), else_=0)
    voted = and_(AgentDecision.valid.is_(True), AgentDecision.action.is_not(None), Consensus.id.is_not(None))
    same_symbol = or_(
        Consensus.symbol.is_(None),
        AgentDecision.action == Action.HOLD,
        AgentDecision.symbols[0].as_string() == Consensus.symbol,
    )
    cheap_round = AgentDecision.phase.in_(CHEAP_ROUND)
    stmt = _in_scope(
        select(
            key.label("key"),
            func.count(AgentDecision.id).label("decisions"),
            func.sum(failed).label("schema_failures"),
            func.sum(case((AgentDecision.action == Action.HOLD, 1), else_=0)).label("holds"),
            func.sum(case((AgentDecision.valid.is_(True), 1), else_=0)).label("valid"),
            func.sum(case((voted, 1), else_=0)).label("votes_with_final"),
            func.sum(
                case((and_(voted, AgentDecision.action == Consensus.final_action, same_symbol), 1), else_=0)
            ).label("agreements"),
            func.sum(AgentDecision.cost_usd).label("cost_usd"),
            func.count(func.distinct(case((cheap_round, AgentDecision.run_id)))).label("cheap_round_runs"),
            func.count(
                func.distinct(case((and_(cheap_round, ArenaRun.escalated.is_(True)), AgentDecision.run_id)))
            ).label("escalations"),
        ).outerjoin(Consensus, Consensus.run_id == AgentDecision.run_id),
        since=since,
        until=until,
        market=market,
        strategy=strategy,
    ).group_by(key)
    stats = {r.key: dict(r._mapping) for r in session.execute(stmt) if r.key is not None}
    for k, p, ms in _latency_percentiles(session, key, since=since, until=until, market=market, strategy=strategy):
        if k in stats:
            stats[k][f"latency_p{p}_ms"] = ms
    return stats


def _in_scope(
    stmt: Select[Any], *, since: datetime, until: datetime, market: str | None, strategy: str | None
) -> Select[Any]:
    """Decisions created in the window, of runs in the market/strategy (manual runs count as us_equities)."""
    stmt = (
        stmt.join(AgentProfileVersion, AgentProfileVersion.id == AgentDecision.profile_version_id)
        .join(ArenaRun, ArenaRun.id == AgentDecision.run_id)
        .outerjoin(Strategy, Strategy.id == ArenaRun.strategy_id)
        .where(AgentDecision.created_at >= since, AgentDecision.created_at <= until)
    )
    if market is not None:
        stmt = stmt.where(func.coalesce(Strategy.market, "us_equities") == market)
    if strategy is not None:
        stmt = stmt.where(Strategy.name == strategy)
    return stmt


def _latency_percentiles(
    session: Session, key: Any, *, since: datetime, until: datetime, market: str | None, strategy: str | None
) -> list[tuple[str, int, int]]:
    """(key, percentile, latency ms) by nearest rank, computed in the database (window functions on both backends)
    so that only two rows per group come back, however many decisions the window holds."""
    ranked = _in_scope(
        select(
            key.label("key"),
            AgentDecision.latency_ms.label("ms"),
            func.row_number().over(partition_by=key, order_by=AgentDecision.latency_ms).label("rn"),
            func.count(AgentDecision.id).over(partition_by=key).label("cnt"),
        ).where(AgentDecision.latency_ms.is_not(None)),
        since=since,
        until=until,
        market=market,
        strategy=strategy,
    ).subquery()
    out: list[tuple[str, int, int]] = []
    for p in PERCENTILES:
        rank = (ranked.c.cnt * p + 99) // 100  # ceil(p% of n) in integer arithmetic: the nearest-rank percentile
        for row in session.execute(select(ranked.c.key, ranked.c.ms).where(ranked.c.rn == rank)):
            if row.key is not None:
                out.append((row.key, p, int(row.ms)))
    return out


def provisional_fields(stats: dict[str, Any] | None) -> dict[str, Any]:
    """The entry's columns known without any outcome (docs/LEADERBOARD.md §2); rates are None without decisions."""
    s = stats or {}
    decisions = int(s.get("decisions") or 0)
    voted = int(s.get("votes_with_final") or 0)
    cheap_runs = int(s.get("cheap_round_runs") or 0)
    # None when no decision of the window has a known cost (unpriced models): not the same as free
    cost = float(s["cost_usd"]) if s.get("cost_usd") is not None else None

    def share(count: Any, total: int) -> float | None:
        return int(count or 0) / total if total else None

    return {
        "decisions": decisions,
        "valid_rate": share(s.get("valid"), decisions),
        "schema_failure_rate": share(s.get("schema_failures"), decisions),
        "hold_rate": share(s.get("holds"), decisions),
        "agreement_rate": share(s.get("agreements"), voted),
        "llm_cost_usd": round(cost, 6) if cost is not None else None,
        "cost_per_decision_usd": round(cost / decisions, 6) if cost is not None and decisions else None,
        "latency_p50_ms": s.get("latency_p50_ms"),
        "latency_p95_ms": s.get("latency_p95_ms"),
        "escalations": int(s.get("escalations") or 0),
        "escalation_rate": share(s.get("escalations"), cheap_runs),
    }


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
