"""The one leaderboard read shared by `GET /api/admin/arena/leaderboard` and the Leaderboard page.

The worker computes leaderboards (arena/outcomes/leaderboard.py) and materialises them as ai_leaderboard_snapshots;
this function only reads: the snapshot for (window, group_by, market, strategy) when there is one, plus live counts
of what exists in the window. Without a snapshot it answers the honest empty shape — `status="not_enough_data"`,
no entries, and why — never invented rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from arena.storage.models import ArenaRun, Consensus, DecisionScore, Strategy
from arena.storage.models.outcomes import LEADERBOARD_GROUPS, LEADERBOARD_WINDOWS
from arena.storage.repositories.outcomes import load_snapshot

WINDOWS = LEADERBOARD_WINDOWS
GROUP_BY = LEADERBOARD_GROUPS
ALL = "*"  # the snapshot key for "no market/strategy filter"
MANUAL_RUNS_MARKET = "us_equities"  # runs without a strategy count as this market


def read_leaderboard(
    *,
    session: Session,
    window: str,
    group_by: str = "profile",
    strategy: str | None = None,
    market: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The leaderboard for a window (`7d`, `30d`, `90d`) grouped by profile, model or prompt."""
    if window not in WINDOWS:
        raise ValueError(f"window must be one of {', '.join(WINDOWS)}")
    if group_by not in GROUP_BY:
        raise ValueError(f"group_by must be one of {', '.join(GROUP_BY)}")
    at = now or datetime.now(UTC)
    since = at - timedelta(days=WINDOWS[window])
    counts = _counts(session, since, at, strategy, market)
    snapshot = load_snapshot(
        session=session, window=window, group_by=group_by, market=market or ALL, strategy=strategy or ALL
    )
    base = {"window": window, "group_by": group_by, "strategy": strategy, "market": market, **counts}
    if snapshot is not None:
        payload = dict(snapshot.payload)
        ranked = payload.get("status") == "ranked"
        reason = None if ranked else f"no entry has {payload.get('min_sample', 'enough')} scored decisions yet"
        return (
            payload | base | {"source": "snapshot", "computed_at": snapshot.computed_at.isoformat(), "reason": reason}
        )
    reason = (
        "no scored outcomes in this window yet"
        if counts["scored_outcomes"] == 0
        else "the worker has not computed this leaderboard yet"
    )
    return base | {
        "since": since.isoformat(),
        "computed_at": at.isoformat(),
        "status": "not_enough_data",
        "reason": reason,
        "source": "none",
        "entries": [],
    }


def _counts(
    session: Session, since: datetime, until: datetime, strategy: str | None, market: str | None
) -> dict[str, int]:
    def runs_in_scope(stmt: Select[Any]) -> Select[Any]:
        stmt = stmt.where(ArenaRun.created_at >= since, ArenaRun.created_at <= until)
        if strategy is not None or market is not None:
            stmt = stmt.outerjoin(Strategy, Strategy.id == ArenaRun.strategy_id)
            if strategy is not None:
                stmt = stmt.where(Strategy.name == strategy)
            if market is not None:
                stmt = stmt.where(func.coalesce(Strategy.market, MANUAL_RUNS_MARKET) == market)
        return stmt

    runs = session.scalar(runs_in_scope(select(func.count(ArenaRun.id)))) or 0
    decisions_stmt = select(func.count(Consensus.decision_id)).join(ArenaRun, ArenaRun.id == Consensus.run_id)
    decisions = session.scalar(runs_in_scope(decisions_stmt)) or 0
    scored_stmt = select(func.count(DecisionScore.id)).where(
        DecisionScore.subject == "agent", DecisionScore.exit_at >= since, DecisionScore.exit_at <= until
    )
    if strategy is not None:
        scored_stmt = scored_stmt.where(DecisionScore.strategy == strategy)
    if market is not None:
        scored_stmt = scored_stmt.where(DecisionScore.market == market)
    scored = session.scalar(scored_stmt) or 0
    return {"runs_in_window": runs, "decisions_in_window": decisions, "scored_outcomes": scored}
