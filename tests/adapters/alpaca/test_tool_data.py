"""The tools' market data through the real alpaca-py over HTTP: the newest bars up to a time (daily and minute)
and news up to a time — nothing after `end` ever comes back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from arena.bootstrap.services import build_market_data
from arena.engine.market.snapshot import Bar
from tests.support.alpaca_server import AlpacaServer, settings_for

AS_OF = datetime(2025, 3, 14, 20, tzinfo=UTC)  # a Friday, after the close


@pytest.fixture
def server() -> Iterator[AlpacaServer]:
    with AlpacaServer() as srv:
        srv.set_bars("AAPL", [100.0 + i for i in range(30)])  # weekdays ending 2025-03-14
        minutes = [
            Bar(t=AS_OF - timedelta(minutes=n), o=1.0, h=1.0, l=1.0, c=200.0 - n, v=10.0) for n in range(-5, 120)
        ]
        srv.set_minute_bars("AAPL", minutes)  # five of them after AS_OF
        srv.add_news(["AAPL"], "too old", created_at=AS_OF - timedelta(days=40))
        srv.add_news(["AAPL"], "old", created_at=AS_OF - timedelta(days=2))
        srv.add_news(["AAPL"], "recent", created_at=AS_OF - timedelta(hours=1))
        srv.add_news(["MSFT"], "other symbol", created_at=AS_OF - timedelta(minutes=30))
        srv.add_news(["AAPL"], "from the future", created_at=AS_OF + timedelta(hours=1))
        yield srv


def test_recent_daily_bars_are_the_newest_up_to_the_time_oldest_first(server: AlpacaServer) -> None:
    bars = build_market_data(settings_for(server, timeout_s=5)).recent_bars(
        "AAPL", timeframe="1Day", limit=5, end=AS_OF
    )
    assert [b.c for b in bars] == [125.0, 126.0, 127.0, 128.0, 129.0]
    (request,) = server.requests_to("GET", "/v2/stocks/bars")
    assert (request.query["timeframe"], request.query["sort"], request.query["limit"]) == ("1Day", "desc", "5")


def test_recent_minute_bars_never_pass_the_time(server: AlpacaServer) -> None:
    bars = build_market_data(settings_for(server, timeout_s=5)).recent_bars(
        "AAPL", timeframe="1Min", limit=3, end=AS_OF
    )
    assert [b.c for b in bars] == [198.0, 199.0, 200.0] and all(b.t <= AS_OF for b in bars)


def test_news_is_about_the_symbol_newest_first_and_never_after_the_time(server: AlpacaServer) -> None:
    """A past snapshot still sees its news: `start` is sent (Alpaca's default is the beginning of today)."""
    items = build_market_data(settings_for(server, timeout_s=5)).news("AAPL", limit=10, end=AS_OF)
    assert [n.headline for n in items] == ["recent", "old"]
    assert items[0].source == "benzinga" and items[0].symbols == ["AAPL"]
    (request,) = server.requests_to("GET", "/v1beta1/news")
    assert request.query["symbols"] == "AAPL" and request.query["limit"] == "10"
    assert datetime.fromisoformat(request.query["start"].replace("Z", "+00:00")) == AS_OF - timedelta(days=30)
