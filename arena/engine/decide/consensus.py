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
from typing import Any

from arena.engine.decide.decision import AgentDecision, Sizing
from arena.engine.market.snapshot import MarketSnapshot, PortfolioState

TIE_EPSILON = 1e-9


@dataclass(frozen=True)
class Vote:
    agent: str
    role: str
    decision: AgentDecision


@dataclass(frozen=True)
class ConsensusResult:
    action: str | None  # BUY | SELL | HOLD, or None when there is no usable majority
    symbol: str | None
    sizing: Sizing | None
    confidence: float
    disagreement_rate: float
    rule: str
    vetoed: bool
    ambiguous: bool
    trace: dict[str, Any] = field(default_factory=dict)


def option_of(decision: AgentDecision) -> str:
    return "HOLD" if decision.action == "HOLD" else f"{decision.action}:{decision.primary_symbol}"


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
        trace["rule"] = "no_valid_votes"
        return ConsensusResult(None, None, None, 0.0, 1.0, "no_valid_votes", False, True, trace)

    scores: dict[str, float] = {}
    for v in votes:
        scores[option_of(v.decision)] = scores.get(option_of(v.decision), 0.0) + v.decision.confidence
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    trace["scores"] = dict(ranked)
    winner, top = ranked[0]
    ambiguous = len(ranked) > 1 and abs(ranked[1][1] - top) <= TIE_EPSILON
    winner_action = winner.split(":", 1)[0]
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
    if veto is not None and winner_action != "HOLD":
        trace["rule"] = "risk_veto"
        trace["veto"] = veto
        return ConsensusResult(None, None, None, confidence, disagreement, "risk_veto", True, False, trace)
    if ambiguous:
        trace["rule"] = "tie"
        return ConsensusResult(None, None, None, confidence, disagreement, "tie", False, True, trace)

    symbol = None if winner_action == "HOLD" else winner.split(":", 1)[1]
    sizing = None if winner_action == "HOLD" else _conservative_sizing(winners)
    rule = "unanimous" if disagreement == 0 else "weighted_majority"
    trace["rule"] = rule
    return ConsensusResult(winner_action, symbol, sizing, confidence, disagreement, rule, False, False, trace)


def _veto(
    votes: list[Vote], winner_action: str, *, min_confidence: float, blocking_flags: list[str]
) -> dict[str, Any] | None:
    blocking = {f.lower() for f in blocking_flags}
    for v in votes:
        flags = {f.lower() for f in v.decision.risk_flags}
        if flags & blocking:
            return {"agent": v.agent, "reason": f"blocking risk flag {sorted(flags & blocking)}"}
        if v.role == "risk_manager" and v.decision.action != winner_action and v.decision.confidence >= min_confidence:
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
    return min(sizings, key=lambda s: (s.kind != "pct_equity", s.value))


def notional_usd(sizing: Sizing, *, symbol: str, snapshot: MarketSnapshot, portfolio: PortfolioState) -> float:
    """The dollar size of a sizing, for the portfolio-delta trigger and the guardrails."""
    if sizing.kind == "notional_usd":
        return sizing.value
    if sizing.kind == "pct_equity":
        return portfolio.equity * sizing.value / 100.0
    sym = snapshot.symbol(symbol)
    price = sym.last_price if sym is not None else 0.0
    return sizing.value * price
