"""The composition root's vendor half: the LLM gateway, the broker and market data, built one way for every process.

The CLI, the web process and the worker build what they need here and hand the engine its ports; none of them
imports an adapter. The gateway always carries its call limits (ARENA_LLM_MAX_CONCURRENCY[_PER_PROVIDER]);
`build_services` builds one set of alpaca-py clients (AlpacaClients) and hands it to both the broker and the market
data, so a process has one TradingClient.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from arena.adapters.alpaca.broker import AlpacaBroker
from arena.adapters.alpaca.client import AlpacaClients
from arena.adapters.alpaca.market_data import AlpacaMarketData
from arena.adapters.llm.gateway import LLMGateway
from arena.adapters.llm.limits import CallLimits
from arena.bootstrap.database import Database
from arena.engine.config.settings import Settings
from arena.engine.llm.prices import PriceTable
from arena.engine.llm.telemetry import DatabaseTelemetrySink
from arena.engine.market.service import MarketService
from arena.engine.ports import Broker, Gateway, MarketData, Ports


def build_gateway(settings: Settings, sessions: sessionmaker[Session]) -> Gateway:
    """LLMGateway with the configured price table, a telemetry row per call, and the concurrency caps."""
    return LLMGateway(
        settings,
        prices=PriceTable.load(settings.price_table_path),
        sink=DatabaseTelemetrySink(sessions),
        limits=CallLimits(
            max_concurrent=settings.llm_max_concurrency,
            max_per_provider=settings.llm_max_concurrency_per_provider,
            per_provider=settings.provider_concurrency(),
        ),
    )


def build_broker(settings: Settings, clients: AlpacaClients | None = None) -> Broker:
    """The broker port over Alpaca (clients built on first use: missing keys surface on the first call).

    Pass `clients` to share them with the market data (build_services does); without it, new ones are made.
    """
    return AlpacaBroker(clients or AlpacaClients.from_settings(settings))


def build_market_data(settings: Settings, clients: AlpacaClients | None = None) -> MarketData:
    """The market-data port: Alpaca's raw bars, quotes and account, assembled by the engine."""
    return MarketService(feed=AlpacaMarketData(clients or AlpacaClients.from_settings(settings)))


def preload_vendors(settings: Settings) -> None:
    """Pay litellm's and alpaca-py's import costs now (worker start), not inside the first run (no network)."""
    LLMGateway.preload()
    AlpacaClients.preload()


@dataclass(frozen=True)
class Services:
    """Everything a process hands the engine: its database and the three vendor-facing ports."""

    settings: Settings
    database: Database
    ports: Ports


def build_services(settings: Settings, database: Database) -> Services:
    """The process's ports: one AlpacaClients shared by the broker and the market data."""
    alpaca = AlpacaClients.from_settings(settings)
    return Services(
        settings=settings,
        database=database,
        ports=Ports(
            gateway=build_gateway(settings, database.sessions),
            broker=build_broker(settings, alpaca),
            market=build_market_data(settings, alpaca),
        ),
    )
