"""The one place alpaca-py clients are built: one TradingClient and one data client per AlpacaClients.

alpaca-py passes no timeout to `requests` (a hung server blocks forever) and sleeps 3 × 3 s on 429/504. Arena owns
its retry policy, so the clients here are subclasses that give every request `settings.http_timeout_s` and make
no hidden retries; every failure leaves through the one mapping table in arena.adapters.alpaca.errors.

The composition root (arena.bootstrap.services) builds one AlpacaClients per process and hands it to both the broker
and the market data; each client is built on first use (a missing key is a ConfigurationError then, not when the
process wires itself up). alpaca-py is imported inside functions so importing this stays cheap.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from arena.adapters.alpaca.errors import CallContext, scrubber, vendor_errors
from arena.engine.config.settings import Settings
from arena.kernel.errors import BrokerRejected, ConfigurationError

if TYPE_CHECKING:
    from alpaca.data.historical.news import NewsClient
    from alpaca.data.historical.stock import StockHistoricalDataClient
    from alpaca.trading.client import TradingClient

T = TypeVar("T")


@dataclass(frozen=True)
class AlpacaConfig:
    """Everything that tells one set of clients from another (the cache key)."""

    api_key: str | None
    secret_key: str | None
    trading_url: str | None
    data_url: str | None
    timeout_s: float

    @classmethod
    def from_settings(cls, settings: Settings) -> AlpacaConfig:
        return cls(
            api_key=settings.alpaca_api_key.get_secret_value() if settings.alpaca_api_key else None,
            secret_key=settings.alpaca_secret_key.get_secret_value() if settings.alpaca_secret_key else None,
            trading_url=_base_url(settings.alpaca_trading_url),
            data_url=_base_url(settings.alpaca_data_url),
            timeout_s=settings.http_timeout_s,
        )

    def credentials(self) -> tuple[str, str]:
        if self.api_key is None or self.secret_key is None:
            raise ConfigurationError("ALPACA_API_KEY and ALPACA_SECRET_KEY must both be set to reach Alpaca")
        if not self.api_key or not self.secret_key:
            raise ConfigurationError("ALPACA_API_KEY and ALPACA_SECRET_KEY must not be empty")
        return self.api_key, self.secret_key

    def __repr__(self) -> str:  # never the keys
        return f"AlpacaConfig(trading_url={self.trading_url!r}, data_url={self.data_url!r})"


def _base_url(url: str | None) -> str | None:
    """alpaca-py appends `/v2/...` itself, so accept both `https://host` and `https://host/v2/`."""
    if not url:
        return None
    return url.rstrip("/").removesuffix("/v2")


@cache
def _client_classes() -> tuple[type[StockHistoricalDataClient], type[TradingClient], type[NewsClient]]:
    """Subclasses of alpaca-py's clients that bound every HTTP request (built once, on first use)."""
    from alpaca.common.rest import RESTClient
    from alpaca.data.historical.news import NewsClient
    from alpaca.data.historical.stock import StockHistoricalDataClient
    from alpaca.trading.client import TradingClient

    class _Bounded(RESTClient):
        # Why an override: RESTClient._one_request is the single place that calls requests, and it
        # passes no timeout. We add ours there, and pass retry=0 so a 429/504 raises APIError at once
        # instead of RetryException (whose handler in RESTClient._request sleeps 3 s and tries again).
        # A subclass, not a patch: alpaca-py's own classes and modules are left untouched.
        arena_timeout_s: float = 10.0

        def _one_request(self, method: str, url: str, opts: dict[str, Any], retry: int) -> Any:
            opts.setdefault("timeout", self.arena_timeout_s)
            return super()._one_request(method, url, opts, 0)

    class ArenaDataClient(_Bounded, StockHistoricalDataClient):
        """StockHistoricalDataClient with a timeout and no hidden retries."""

    class ArenaTradingClient(_Bounded, TradingClient):
        """TradingClient with a timeout and no hidden retries."""

    class ArenaNewsClient(_Bounded, NewsClient):
        """NewsClient (Alpaca's /v1beta1/news) with a timeout and no hidden retries."""

    return ArenaDataClient, ArenaTradingClient, ArenaNewsClient


class AlpacaClients:
    """alpaca-py clients for one AlpacaConfig, each built once, on first use (thread-safe)."""

    def __init__(self, config: AlpacaConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._trading: TradingClient | None = None
        self._data: StockHistoricalDataClient | None = None
        self._news: NewsClient | None = None
        self._scrub = scrubber([config.api_key or "", config.secret_key or ""])

    @classmethod
    def from_settings(cls, settings: Settings) -> AlpacaClients:
        """New clients for the settings' credentials and URLs (nothing is built or checked yet)."""
        return cls(AlpacaConfig.from_settings(settings))

    @property
    def trading(self) -> TradingClient:
        """Paper-trading client for ALPACA_TRADING_URL (Alpaca's paper endpoint when unset)."""
        with self._lock:
            if self._trading is None:
                self._trading = self.build_trading()
            return self._trading

    @property
    def data(self) -> StockHistoricalDataClient:
        """Market-data client for ALPACA_DATA_URL (Alpaca's default when unset)."""
        with self._lock:
            if self._data is None:
                self._data = self.build_data()
            return self._data

    @property
    def news(self) -> NewsClient:
        """News client on the market-data host (ALPACA_DATA_URL), API version v1beta1."""
        with self._lock:
            if self._news is None:
                key, secret = self.config.credentials()
                client = _client_classes()[2](api_key=key, secret_key=secret, url_override=self.config.data_url)
                client.arena_timeout_s = self.config.timeout_s  # type: ignore[attr-defined]
                self._news = client
            return self._news

    def build_trading(self) -> TradingClient:
        """Construct the TradingClient; `trading` calls this once, on first use."""
        key, secret = self.config.credentials()
        client = _client_classes()[1](api_key=key, secret_key=secret, paper=True, url_override=self.config.trading_url)
        client.arena_timeout_s = self.config.timeout_s  # type: ignore[attr-defined]
        return client

    def build_data(self) -> StockHistoricalDataClient:
        """Construct the data client; `data` calls this once, on first use."""
        key, secret = self.config.credentials()
        client = _client_classes()[0](api_key=key, secret_key=secret, url_override=self.config.data_url)
        client.arena_timeout_s = self.config.timeout_s  # type: ignore[attr-defined]
        return client

    @contextmanager
    def errors(self, action: str) -> Iterator[None]:
        """Vendor failures inside become Arena's errors (arena.adapters.alpaca.errors), secrets scrubbed."""
        with vendor_errors(CallContext(action=action, scrub=self._scrub, timeout_s=self.config.timeout_s)):
            yield

    @staticmethod
    def preload() -> None:
        """Import alpaca-py now (worker start), so the first run does not pay for it (no network)."""
        _client_classes()


def expect(value: object, cls: type[T]) -> T:
    """Narrow alpaca-py's `Model | RawData` return types (our clients never ask for raw data)."""
    if not isinstance(value, cls):
        raise BrokerRejected(f"alpaca returned {type(value).__name__}, expected {cls.__name__}")
    return value
