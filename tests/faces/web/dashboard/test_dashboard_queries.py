"""storage.dashboard_queries on SQLite and PostgreSQL, over rows written by real arena runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, update

from arena.bootstrap.database import Database
from arena.engine.config.guardrails import update_config
from arena.engine.runs.service import start_run
from arena.storage.models import AgentDecision, CostTelemetry, OutcomeLink, WorkerHeartbeat
from arena.storage.read.dashboard import (
    audit_log,
    cost_over_time,
    overview,
    profile_usage,
    profile_version_numbers,
    run_progress,
    run_rates,
    worker_heartbeats,
)
from arena.storage.read.execution_trail import ExecutionTrail, execution_trail
from arena.storage.read.run_report import _order, run_details
from tests.engine.harness import FixedMarket, make_settings, run_arena
from tests.faces.web.dashboard.conftest import Shared
from tests.faces.web.dashboard.populate import (
    CHEAP_OPENAI,
    CHEAP_OR,
    Scenario,
    add_profiles,
    broker_settings,
    decision,
    run_scenario,
)
from tests.support.alpaca_server import AlpacaServer
from tests.support.llm_server import LLMServer, Reply


def _telemetry_cost(db: Database, since: datetime) -> float:
    with db.sessions() as s:
        return float(s.scalar(select(func.sum(CostTelemetry.cost_usd)).where(CostTelemetry.created_at >= since)) or 0)


def test_empty_database_gives_zeros_and_no_rates(database: Database) -> None:
    with database.sessions() as s:
        o = overview(session=s)
        assert (o.runs_total, o.runs_today, o.in_flight, o.calls_today, o.power_calls_today) == (0, 0, 0, 0, 0)
        assert o.cost_today_usd == 0.0
        assert o.rates.finished == 0 and o.rates.rate(0) is None and o.rates.escalation_rate is None
        assert o.rates.avg_cost_usd is None
        assert cost_over_time(session=s, since=o.now - timedelta(days=30)) == []
        assert worker_heartbeats(session=s) == []
        assert audit_log(session=s) == []
        assert profile_usage(session=s, since=o.now - timedelta(days=1)) == {}
        assert run_progress(session=s, run_id="nope") is None
        assert execution_trail(session=s, links=[]) == ExecutionTrail()


def test_overview_counts_what_the_engine_wrote(read_only: Shared) -> None:
    database, populated = read_only.db, read_only.runs
    with database.sessions() as s:
        o = overview(session=s)
    today = o.now.replace(hour=0, minute=0, second=0, microsecond=0)
    assert o.runs_total == o.runs_today == len(populated) == 5
    assert o.in_flight == 0
    assert o.cost_today_usd == pytest.approx(_telemetry_cost(database, today))
    assert o.calls_today == sum(r["llm_calls"] for r in populated)
    escalated = [r for r in populated if r["escalated"]]
    assert o.power_calls_today == len(escalated) == 2
    r = o.rates
    assert r.finished == r.completed == 5 and r.failed == 0
    assert r.no_trade == sum(1 for x in populated if x["final_action"] == "NO_TRADE") == 1
    assert r.passed + r.blocked + r.no_trade + r.failed == r.finished
    assert r.escalated == 2 and r.escalation_rate == pytest.approx(2 / 5)
    assert r.avg_cost_usd == pytest.approx(sum(x["cost_usd"] for x in populated) / 5, rel=1e-3)  # runs keep 6 places


def test_failed_and_blocked_runs_are_counted_as_such(database: Database, llm: LLMServer) -> None:
    add_profiles(database, llm)
    llm.on(CHEAP_OPENAI, Reply(decision("BUY", 0.9)))
    llm.on(CHEAP_OR, Reply(decision("BUY", 0.9), cost=0.0002))

    class BrokenMarket(FixedMarket):
        def snapshot(self, symbols: list[str], *, vol_threshold_pct: float) -> Any:
            raise RuntimeError("market data down")

    failed = run_arena(database, make_settings(), market=BrokenMarket())
    assert failed["status"] == "failed"
    with database.sessions() as s, s.begin():
        update_config(session=s, changes={"trading_state": "HALTED"}, actor="test")
    blocked = run_arena(database, make_settings())
    assert blocked["final_action"] == "BUY"
    with database.sessions() as s:
        rates = run_rates(session=s, since=datetime.now(UTC) - timedelta(hours=1))
    assert (rates.finished, rates.failed, rates.blocked, rates.passed, rates.no_trade) == (2, 1, 1, 0, 0)
    assert rates.rate(rates.failed) == pytest.approx(0.5)


def test_cost_over_time_buckets_by_utc_day_and_model(database: Database, populated: list[dict[str, Any]]) -> None:
    now = datetime.now(UTC)
    with database.sessions() as s, s.begin():  # move the first run's calls to yesterday: a second bucket
        s.execute(
            update(CostTelemetry)
            .where(CostTelemetry.run_id == populated[0]["run_id"])
            .values(created_at=now - timedelta(days=1))
        )
    with database.sessions() as s:
        points = cost_over_time(session=s, since=now - timedelta(days=7))
        assert cost_over_time(session=s, since=now + timedelta(minutes=1)) == []
    days = sorted({p.day for p in points})
    assert days == [(now - timedelta(days=1)).date(), now.date()]
    assert sum(p.cost_usd for p in points) == pytest.approx(_telemetry_cost(database, now - timedelta(days=7)))
    assert sum(p.calls for p in points) == sum(r["llm_calls"] for r in populated)
    yesterday = {p.model for p in points if p.day == days[0]}
    assert yesterday == {CHEAP_OPENAI, CHEAP_OR}
    priced_by_table = next(p for p in points if p.day == days[1] and p.model == CHEAP_OPENAI)
    assert priced_by_table.unpriced_calls == 0  # gpt-4o-mini is in the price table


def test_execution_trail_follows_order_fills_and_snapshots(read_only: Shared) -> None:
    database, populated = read_only.db, read_only.runs
    buy = populated[0]
    assert buy["final_action"] == "BUY" and buy["order"] is not None
    with database.sessions() as s:
        details = run_details(session=s, run_id=buy["run_id"])
        held = run_details(session=s, run_id=populated[1]["run_id"])
        assert details is not None and held is not None
        trail = execution_trail(session=s, links=details.outcome_links)
        hold = execution_trail(session=s, links=held.outcome_links)
    assert [link.order_status for link in trail.links] == ["filled"]
    assert trail.orders[0].client_order_id == buy["order"]["client_order_id"]
    assert trail.orders[0].status == "filled"
    assert trail.intents[0].side == "buy" and trail.intents[0].symbol == "AAPL"
    assert sum(f.qty for f in trail.fills) == trail.orders[0].filled_qty > 0
    assert [f.filled_at for f in trail.fills] == sorted(f.filled_at for f in trail.fills)
    assert trail.positions, "reconciliation links account snapshots"
    assert hold == ExecutionTrail()


def test_run_progress_of_a_queued_run(database: Database, llm: LLMServer) -> None:
    add_profiles(database, llm)
    started = start_run(
        sessions=database.sessions,
        settings=make_settings(),
        symbols=["AAPL"],
        agents=None,
        mode="competition",
        trigger="manual",
        enqueue=True,
        requested_by="dashboard",
    )
    with database.sessions() as s:
        p = run_progress(session=s, run_id=started.run_id)
    assert p is not None
    assert (p.status, p.queue_state, p.llm_calls, p.cost_usd) == ("queued", "queued", 0, None)
    assert p.created_at.tzinfo is not None and p.started_at is None


def test_profile_usage_versions_and_audit(read_only: Shared) -> None:
    database = read_only.db
    with database.sessions() as s:
        usage = profile_usage(session=s, since=datetime.now(UTC) - timedelta(days=1))
        calls = dict(
            s.execute(select(AgentDecision.profile_name, func.count()).group_by(AgentDecision.profile_name)).all()
        )
        version_ids = list(s.scalars(select(AgentDecision.profile_version_id).distinct()))
        versions = profile_version_numbers(session=s, version_ids=version_ids)
        audit = audit_log(session=s, entities=["profile"])
        one = audit_log(session=s, entities=["profile"], key="power_macro_judge")
        strategy = audit_log(session=s, entities=["strategy"])
    assert set(usage) == {"cheap_tech_analyst", "cheap_risk_manager", "power_macro_judge"}
    assert usage["power_macro_judge"].calls == calls["power_macro_judge"] == 2
    assert usage["power_macro_judge"].cost_usd == pytest.approx(0.0123 + 0.0141)
    assert usage["cheap_tech_analyst"].calls >= calls["cheap_tech_analyst"]  # its repair calls count too
    assert set(versions.values()) == {1} and set(versions) == set(version_ids)
    assert {a.key for a in audit} == {"cheap_tech_analyst", "cheap_risk_manager", "power_macro_judge"}
    assert [a.key for a in one] == ["power_macro_judge"] and one[0].before is None
    assert one[0].actor == "populate" and one[0].after["mode"] == "escalation_only"
    assert [a.key for a in strategy] == ["megacap_momentum"]


def test_worker_heartbeats_newest_first(database: Database) -> None:
    now = datetime.now(UTC)
    with database.sessions() as s, s.begin():
        for worker_id, age in (("old", 300), ("new", 5)):
            s.add(
                WorkerHeartbeat(
                    worker_id=worker_id,
                    hostname="host",
                    pid=1,
                    role="active",
                    started_at=now - timedelta(seconds=600),
                    heartbeat_at=now - timedelta(seconds=age),
                )
            )
    with database.sessions() as s:
        beats = worker_heartbeats(session=s)
    assert [b.worker_id for b in beats] == ["new", "old"]
    assert beats[0].heartbeat_at.tzinfo is not None


def test_scenario_costs_are_exact(database: Database, llm: LLMServer, broker: AlpacaServer) -> None:
    """One provider-priced call: the run's cost is exactly what the provider reported."""
    add_profiles(database, llm)
    settings = broker_settings(broker)
    out = run_scenario(
        database,
        llm,
        settings,
        Scenario(
            "x",
            {
                CHEAP_OPENAI: [Reply(decision("HOLD", 0.9, None))],
                CHEAP_OR: [Reply(decision("HOLD", 0.8, None), cost=0.001)],
            },
        ),
    )
    with database.sessions() as s:
        o = overview(session=s)
    expected = Decimal("0.001") + Decimal("10") * Decimal("0.15") / 10**6 + Decimal("5") * Decimal("0.60") / 10**6
    assert o.cost_today_usd == pytest.approx(float(expected))
    assert out["final_action"] == "HOLD" and o.rates.passed == 1


def test_the_summary_order_is_the_first_link_with_a_client_order_id() -> None:
    def link(client: str | None) -> OutcomeLink:
        return OutcomeLink(client_order_id=client, broker_order_id=client and f"b-{client}", order_status=None)

    order = _order([link(None), link("arena-1"), link("arena-2")])
    assert order is not None and order.client_order_id == "arena-1" and order.broker_order_id == "b-arena-1"
    assert _order([link(None)]) is None and _order([]) is None
