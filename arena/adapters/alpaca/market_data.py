"""Market snapshot and portfolio state, read from Alpaca and shaped into Arena's own types."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from arena.adapters.alpaca.client import data_client, expect, trading_client, vendor_errors
from arena.engine.config.settings import Settings
from arena.engine.market.indicators import (
    DEFAULT_VOL_THRESHOLD_PCT,
    classify_regime,
    compute_indicators,
    overall_rule,
)
from arena.engine.market.snapshot import Bar, MarketSnapshot, PortfolioState, Position, SymbolSnapshot
from arena.kernel.errors import InvalidRequestError

if TYPE_CHECKING:
    from alpaca.data.models import Quote

_SYMBOL = re.compile(r"^[A-Z][A-Z0-9.\-]{0,9}$")
MAX_SYMBOLS = 50


def normalize_symbols(symbols: list[str]) -> list[str]:
    """Upper-case, de-duplicate (order kept) and validate ticker symbols before any request."""
    cleaned = list(dict.fromkeys(s.strip().upper() for s in symbols if s and s.strip()))
    if not cleaned:
        raise InvalidRequestError("at least one symbol is required", field="symbols")
    if len(cleaned) > MAX_SYMBOLS:
        raise InvalidRequestError(f"at most {MAX_SYMBOLS} symbols per snapshot", field="symbols")
    bad = [s for s in cleaned if not _SYMBOL.match(s)]
    if bad:
        raise InvalidRequestError(f"invalid symbol(s): {', '.join(bad)}", field="symbols")
    return cleaned


def fetch_market_snapshot(
    settings: Settings,
    symbols: list[str],
    *,
    lookback_days: int = 60,
    vol_threshold_pct: float = DEFAULT_VOL_THRESHOLD_PCT,
    now: datetime | None = None,
) -> MarketSnapshot:
    """Daily IEX bars (split/dividend adjusted), latest quotes, indicators and the regime.

    `now` pins the window's end and `as_of` (tests, replays); by default the window is open-ended.
    A symbol Alpaca returns no bars for raises InvalidRequestError naming it: agents never see a hole.
    """
    from alpaca.data.enums import DataFeed
    from alpaca.data.requests import StockLatestQuoteRequest

    if lookback_days < 1:
        raise InvalidRequestError("lookback_days must be at least 1", field="lookback_days")
    wanted = normalize_symbols(symbols)
    as_of = (now or datetime.now(UTC)).astimezone(UTC)
    history = _daily_bars(
        settings, wanted, start=as_of - timedelta(days=lookback_days), end=now.astimezone(UTC) if now else None
    )
    quote_request = StockLatestQuoteRequest(symbol_or_symbols=wanted, feed=DataFeed.IEX)
    with vendor_errors(settings, "get latest quotes"):
        quotes = expect(data_client(settings).get_stock_latest_quote(quote_request), dict)

    missing = [s for s in wanted if not history[s]]
    if missing:
        raise InvalidRequestError(
            f"no daily bars from Alpaca for: {', '.join(missing)} (unknown or inactive symbol?)",
            field="symbols",
        )

    snapshots: list[SymbolSnapshot] = []
    verdicts: list[str] = []
    for symbol in wanted:
        bars = history[symbol]
        indicators = compute_indicators(bars)
        regime, rule = classify_regime(indicators, vol_threshold_pct=vol_threshold_pct)
        bid, ask = _quote_sides(quotes.get(symbol))
        snapshots.append(
            SymbolSnapshot(
                symbol=symbol,
                bars=bars,
                bid=bid,
                ask=ask,
                last_price=_last_price(bid, ask, indicators.last_close),
                indicators=indicators,
                regime=regime,
            )
        )
        verdicts.append(f"{symbol}: {rule}")

    overall = "high_volatility" if any(s.regime == "high_volatility" for s in snapshots) else "normal"
    return MarketSnapshot(
        as_of=as_of,
        timeframe="1Day",
        symbols=snapshots,
        regime=overall,
        regime_rule=f"{overall_rule(vol_threshold_pct)}. " + "; ".join(verdicts),
    )


def _bar(raw: Any) -> Bar:
    return Bar(
        t=raw.timestamp.astimezone(UTC),
        o=float(raw.open),
        h=float(raw.high),
        l=float(raw.low),
        c=float(raw.close),
        v=float(raw.volume),
    )


def _quote_sides(quote: Quote | None) -> tuple[float | None, float | None]:
    """Alpaca sends 0 for an empty side; Arena says None."""
    if quote is None:
        return None, None
    bid = float(quote.bid_price) if quote.bid_price and quote.bid_price > 0 else None
    ask = float(quote.ask_price) if quote.ask_price and quote.ask_price > 0 else None
    return bid, ask


def _last_price(bid: float | None, ask: float | None, last_close: float) -> float:
    """The quote midpoint when both sides are sane, else the last daily close."""
    if bid is not None and ask is not None and ask >= bid:
        return round((bid + ask) / 2.0, 6)
    return last_close


def fetch_portfolio(settings: Settings, *, now: datetime | None = None) -> PortfolioState:
    """Account equity, cash and buying power plus open positions (short positions have negative qty)."""
    from alpaca.trading.models import Position as AlpacaPosition
    from alpaca.trading.models import TradeAccount

    client = trading_client(settings)
    with vendor_errors(settings, "get account"):
        account = expect(client.get_account(), TradeAccount)
    with vendor_errors(settings, "get positions"):
        positions = [expect(p, AlpacaPosition) for p in expect(client.get_all_positions(), list)]
    return PortfolioState(
        as_of=(now or datetime.now(UTC)).astimezone(UTC),
        equity=_num(account.equity),
        cash=_num(account.cash),
        buying_power=_num(account.buying_power),
        positions=[
            Position(
                symbol=p.symbol,
                qty=_num(p.qty),
                market_value=_num(p.market_value),
                avg_entry_price=_num(p.avg_entry_price),
                side="short" if str(getattr(p.side, "value", p.side)).lower() == "short" else "long",
            )
            for p in positions
        ],
    )


def _num(value: str | float | None) -> float:
    return float(value) if value not in (None, "") else 0.0


def fetch_daily_bars(settings: Settings, symbols: list[str], *, start: datetime) -> dict[str, list[Bar]]:
    """Adjusted daily IEX bars from `start` until now, per symbol (empty list when Alpaca has none)."""
    return _daily_bars(settings, normalize_symbols(symbols), start=start, end=None)


def _daily_bars(
    settings: Settings, symbols: list[str], *, start: datetime, end: datetime | None
) -> dict[str, list[Bar]]:
    """One bars request for the snapshot and for scoring: adjusted daily IEX bars, oldest first, per symbol."""
    from alpaca.data.enums import Adjustment, DataFeed
    from alpaca.data.models import BarSet
    from alpaca.data.requests import StockBarsRequest
    from alpaca.data.timeframe import TimeFrame

    request = StockBarsRequest(
        symbol_or_symbols=symbols,
        timeframe=TimeFrame.Day,
        start=start.astimezone(UTC),
        end=end,
        feed=DataFeed.IEX,
        adjustment=Adjustment.ALL,
    )
    with vendor_errors(settings, "get stock bars"):
        bar_set = expect(data_client(settings).get_stock_bars(request), BarSet)
    raw: dict[str, list[Any]] = bar_set.data
    return {s: sorted((_bar(b) for b in raw.get(s, [])), key=lambda b: b.t) for s in symbols}
