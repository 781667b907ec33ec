"""When the cheap round is not enough: the brief's four triggers, each a reason code on the run."""

from __future__ import annotations

from arena.engine.config.guardrails import GuardrailConfig
from arena.engine.decide.consensus import ConsensusResult, notional_usd
from arena.engine.market.snapshot import MarketSnapshot, PortfolioState

DISAGREEMENT = "disagreement"
LOW_CONFIDENCE = "low_confidence"
HIGH_VOLATILITY = "high_volatility"
PORTFOLIO_DELTA = "portfolio_delta"


def escalation_reasons(
    result: ConsensusResult, *, config: GuardrailConfig, snapshot: MarketSnapshot, portfolio: PortfolioState
) -> list[str]:
    """Reasons to ask the powerful model; empty means the cheap consensus stands."""
    if result.vetoed or result.rule == "no_valid_votes":
        return []  # a veto or a round with no usable answer ends in NO_TRADE; paying more would not change it
    reasons: list[str] = []
    if result.disagreement_rate > config.disagreement_rate:
        reasons.append(DISAGREEMENT)
    if result.confidence < config.min_confidence:
        reasons.append(LOW_CONFIDENCE)
    if snapshot.regime == "high_volatility":
        reasons.append(HIGH_VOLATILITY)
    if portfolio_delta_pct(result, snapshot=snapshot, portfolio=portfolio) > config.high_risk_portfolio_delta_pct:
        reasons.append(PORTFOLIO_DELTA)
    return reasons


def portfolio_delta_pct(result: ConsensusResult, *, snapshot: MarketSnapshot, portfolio: PortfolioState) -> float:
    if result.action not in ("BUY", "SELL") or result.sizing is None or result.symbol is None:
        return 0.0
    if portfolio.equity <= 0:
        return float("inf")
    value = notional_usd(result.sizing, symbol=result.symbol, snapshot=snapshot, portfolio=portfolio)
    return 100.0 * value / portfolio.equity
