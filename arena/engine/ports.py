"""What the engine needs from the outside world, as ports: the broker, and market data.

The engine calls these protocols and never a vendor SDK; `arena.adapters.alpaca` implements them and
`arena.bootstrap.services` wires the implementations in. The value types that cross the ports live here too, so
an adapter builds them without reaching into the engine's logic.

    Broker       orders (submit, look up by client_order_id), the market clock, asset flags
    MarketFeed   raw market facts: daily bars, latest quotes, recent bars, news, the account and its positions
    MarketData   what runs and scoring ask for: a market snapshot with indicators, the portfolio, daily bars
                 (arena.engine.market.service.MarketService builds it from a MarketFeed)

Errors crossing a port are Arena's own (arena.kernel.errors): BrokerUnavailable (retry later), BrokerRejected
(give up and record; DuplicateClientOrderId for a reused client_order_id), ConfigurationError, and
InvalidRequestError for a request the broker cannot take (unknown symbol, bad quantity).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from arena.engine.llm.types import LLMCall, LLMCallResult
from arena.engine.market.snapshot import Bar, MarketSnapshot, PortfolioState
from arena.kernel.kinds import Side

TimeInForceName = Literal["day", "gtc", "opg", "cls", "ioc", "fok"]


class BrokerOrderView(BaseModel):
    """A broker order as Arena records it; `status` is the broker's own lower-case status string."""

    model_config = ConfigDict(frozen=True)

    broker_order_id: str
    client_order_id: str
    symbol: str | None
    side: str | None
    qty: float | None
    notional: float | None
    filled_qty: float
    filled_avg_price: float | None
    status: str
    submitted_at: datetime | None
    updated_at: datetime | None
    filled_at: datetime | None
    raw: dict[str, Any]


class ClockView(BaseModel):
    model_config = ConfigDict(frozen=True)

    is_open: bool
    next_open: datetime
    next_close: datetime


class AssetView(BaseModel):
    model_config = ConfigDict(frozen=True)

    symbol: str
    tradable: bool
    fractionable: bool
    shortable: bool


class QuoteView(BaseModel):
    """The latest quote's two sides; None for an empty side."""

    model_config = ConfigDict(frozen=True)

    bid: float | None
    ask: float | None


class NewsItem(BaseModel):
    """One news article as the tools hand it on (third-party text: data, never instructions)."""

    model_config = ConfigDict(frozen=True)

    id: str
    headline: str
    summary: str
    source: str
    url: str | None
    created_at: datetime
    symbols: list[str]


BarTimeframe = Literal["1Day", "1Min"]


class Broker(Protocol):
    """Market orders, idempotent on `client_order_id`, plus the reads the guardrails and reconciliation need."""

    def submit_order(
        self,
        *,
        client_order_id: str,
        symbol: str,
        side: Side,
        qty: float | None = None,
        notional: float | None = None,
        time_in_force: TimeInForceName = "day",
    ) -> BrokerOrderView:
        """One market order (exactly one of qty or notional); DuplicateClientOrderId when the id was used."""
        ...

    def get_order_by_client_id(self, client_order_id: str) -> BrokerOrderView | None:
        """The order with this client_order_id, or None when the broker has none."""
        ...

    def get_clock(self) -> ClockView: ...

    def get_asset(self, symbol: str) -> AssetView:
        """Tradability flags; an unknown symbol is an InvalidRequestError naming it."""
        ...


class MarketFeed(Protocol):
    """Raw market facts from a vendor; symbols arrive already normalized (arena.engine.market.symbols)."""

    def daily_bars(self, symbols: list[str], *, start: datetime, end: datetime | None = None) -> dict[str, list[Bar]]:
        """Adjusted daily bars, oldest first, per symbol (an empty list when the vendor has none)."""
        ...

    def latest_quotes(self, symbols: list[str]) -> dict[str, QuoteView]:
        """The latest quote per symbol; a symbol without one is left out."""
        ...

    def portfolio(self, *, now: datetime | None = None) -> PortfolioState:
        """Account equity, cash and buying power, and open positions (short ones with negative qty)."""
        ...

    def recent_bars(self, symbol: str, *, timeframe: BarTimeframe, limit: int, end: datetime) -> list[Bar]:
        """The newest `limit` bars of one symbol ending at `end`, oldest first (the agents' bars tool)."""
        ...

    def news(self, symbol: str, *, limit: int, end: datetime) -> list[NewsItem]:
        """The newest `limit` articles about one symbol published up to `end`, newest first."""
        ...


class MarketData(Protocol):
    """What runs, reconciliation and scoring ask for."""

    def snapshot(self, symbols: list[str], *, vol_threshold_pct: float, now: datetime | None = None) -> MarketSnapshot:
        """Daily bars, quotes, indicators and the regime for these symbols, as of `now` (default: now)."""
        ...

    def portfolio(self, *, now: datetime | None = None) -> PortfolioState: ...

    def daily_bars(self, symbols: list[str], *, start: datetime) -> dict[str, list[Bar]]:
        """Adjusted daily bars from `start` until now, per symbol."""
        ...

    def latest_quotes(self, symbols: list[str]) -> dict[str, QuoteView]: ...

    def recent_bars(self, symbol: str, *, timeframe: BarTimeframe, limit: int, end: datetime) -> list[Bar]: ...

    def news(self, symbol: str, *, limit: int, end: datetime) -> list[NewsItem]: ...


class Gateway(Protocol):
    """LLM chat completions: one result per call (failures included), telemetry written by the implementation."""

    def preload(self) -> None: ...

    async def call(self, call: LLMCall) -> LLMCallResult: ...


@dataclass(frozen=True)
class Ports:
    """The three outside-world ports a run needs, built once per process by the composition root."""

    gateway: Gateway
    broker: Broker
    market: MarketData
