"""The leaderboard: which agent is worth its money, and how sure we are.

Computed server-side from scored decisions (SQL aggregates + per-entry rows for intervals and curves) and
materialised by the worker into ai_leaderboard_snapshots; the API and the page only read those rows.
Definitions and formulas: docs/LEADERBOARD.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from arena.engine.outcomes.metrics import bootstrap_ci, brier, mean, rank_bands, reliability_bins
from arena.engine.outcomes.real_account import real_account
from arena.engine.outcomes.shadow import shadow_account
from arena.kernel.clock import utcnow
from arena.kernel.kinds import LeaderboardGroup, LeaderboardStatus, LeaderboardWindow, ScoreSubject
from arena.storage.models import DecisionScore
from arena.storage.repositories import outcomes as repo

WINDOWS = tuple(LeaderboardWindow)  # the windows (and groupings) the worker materialises; the kernel names them
GROUP_BY = tuple(LeaderboardGroup)
MIN_SAMPLE = 20
ALL = "*"


def entry_metrics(scores: list[DecisionScore], stats: dict[str, Any] | None) -> dict[str, Any]:
    hits = [1.0 if s.hit else 0.0 for s in scores]
    returns = [s.signed_return_pct for s in scores]
    confs = [s.confidence for s in scores if s.confidence is not None]
    conf_hits = [s.hit for s in scores if s.confidence is not None]
    shadow = shadow_account(scores)
    cost = sum(s.llm_cost_usd or 0.0 for s in scores)
    decisions = int(stats["decisions"]) if stats else len(scores)
    all_cost = float(stats["cost_usd"] or 0.0) if stats else cost
    cum_alpha = sum(returns)
    return {
        "n": len(scores),
        "decisions": decisions,
        "hit_rate": mean(hits) if hits else None,
        "hit_rate_ci": bootstrap_ci(hits, mean),
        "mean_return_pct": mean(returns) if returns else None,
        "mean_return_ci": bootstrap_ci(returns, mean),
        "cumulative_return_pct": cum_alpha,
        "shadow": shadow,
        "llm_cost_usd": round(all_cost, 6),
        "cost_per_decision_usd": round(all_cost / decisions, 6) if decisions else None,
        "cost_per_pnl_usd": round(all_cost / shadow["pnl_usd"], 6) if shadow["pnl_usd"] > 0 else None,
        "cost_per_alpha_point_usd": round(all_cost / cum_alpha, 6) if cum_alpha > 0 else None,
        "hold_rate": (int(stats["holds"] or 0) / decisions) if stats and decisions else None,
        "schema_failure_rate": (int(stats["schema_failures"] or 0) / decisions) if stats and decisions else None,
        "brier": brier(confs, conf_hits),
        "calibration": reliability_bins(confs, conf_hits),
        "run_ids": sorted({s.run_id for s in scores})[-50:],
    }


def compute_leaderboard(
    *,
    session: Session,
    window: str,
    group_by: str,
    market: str | None = None,
    strategy: str | None = None,
    now: datetime | None = None,
    min_sample: int = MIN_SAMPLE,
) -> dict[str, Any]:
    until = now or utcnow()
    since = until - timedelta(days=LeaderboardWindow(window).days)
    kwargs: dict[str, Any] = {"since": since, "until": until, "market": market, "strategy": strategy}
    stats = repo.decision_stats(session=session, group_by=group_by, **kwargs)
    entries = []
    for agg in repo.score_aggregates(session=session, subject=ScoreSubject.AGENT, group_by=group_by, **kwargs):
        rows = repo.score_rows(session=session, subject=ScoreSubject.AGENT, group_by=group_by, key=agg["key"], **kwargs)
        metrics = entry_metrics(rows, stats.get(agg["key"]))
        metrics["key"] = agg["key"]
        metrics["ranked"] = metrics["n"] >= min_sample
        entries.append(metrics)
    ranked = [e for e in entries if e["ranked"]]
    bands = rank_bands([(e["key"], e["hit_rate"], e["hit_rate_ci"]) for e in ranked])
    for e in entries:
        e["rank_band"] = bands.get(e["key"])
        e["status"] = LeaderboardStatus.RANKED if e["ranked"] else f"not enough data ({e['n']} of {min_sample} scored)"
    entries.sort(key=lambda e: (e["rank_band"] is None, e["rank_band"] or 0, -(e["hit_rate"] or 0), e["key"]))
    consensus = repo.score_rows(session=session, subject=ScoreSubject.CONSENSUS, group_by=None, key=None, **kwargs)
    return {
        "window": window,
        "group_by": group_by,
        "market": market,
        "strategy": strategy,
        "since": since.isoformat(),
        "computed_at": until.isoformat(),
        "min_sample": min_sample,
        "status": LeaderboardStatus.RANKED if ranked else LeaderboardStatus.NOT_ENOUGH_DATA,
        "entries": entries,
        "arena": entry_metrics(consensus, None) if consensus else None,
        "escalation_value": escalation_value(session=session, **kwargs),
        "real_account": real_account(session=session, since=since, until=until),
    }


def escalation_value(
    *, session: Session, since: datetime, until: datetime, market: str | None, strategy: str | None
) -> dict[str, Any]:
    """Per trigger: how much the powerful model's decision beat (or lost to) the cheap consensus alone."""
    kw: dict[str, Any] = {"since": since, "until": until, "market": market, "strategy": strategy}
    final = {
        s.run_id: s
        for s in repo.score_rows(session=session, subject=ScoreSubject.CONSENSUS, group_by=None, key=None, **kw)
        if s.escalated
    }
    cheap = {
        s.run_id: s
        for s in repo.score_rows(session=session, subject=ScoreSubject.CHEAP_CONSENSUS, group_by=None, key=None, **kw)
    }
    per: dict[str, list[float]] = {}
    for run_id, f in final.items():
        if run_id in cheap:
            for reason in f.escalation_reasons or ["unknown"]:
                per.setdefault(reason, []).append(f.signed_return_pct - cheap[run_id].signed_return_pct)
    return {
        "escalated_runs_scored": sum(1 for r in final if r in cheap),
        "by_trigger": {
            reason: {"runs": len(v), "mean_value_pct": mean(v), "value_ci": bootstrap_ci(v, mean)}
            for reason, v in sorted(per.items())
        },
    }


def materialize(*, sessions: sessionmaker[Session], now: datetime | None = None, min_sample: int = MIN_SAMPLE) -> int:
    """Recompute every (window, group_by) snapshot for all data and each market/strategy filter."""
    at = now or utcnow()
    with sessions() as session:
        markets, strategies = repo.filter_values(session=session)
    filters = [(None, None)] + [(m, None) for m in markets] + [(None, s) for s in strategies]
    written = 0
    for window in WINDOWS:
        for group_by in GROUP_BY:
            for market, strategy in filters:
                with sessions() as session, session.begin():
                    payload = compute_leaderboard(
                        session=session,
                        window=window,
                        group_by=group_by,
                        market=market,
                        strategy=strategy,
                        now=at,
                        min_sample=min_sample,
                    )
                    repo.save_snapshot(
                        session=session,
                        window=window,
                        group_by=group_by,
                        market=market or ALL,
                        strategy=strategy or ALL,
                        payload=payload,
                        computed_at=at,
                    )
                    written += 1
    return written
