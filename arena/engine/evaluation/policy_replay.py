"""Policy replay: re-decide recorded runs under other routing settings with zero LLM calls.

Each run is re-decided by the engine's own steps, in the coordinator's order (docs/ARCHITECTURE.md "How a run
decides"): `consensus.decide` over the recorded cheap votes → stop (veto, quorum) → the recorded cheap judge where
the run needs one → `escalation.escalation_reasons` → the recorded powerful answers through
`coordinator.settle_escalation`. A counterfactual that needs an answer that was never recorded (a powerful call,
or a judge, the real run did not make) is `unknown` — never guessed. docs/EVALUATION.md explains every number.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from arena.engine.config.guardrails import GuardrailConfig, load_config
from arena.engine.decide import escalation
from arena.engine.decide.consensus import FINAL_NO_TRADE_RULES, ConsensusResult, ConsensusRule, Vote, decide, judged
from arena.engine.decide.coordinator import (
    FinalDecision,
    cheap_final,
    no_power_decision,
    power_cap_decision,
    settle_escalation,
    stopped_decision,
)
from arena.engine.evaluation.recorded import PreparedRun, prepare
from arena.engine.evaluation.scenarios import REPLAYABLE, Scenario, parse_sets, parse_window, scenarios
from arena.engine.evaluation.scoring import ScoreBook, quality
from arena.kernel.clock import utcnow
from arena.kernel.kinds import DecidedBy, RunMode, SizingKind
from arena.storage.read.replay_inputs import read_last_prices, read_replay_runs, read_replay_scores


@dataclass(frozen=True, slots=True)
class Redecided:
    """One run under one scenario. `unknown` says which recorded answer would have been needed."""

    action: str | None
    symbol: str | None
    decided_by: str | None
    escalation_needed: bool
    power_calls: int
    cost_usd: float
    unknown: str | None = None


@dataclass
class _Cache:
    """Cheap-round results per (run, quorum): the other replayable settings do not change them."""

    cheap: dict[tuple[int, int], ConsensusResult] = field(default_factory=dict)
    judged: dict[tuple[int, int], ConsensusResult] = field(default_factory=dict)
    votes: dict[int, list[Vote]] = field(default_factory=dict)
    # the powerful answers as votes and their consensus (flags and weights are the current ones in every scenario)
    power_votes: dict[int, list[Vote]] = field(default_factory=dict)
    power_decided: dict[int, ConsensusResult] = field(default_factory=dict)
    # consensus.decide over the same votes gives the same result: runs whose votes are equal (same agents, roles,
    # weights and answers — equal answers are one object, recorded.py) share it
    by_votes: dict[tuple[Any, ...], ConsensusResult] = field(default_factory=dict)

    def decided(self, votes: list[Vote], flags: list[str], quorum: int) -> ConsensusResult:
        key = (quorum, *((v.agent, v.role, v.weight, id(v.decision)) for v in votes))
        result = self.by_votes.get(key)
        if result is None:
            result = self.by_votes[key] = decide(votes, blocking_flags=flags, quorum=quorum)
        return result


def _final(final: FinalDecision, p: PreparedRun, *, needed: bool, power: int, cost: float) -> Redecided:
    return Redecided(str(final.action), final.symbol, str(final.decided_by), needed, power, cost)


def redecide(p: PreparedRun, config: GuardrailConfig, *, index: int = 0, cache: _Cache | None = None) -> Redecided:
    """The run's final decision under `config`, from its recorded answers only."""
    cache = cache if cache is not None else _Cache()
    assert p.snapshot is not None and p.portfolio is not None, "skipped runs are not re-decided"
    votes = cache.votes.get(index)
    if votes is None:
        votes = cache.votes[index] = p.vote_list(config.role_weights)
    flags, quorum = config.blocking_risk_flags, config.min_valid_votes
    key = (index, quorum)
    cheap = cache.cheap.get(key)
    if cheap is None:
        cheap = cache.cheap[key] = cache.decided(votes, flags, quorum)
    trace: dict[str, Any] = {}
    cost = p.cheap_cost
    if cheap.rule in FINAL_NO_TRADE_RULES:
        final = stopped_decision(cheap, spend_refused=p.decided_by == DecidedBy.SPEND_CAP and not p.power, trace=trace)
        return _final(final, p, needed=False, power=0, cost=cost)

    candidate, decided_by = cheap, DecidedBy.CHEAP_CONSENSUS
    judge_vote: Vote | None = None
    if p.mode == RunMode.DEBATE or cheap.rule == ConsensusRule.TIE:
        if not p.judge_asked and not p.passed_cheap_stop:
            return Redecided(None, None, None, False, 0, cost, unknown="cheap judge never asked")
        cost += p.judge_cost
        if p.judge is not None and p.judge.decision is not None:
            judge_vote = Vote(p.judge.agent, p.judge.role, p.judge.decision, config.role_weight(p.judge.role))
    if judge_vote is not None:
        candidate = cache.judged.get(key)  # type: ignore[assignment]
        if candidate is None:
            candidate = cache.judged[key] = judged(votes, judge_vote, blocking_flags=flags, quorum=quorum)
        decided_by = DecidedBy.CHEAP_JUDGE
        if candidate.veto is not None:
            return _final(
                stopped_decision(candidate, spend_refused=False, trace=trace), p, needed=False, power=0, cost=cost
            )

    reasons = escalation.escalation_reasons(candidate, config=config, snapshot=p.snapshot, portfolio=p.portfolio)
    if not reasons:
        final = cheap_final(candidate, [*votes, *([judge_vote] if judge_vote else [])], decided_by)
        return _final(final, p, needed=False, power=0, cost=cost)
    if p.power:
        power_votes = cache.power_votes.get(index)
        if power_votes is None:
            power_votes = [Vote(a.agent, a.role, a.decision, config.role_weight(a.role)) for a in p.power if a.decision]
            cache.power_votes[index] = power_votes
            cache.power_decided[index] = cache.decided(power_votes, flags, 1)
        refused = p.decided_by == DecidedBy.SPEND_CAP and not power_votes
        final = settle_escalation(
            power_votes,
            config=config,
            spend_refused=refused,
            snapshot=p.snapshot,
            portfolio=p.portfolio,
            trace=trace,
            decided=cache.power_decided[index],
        )
        return _final(final, p, needed=True, power=p.power_calls, cost=cost + p.power_cost)
    if p.decided_by == DecidedBy.NO_POWER_PROFILE:
        return _final(no_power_decision(reasons), p, needed=True, power=0, cost=cost)
    if p.decided_by == DecidedBy.POWER_CAP_REACHED:
        return _final(power_cap_decision(config), p, needed=True, power=0, cost=cost)
    return Redecided(None, None, None, True, 0, cost, unknown="powerful answer never recorded")


