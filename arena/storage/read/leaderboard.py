"""The one leaderboard read shared by `GET /api/admin/arena/leaderboard` and the Leaderboard page.

Two sources, merged per entry (docs/LEADERBOARD.md):
* the provisional columns — decisions, validity, HOLDs, agreement with the final decision, cost, latency,
  escalations — are SQL aggregates over the window's decisions, computed here on every read, so every profile,
  model or prompt is listed from its first run without waiting for the worker;
* the outcome columns — n_scored, hit rate, returns, shadow account, excess over the baselines, rank — come from
  the snapshot the worker materialised (arena/engine/outcomes/leaderboard.py), as of its `computed_at`. Until an
  entry has a scored decision they are null (never zero) and `n_scored` is 0.
Entries are `ranked` (n_scored ≥ the minimum sample) or `provisional`; baselines are entries of kind `baseline`.
With no decision and no snapshot in the window it answers the honest empty shape: `status="not_enough_data"`, no
entries, and why — never invented rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from arena.kernel.kinds import (
    LeaderboardEntryKind,
    LeaderboardGroup,
    LeaderboardStatus,
    LeaderboardWindow,
    ScoreSubject,
)
from arena.storage.models import ArenaRun, Consensus, DecisionScore, Strategy
from arena.storage.repositories.outcomes import decision_stats, load_snapshot, provisional_fields

ALL = "*"  # the snapshot key for "no market/strategy filter"
MANUAL_RUNS_MARKET = "us_equities"  # runs without a strategy count as this market
DEFAULT_MIN_SAMPLE = 20  # ARENA_LEADERBOARD_MIN_SAMPLE's default; callers pass the setting
# the payload keys the typed fields below carry; every other key of a snapshot's payload stays in `extra`
_TYPED_KEYS = frozenset({"window", "group_by", "strategy", "market", "since", "computed_at", "status", "entries"})
# an entry's outcome columns before anything of it is scored: null, not zero
OUTCOME_NULLS: dict[str, Any] = {
    "n_scored": 0,
    "hit_rate": None,
    "hit_rate_ci": None,
    "mean_return_pct": None,
    "mean_return_ci": None,
    "cumulative_return_pct": None,
    "shadow": None,
    "cost_per_pnl_usd": None,
    "cost_per_alpha_point_usd": None,
    "excess_return_pct": None,
    "excess_return_ci": None,
    "excess_n": None,
    "cost_per_excess_point_usd": None,
    "brier": None,
    "calibration": [],
    "rank_band": None,
}


@dataclass(frozen=True, slots=True)
class WindowCounts:
    """What exists in the window right now, whether or not the worker has scored it."""

    runs_in_window: int
    decisions_in_window: int
    scored_outcomes: int


@dataclass(frozen=True, slots=True)
class LeaderboardView:
    """A leaderboard as the page and the API show it (docs/LEADERBOARD.md).

    `source` is `snapshot` (outcomes materialised by the worker, provisional columns live), `live` (no snapshot yet:
    provisional columns only) or `none` (the honest empty shape, with the `reason`). `entries` are dicts with the
    fields of docs/LEADERBOARD.md §2; `extra` holds the snapshot's other keys (arena, escalation_value,
    real_account…) and `min_sample`.
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
    min_sample: int = DEFAULT_MIN_SAMPLE,
) -> LeaderboardView:
    """The leaderboard for a window (`7d`, `30d`, `90d`) grouped by profile, model or prompt.

    `min_sample` (ARENA_LEADERBOARD_MIN_SAMPLE) only words the notes of entries the worker has not scored yet;
    ranks come from the snapshot, computed with the worker's setting (`min_sample` in the reply)."""
    at = now or datetime.now(UTC)
    since = at - timedelta(days=window.days)
    counts = _counts(session, since, at, strategy, market)
    live = decision_stats(session=session, group_by=group_by, since=since, until=at, market=market, strategy=strategy)
    snapshot = load_snapshot(
        session=session, window=window, group_by=group_by, market=market or ALL, strategy=strategy or ALL
    )
    payload: dict[str, Any] = snapshot.payload if snapshot is not None else {}
    sample = int(payload.get("min_sample") or min_sample)
    entries = merge_entries(list(payload.get("entries") or []), live, min_sample=sample)
    ranked = any(e["status"] == LeaderboardStatus.RANKED for e in entries)
    status = LeaderboardStatus.RANKED if ranked else LeaderboardStatus.NOT_ENOUGH_DATA
    extra = {k: v for k, v in payload.items() if k not in _TYPED_KEYS} | {"min_sample": sample}
    if snapshot is not None:
        return LeaderboardView(
            window=window,
            group_by=group_by,
            strategy=strategy,
            market=market,
            counts=counts,
            status=status,
            reason=None if ranked else f"no entry has {sample} scored decisions yet",
            source="snapshot",
            computed_at=snapshot.computed_at,
            since=datetime.fromisoformat(payload["since"]) if payload.get("since") else None,
            entries=entries,
            extra=extra,
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
        status=status,
        reason=reason,
        source="live" if entries else "none",
        computed_at=at,
        since=since,
        entries=entries,
        extra=extra,
    )


def merge_entries(
    materialised: list[dict[str, Any]], live: dict[str, dict[str, Any]], *, min_sample: int
) -> list[dict[str, Any]]:
    """Snapshot entries (in their ranked order) with today's provisional columns over them, then every agent key
    that has decisions in the window but nothing scored yet (by name), its outcome columns null."""
    out = []
    for e in materialised:
        kind = e.get("kind", LeaderboardEntryKind.AGENT)
        entry = {**OUTCOME_NULLS, **e, "kind": kind}
        entry["n_scored"] = e.get("n_scored", e.get("n", 0))  # snapshots written before n_scored said `n`
        if kind == LeaderboardEntryKind.AGENT and e.get("key") in live:
            entry |= provisional_fields(live[e["key"]])
        ranked = e.get("status") == LeaderboardStatus.RANKED
        entry["status"] = LeaderboardStatus.RANKED if ranked else LeaderboardStatus.PROVISIONAL
        entry["note"] = None if ranked else _note(entry["n_scored"], min_sample)
        out.append(entry)
    seen = {e.get("key") for e in materialised}
    for key in sorted(k for k in live if k not in seen):
        out.append(
            {
                "key": key,
                "kind": LeaderboardEntryKind.AGENT,
                "status": LeaderboardStatus.PROVISIONAL,
                "note": _note(0, min_sample),
                **OUTCOME_NULLS,
                **provisional_fields(live[key]),
            }
        )
    return out


def _note(n_scored: int, min_sample: int) -> str:
    return f"not enough data ({n_scored} of {min_sample} scored)"


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
