"""Deterministic consensus: a veto, a quorum, then a weighted majority over valid votes; ties are ambiguous.

Rules, in order (docs/ARCHITECTURE.md "How a run decides"):
1. no valid vote → `no_valid_votes`;
2. any valid vote carrying a blocking risk flag (`blocking_risk_flags`, `veto` by default) → `risk_veto`;
   a vote *against* the majority is never a veto by itself, whatever the voter's role;
3. fewer valid votes than the quorum → `no_quorum`;
4. options are (action, symbol) for BUY/SELL and plain HOLD; a vote scores confidence × its role's weight (1.0
   unless configured); the two best options within TIE_EPSILON → `tie` (no winner: the result does not depend on
   names or order);
5. otherwise the best option wins: `unanimous` when nobody dissents, else `weighted_majority`.

Consensus confidence is the winner's score over the total weight (average support, a dissenter counting zero),
so disagreement lowers it. The disagreement rate is the weighted share of votes for another option than the
winner — BUY AAPL against BUY MSFT is disagreement too (for a tie: the smallest such share over the tied options).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from arena.engine.decide.decision import AgentDecision, Sizing
from arena.engine.market.snapshot import MarketSnapshot, PortfolioState
from arena.kernel.kinds import Action, SizingKind

TIE_EPSILON = 1e-9


class ConsensusRule(StrEnum):
    """Which rule decided a round (the coordinator prefixes `escalation_` for the powerful round)."""

    NO_VALID_VOTES = "no_valid_votes"
    RISK_VETO = "risk_veto"
    NO_QUORUM = "no_quorum"
    TIE = "tie"
    UNANIMOUS = "unanimous"
    WEIGHTED_MAJORITY = "weighted_majority"
    JUDGE = "judge"  # a cheap judge's answer settled a tie or a debate


# Rounds that end the run in NO_TRADE at once: paying a judge or the powerful model would not change them.
FINAL_NO_TRADE_RULES = frozenset({ConsensusRule.NO_VALID_VOTES, ConsensusRule.RISK_VETO, ConsensusRule.NO_QUORUM})
# Rounds without a winning option (a tie still goes on to a judge or the powerful model).
NO_MAJORITY_RULES = FINAL_NO_TRADE_RULES | {ConsensusRule.TIE}


@dataclass(frozen=True)
class Vote:
    agent: str
    role: str
    decision: AgentDecision
    weight: float = 1.0


@dataclass(frozen=True)
class Veto:
    """Who blocked the trade, and with which flag."""

    agent: str
    role: str
    flag: str

    def as_dict(self) -> dict[str, str]:
        return {"agent": self.agent, "role": self.role, "flag": self.flag}


@dataclass(frozen=True, kw_only=True)
class ConsensusResult:
    action: Action | None  # None when there is no usable majority
    symbol: str | None
    sizing: Sizing | None
    confidence: float
    disagreement_rate: float
    rule: ConsensusRule
    valid_votes: int
    quorum: int
    veto: Veto | None = None
    trace: dict[str, Any] = field(default_factory=dict)

    @property
    def vetoed(self) -> bool:
        return self.veto is not None


def option_of(decision: AgentDecision) -> str:
    if decision.action == Action.HOLD:
        return Action.HOLD.value
    return f"{decision.action.value}:{decision.primary_symbol}"


def _action_of(option: str) -> Action:
    return Action(option.split(":", 1)[0])


def find_veto(votes: list[Vote], blocking_flags: list[str]) -> Veto | None:
    """The first vote (in the given order) carrying a blocking flag, or None."""
    blocking = {f.strip().lower() for f in blocking_flags}
    for v in votes:
        for flag in v.decision.risk_flags:
            if flag.strip().lower() in blocking:
                return Veto(agent=v.agent, role=v.role, flag=flag.strip().lower())
    return None


def _vote_trace(votes: list[Vote]) -> list[dict[str, Any]]:
    return [
        {
            "agent": v.agent,
            "role": v.role,
            "option": option_of(v.decision),
            "action": v.decision.action,
            "confidence": v.decision.confidence,
            "weight": v.weight,
            "score": v.decision.confidence * v.weight,
            "risk_flags": v.decision.risk_flags,
        }
        for v in votes
    ]


def _dissent(votes: list[Vote], option: str, total_weight: float) -> float:
    """The weighted share of votes for any other option (another action, or the same action on another symbol)."""
    if total_weight <= 0:
        return 1.0
    return sum(v.weight for v in votes if option_of(v.decision) != option) / total_weight


def decide(votes: list[Vote], *, blocking_flags: list[str], quorum: int = 1) -> ConsensusResult:
    """Aggregate valid votes into one result with the whole computation in `trace`."""
    trace: dict[str, Any] = {"votes": _vote_trace(votes), "weighting": "confidence x role weight"}
    trace["quorum"] = {"valid": len(votes), "required": quorum}
    base: dict[str, Any] = {"valid_votes": len(votes), "quorum": quorum, "trace": trace}

    def stop(rule: ConsensusRule, confidence: float, disagreement: float, veto: Veto | None = None) -> ConsensusResult:
        trace["rule"] = rule
        return ConsensusResult(
            action=None,
            symbol=None,
            sizing=None,
            confidence=confidence,
            disagreement_rate=disagreement,
            rule=rule,
            veto=veto,
            **base,
        )

    if not votes:
        return stop(ConsensusRule.NO_VALID_VOTES, 0.0, 1.0)
    veto = find_veto(votes, blocking_flags)
    if veto is not None:
        trace["veto"] = veto.as_dict()
        return stop(ConsensusRule.RISK_VETO, 0.0, 1.0, veto)
    if len(votes) < quorum:
        return stop(ConsensusRule.NO_QUORUM, 0.0, 1.0)

    total = sum(v.weight for v in votes)
    scores: dict[str, float] = {}
    for v in votes:
        scores[option_of(v.decision)] = scores.get(option_of(v.decision), 0.0) + v.decision.confidence * v.weight
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))  # names order the trace only
    top = ranked[0][1]
    tied = [option for option, score in ranked if abs(score - top) <= TIE_EPSILON]
    confidence = top / total if total > 0 else 0.0
    trace.update({"scores": dict(ranked), "confidence": confidence})
    if len(tied) > 1:
        disagreement = min(_dissent(votes, o, total) for o in tied)
        trace.update({"tied": tied, "disagreement_rate": disagreement})
        return stop(ConsensusRule.TIE, confidence, disagreement)

    winner = tied[0]
    winner_action = _action_of(winner)
    disagreement = _dissent(votes, winner, total)
    holds = winner_action == Action.HOLD
    rule = ConsensusRule.UNANIMOUS if disagreement == 0 else ConsensusRule.WEIGHTED_MAJORITY
    trace.update({"winner": winner, "disagreement_rate": disagreement, "rule": rule})
    winners = [v for v in votes if option_of(v.decision) == winner]
    return ConsensusResult(
        action=winner_action,
        symbol=None if holds else winner.split(":", 1)[1],
        sizing=None if holds else _conservative_sizing(winners),
        confidence=confidence,
        disagreement_rate=disagreement,
        rule=rule,
        **base,
    )


def judged(votes: list[Vote], judge: Vote, *, blocking_flags: list[str], quorum: int) -> ConsensusResult:
    """The cheap judge's answer as the candidate: its action, sizing and confidence.

    The judge counts as one more vote for the disagreement rate (so "agreement follows" when it sides with a
    clear part of the cheap votes), and its own blocking flags veto like anyone's.
    """
    everyone = [*votes, judge]
    trace: dict[str, Any] = {"votes": _vote_trace(everyone), "judge": judge.agent, "rule": ConsensusRule.JUDGE}
    trace["quorum"] = {"valid": len(votes), "required": quorum}
    veto = find_veto([judge], blocking_flags)
    d = judge.decision
    if veto is not None:
        trace.update({"veto": veto.as_dict(), "rule": ConsensusRule.RISK_VETO})
        return ConsensusResult(
            action=None,
            symbol=None,
            sizing=None,
            confidence=0.0,
            disagreement_rate=1.0,
            rule=ConsensusRule.RISK_VETO,
            valid_votes=len(votes),
            quorum=quorum,
            veto=veto,
            trace=trace,
        )
    disagreement = _dissent(everyone, option_of(d), sum(v.weight for v in everyone))
    holds = d.action == Action.HOLD
    trace.update({"disagreement_rate": disagreement, "confidence": d.confidence, "winner": option_of(d)})
    return ConsensusResult(
        action=d.action,
        symbol=None if holds else d.primary_symbol,
        sizing=None if holds else d.sizing,
        confidence=d.confidence,
        disagreement_rate=disagreement,
        rule=ConsensusRule.JUDGE,
        valid_votes=len(votes),
        quorum=quorum,
        trace=trace,
    )


def _conservative_sizing(winners: list[Vote]) -> Sizing:
    """The smallest size among the winning votes, compared in pct-equity-free terms (same kind first)."""
    sizings = [v.decision.sizing for v in winners]
    kinds = {s.kind for s in sizings}
    if len(kinds) == 1:
        return min(sizings, key=lambda s: s.value)
    return min(sizings, key=lambda s: (s.kind != SizingKind.PCT_EQUITY, s.value))


def notional_usd(sizing: Sizing, *, symbol: str, snapshot: MarketSnapshot, portfolio: PortfolioState) -> float:
    """The dollar size of a sizing, for the portfolio-delta trigger and the guardrails."""
    if sizing.kind == SizingKind.NOTIONAL_USD:
        return sizing.value
    if sizing.kind == SizingKind.PCT_EQUITY:
        return portfolio.equity * sizing.value / 100.0
    sym = snapshot.symbol(symbol)
    price = sym.last_price if sym is not None else 0.0
    return sizing.value * price
