"""Score decisions once their time horizon has passed: forward return from market bars, hit or miss.

Entry is the price the agents saw (the run's market snapshot `last_price`); exit is the close of the
`horizon`-th daily bar after the entry day (1d/intraday → the next session's close, 5d → the fifth). A BUY hits
when the return is positive, a SELL when negative, a HOLD when the move stays within ±`hold_band_pct`. The signed
return is what following the decision earned (BUY r, SELL −r, HOLD 0); the shadow PnL is that times the
decision's own dollar size. Scored: every valid agent vote (also out-voted ones and debate/escalation answers),
the final consensus (BUY/SELL/HOLD), on escalated runs the cheap consensus alone (escalation's baseline), and the
free baselines (arena/engine/outcomes/baselines.py) once per run, symbol and horizon that any of those was judged on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from arena.engine.decide.consensus import NO_MAJORITY_RULES, notional_usd
from arena.engine.decide.decision import HORIZON_DAYS, Sizing
from arena.engine.market.snapshot import Bar, MarketSnapshot, PortfolioState
from arena.engine.outcomes.baselines import BASELINE_SIZING, Baseline, baseline_action, baseline_key
from arena.kernel.kinds import Action, Phase, ScoreSubject, TimeHorizon
from arena.kernel.states import RunStatus
from arena.storage.models import (
    AgentDecision,
    AgentProfileVersion,
    ArenaRun,
    Consensus,
    DecisionScore,
    Snapshot,
    Strategy,
)

log = logging.getLogger("arena.scoring")
BarSource = Callable[[list[str], datetime], dict[str, list[Bar]]]
DEFAULT_HOLD_BAND_PCT = 1.0


@dataclass
class ScoreReport:
    scored: int = 0
    waiting: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class _Pending:
    subject: ScoreSubject
    key: str
    run: ArenaRun
    decision: AgentDecision | None
    action: Action
    symbol: str
    confidence: float | None
    horizon: int
    sizing: Sizing | None
    cost: float | None
    baseline: Baseline | None = None  # set for a baseline row: its action is decided from the snapshot at scoring


def score_due(
    *,
    sessions: sessionmaker[Session],
    bars: BarSource,
    now: datetime,
    hold_band_pct: float = DEFAULT_HOLD_BAND_PCT,
    lookback_days: int = 120,
) -> ScoreReport:
    """Score everything whose horizon may have passed and is not scored yet; idempotent."""
    report = ScoreReport()
    with sessions() as session:
        pending = _unscored(session, since=now - timedelta(days=lookback_days))
        if not pending:
            return report
        inputs = {r.id: _inputs(session, r) for r in {p.run.id: p.run for p in pending}.values()}
        strategies = {s.id: s for s in session.scalars(select(Strategy))}
        prompts = {
            v.id: f"{v.prompt_template_id}@v{v.prompt_version}" for v in session.scalars(select(AgentProfileVersion))
        }
    entries = [snap.as_of for snap, _ in inputs.values() if snap is not None]
    if not entries:
        report.skipped = len(pending)
        return report
    earliest = min(entries) - timedelta(days=3)
    history = bars(sorted({p.symbol for p in pending}), earliest)
    rows: list[DecisionScore] = []
    for p in pending:
        snap, port = inputs[p.run.id]
        sym = snap.symbol(p.symbol) if snap else None
        series = history.get(p.symbol, [])
        if snap is None or port is None or sym is None:
            report.skipped += 1
            continue
        if p.baseline is not None:
            p = replace(p, action=baseline_action(p.baseline, sym), sizing=BASELINE_SIZING)
        exit_bar = _exit_bar(series, snap.as_of, p.horizon)
        if exit_bar is None:
            report.waiting += 1
            continue
        rows.append(_score(p, snap, port, sym.last_price, exit_bar, strategies, prompts, hold_band_pct))
    with sessions() as session, session.begin():
        for row in rows:
            exists = session.scalar(
                select(DecisionScore.id).where(
                    DecisionScore.subject == row.subject, DecisionScore.subject_key == row.subject_key
                )
            )
            if exists is None:
                session.add(row)
                report.scored += 1
    log.info(
        "scored %d decisions (%d waiting for their horizon, %d without inputs)",
        report.scored,
        report.waiting,
        report.skipped,
    )
    return report


def _exit_bar(series: list[Bar], entry: datetime, horizon: int) -> Bar | None:
    after = [b for b in series if b.t.date() > entry.date()]
    return after[horizon - 1] if len(after) >= horizon else None


def _score(
    p: _Pending,
    snap: MarketSnapshot,
    port: PortfolioState,
    entry_price: float,
    exit_bar: Bar,
    strategies: dict[int, Strategy],
    prompts: dict[int, str],
    band: float,
) -> DecisionScore:
    ret = (exit_bar.c / entry_price - 1.0) * 100.0
    signed = ret if p.action == Action.BUY else -ret if p.action == Action.SELL else 0.0
    hit = ret > 0 if p.action == Action.BUY else ret < 0 if p.action == Action.SELL else abs(ret) <= band
    size = (
        notional_usd(p.sizing, symbol=p.symbol, snapshot=snap, portfolio=port)
        if p.sizing and p.action != Action.HOLD
        else 0.0
    )
    strategy = strategies.get(p.run.strategy_id) if p.run.strategy_id is not None else None
    d = p.decision
    return DecisionScore(
        subject=p.subject,
        subject_key=p.key,
        run_id=p.run.id,
        agent_decision_id=d.id if d else None,
        profile_version_id=d.profile_version_id if d else None,
        profile_name=d.profile_name if d else p.baseline.value if p.baseline else None,
        model=d.model if d else None,
        prompt=prompts.get(d.profile_version_id) if d else None,
        strategy=strategy.name if strategy else None,
        market=strategy.market if strategy else "us_equities",
        escalated=p.run.escalated,
        escalation_reasons=p.run.escalation_reasons,
        symbol=p.symbol,
        action=p.action,
        confidence=p.confidence,
        notional_usd=round(size, 2),
        horizon_days=p.horizon,
        entry_at=snap.as_of,
        exit_at=exit_bar.t,
        entry_price=entry_price,
        exit_price=exit_bar.c,
        forward_return_pct=round(ret, 6),
        signed_return_pct=round(signed, 6),
        pnl_usd=round(size * signed / 100.0, 4),
        hit=hit,
        llm_cost_usd=p.cost,
    )


def _inputs(session: Session, run: ArenaRun) -> tuple[MarketSnapshot | None, PortfolioState | None]:
    def load(digest: str | None) -> str | None:
        row = session.get(Snapshot, digest) if digest else None
        return row.payload if row else None

    market, portfolio = load(run.market_snapshot_hash), load(run.portfolio_snapshot_hash)
    return (
        MarketSnapshot.model_validate(json.loads(market)) if market else None,
        PortfolioState.model_validate(json.loads(portfolio)) if portfolio else None,
    )


def _unscored(session: Session, *, since: datetime) -> list[_Pending]:
    runs = {
        r.id: r
        for r in session.scalars(
            select(ArenaRun).where(ArenaRun.status == RunStatus.COMPLETED, ArenaRun.created_at >= since)
        )
    }
    if not runs:
        return []
    done = {
        (s, k)
        for s, k in session.execute(
            select(DecisionScore.subject, DecisionScore.subject_key).where(DecisionScore.run_id.in_(runs))
        )
    }
    out: list[_Pending] = []
    decisions = session.scalars(
        select(AgentDecision).where(AgentDecision.run_id.in_(runs), AgentDecision.valid.is_(True))
    ).all()
    by_run: dict[str, list[AgentDecision]] = {}
    judged: set[tuple[str, str, int]] = set()  # (run, symbol, horizon) the baselines are scored on
    for d in decisions:
        by_run.setdefault(d.run_id, []).append(d)
        if d.action is None:
            continue
        run = runs[d.run_id]
        judged.add((run.id, (d.symbols or run.symbols)[0], _horizon_days(d.time_horizon)))
        if (ScoreSubject.AGENT, d.id) in done:
            continue
        out.append(
            _Pending(
                ScoreSubject.AGENT,
                d.id,
                run,
                d,
                Action(d.action),
                (d.symbols or run.symbols)[0],
                d.confidence,
                _horizon_days(d.time_horizon),
                Sizing.model_validate(d.sizing) if d.sizing else None,
                float(d.cost_usd) if d.cost_usd is not None else None,
            )
        )
    for c in session.scalars(select(Consensus).where(Consensus.run_id.in_(runs))):
        run = runs[c.run_id]
        horizon = _horizon_days(_horizon(by_run.get(run.id, []), c.final_action))
        cost = float(run.cost_usd) if run.cost_usd is not None else None
        if c.final_action in set(Action):
            judged.add((run.id, c.symbol or run.symbols[0], horizon))
        if c.final_action in set(Action) and (ScoreSubject.CONSENSUS, run.id) not in done:
            out.append(
                _Pending(
                    ScoreSubject.CONSENSUS,
                    run.id,
                    run,
                    None,
                    Action(c.final_action),
                    c.symbol or run.symbols[0],
                    c.confidence,
                    horizon,
                    Sizing.model_validate(c.sizing) if c.sizing else None,
                    cost,
                )
            )
        cheap = _cheap_choice(c, by_run.get(run.id, []))
        if c.escalated and cheap is not None and (ScoreSubject.CHEAP_CONSENSUS, run.id) not in done:
            action, symbol, sizing, conf = cheap
            out.append(
                _Pending(
                    ScoreSubject.CHEAP_CONSENSUS,
                    run.id,
                    run,
                    None,
                    action,
                    symbol or run.symbols[0],
                    conf,
                    horizon,
                    sizing,
                    None,
                )
            )
    return out + _baselines(judged, runs, done)


def _baselines(
    judged: set[tuple[str, str, int]], runs: dict[str, ArenaRun], done: set[tuple[str, str]]
) -> list[_Pending]:
    """Every baseline on every (run, symbol, horizon) an agent or the consensus decided on, not yet scored."""
    out = []
    for run_id, symbol, horizon in sorted(judged):
        for b in Baseline:
            key = baseline_key(b, run_id=run_id, symbol=symbol, horizon_days=horizon)
            if (ScoreSubject.BASELINE, key) not in done:
                out.append(
                    _Pending(
                        ScoreSubject.BASELINE, key, runs[run_id], None, Action.HOLD, symbol, None, horizon, None, 0.0, b
                    )
                )
    return out


def _horizon_days(horizon: str | None) -> int:
    """Trading days until a decision is judged; an unknown or missing horizon counts as one day."""
    return HORIZON_DAYS.get(TimeHorizon(horizon), 1) if horizon in set(TimeHorizon) else 1


def _horizon(decisions: list[AgentDecision], action: str) -> str:
    return next((d.time_horizon for d in decisions if d.action == action and d.time_horizon), TimeHorizon.ONE_DAY)


def _cheap_choice(
    c: Consensus, decisions: list[AgentDecision]
) -> tuple[Action, str | None, Sizing | None, float | None] | None:
    """What the cheap round alone would have done: its winning option (NO_TRADE when it had none → not scored)."""
    cheap = c.trace.get("cheap", {}) if isinstance(c.trace, dict) else {}
    winner = cheap.get("winner")
    if not winner or cheap.get("rule") in NO_MAJORITY_RULES:
        return None
    option, _, symbol = str(winner).partition(":")
    action = Action(option)
    votes = [
        d
        for d in decisions
        if d.phase in (Phase.CHEAP, Phase.DEBATE)
        and d.action == action
        and (not symbol or (d.symbols and d.symbols[0] == symbol))
    ]
    sizes = [Sizing.model_validate(d.sizing) for d in votes if d.sizing]
    sizing = min(sizes, key=lambda s: s.value) if sizes else None
    return action, symbol or None, sizing, cheap.get("confidence")
