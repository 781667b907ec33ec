"""Checks before any order; every check's outcome is kept (pass/fail + reason), a failure blocks the order."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from arena.engine.config.guardrails import GuardrailConfig
from arena.engine.execution.sizing import SizedOrder
from arena.engine.market.snapshot import PortfolioState
from arena.kernel.kinds import Side
from arena.kernel.states import TradingState


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GuardrailInputs:
    symbol: str
    confidence: float | None
    order: SizedOrder
    portfolio: PortfolioState
    market_open: bool | None  # None when the clock could not be read
    tradable: bool | None  # None when the asset could not be read
    shortable: bool | None
    orders_today: int
    llm_spend_today_usd: float


def evaluate(config: GuardrailConfig, i: GuardrailInputs) -> list[Check]:
    """All checks, in a fixed order, each with the numbers it compared."""
    o, p = i.order, i.portfolio
    checks = [
        _trading_state(config, o),
        Check(
            "confidence",
            i.confidence is not None and i.confidence >= config.min_confidence,
            f"consensus confidence {_fmt(i.confidence)} vs minimum {config.min_confidence:.2f}",
        ),
        Check("size", o.qty > 0, f"{o.qty:g} shares at {o.price:.2f} ({o.rule})"),
        Check(
            "max_order_notional",
            o.notional <= config.max_order_notional_usd,
            f"order ${o.notional:,.2f} vs limit ${config.max_order_notional_usd:,.2f}",
        ),
        _position_limit(config, i),
        Check(
            "buying_power",
            (o.side == Side.SELL and not o.opens_short) or o.notional <= p.buying_power,
            f"order ${o.notional:,.2f} vs buying power ${p.buying_power:,.2f}",
        ),
        _symbol_allowed(config, i),
        Check(
            "short_sale",
            not o.opens_short or bool(i.shortable),
            "opens a short: asset " + ("is" if i.shortable else "is not (or unknown)") + " shortable"
            if o.opens_short
            else "not a short sale",
        ),
        _market_session(config, i),
        Check(
            "max_orders_per_day",
            i.orders_today < config.max_orders_per_day,
            f"{i.orders_today} orders today vs limit {config.max_orders_per_day}",
        ),
        Check(
            "daily_llm_spend",
            i.llm_spend_today_usd <= config.daily_llm_spend_cap_usd,
            f"LLM spend today ${i.llm_spend_today_usd:.4f} vs cap ${config.daily_llm_spend_cap_usd:.2f}",
        ),
    ]
    return checks


def _fmt(value: float | None) -> str:
    return "none" if value is None else f"{value:.2f}"


def _trading_state(config: GuardrailConfig, o: SizedOrder) -> Check:
    state = config.trading_state
    if state == TradingState.HALTED:
        return Check("trading_state", False, "trading is HALTED (kill switch)")
    if state == TradingState.REDUCING and not o.reduces_position:
        return Check("trading_state", False, "REDUCING: only orders that shrink a position are allowed")
    return Check("trading_state", True, f"trading state {state}")


def _position_limit(config: GuardrailConfig, i: GuardrailInputs) -> Check:
    p, o = i.portfolio, i.order
    held = p.position(i.symbol)
    current = held.market_value if held is not None else 0.0
    after = current + o.notional if o.side == Side.BUY else current - o.notional
    pct = 100.0 * abs(after) / p.equity if p.equity > 0 else float("inf")
    ok = pct <= config.max_position_pct_equity or abs(after) < abs(current)
    return Check(
        "max_position_pct_equity",
        ok,
        f"position after order {pct:.2f}% of equity vs limit {config.max_position_pct_equity:.2f}%",
    )


def _symbol_allowed(config: GuardrailConfig, i: GuardrailInputs) -> Check:
    if i.tradable is None:
        return Check("tradable_symbol", False, f"could not confirm {i.symbol} is tradable at the broker")
    if not i.tradable:
        return Check("tradable_symbol", False, f"{i.symbol} is not tradable at the broker")
    if config.allowed_symbols and i.symbol not in config.allowed_symbols:
        return Check("tradable_symbol", False, f"{i.symbol} is not in the allowed list {config.allowed_symbols}")
    return Check("tradable_symbol", True, f"{i.symbol} tradable" + (" and allowed" if config.allowed_symbols else ""))


def _market_session(config: GuardrailConfig, i: GuardrailInputs) -> Check:
    if not config.require_market_open:
        return Check("market_session", True, "market-open check disabled")
    if i.market_open is None:
        return Check("market_session", False, "could not read the market clock")
    return Check("market_session", i.market_open, "market is open" if i.market_open else "market is closed")
