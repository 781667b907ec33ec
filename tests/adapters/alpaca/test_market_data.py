"""Market snapshot and portfolio through the real alpaca-py, over HTTP, against the loopback Alpaca."""

from __future__ import annotations

import math
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from arena.adapters.alpaca.client import AlpacaClients
from arena.adapters.alpaca.market_data import AlpacaMarketData
from arena.bootstrap.services import build_market_data
from arena.engine.config.settings import Settings
from arena.engine.market.indicators import DEFAULT_VOL_THRESHOLD_PCT
from arena.engine.market.service import MarketService
from arena.engine.market.snapshot import MarketSnapshot, PortfolioState, Position, canonical_json, sha256_hex
from arena.kernel.errors import (
    BrokerUnavailable,
    ConfigurationError,
    InvalidRequestError,
    RetryLater,
)
from tests.support.alpaca_server import AlpacaServer, settings_for

NOW = datetime(2025, 3, 15, 12, tzinfo=UTC)  # the server's bars end on Friday 2025-03-14
CALM = [100.0 + 0.1 * i for i in range(40)]
WILD = [100.0]
for _i in range(39):
    WILD.append(WILD[-1] * (1.05 if _i % 2 == 0 else 0.95))  # ±5 % a day ≈ 81 % annualised


def fetch_market_snapshot(
    settings: Settings,
    symbols: list[str],
    *,
    now: datetime | None = None,
    vol_threshold_pct: float = DEFAULT_VOL_THRESHOLD_PCT,
    lookback_days: int | None = None,
) -> MarketSnapshot:
    """The MarketData port as the composition root builds it (or with another lookback over the same feed)."""
    market = build_market_data(settings)
    if lookback_days is not None:
        market = MarketService(
            feed=AlpacaMarketData(AlpacaClients.from_settings(settings)), lookback_days=lookback_days
        )
    return market.snapshot(symbols, vol_threshold_pct=vol_threshold_pct, now=now)


def fetch_portfolio(settings: Settings, *, now: datetime | None = None) -> PortfolioState:
    return build_market_data(settings).portfolio(now=now)


@pytest.fixture
def server() -> Iterator[AlpacaServer]:
    with AlpacaServer() as srv:
        srv.set_bars("CALM", CALM)
        srv.set_bars("WILD", WILD)
        srv.set_quote("CALM", 103.8, 104.0)
        yield srv


@pytest.fixture
def settings(server: AlpacaServer) -> Settings:
    return settings_for(server)


def test_snapshot_contents_indicators_and_high_volatility(server: AlpacaServer, settings: Settings) -> None:
    snap = fetch_market_snapshot(settings, ["calm", "WILD", "calm"], now=NOW)

    assert [s.symbol for s in snap.symbols] == ["CALM", "WILD"]
    assert snap.as_of == NOW and snap.timeframe == "1Day"
    calm, wild = snap.symbols
    assert len(calm.bars) == 40 and calm.bars[-1].c == pytest.approx(CALM[-1])
    assert calm.bars == sorted(calm.bars, key=lambda b: b.t)
    assert (calm.bid, calm.ask) == (103.8, 104.0) and calm.last_price == pytest.approx(103.9)
    assert calm.indicators.sma_10 == pytest.approx(sum(CALM[-10:]) / 10)
    assert calm.regime == "normal"
    assert (wild.bid, wild.ask, wild.last_price) == (None, None, wild.indicators.last_close)
    assert wild.indicators.realized_vol_20d_pct == pytest.approx(5 * math.sqrt(252 * 20 / 19), rel=1e-4)
    assert wild.regime == "high_volatility"
    assert snap.regime == "high_volatility"
    assert ">= 40" in snap.regime_rule and "CALM:" in snap.regime_rule and "WILD:" in snap.regime_rule

    bars_req, quotes_req = server.requests
    assert bars_req.path == "/v2/stocks/bars" and quotes_req.path == "/v2/stocks/quotes/latest"
    assert bars_req.query["symbols"] == "CALM,WILD"
    assert (bars_req.query["timeframe"], bars_req.query["feed"], bars_req.query["adjustment"]) == (
        "1Day",
        "iex",
        "all",
    )
    assert datetime.fromisoformat(bars_req.query["start"]) == NOW - timedelta(days=60)
    assert quotes_req.query == {"symbols": "CALM,WILD", "feed": "iex"}


def test_regime_normal_and_threshold(settings: Settings) -> None:
    assert fetch_market_snapshot(settings, ["CALM"], now=NOW).regime == "normal"
    relaxed = fetch_market_snapshot(settings, ["CALM", "WILD"], now=NOW, vol_threshold_pct=90.0)
    assert relaxed.regime == "normal" and ">= 90" in relaxed.regime_rule


