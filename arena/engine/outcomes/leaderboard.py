"""The leaderboard: which agent is worth its money, and how sure we are.

Outcome columns are computed server-side from scored decisions (SQL aggregates + per-entry rows for intervals and
curves) and materialised by the worker into ai_leaderboard_snapshots. The provisional columns (cost, validity,
votes, latency) are aggregates over the window's decisions; the reader (arena/storage/read/leaderboard.py) computes
them again on every read, so an agent is listed from its first run. Free baselines (cash, buy_and_hold, momentum)
are entries of kind `baseline`, and each agent entry carries its excess return over buy_and_hold and momentum,
paired on the same scored snapshots. Definitions and formulas: docs/LEADERBOARD.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from arena.engine.outcomes.baselines import EXCESS_OVER, Baseline
from arena.engine.outcomes.metrics import bootstrap_ci, brier, mean, rank_bands, reliability_bins
from arena.engine.outcomes.real_account import real_account
from arena.engine.outcomes.shadow import shadow_account
from arena.kernel.clock import utcnow
from arena.kernel.kinds import (
    Action,
    LeaderboardEntryKind,
    LeaderboardGroup,
    LeaderboardStatus,
    LeaderboardWindow,
    ScoreSubject,
)
from arena.storage.models import DecisionScore
from arena.storage.read.leaderboard import LeaderboardView, read_leaderboard
from arena.storage.repositories import outcomes as repo

WINDOWS = tuple(LeaderboardWindow)  # the windows (and groupings) the worker materialises; the kernel names them
GROUP_BY = tuple(LeaderboardGroup)
MIN_SAMPLE = 20  # the default of ARENA_LEADERBOARD_MIN_SAMPLE (Settings.leaderboard_min_sample)
ALL = "*"

Pair = tuple[str, str, int]  # (run, symbol, horizon): the snapshot, entry price and horizon a decision was judged on


def pair_of(score: DecisionScore) -> Pair:
    return (score.run_id, score.symbol, score.horizon_days)


def excess_over(scores: Sequence[DecisionScore], baseline: dict[Pair, DecisionScore]) -> dict[str, Any]:
    """Signed return minus the baseline's on the same (run, symbol, horizon), per decision, in percentage points.

    Only decisions whose baseline row is scored are paired (`n`); the mean has a bootstrap interval."""
    diffs = [s.signed_return_pct - b.signed_return_pct for s in scores if (b := baseline.get(pair_of(s))) is not None]
    return {
        "n": len(diffs),
        "mean": mean(diffs) if diffs else None,
        "ci": bootstrap_ci(diffs, mean),
        "cumulative": sum(diffs) if diffs else None,
    }


def cost_per_excess_point(cost_per_decision: float | None, excess_mean: float | None) -> float | None:
    """Dollars of LLM cost per percentage point earned over a baseline: cost per decision / mean excess per
    decision. None when nothing is paired or the agent does not beat the baseline (there is no excess to pay for)."""
    if cost_per_decision is None or excess_mean is None or excess_mean <= 0:
        return None
    return round(cost_per_decision / excess_mean, 6)


def entry_metrics(
    scores: list[DecisionScore],
    stats: dict[str, Any] | None,
    baselines: dict[Baseline, dict[Pair, DecisionScore]] | None = None,
) -> dict[str, Any]:
    hits = [1.0 if s.hit else 0.0 for s in scores]
    returns = [s.signed_return_pct for s in scores]
    confs = [s.confidence for s in scores if s.confidence is not None]
    conf_hits = [s.hit for s in scores if s.confidence is not None]
    shadow = shadow_account(scores)
    if stats is not None:
        known = repo.provisional_fields(stats)
    else:  # the arena's final decisions and the baselines: what the scored rows themselves say
        cost = sum(s.llm_cost_usd or 0.0 for s in scores)
        known = {
            "decisions": len(scores),
            "hold_rate": sum(1 for s in scores if s.action == Action.HOLD) / len(scores) if scores else None,
            "llm_cost_usd": round(cost, 6),
            "cost_per_decision_usd": round(cost / len(scores), 6) if scores else None,
        }
    priced = known["llm_cost_usd"] is not None
    all_cost = float(known["llm_cost_usd"] or 0.0)
    cum_alpha = sum(returns)
    excess = {b: excess_over(scores, rows) for b, rows in (baselines or {}).items()}
    return {
        **known,
        "n_scored": len(scores),
        "hit_rate": mean(hits) if hits else None,
        "hit_rate_ci": bootstrap_ci(hits, mean),
        "mean_return_pct": mean(returns) if returns else None,
        "mean_return_ci": bootstrap_ci(returns, mean),
        "cumulative_return_pct": cum_alpha if scores else None,
        "shadow": shadow,
        "cost_per_pnl_usd": round(all_cost / shadow["pnl_usd"], 6) if priced and shadow["pnl_usd"] > 0 else None,
        "cost_per_alpha_point_usd": round(all_cost / cum_alpha, 6) if priced and cum_alpha > 0 else None,
        "excess_return_pct": {b: e["mean"] for b, e in excess.items()} or None,
        "excess_return_ci": {b: e["ci"] for b, e in excess.items()} or None,
        "excess_n": {b: e["n"] for b, e in excess.items()} or None,
        "cost_per_excess_point_usd": {
            b: cost_per_excess_point(known["cost_per_decision_usd"], e["mean"]) for b, e in excess.items()
        }
        or None,
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
    baseline_rows = _baseline_rows(session, **kwargs)
    paired = {b: {pair_of(s): s for s in baseline_rows.get(b, [])} for b in EXCESS_OVER}
    entries = []
    for agg in repo.score_aggregates(session=session, subject=ScoreSubject.AGENT, group_by=group_by, **kwargs):
        rows = repo.score_rows(session=session, subject=ScoreSubject.AGENT, group_by=group_by, key=agg["key"], **kwargs)
        metrics = entry_metrics(rows, stats.get(agg["key"]), paired)
        entries.append({"key": agg["key"], "kind": LeaderboardEntryKind.AGENT, **metrics})
    for baseline, rows in baseline_rows.items():
        entries.append({"key": str(baseline), "kind": LeaderboardEntryKind.BASELINE, **entry_metrics(rows, None)})
    for e in entries:
        e["ranked"] = e["n_scored"] >= min_sample
    ranked = [e for e in entries if e["ranked"]]
    bands = rank_bands([(e["key"], e["hit_rate"], e["hit_rate_ci"]) for e in ranked])
    for e in entries:
        e["rank_band"] = bands.get(e["key"])
        e["status"] = LeaderboardStatus.RANKED if e["ranked"] else LeaderboardStatus.PROVISIONAL
        e["note"] = None if e["ranked"] else f"not enough data ({e['n_scored']} of {min_sample} scored)"
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
        "arena": entry_metrics(consensus, None, paired) if consensus else None,
        "escalation_value": escalation_value(session=session, **kwargs),
        "real_account": real_account(session=session, since=since, until=until),
    }


def _baseline_rows(
    session: Session, *, since: datetime, until: datetime, market: str | None, strategy: str | None
) -> dict[Baseline, list[DecisionScore]]:
    rows = repo.score_rows(
        session=session,
        subject=ScoreSubject.BASELINE,
        group_by=None,
        key=None,
        since=since,
        until=until,
        market=market,
        strategy=strategy,
    )
    out: dict[Baseline, list[DecisionScore]] = {}
    for row in rows:
        if row.profile_name in set(Baseline):
            out.setdefault(Baseline(row.profile_name), []).append(row)
    return {b: out[b] for b in Baseline if b in out}


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
    """Recompute every (window, group_by) snapshot for all data and each market/strategy filter.

    `min_sample`: scored decisions an entry needs to be ranked (the worker passes ARENA_LEADERBOARD_MIN_SAMPLE)."""
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


def live_board(
    *,
    session: Session,
    window: LeaderboardWindow,
    group_by: LeaderboardGroup,
    strategy: str | None,
    market: str | None,
    min_sample: int,
    now: datetime | None = None,
) -> LeaderboardView:
    """The board as the API and the page show it: the stored snapshot with live provisional columns, and the paper
    account read now — fills land every 30 s, the worker's snapshot of it is up to 15 minutes old."""
    board = read_leaderboard(
        session=session, window=window, group_by=group_by, strategy=strategy, market=market, min_sample=min_sample
    )
    at = now or utcnow()
    board.extra["real_account"] = real_account(session=session, since=at - timedelta(days=window.days), until=at)
    return board
