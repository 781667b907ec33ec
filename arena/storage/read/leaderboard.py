"""The one leaderboard read shared by `GET /api/admin/arena/leaderboard` and the Leaderboard page.

The worker computes leaderboards (arena/engine/outcomes/leaderboard.py) and materialises them as ai_leaderboard_snapshots;
this function only reads: the snapshot for (window, group_by, market, strategy) when there is one, plus live counts
of what exists in the window. Without a snapshot it answers the honest empty shape — `status="not_enough_data"`,
no entries, and why — never invented rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from arena.kernel.kinds import LeaderboardGroup, LeaderboardStatus, LeaderboardWindow, ScoreSubject
from arena.storage.models import ArenaRun, Consensus, DecisionScore, Strategy
from arena.storage.repositories.outcomes import load_snapshot

ALL = "*"  # the snapshot key for "no market/strategy filter"
MANUAL_RUNS_MARKET = "us_equities"  # runs without a strategy count as this market
# the payload keys the typed fields below carry; every other key of a snapshot's payload stays in `extra`
_TYPED_KEYS = frozenset({"window", "group_by", "strategy", "market", "since", "computed_at", "status", "entries"})


@dataclass(frozen=True, slots=True)
class WindowCounts:
    """What exists in the window right now, whether or not the worker has scored it."""

    runs_in_window: int
    decisions_in_window: int
    scored_outcomes: int


@dataclass(frozen=True, slots=True)
class LeaderboardView:
    """A leaderboard as the page and the API show it (docs/LEADERBOARD.md).

    `source` is `snapshot` (what the worker materialised) or `none` (the honest empty shape, with the `reason`).
    `entries` and `extra` (min_sample, arena, escalation_value, real_account…) are the snapshot's JSON payload.
    """

    window: LeaderboardWindow
    group_by: LeaderboardGroup
    strategy: str | None
    market: str | None
    counts: WindowCounts
    status: LeaderboardStatus
    reason: str | None
    source: str
    computed_at: datetime
    since: datetime | None
    entries: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ranked(self) -> bool:
        return self.status == LeaderboardStatus.RANKED


def read_leaderboard(
    *,
    session: Session,
    window: LeaderboardWindow,
    group_by: LeaderboardGroup = LeaderboardGroup.PROFILE,
    strategy: str | None = None,
    market: str | None = None,
    now: datetime | None = None,
) -> LeaderboardView:
    """The leaderboard for a window (`7d`, `30d`, `90d`) grouped by profile, model or prompt."""
    at = now or datetime.now(UTC)
    since = at - timedelta(days=window.days)
    counts = _counts(session, since, at, strategy, market)
    snapshot = load_snapshot(
        session=session, window=window, group_by=group_by, market=market or ALL, strategy=strategy or ALL
    )
    if snapshot is not None:
        payload = snapshot.payload
        status = LeaderboardStatus(payload.get("status", LeaderboardStatus.NOT_ENOUGH_DATA))
        ranked = status == LeaderboardStatus.RANKED
        return LeaderboardView(
            window=window,
            group_by=group_by,
            strategy=strategy,
            market=market,
            counts=counts,
            status=status,
            reason=None if ranked else f"no entry has {payload.get('min_sample', 'enough')} scored decisions yet",
            source="snapshot",
            computed_at=snapshot.computed_at,
            since=datetime.fromisoformat(payload["since"]) if payload.get("since") else None,
            entries=list(payload.get("entries") or []),
            extra={k: v for k, v in payload.items() if k not in _TYPED_KEYS},
        )
    reason = (
        "no scored outcomes in this window yet"
        if counts.scored_outcomes == 0
        else "the worker has not computed this leaderboard yet"
    )
    return LeaderboardView(
        window=window,
        group_by=group_by,
        strategy=strategy,
        market=market,
        counts=counts,
        status=LeaderboardStatus.NOT_ENOUGH_DATA,
        reason=reason,
        source="none",
        computed_at=at,
        since=since,
    )


def _counts(
    session: Session, since: datetime, until: datetime, strategy: str | None, market: str | None
) -> WindowCounts:
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
        DecisionScore.subject == ScoreSubject.AGENT, DecisionScore.exit_at >= since, DecisionScore.exit_at <= until
    )
    if strategy is not None:
        scored_stmt = scored_stmt.where(DecisionScore.strategy == strategy)
    if market is not None:
        scored_stmt = scored_stmt.where(DecisionScore.market == market)
    scored = session.scalar(scored_stmt) or 0
    return WindowCounts(runs_in_window=runs, decisions_in_window=decisions, scored_outcomes=scored)