def test_lookback_window_limits_bars(server: AlpacaServer, settings: Settings) -> None:
    server.set_bars("LONG", [50.0 + i for i in range(80)])
    snap = fetch_market_snapshot(settings, ["LONG"], lookback_days=30, now=NOW)
    bars = snap.symbols[0].bars
    assert bars[0].t >= NOW - timedelta(days=30) and len(bars) < 80


def test_same_data_hashes_the_same(settings: Settings) -> None:
    first = fetch_market_snapshot(settings, ["CALM", "WILD"], now=NOW)
    second = fetch_market_snapshot(settings, ["CALM", "WILD"], now=NOW)
    assert canonical_json(first) == canonical_json(second)
    assert sha256_hex(canonical_json(first)) == sha256_hex(canonical_json(second))


def test_unknown_symbol_is_named(server: AlpacaServer, settings: Settings) -> None:
    with pytest.raises(InvalidRequestError, match="NOPE") as info:
        fetch_market_snapshot(settings, ["CALM", "NOPE"], now=NOW)
    assert info.value.field == "symbols"
    assert [r.path for r in server.requests] == ["/v2/stocks/bars"]  # no quotes asked for a snapshot that fails


@pytest.mark.parametrize("symbols", [[], ["  "], ["BAD SYMBOL"], ["$$$"]])
def test_bad_symbols_rejected_before_any_request(server: AlpacaServer, settings: Settings, symbols: list[str]) -> None:
    with pytest.raises(InvalidRequestError):
        fetch_market_snapshot(settings, symbols, now=NOW)
    assert server.requests == []


def test_portfolio(server: AlpacaServer, settings: Settings) -> None:
    server.set_account(equity=101_500.5, cash=40_000.0, buying_power=80_000.0)
    server.set_positions(
        [
            Position(symbol="CALM", qty=10, market_value=1039.0, avg_entry_price=100.0),
            {"symbol": "WILD", "qty": -5, "market_value": -500.0, "avg_entry_price": 99.0, "side": "short"},
        ]
    )
    state = fetch_portfolio(settings, now=NOW)
    assert (state.as_of, state.equity, state.cash, state.buying_power) == (NOW, 101_500.5, 40_000.0, 80_000.0)
    assert state.position("CALM") == Position(symbol="CALM", qty=10, market_value=1039.0, avg_entry_price=100.0)
    wild = state.position("WILD")
    assert wild is not None and wild.side == "short" and wild.qty == -5


def test_hang_becomes_retry_later_within_timeout(server: AlpacaServer, settings: Settings) -> None:
    server.hang_next()
    started = time.monotonic()
    with pytest.raises(RetryLater, match="timed out"):
        fetch_market_snapshot(settings, ["CALM"], now=NOW)
    assert time.monotonic() - started < settings.http_timeout_s + 1.0
    assert len(server.requests) == 1  # no hidden retry


@pytest.mark.parametrize("status", [500, 503, 504, 429])
def test_server_errors_and_rate_limits_are_retry_later_at_once(
    server: AlpacaServer, settings: Settings, status: int
) -> None:
    server.fail_next(status=status)
    started = time.monotonic()
    with pytest.raises(RetryLater, match=str(status)) as info:
        fetch_portfolio(settings)
    assert time.monotonic() - started < 1.0  # alpaca-py's own 3 × 3 s retry is off
    assert isinstance(info.value, BrokerUnavailable) and f"HTTP {status}" in str(info.value)
    assert len(server.requests) == 1


def test_connection_refused_is_retry_later() -> None:
    with AlpacaServer() as server:
        settings = settings_for(server)
    with pytest.raises(RetryLater):  # the server is gone: nothing listens on that port
        fetch_portfolio(settings)


def test_base_url_may_end_in_v2(server: AlpacaServer, settings: Settings) -> None:
    with_v2 = settings.model_copy(update={"alpaca_data_url": server.url + "/v2/"})
    assert fetch_market_snapshot(with_v2, ["CALM"], now=NOW).symbols[0].symbol == "CALM"
    assert server.requests[0].path == "/v2/stocks/bars"


def test_missing_keys_is_configuration_error() -> None:
    settings = Settings(_env_file=None, ALPACA_DATA_URL="http://127.0.0.1:9")
    with pytest.raises(ConfigurationError, match="ALPACA_API_KEY"):
        fetch_market_snapshot(settings, ["CALM"])


def test_importing_the_adapters_does_not_import_alpaca() -> None:
    code = (
        "import sys, arena.adapters.alpaca.broker, arena.adapters.alpaca.market_data, arena.bootstrap.services; "
        "print(any(m.startswith('alpaca') for m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
