"""Deterministic consensus: confidence-weighted majority over valid votes, a risk veto, ties are ambiguous.

Options are (action, symbol) for BUY/SELL and plain HOLD. An option's score is the sum of its voters'
confidences; the winner has the highest score. Consensus confidence is that score divided by the number of valid
votes (the average support, counting a dissenter as zero), so disagreement lowers it. The disagreement rate is
the share of valid votes whose action differs from the winning action. A risk veto (a risk manager's or any
agent's blocking risk flag, or a risk manager voting the other way with confidence ≥ min_confidence) ends in
NO_TRADE whatever the majority says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from arena.engine.decide.decision import AgentDecision, Sizing
from arena.engine.market.snapshot import MarketSnapshot, PortfolioState
from arena.kernel.kinds import Action, Role, SizingKind

TIE_EPSILON = 1e-9


class ConsensusRule(StrEnum):
    """Which rule decided a round (the coordinator prefixes `escalation_` for the powerful round)."""

    NO_VALID_VOTES = "no_valid_votes"
    RISK_VETO = "risk_veto"
    TIE = "tie"
    UNANIMOUS = "unanimous"
    WEIGHTED_MAJORITY = "weighted_majority"


NO_MAJORITY_RULES = frozenset({ConsensusRule.NO_VALID_VOTES, ConsensusRule.RISK_VETO, ConsensusRule.TIE})


@dataclass(frozen=True)
class Vote:
    agent: str
    role: str
    decision: AgentDecision


@dataclass(frozen=True, kw_only=True)
class ConsensusResult:
    action: Action | None  # None when there is no usable majority
    symbol: str | None
    sizing: Sizing | None
    confidence: float
    disagreement_rate: float
    rule: ConsensusRule
    vetoed: bool
    ambiguous: bool
    trace: dict[str, Any] = field(default_factory=dict)


def _no_majority(
    rule: ConsensusRule,
    trace: dict[str, Any],
    *,
    confidence: float,
    disagreement: float,
    vetoed: bool,
    ambiguous: bool,
) -> ConsensusResult:
    """A round without a usable majority (no votes, a veto or a tie): no action, the rule says why."""
    trace["rule"] = rule
    return ConsensusResult(
        action=None,
        symbol=None,
        sizing=None,
        confidence=confidence,
        disagreement_rate=disagreement,
        rule=rule,
        vetoed=vetoed,
        ambiguous=ambiguous,
        trace=trace,
    )


def option_of(decision: AgentDecision) -> str:
    if decision.action == Action.HOLD:
        return Action.HOLD.value
    return f"{decision.action.value}:{decision.primary_symbol}"


def decide(votes: list[Vote], *, min_confidence: float, blocking_flags: list[str]) -> ConsensusResult:
    """Aggregate valid votes into one result with the whole computation in `trace`."""
    trace: dict[str, Any] = {
        "votes": [
            {
                "agent": v.agent,
                "role": v.role,
                "option": option_of(v.decision),
                "action": v.decision.action,
                "confidence": v.decision.confidence,
                "weight": v.decision.confidence,
                "risk_flags": v.decision.risk_flags,
            }
            for v in votes
        ],
        "weighting": "confidence",
    }
    if not votes:
        return _no_majority(
            ConsensusRule.NO_VALID_VOTES, trace, confidence=0.0, disagreement=1.0, vetoed=False, ambiguous=True
        )

    scores: dict[str, float] = {}
    for v in votes:
        scores[option_of(v.decision)] = scores.get(option_of(v.decision), 0.0) + v.decision.confidence
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    trace["scores"] = dict(ranked)
    winner, top = ranked[0]
    ambiguous = len(ranked) > 1 and abs(ranked[1][1] - top) <= TIE_EPSILON
    winner_action = Action(winner.split(":", 1)[0])
    winners = [v for v in votes if option_of(v.decision) == winner]
    disagreement = sum(1 for v in votes if v.decision.action != winner_action) / len(votes)
    confidence = top / len(votes)
    trace.update(
        {
            "winner": winner,
            "disagreement_rate": disagreement,
            "confidence": confidence,
            "ambiguous": ambiguous,
        }
    )

    veto = _veto(votes, winner_action, min_confidence=min_confidence, blocking_flags=blocking_flags)
    if veto is not None and winner_action != Action.HOLD:
        trace["veto"] = veto
        return _no_majority(
            ConsensusRule.RISK_VETO,
            trace,
            confidence=confidence,
            disagreement=disagreement,
            vetoed=True,
            ambiguous=False,
        )
    if ambiguous:
        return _no_majority(
            ConsensusRule.TIE, trace, confidence=confidence, disagreement=disagreement, vetoed=False, ambiguous=True
        )

    holds = winner_action == Action.HOLD
    rule = ConsensusRule.UNANIMOUS if disagreement == 0 else ConsensusRule.WEIGHTED_MAJORITY
    trace["rule"] = rule
    return ConsensusResult(
        action=winner_action,
        symbol=None if holds else winner.split(":", 1)[1],
        sizing=None if holds else _conservative_sizing(winners),
        confidence=confidence,
        disagreement_rate=disagreement,
        rule=rule,
        vetoed=False,
        ambiguous=False,
        trace=trace,
    )


def _veto(
    votes: list[Vote], winner_action: str, *, min_confidence: float, blocking_flags: list[str]
) -> dict[str, Any] | None:
    blocking = {f.lower() for f in blocking_flags}
    for v in votes:
        flags = {f.lower() for f in v.decision.risk_flags}
        if flags & blocking:
            return {"agent": v.agent, "reason": f"blocking risk flag {sorted(flags & blocking)}"}
        if (
            v.role == Role.RISK_MANAGER
            and v.decision.action != winner_action
            and v.decision.confidence >= min_confidence
        ):
            return {
                "agent": v.agent,
                "reason": f"risk manager votes {v.decision.action} with confidence {v.decision.confidence:.2f}",
            }
    return None


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
