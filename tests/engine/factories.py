"""Builders for engine tests: decisions, snapshots and portfolios with explicit numbers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from arena.engine.decide.decision import AgentDecision, Sizing
from arena.engine.market.snapshot import Indicators, MarketSnapshot, PortfolioState, SymbolSnapshot

AS_OF = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)


def decision(
    action: str = "BUY",
    confidence: float = 0.8,
    symbol: str = "AAPL",
    *,
    pct: float = 1.0,
    flags: list[str] | None = None,
) -> AgentDecision:
    return AgentDecision.model_validate(decision_dict(action, confidence, symbol, pct=pct, flags=flags))


def decision_dict(
    action: str = "BUY",
    confidence: float = 0.8,
    symbol: str = "AAPL",
    *,
    pct: float = 1.0,
    flags: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "action": action,
        "symbols": [symbol] if symbol else [],
        "sizing": Sizing(kind="pct_equity", value=pct).model_dump(),
        "time_horizon": "5d",
        "rationale": f"{action} because the test says so",
        "risk_flags": flags or [],
        "confidence": confidence,
        "required_tools": [],
        "data_dependencies": ["daily_bars"],
    }


def decision_json(*args: Any, **kwargs: Any) -> str:
    return json.dumps(decision_dict(*args, **kwargs))


def snapshot(regime: str = "normal", price: float = 100.0, symbols: tuple[str, ...] = ("AAPL",)) -> MarketSnapshot:
    syms = [
        SymbolSnapshot(
            symbol=s,
            bars=[],
            bid=price - 0.01,
            ask=price + 0.01,
            last_price=price,
            indicators=Indicators(last_close=price),
            regime=regime,  # type: ignore[arg-type]
        )
        for s in symbols
    ]
    return MarketSnapshot(as_of=AS_OF, symbols=syms, regime=regime, regime_rule="test")  # type: ignore[arg-type]


def portfolio(equity: float = 100_000.0) -> PortfolioState:
    return PortfolioState(as_of=AS_OF, equity=equity, cash=equity, buying_power=equity * 2)
