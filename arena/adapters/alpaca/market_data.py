"""AlpacaMarketData: the MarketFeed port (arena.engine.ports) over alpaca-py — bars, quotes, account, positions.

It returns raw facts in Arena's value types; the engine (arena.engine.market.service) validates symbols, computes
indicators and assembles the snapshot.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from arena.adapters.alpaca._convert import enum_text, number_or_zero
from arena.adapters.alpaca.client import AlpacaClients, expect
from arena.engine.market.snapshot import Bar, PortfolioState, Position
from arena.engine.ports import BarTimeframe, NewsItem, QuoteView
from arena.kernel.kinds import PositionSide

if TYPE_CHECKING:
    from alpaca.data.models import Quote


def _bar(raw: Any) -> Bar:
    return Bar(
        t=raw.timestamp.astimezone(UTC),
        o=float(raw.open),
        h=float(raw.high),
        l=float(raw.low),
        c=float(raw.close),
        v=float(raw.volume),
    )


def _quote(quote: Quote) -> QuoteView:
    """Alpaca sends 0 for an empty side; Arena says None."""
    bid = float(quote.bid_price) if quote.bid_price and quote.bid_price > 0 else None
    ask = float(quote.ask_price) if quote.ask_price and quote.ask_price > 0 else None
    return QuoteView(bid=bid, ask=ask)


NEWS_LOOKBACK = timedelta(days=30)  # how far back the news tool looks before the snapshot time


class AlpacaMarketData:
    """Implements arena.engine.ports.MarketFeed with the process's one data client and one trading client."""

    def __init__(self, clients: AlpacaClients) -> None:
        self.clients = clients

    def daily_bars(self, symbols: list[str], *, start: datetime, end: datetime | None = None) -> dict[str, list[Bar]]:
        """One bars request: adjusted daily IEX bars, oldest first, per symbol (empty when Alpaca has none)."""
        from alpaca.data.enums import Adjustment, DataFeed
        from alpaca.data.models import BarSet
        from alpaca.data.requests import StockBarsRequest
        from alpaca.data.timeframe import TimeFrame

        request = StockBarsRequest(
            symbol_or_symbols=symbols,
            timeframe=TimeFrame.Day,
            start=start.astimezone(UTC),
            end=end.astimezone(UTC) if end else None,
            feed=DataFeed.IEX,
            adjustment=Adjustment.ALL,
        )
        client = self.clients.data
        with self.clients.errors("get stock bars"):
            bar_set = expect(client.get_stock_bars(request), BarSet)
        raw: dict[str, list[Any]] = bar_set.data
        return {s: sorted((_bar(b) for b in raw.get(s, [])), key=lambda b: b.t) for s in symbols}

    def recent_bars(self, symbol: str, *, timeframe: BarTimeframe, limit: int, end: datetime) -> list[Bar]:
        """The newest `limit` IEX bars up to `end` (asked newest first, returned oldest first)."""
        from alpaca.common.enums import Sort
        from alpaca.data.enums import Adjustment, DataFeed
        from alpaca.data.models import BarSet
        from alpaca.data.requests import StockBarsRequest
        from alpaca.data.timeframe import TimeFrame

        daily = timeframe == "1Day"
        # a window wide enough for `limit` bars across weekends and holidays; `limit` + sort cut it to the newest
        span = timedelta(days=limit * 2 + 10) if daily else timedelta(days=5)
        request = StockBarsRequest(
            symbol_or_symbols=[symbol],
            timeframe=TimeFrame.Day if daily else TimeFrame.Minute,
            start=(end - span).astimezone(UTC),
            end=end.astimezone(UTC),
            limit=limit,
            sort=Sort.DESC,
            feed=DataFeed.IEX,
            adjustment=Adjustment.ALL,
        )
        with self.clients.errors("get recent bars"):
            bar_set = expect(self.clients.data.get_stock_bars(request), BarSet)
        raw: dict[str, list[Any]] = bar_set.data
        return sorted((_bar(b) for b in raw.get(symbol, [])), key=lambda b: b.t)[-limit:]

    def news(self, symbol: str, *, limit: int, end: datetime) -> list[NewsItem]:
        """The newest `limit` articles about `symbol` in the NEWS_LOOKBACK before `end` (Alpaca's news API, newest
        first). `start` is always sent: without it Alpaca starts at the beginning of the current day, so a snapshot
        taken yesterday (or a replay) would see no news at all."""
        from alpaca.data.models.news import NewsSet
        from alpaca.data.requests import NewsRequest

        end_utc = end.astimezone(UTC)
        request = NewsRequest(symbols=symbol, start=end_utc - NEWS_LOOKBACK, end=end_utc, limit=limit, sort="desc")
        with self.clients.errors("get news"):
            news_set = expect(self.clients.news.get_news(request), NewsSet)
        articles = news_set.data.get("news", [])
        return [
            NewsItem(
                id=str(a.id),
                headline=a.headline,
                summary=a.summary,
                source=a.source,
                url=a.url,
                created_at=a.created_at.astimezone(UTC),
                symbols=list(a.symbols),
            )
            for a in articles[:limit]
        ]

    def latest_quotes(self, symbols: list[str]) -> dict[str, QuoteView]:
        from alpaca.data.enums import DataFeed
        from alpaca.data.requests import StockLatestQuoteRequest

        request = StockLatestQuoteRequest(symbol_or_symbols=symbols, feed=DataFeed.IEX)
        client = self.clients.data
        with self.clients.errors("get latest quotes"):
            quotes = expect(client.get_stock_latest_quote(request), dict)
        return {symbol: _quote(quote) for symbol, quote in quotes.items() if quote is not None}

    def portfolio(self, *, now: datetime | None = None) -> PortfolioState:
        """Account equity, cash and buying power plus open positions (short positions have negative qty)."""
        from alpaca.trading.models import Position as AlpacaPosition
        from alpaca.trading.models import TradeAccount

        client = self.clients.trading
        with self.clients.errors("get account"):
            account = expect(client.get_account(), TradeAccount)
        with self.clients.errors("get positions"):
            positions = [expect(p, AlpacaPosition) for p in expect(client.get_all_positions(), list)]
        return PortfolioState(
            as_of=(now or datetime.now(UTC)).astimezone(UTC),
            equity=number_or_zero(account.equity),
            cash=number_or_zero(account.cash),
            buying_power=number_or_zero(account.buying_power),
            positions=[
                Position(
                    symbol=p.symbol,
                    qty=number_or_zero(p.qty),
                    market_value=number_or_zero(p.market_value),
                    avg_entry_price=number_or_zero(p.avg_entry_price),
                    side=PositionSide.SHORT if enum_text(p.side) == PositionSide.SHORT else PositionSide.LONG,
                )
                for p in positions
            ],
        )
