"""Fill a database with REAL arena runs: the engine, litellm over HTTP to the loopback LLM server, the database.

Nothing here inserts result rows by hand: every run, decision, consensus and cost row is written by the engine
(`run_arena` → start_run/execute_run). Only the model replies are scripted, the way a provider would send them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from arena.bootstrap.database import Database
from arena.engine.config.profile_service import save_profile
from arena.engine.config.profiles import ProfileSpec
from arena.engine.config.settings import Settings
from arena.engine.config.strategies import StrategySpec
from arena.engine.market.snapshot import MarketSnapshot, PortfolioState
from arena.storage.repositories.strategies import upsert_strategy
from tests.engine.factories import portfolio, snapshot
from tests.engine.harness import FixedMarket, make_settings, run_arena
from tests.support.alpaca_server import AlpacaServer
from tests.support.llm_server import LLMServer, Reply

CHEAP_OPENAI = "gpt-4o-mini"  # priced from the price table
CHEAP_OR = "meta-llama/llama-3.1-8b-instruct"  # priced by the provider (usage.cost)
POWER_OR = "anthropic/claude-sonnet-4"
CLOSES = [100.0 + 0.1 * i for i in range(40)]  # a calm uptrend, ending today, for live market data


def decision(
    action: str,
    confidence: float,
    symbol: str | None = "AAPL",
    *,
    pct: float = 1.0,
    horizon: str = "5d",
    rationale: str = "",
    flags: list[str] | None = None,
    tools: list[str] | None = None,
) -> str:
    return json.dumps(
        {
            "action": action,
            "symbols": [symbol] if symbol else [],
            "sizing": {"kind": "pct_equity", "value": pct},
            "time_horizon": horizon,
            "rationale": rationale or f"{action} {symbol or ''}".strip(),
            "risk_flags": flags or [],
            "confidence": confidence,
            "required_tools": tools or [],
            "data_dependencies": ["daily_bars", "quotes"],
        }
    )


def add_profiles(db: Database, llm: LLMServer, *, timeout_s: float = 5.0) -> None:
    """The three starting profiles, pointed at the loopback server, saved the way the dashboard saves them."""
    common: dict[str, Any] = {"api_base": llm.base_url, "timeout_s": timeout_s}
    specs = [
        ProfileSpec(
            name="cheap_tech_analyst",
            provider="openai",
            model=CHEAP_OPENAI,
            role="technical_analyst",
            prompt_template_id="technical_analyst",
            daily_budget_usd=1.0,
            **common,
        ),
        ProfileSpec(
            name="cheap_risk_manager",
            provider="openrouter",
            model=CHEAP_OR,
            role="risk_manager",
            prompt_template_id="risk_manager",
            daily_call_limit=200,
            **common,
        ),
        ProfileSpec(
            name="power_macro_judge",
            provider="openrouter",
            model=POWER_OR,
            role="judge",
            prompt_template_id="judge",
            mode="escalation_only",
            max_tokens=1200,
            **common,
        ),
    ]
    for spec in specs:
        save_profile(sessions=db.sessions, spec=spec, actor="populate", settings=make_settings())


def add_strategy(db: Database) -> None:
    spec = StrategySpec(
        name="megacap_momentum",
        symbols=["AAPL", "MSFT", "NVDA"],
        schedule_kind="cron",
        cron="*/30 14-20 * * mon-fri",
    )
    with db.sessions() as session, session.begin():
        upsert_strategy(session=session, name=spec.name, values=spec.model_dump(exclude={"name"}), actor="populate")


@dataclass
class Scenario:
    name: str
    replies: dict[str, list[Reply]]
    symbols: list[str] = field(default_factory=lambda: ["AAPL"])
    mode: str = "competition"
    snap: MarketSnapshot | None = None
    port: PortfolioState | None = None


def scenarios() -> list[Scenario]:
    """A spread of real outcomes: agreement, escalation, debate, repair, NO_TRADE."""
    return [
        Scenario(
            "cheap agreement → BUY",
            {
                CHEAP_OPENAI: [
                    Reply(
                        decision(
                            "BUY",
                            0.78,
                            rationale="SMA10 crossed above SMA30 two sessions ago; RSI 58 leaves room; ATR stable.",
                            tools=["quotes"],
                        ),
                        prompt_tokens=1450,
                        completion_tokens=180,
                        delay_s=0.35,
                    )
                ],
                CHEAP_OR: [
                    Reply(
                        decision(
                            "BUY",
                            0.71,
                            pct=0.8,
                            rationale="Trend intact, volatility normal; size small at 0.8% of equity.",
                            flags=["earnings_in_10d"],
                        ),
                        prompt_tokens=1510,
                        completion_tokens=160,
                        cost=0.00021,
                        delay_s=0.5,
                    )
                ],
            },
        ),
        Scenario(
            "disagreement → escalation → HOLD",
            {
                CHEAP_OPENAI: [Reply(decision("BUY", 0.66, "MSFT", rationale="Breakout above the 20-day high."))],
                CHEAP_OR: [
                    Reply(
                        decision(
                            "SELL", 0.58, "MSFT", rationale="Momentum fading; RSI divergence.", flags=["divergence"]
                        ),
                        cost=0.00019,
                    )
                ],
                POWER_OR: [
                    Reply(
                        decision(
                            "HOLD",
                            0.74,
                            None,
                            rationale="Signals conflict and neither case is strong; wait for confirmation.",
                        ),
                        prompt_tokens=2900,
                        completion_tokens=240,
                        cost=0.0123,
                        delay_s=0.8,
                    )
                ],
            },
            symbols=["MSFT"],
        ),
        Scenario(
            "debate → SELL",
            {
                CHEAP_OPENAI: [
                    Reply(decision("SELL", 0.7, "NVDA", rationale="Lower highs since the last print.")),
                ],
                CHEAP_OR: [
                    Reply(decision("HOLD", 0.6, None, rationale="Not convinced yet."), cost=0.00015),
                    Reply(
                        decision("SELL", 0.72, "NVDA", pct=0.5, rationale="Agree after debate: trend broke."),
                        cost=0.00017,
                    ),
                ],
            },
            symbols=["NVDA"],
            mode="debate",
        ),
        Scenario(
            "high volatility → escalation → still unsure → NO_TRADE",
            {
                CHEAP_OPENAI: [Reply(decision("BUY", 0.81, rationale="Bounce off support."))],
                CHEAP_OR: [Reply(decision("BUY", 0.77, rationale="Oversold."), cost=0.0002)],
                POWER_OR: [Reply(decision("BUY", 0.55, rationale="Possible, but volatility is extreme."), cost=0.0141)],
            },
            snap=snapshot("high_volatility"),
        ),
        Scenario(
            "malformed reply repaired by the cheap model",
            {
                CHEAP_OPENAI: [
                    Reply('{"action": "BUY", "confidence": "high"}'),
                    Reply(decision("BUY", 0.7, rationale="Repaired: BUY on trend.")),
                    Reply(decision("BUY", 0.7, rationale="Repaired: BUY on trend.")),
                ],
                CHEAP_OR: [Reply(decision("BUY", 0.69, rationale="Trend up; fine."), cost=0.00018)],
            },
        ),
    ]


def run_scenario(db: Database, llm: LLMServer, settings: Settings, scenario: Scenario) -> dict[str, Any]:
    for model, replies in scenario.replies.items():
        llm.on(model, *replies)
    market = FixedMarket(
        snap=scenario.snap or snapshot(symbols=tuple(scenario.symbols)),
        port=scenario.port or portfolio(),
    )
    return run_arena(db, settings, market=market, symbols=scenario.symbols, mode=scenario.mode)


def broker_settings(broker: AlpacaServer, **overrides: Any) -> Settings:
    """Settings whose execution goes to the loopback Alpaca (paper) server, execution on."""
    for symbol in ("AAPL", "MSFT", "NVDA"):
        broker.set_asset(symbol, tradable=True, fractionable=True, shortable=True)
        broker.set_quote(symbol, 99.99, 100.01)
    broker.set_clock(True)
    broker.set_account(100_000, 100_000, 200_000)
    values = {"ALPACA_TRADING_URL": broker.url, "ALPACA_DATA_URL": broker.url, "ARENA_EXECUTION": "on"}
    return make_settings(**(values | overrides))


def populate(db: Database, llm: LLMServer, broker: AlpacaServer | None = None) -> list[dict[str, Any]]:
    """Profiles, one strategy, one real run per scenario and, with a broker, orders reconciled to their fills.

    Returns the runs' summaries, oldest first.
    """
    settings = broker_settings(broker) if broker is not None else make_settings()
    add_profiles(db, llm)
    add_strategy(db)
    summaries = [run_scenario(db, llm, settings, s) for s in scenarios()]
    if broker is not None:
        from arena.bootstrap.services import build_broker, build_market_data
        from arena.engine.execution.reconcile import reconcile_orders

        port, market = build_broker(settings), build_market_data(settings)
        for _ in range(3):  # the loopback moves an order one step per read: accepted → partially → filled
            reconcile_orders(sessions=db.sessions, broker=port, market=market)
    return summaries


def open_market(broker: AlpacaServer, symbols: tuple[str, ...] = ("AAPL", "MSFT")) -> None:
    """Bars ending today, quotes, tradable assets, an open clock and an account: what a live worker reads."""
    today = datetime.now(UTC).date()
    for symbol in symbols:
        broker.set_bars(symbol, CLOSES, end=today)
        broker.set_quote(symbol, CLOSES[-1] - 0.05, CLOSES[-1] + 0.05)
        broker.set_asset(symbol, tradable=True, fractionable=True, shortable=True)
    broker.set_clock(True)
    broker.set_account(100_000, 100_000, 200_000)


def script_agents(llm: LLMServer, delay_s: float) -> None:
    """Both cheap agents agree on BUY after `delay_s` (long enough to watch the run go by)."""
    llm.on(CHEAP_OPENAI, Reply(decision("BUY", 0.8, rationale="Uptrend, RSI mid-range."), delay_s=delay_s))
    llm.on(
        CHEAP_OR, Reply(decision("BUY", 0.74, pct=0.5, rationale="Fine at half size."), cost=0.0002, delay_s=delay_s)
    )