def _changed(p: PreparedRun, r: Redecided) -> bool:
    return (r.action, r.symbol) != (p.final_action, p.final_symbol)


def _scenario_row(
    scenario: Scenario, prepared: list[PreparedRun], book: ScoreBook, cache: _Cache, current: dict[str, Any]
) -> dict[str, Any]:
    results = [redecide(p, scenario.config, index=i, cache=cache) for i, p in enumerate(prepared)]
    known = [(p, r) for p, r in zip(prepared, results, strict=True) if r.unknown is None]
    decisions = [(p.run_id, p.symbols, r.action, r.symbol) for p, r in known]
    return {
        "settings": scenario.settings,
        "current": scenario.settings == current,
        "escalations": sum(1 for r in results if r.escalation_needed),
        "power_calls": sum(r.power_calls for r in results),
        "cost_usd": round(sum(r.cost_usd for r in results), 6),
        "decisions_changed": sum(1 for p, r in known if _changed(p, r)),
        "unknown": len(results) - len(known),
        "no_trade": sum(1 for _, r in known if r.action == "NO_TRADE"),
        **quality(book, decisions),
    }


def _actual(prepared: list[PreparedRun], book: ScoreBook, current: dict[str, Any]) -> dict[str, Any]:
    decisions = [(p.run_id, p.symbols, p.final_action, p.final_symbol) for p in prepared]
    return {
        "settings": current,
        "escalations": sum(1 for p in prepared if p.escalation_needed),
        "power_calls": sum(p.power_calls for p in prepared),
        "cost_usd": round(sum(p.total_cost for p in prepared), 6),
        "no_trade": sum(1 for p in prepared if p.final_action == "NO_TRADE"),
        **quality(book, decisions),
    }


def replay_policy(*, session: Session, window: str, sets: list[str], now: datetime | None = None) -> dict[str, Any]:
    """The whole report: `{window, runs_considered, skipped, actual, scenarios}` (docs/EVALUATION.md)."""
    days = parse_window(window)
    base = load_config(session=session)
    tried = scenarios(base, parse_sets(sets))  # bad input is refused before anything is read
    since = (now or utcnow()) - timedelta(days=days)
    runs = read_replay_runs(session=session, since=since)
    shares = {
        r.market_hash
        for r in runs
        if r.market_hash and any(a.sizing and a.sizing.get("kind") == SizingKind.SHARES for a in r.answers)
    }
    prices = read_last_prices(session=session, hashes=shares)
    book = ScoreBook(read_replay_scores(session=session, since=since))
    prepared, skipped = [], Counter[str]()
    for run in runs:
        p = prepare(run, prices.get(run.market_hash or "", {}))
        if p.skip is not None:
            skipped[p.skip] += 1
        else:
            prepared.append(p)
    current = {key: getattr(base, key) for key in REPLAYABLE}
    cache = _Cache()
    return {
        "window": window,
        "since": since.isoformat(),
        "runs_considered": len(prepared),
        "skipped": dict(sorted(skipped.items())),
        "actual": _actual(prepared, book, current),
        "scenarios": [_scenario_row(s, prepared, book, cache, current) for s in tried],
    }
