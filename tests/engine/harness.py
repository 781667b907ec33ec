"""An arena wired to real parts for tests: the database, litellm → loopback LLM server, a fixed market input."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from arena.adapters.llm.gateway import LLMGateway
from arena.bootstrap.database import Database
from arena.bootstrap.services import build_broker
from arena.engine.config.profiles import ProfileSpec
from arena.engine.config.settings import Settings
from arena.engine.llm.prices import PriceTable
from arena.engine.llm.telemetry import DatabaseTelemetrySink
from arena.engine.market.snapshot import Bar, MarketSnapshot, PortfolioState
from arena.engine.ports import Ports
from arena.engine.runs.service import execute_run, start_run
from arena.storage.read.run_report import run_summary
from arena.storage.repositories.profiles import upsert_profile
from tests.engine.factories import portfolio, snapshot
from tests.support.llm_server import LOOPBACK_API_BASES, LLMServer

CHEAP_A = "cheap-analyst-mini"
CHEAP_B = "cheap-risk-free"
POWER = "power-judge-large"


@dataclass
class FixedMarket:
    """The MarketData port with fixed inputs (market data over HTTP is covered in tests/market)."""

    snap: MarketSnapshot = field(default_factory=snapshot)
    port: PortfolioState = field(default_factory=portfolio)
    bars: dict[str, list[Bar]] = field(default_factory=dict)
    calls: int = 0

    def snapshot(self, symbols: list[str], *, vol_threshold_pct: float, now: datetime | None = None) -> MarketSnapshot:
        self.calls += 1
        return self.snap

    def portfolio(self, *, now: datetime | None = None) -> PortfolioState:
        return self.port

    def daily_bars(self, symbols: list[str], *, start: datetime) -> dict[str, list[Bar]]:
        return {s: [b for b in self.bars.get(s, []) if b.t >= start] for s in symbols}


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "OPENAI_API_KEY": "sk-test-openai-key-123",
        "OPENROUTER_API_KEY": "sk-or-test-key-456",
        "ALPACA_API_KEY": "PKTEST",
        "ALPACA_SECRET_KEY": "secret-test",
        "ARENA_EXECUTION": "off",
        # no broker unless a test starts one: a closed loopback port refuses at once
        "ALPACA_TRADING_URL": "http://127.0.0.1:9",
        "ALPACA_DATA_URL": "http://127.0.0.1:9",
        "ARENA_ALLOWED_API_BASES": LOOPBACK_API_BASES,  # profiles point at loopback LLM servers
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def add_profiles(db: Database, llm: LLMServer, *, timeout_s: float = 5.0, **extra: dict[str, Any]) -> None:
    specs = [
        ProfileSpec(
            name="cheap_tech_analyst",
            provider="openai",
            model=CHEAP_A,
            role="technical_analyst",
            prompt_template_id="technical_analyst",
            api_base=llm.base_url,
            timeout_s=timeout_s,
        ),
        ProfileSpec(
            name="cheap_risk_manager",
            provider="openrouter",
            model=CHEAP_B,
            role="risk_manager",
            prompt_template_id="risk_manager",
            api_base=llm.base_url,
            timeout_s=timeout_s,
        ),
        ProfileSpec(
            name="power_macro_judge",
            provider="openrouter",
            model=POWER,
            role="judge",
            prompt_template_id="judge",
            mode="escalation_only",
            api_base=llm.base_url,
            timeout_s=timeout_s,
        ),
    ]
    with db.sessions() as session, session.begin():
        for spec in specs:
            values = spec.model_dump(exclude={"name"}) | extra.get(spec.name, {})
            upsert_profile(session=session, name=spec.name, values=values, actor="test")


def run_arena(
    db: Database,
    settings: Settings,
    *,
    market: FixedMarket | None = None,
    symbols: list[str] | None = None,
    mode: str = "competition",
    agents: list[str] | None = None,
) -> dict[str, Any]:
    gateway = LLMGateway(
        settings,
        prices=PriceTable.load(settings.price_table_path),
        sink=DatabaseTelemetrySink(db.sessions),
        backoff_base_s=0.01,
    )
    started = start_run(
        sessions=db.sessions,
        settings=settings,
        symbols=symbols or ["AAPL"],
        agents=agents,
        mode=mode,
        trigger="manual",
        enqueue=False,
    )
    asyncio.run(
        execute_run(
            sessions=db.sessions,
            settings=settings,
            # real alpaca-py broker; nothing listens at make_settings()' broker URL
            ports=Ports(gateway=gateway, market=market or FixedMarket(), broker=build_broker(settings)),
            run_id=started.run_id,
        )
    )
    with db.sessions() as session:
        summary = run_summary(session=session, run_id=started.run_id)
    assert summary is not None
    return asdict(summary)  # the `run --json` object, as the engine tests read it
