"""MarketData from a MarketFeed: the engine assembles the snapshot (indicators, regime) from raw bars and quotes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from arena.engine.market.indicators import classify_regime, compute_indicators, overall_rule
from arena.engine.market.snapshot import Bar, MarketSnapshot, PortfolioState, SymbolSnapshot
from arena.engine.market.symbols import normalize_symbols
from arena.engine.ports import BarTimeframe, MarketFeed, NewsItem, QuoteView
from arena.kernel.errors import InvalidRequestError
from arena.kernel.kinds import Regime

DEFAULT_LOOKBACK_DAYS = 60


class MarketService:
    """Implements the MarketData port over any MarketFeed (the Alpaca adapter in production)."""

    def __init__(self, *, feed: MarketFeed, lookback_days: int = DEFAULT_LOOKBACK_DAYS) -> None:
        if lookback_days < 1:
            raise InvalidRequestError("lookback_days must be at least 1", field="lookback_days")
        self.feed = feed
        self.lookback_days = lookback_days

    def snapshot(self, symbols: list[str], *, vol_threshold_pct: float, now: datetime | None = None) -> MarketSnapshot:
        """Daily bars (split/dividend adjusted), latest quotes, indicators and the regime.

        `now` pins the window's end and `as_of` (tests, replays); by default the window is open-ended.
        A symbol the feed has no bars for raises InvalidRequestError naming it: agents never see a hole.
        """
        wanted = normalize_symbols(symbols)
        as_of = (now or datetime.now(UTC)).astimezone(UTC)
        history = self.feed.daily_bars(
            wanted, start=as_of - timedelta(days=self.lookback_days), end=as_of if now else None
        )
        missing = [s for s in wanted if not history.get(s)]
        if missing:  # before the quotes request: one request fewer on the way to the error
            raise InvalidRequestError(
                f"no daily bars from the market data feed for: {', '.join(missing)} (unknown or inactive symbol?)",
                field="symbols",
            )
        quotes = self.feed.latest_quotes(wanted)
        return assemble_snapshot(
            as_of=as_of, history={s: history[s] for s in wanted}, quotes=quotes, vol_threshold_pct=vol_threshold_pct
        )

    def portfolio(self, *, now: datetime | None = None) -> PortfolioState:
        return self.feed.portfolio(now=now)

    def daily_bars(self, symbols: list[str], *, start: datetime) -> dict[str, list[Bar]]:
        return self.feed.daily_bars(normalize_symbols(symbols), start=start)

    def latest_quotes(self, symbols: list[str]) -> dict[str, QuoteView]:
        return self.feed.latest_quotes(normalize_symbols(symbols))

    def recent_bars(self, symbol: str, *, timeframe: BarTimeframe, limit: int, end: datetime) -> list[Bar]:
        (wanted,) = normalize_symbols([symbol])
        return self.feed.recent_bars(wanted, timeframe=timeframe, limit=limit, end=end)[-limit:]

    def news(self, symbol: str, *, limit: int, end: datetime) -> list[NewsItem]:
        (wanted,) = normalize_symbols([symbol])
        return [n for n in self.feed.news(wanted, limit=limit, end=end) if n.created_at <= end][:limit]


def assemble_snapshot(
    *, as_of: datetime, history: dict[str, list[Bar]], quotes: dict[str, QuoteView], vol_threshold_pct: float
) -> MarketSnapshot:
    """One SymbolSnapshot per symbol (in `history`'s order) and the overall regime with its rule."""
    snapshots: list[SymbolSnapshot] = []
    verdicts: list[str] = []
    for symbol, bars in history.items():
        indicators = compute_indicators(bars)
        regime, rule = classify_regime(indicators, vol_threshold_pct=vol_threshold_pct)
        quote = quotes.get(symbol) or QuoteView(bid=None, ask=None)
        snapshots.append(
            SymbolSnapshot(
                symbol=symbol,
                bars=bars,
                bid=quote.bid,
                ask=quote.ask,
                last_price=_last_price(quote.bid, quote.ask, indicators.last_close),
                indicators=indicators,
                regime=regime,
            )
        )
        verdicts.append(f"{symbol}: {rule}")
    overall = Regime.HIGH_VOLATILITY if any(s.regime == Regime.HIGH_VOLATILITY for s in snapshots) else Regime.NORMAL
    return MarketSnapshot(
        as_of=as_of,
        timeframe="1Day",
        symbols=snapshots,
        regime=overall,
        regime_rule=f"{overall_rule(vol_threshold_pct)}. " + "; ".join(verdicts),
    )


def _last_price(bid: float | None, ask: float | None, last_close: float) -> float:
    """The quote midpoint when both sides are sane, else the last daily close."""
    if bid is not None and ask is not None and ask >= bid:
        return round((bid + ask) / 2.0, 6)
    return last_close
