"""When the cheap round is not enough: the brief's four triggers plus a tie, each a reason code on the run."""

from __future__ import annotations

from enum import StrEnum

from arena.engine.config.guardrails import GuardrailConfig
from arena.engine.decide.consensus import FINAL_NO_TRADE_RULES, ConsensusResult, ConsensusRule, notional_usd
from arena.engine.market.snapshot import MarketSnapshot, PortfolioState
from arena.kernel.kinds import Action, Regime


class EscalationReason(StrEnum):
    """Why a run asked the powerful model (`ai_arena_runs.escalation_reasons`)."""

    DISAGREEMENT = "disagreement"
    LOW_CONFIDENCE = "low_confidence"
    HIGH_VOLATILITY = "high_volatility"
    PORTFOLIO_DELTA = "portfolio_delta"
    TIE = "tie"  # the cheap votes tied and no cheap judge settled it


def escalation_reasons(
    result: ConsensusResult, *, config: GuardrailConfig, snapshot: MarketSnapshot, portfolio: PortfolioState
) -> list[str]:
    """Reasons to ask the powerful model; empty means the cheap consensus stands."""
    if result.rule in FINAL_NO_TRADE_RULES:
        return []  # a veto, no quorum or no usable answer ends in NO_TRADE; paying more would not change it
    reasons: list[str] = []
    if result.rule == ConsensusRule.TIE:
        reasons.append(EscalationReason.TIE)
    if result.disagreement_rate > config.disagreement_rate:
        reasons.append(EscalationReason.DISAGREEMENT)
    if result.confidence < config.min_confidence:
        reasons.append(EscalationReason.LOW_CONFIDENCE)
    if snapshot.regime == Regime.HIGH_VOLATILITY:
        reasons.append(EscalationReason.HIGH_VOLATILITY)
    if portfolio_delta_pct(result, snapshot=snapshot, portfolio=portfolio) > config.high_risk_portfolio_delta_pct:
        reasons.append(EscalationReason.PORTFOLIO_DELTA)
    return reasons


def portfolio_delta_pct(result: ConsensusResult, *, snapshot: MarketSnapshot, portfolio: PortfolioState) -> float:
    if result.action not in (Action.BUY, Action.SELL) or result.sizing is None or result.symbol is None:
        return 0.0
    if portfolio.equity <= 0:
        return float("inf")
    value = notional_usd(result.sizing, symbol=result.symbol, snapshot=snapshot, portfolio=portfolio)
    return 100.0 * value / portfolio.equity
