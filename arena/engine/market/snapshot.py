"""The market snapshot and portfolio state agents see; canonical JSON so equal inputs hash equally."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from arena.kernel.kinds import PositionSide, Regime


class Bar(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    t: datetime
    o: float
    h: float
    l: float  # noqa: E741 - the wire name
    c: float
    v: float


class Indicators(BaseModel):
    """What the prompts quote; None when there are too few bars to compute it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    last_close: float
    return_1d_pct: float | None = None
    return_5d_pct: float | None = None
    sma_10: float | None = None
    sma_30: float | None = None
    rsi_14: float | None = None
    atr_14: float | None = None
    realized_vol_20d_pct: float | None = Field(default=None, description="annualised stdev of daily returns")


class SymbolSnapshot(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    symbol: str
    bars: list[Bar]
    bid: float | None = None
    ask: float | None = None
    last_price: float
    indicators: Indicators
    regime: Regime


class MarketSnapshot(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    as_of: datetime
    timeframe: str = "1Day"
    symbols: list[SymbolSnapshot]
    regime: Regime = Field(description="high_volatility when any symbol is")
    regime_rule: str = Field(description="the rule and threshold that set the regime, for the record")

    def symbol(self, symbol: str) -> SymbolSnapshot | None:
        return next((s for s in self.symbols if s.symbol == symbol), None)


class Position(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    symbol: str
    qty: float
    market_value: float
    avg_entry_price: float
    side: PositionSide = PositionSide.LONG


class PortfolioState(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    as_of: datetime
    equity: float
    cash: float
    buying_power: float
    positions: list[Position] = Field(default_factory=list)

    def position(self, symbol: str) -> Position | None:
        return next((p for p in self.positions if p.symbol == symbol), None)


def canonical_json(value: BaseModel | dict[str, Any] | list[Any]) -> str:
    """Sorted keys, no whitespace, ISO timestamps: the same content always gives the same bytes."""
    data = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
