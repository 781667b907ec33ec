"""Spend that cannot overrun: limits are claimed before each call, so concurrent runs never exceed them (both
databases, real litellm to the loopback server); unpriced calls are charged; a cheap profile stays cheap."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import select

from arena.adapters.llm.gateway import LLMGateway
from arena.bootstrap.database import Database
from arena.bootstrap.services import build_broker
from arena.engine.config.guardrails import update_config
from arena.engine.config.profile_service import save_profile
from arena.engine.config.profiles import ProfileSpec
from arena.engine.config.settings import Settings
from arena.engine.llm.prices import PriceTable
from arena.engine.llm.telemetry import DatabaseTelemetrySink
from arena.engine.ports import Ports
from arena.engine.runs.service import execute_run, start_run
from arena.kernel.clock import utc_day_start
from arena.kernel.errors import InvalidRequestError
from arena.storage.models import AgentDecision, AgentProfile, ArenaRun, Consensus, CostTelemetry, SpendLedger
from tests.engine.factories import decision_json
from tests.engine.harness import CHEAP_A, CHEAP_B, FixedMarket, add_profiles, make_settings, run_arena
from tests.support.llm_server import LLMServer, Reply

RUNS = 20


@pytest.fixture
def llm() -> Iterator[LLMServer]:
    with LLMServer() as server:
        yield server


def run_concurrently(db: Database, settings: Settings, count: int) -> list[str]:
    """`count` runs started, then carried out at the same time on one event loop (as the worker does)."""
    gateway = LLMGateway(
        settings,
        prices=PriceTable.load(settings.price_table_path),
        sink=DatabaseTelemetrySink(db.sessions),
        backoff_base_s=0.01,
    )
    ports = Ports(gateway=gateway, market=FixedMarket(), broker=build_broker(settings))
    ids = [
        start_run(
            sessions=db.sessions,
            settings=settings,
            symbols=["AAPL"],
            agents=None,
            mode="competition",
            trigger="manual",
            enqueue=False,
        ).run_id
        for _ in range(count)
    ]

    async def all_runs() -> None:
        await asyncio.gather(
            *(execute_run(sessions=db.sessions, settings=settings, ports=ports, run_id=run_id) for run_id in ids)
        )

    asyncio.run(all_runs())
    return ids


def ledger(db: Database, profile: str) -> tuple[int, Decimal]:
    with db.sessions() as s:
        profile_id = s.scalar(select(AgentProfile.id).where(AgentProfile.name == profile))
        row = s.get(SpendLedger, (utc_day_start().date().isoformat(), f"profile:{profile_id}"))
        return (row.calls, row.spent_usd) if row is not None else (0, Decimal(0))


def test_concurrent_runs_never_make_more_calls_than_the_daily_call_limit(database: Database, llm: LLMServer) -> None:
    limit = 5
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.8), delay_s=0.2))
    llm.on(CHEAP_B, Reply(content=decision_json("BUY", 0.8), delay_s=0.2, cost=0.0001))
    add_profiles(
        database,
        llm,
        cheap_tech_analyst={"daily_call_limit": limit},
        cheap_risk_manager={"daily_call_limit": limit},
    )

    ids = run_concurrently(database, make_settings(), RUNS)

    assert len(llm.requests_for(CHEAP_A)) == limit and len(llm.requests_for(CHEAP_B)) == limit
    assert ledger(database, "cheap_tech_analyst")[0] == limit
    with database.sessions() as s:
        runs = s.scalars(select(ArenaRun).where(ArenaRun.id.in_(ids))).all()
        assert all(r.status == "completed" for r in runs)
        skipped = s.scalars(select(AgentDecision).where(AgentDecision.status == "skipped")).all()
        assert len(skipped) == 2 * (RUNS - limit)
        assert all("daily call limit reached" in " ".join(d.validation_errors) for d in skipped)


def test_concurrent_runs_never_spend_more_than_the_daily_budget(database: Database, llm: LLMServer) -> None:
    budget = 0.05
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.8), delay_s=0.1))
    llm.on(CHEAP_B, Reply(content=decision_json("BUY", 0.8), delay_s=0.1, cost=0.01))
    add_profiles(database, llm, cheap_risk_manager={"daily_budget_usd": budget})

    run_concurrently(database, make_settings(), RUNS)

    with database.sessions() as s:
        costs = s.scalars(select(CostTelemetry.cost_usd).where(CostTelemetry.model == CHEAP_B)).all()
    assert 0 < len(costs) < RUNS
    assert sum(costs, Decimal(0)) <= Decimal(str(budget))
    calls, spent = ledger(database, "cheap_risk_manager")
    assert calls == len(costs) and spent == sum(costs, Decimal(0))


def test_the_global_daily_spend_cap_stops_llm_calls_and_says_so_on_the_run(database: Database, llm: LLMServer) -> None:
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.9)))
    llm.on(CHEAP_B, Reply(content=decision_json("BUY", 0.9)))
    add_profiles(database, llm)
    with database.sessions() as session, session.begin():
        update_config(session=session, changes={"daily_llm_spend_cap_usd": 0.001}, actor="test")

    out = run_arena(database, make_settings())

    assert not llm.requests  # refused before any HTTP request
    assert out["final_action"] == "NO_TRADE" and out["decided_by"] == "spend_cap"
    assert out["no_trade_reason"] == "daily LLM spend cap reached: no quorum (0 of 2 valid)"
    assert {a["status"] for a in out["agents"]} == {"skipped"}


def test_a_call_without_a_price_is_charged_its_tokens_at_the_fallback_price(database: Database, llm: LLMServer) -> None:
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.9), prompt_tokens=1000, completion_tokens=100))
    llm.on(CHEAP_B, Reply(content=decision_json("BUY", 0.9), cost=0.0004))
    add_profiles(database, llm)

    out = run_arena(database, make_settings(ARENA_LLM_FALLBACK_PRICE_PER_MTOK="20"))

    assert out["final_action"] == "BUY"
    with database.sessions() as s:
        unpriced = s.scalar(select(CostTelemetry).where(CostTelemetry.model == CHEAP_A))
        assert unpriced is not None and unpriced.cost_usd is None and unpriced.cost_source == "unknown"
        consensus = s.scalar(select(Consensus).where(Consensus.run_id == out["run_id"]))
        assert consensus is not None
    assert ledger(database, "cheap_tech_analyst") == (1, Decimal("0.022"))  # 1,100 tokens × $20 / 1M
    assert ledger(database, "cheap_risk_manager") == (1, Decimal("0.0004"))  # the provider's own figure


def test_a_cheap_profile_naming_an_expensive_model_is_refused_at_save(database: Database) -> None:
    settings = make_settings()
    expensive = ProfileSpec(
        name="pricey_analyst",
        provider="openai",
        model="gpt-4o",  # $10 per 1M output tokens in the price table, above the $5 cheap ceiling
        role="technical_analyst",
        prompt_template_id="technical_analyst",
    )
    with pytest.raises(InvalidRequestError, match="above the cheap ceiling"):
        save_profile(sessions=database.sessions, spec=expensive, actor="test", settings=settings)
    with database.sessions() as s:
        assert s.scalar(select(AgentProfile).where(AgentProfile.name == "pricey_analyst")) is None
    as_judge = {"mode": "escalation_only", "role": "judge", "prompt_template_id": "judge"}
    escalation_only = ProfileSpec.model_validate(expensive.model_dump() | as_judge)
    assert save_profile(sessions=database.sessions, spec=escalation_only, actor="test", settings=settings).created
    cheap = ProfileSpec.model_validate(expensive.model_dump() | {"name": "thrifty_analyst", "model": "gpt-4o-mini"})
    assert save_profile(sessions=database.sessions, spec=cheap, actor="test", settings=settings).created
