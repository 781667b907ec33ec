"""Whole arena runs: real litellm over HTTP to the loopback server, real database, every row checked."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from arena.bootstrap.database import Database
from arena.engine.config.guardrails import update_config
from arena.storage.models import AgentDecision, ArenaRun, Consensus, CostTelemetry, PowerCallBudget, Snapshot
from tests.engine.factories import decision_json, snapshot
from tests.engine.harness import CHEAP_A, CHEAP_B, POWER, FixedMarket, add_profiles, make_settings, run_arena
from tests.support.alpaca_server import AlpacaServer
from tests.support.llm_server import LLMServer, Reply


@pytest.fixture
def llm() -> Iterator[LLMServer]:
    with LLMServer() as server:
        yield server


@pytest.fixture
def db(sqlite_database: Database) -> Database:
    return sqlite_database


def _rows(db: Database, model, run_id: str):  # type: ignore[no-untyped-def]
    with db.sessions() as s:
        return list(s.scalars(select(model).where(model.run_id == run_id)))


def test_cheap_agreement_needs_no_escalation_and_everything_is_stored(db: Database, llm: LLMServer) -> None:
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.8), delay_s=1.0, prompt_tokens=1000, completion_tokens=100))
    llm.on(CHEAP_B, Reply(content=decision_json("BUY", 0.75), delay_s=1.0, cost=0.00042))
    add_profiles(db, llm)
    # litellm sets each provider up synchronously on its first call (a one-off in a long-lived worker):
    # warm it up with one run so the run under test shows the steady state
    run_arena(db, make_settings())
    with AlpacaServer() as broker:
        broker.set_clock(True)
        broker.set_asset("AAPL", tradable=True, fractionable=True, shortable=True)
        out = run_arena(db, make_settings(ALPACA_TRADING_URL=broker.url))

    assert out["status"] == "completed" and out["final_action"] == "BUY"
    assert out["escalated"] is False and out["escalation_reasons"] == []
    assert [a["profile"] for a in out["agents"]] == ["cheap_tech_analyst", "cheap_risk_manager"] or sorted(
        a["profile"] for a in out["agents"]
    ) == ["cheap_risk_manager", "cheap_tech_analyst"]
    assert not llm.requests_for(POWER)
    # the two cheap calls overlapped at the server: parallel, not one after the other
    a, b = llm.requests_for(CHEAP_A)[-1], llm.requests_for(CHEAP_B)[-1]
    assert a.started_at < b.finished_at and b.started_at < a.finished_at

    calls = _rows(db, CostTelemetry, out["run_id"])
    assert {c.model for c in calls} == {CHEAP_A, CHEAP_B}
    by_model = {c.model: c for c in calls}
    assert by_model[CHEAP_B].cost_source == "provider" and float(by_model[CHEAP_B].cost_usd) == pytest.approx(0.00042)
    assert by_model[CHEAP_A].cost_source == "unknown" and by_model[CHEAP_A].tokens_in == 1000
    assert all(c.trace_id == out["trace_id"] and len(c.prompt_hash) == 64 and c.input_hash for c in calls)
    decisions = _rows(db, AgentDecision, out["run_id"])
    assert {d.id for d in decisions} == {c.agent_decision_id for c in calls}
    assert all(d.valid and d.status == "valid" and d.profile_version_id for d in decisions)
    with db.sessions() as s:
        run = s.get(ArenaRun, out["run_id"])
        consensus = s.scalar(select(Consensus).where(Consensus.run_id == out["run_id"]))
        assert run is not None and consensus is not None
        # ARENA_EXECUTION=off: every guardrail passed, the order is recorded as shadow and nothing is sent
        assert consensus.decision_id == out["decision_id"] and consensus.outcome == "shadow"
        assert all(c["passed"] for c in consensus.guardrail_checks)
        assert not broker.requests_to("POST", "/v2/orders")
        assert consensus.trace["decided_by"] == "cheap_consensus"
        assert consensus.trace["cheap"]["rule"] == "unanimous"
        assert run.market_snapshot_hash and s.get(Snapshot, run.market_snapshot_hash) is not None
        assert run.llm_calls == 2 and run.tokens_in >= 1000
        assert float(run.cost_usd) == pytest.approx(0.00042)


def test_disagreement_escalates_to_the_powerful_model_which_decides(db: Database, llm: LLMServer) -> None:
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.7)))
    llm.on(CHEAP_B, Reply(content=decision_json("SELL", 0.5)))
    llm.on(POWER, Reply(content=decision_json("HOLD", 0.8, symbol=""), cost=0.02))
    add_profiles(db, llm)
    out = run_arena(db, make_settings())

    assert out["escalated"] is True
    assert out["escalation_reasons"] == ["disagreement", "low_confidence"]
    assert out["final_action"] == "HOLD"
    judge = llm.requests_for(POWER)[0].body
    prompt = json.dumps(judge["messages"])
    assert "disagreement" in prompt and "Analyst A" in prompt and "Analyst B" in prompt
    assert "cheap_tech_analyst" not in prompt  # anonymised
    phases = {a["phase"] for a in out["agents"]}
    assert phases == {"cheap", "escalation"}
    with db.sessions() as s:
        assert s.scalar(select(func.sum(PowerCallBudget.used))) == 1
        purposes = s.scalars(select(CostTelemetry.purpose).where(CostTelemetry.run_id == out["run_id"])).all()
        assert sorted(purposes) == ["agent", "agent", "escalation"]


def test_still_uncertain_after_escalation_is_no_trade(db: Database, llm: LLMServer) -> None:
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.55)))
    llm.on(CHEAP_B, Reply(content=decision_json("BUY", 0.5)))
    llm.on(POWER, Reply(content=decision_json("BUY", 0.55)))
    add_profiles(db, llm)
    out = run_arena(db, make_settings())
    assert out["escalation_reasons"] == ["low_confidence"]
    assert out["final_action"] == "NO_TRADE"
    assert "still uncertain after escalation" in out["no_trade_reason"]


def test_high_volatility_regime_escalates(db: Database, llm: LLMServer) -> None:
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.9)))
    llm.on(CHEAP_B, Reply(content=decision_json("BUY", 0.9)))
    llm.on(POWER, Reply(content=decision_json("BUY", 0.7, pct=0.5)))
    add_profiles(db, llm)
    out = run_arena(db, make_settings(), market=FixedMarket(snap=snapshot("high_volatility")))
    assert out["escalation_reasons"] == ["high_volatility"] and out["final_action"] == "BUY"


def test_large_order_escalates_on_portfolio_delta(db: Database, llm: LLMServer) -> None:
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.9, pct=5.0)))
    llm.on(CHEAP_B, Reply(content=decision_json("BUY", 0.9, pct=3.0)))
    llm.on(POWER, Reply(content=decision_json("BUY", 0.8, pct=1.0)))
    add_profiles(db, llm)
    out = run_arena(db, make_settings())
    assert out["escalation_reasons"] == ["portfolio_delta"]
    with db.sessions() as s:
        consensus = s.scalar(select(Consensus).where(Consensus.run_id == out["run_id"]))
        assert consensus is not None and consensus.sizing == {"kind": "pct_equity", "value": 1.0}


def test_power_cap_reached_means_no_trade_without_calling_it(db: Database, llm: LLMServer) -> None:
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.9)))
    llm.on(CHEAP_B, Reply(content=decision_json("SELL", 0.5)))
    llm.on(POWER, Reply(content=decision_json("BUY", 0.9)))
    add_profiles(db, llm)
    with db.sessions() as s, s.begin():
        update_config(session=s, changes={"max_power_calls_per_day": 0}, actor="test")
    out = run_arena(db, make_settings())
    assert out["final_action"] == "NO_TRADE" and out["escalated"] is False
    assert "cap" in out["no_trade_reason"]
    assert llm.requests_for(POWER) == []


def test_invalid_reply_is_repaired_once_by_the_cheap_model(db: Database, llm: LLMServer) -> None:
    calls = {"n": 0}

    def cheap_a(body: dict) -> Reply:  # type: ignore[type-arg]
        calls["n"] += 1
        if "repair malformed JSON" in body["messages"][0]["content"]:
            return Reply(content=decision_json("BUY", 0.8))
        return Reply(content='{"action": "BUY", "confidence": "very"}')

    llm.on_call(CHEAP_A, cheap_a)
    llm.on(CHEAP_B, Reply(content="Sure! I would buy AAPL."))
    llm.on(POWER, Reply(content=decision_json("BUY", 0.9)))
    add_profiles(db, llm)
    out = run_arena(db, make_settings())
    statuses = {a["profile"]: a["status"] for a in out["agents"] if a["phase"] == "cheap"}
    # both repairs went to the cheap model (cheap_tech_analyst's), never to the powerful one
    assert statuses["cheap_tech_analyst"] == "repaired"
    assert statuses["cheap_risk_manager"] == "repaired"
    repair_requests = [r for r in llm.requests if "repair malformed JSON" in r.body["messages"][0]["content"]]
    assert len(repair_requests) == 2 and {r.model for r in repair_requests} == {CHEAP_A}
    with db.sessions() as s:
        purposes = s.scalars(select(CostTelemetry.purpose).where(CostTelemetry.run_id == out["run_id"])).all()
        assert sorted(purposes) == ["agent", "agent", "repair", "repair"]


def test_still_invalid_after_repair_abstains_with_errors(db: Database, llm: LLMServer) -> None:
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.9)))
    llm.on(CHEAP_B, Reply(content="not json at all"))
    add_profiles(db, llm)
    # CHEAP_A answers the repair too, but with a decision whose symbol is outside the universe
    llm.on_call(
        CHEAP_A,
        lambda body: (
            Reply(content=decision_json("BUY", 0.9, symbol="ZZZZ"))
            if "repair malformed JSON" in body["messages"][0]["content"]
            else Reply(content=decision_json("BUY", 0.9))
        ),
    )
    out = run_arena(db, make_settings())
    risk = next(a for a in out["agents"] if a["profile"] == "cheap_risk_manager")
    assert risk["status"] == "invalid" and risk["valid"] is False and risk["action"] is None
    decisions = _rows(db, AgentDecision, out["run_id"])
    invalid = next(d for d in decisions if d.profile_name == "cheap_risk_manager")
    assert any("not JSON" in e for e in invalid.validation_errors)
    assert any("after repair" in e and "ZZZZ" in e for e in invalid.validation_errors)
    # one valid vote of the two required: no quorum, so no trade (and no powerful call)
    assert out["final_action"] == "NO_TRADE" and out["decided_by"] == "no_quorum"
    assert out["no_trade_reason"] == "no quorum (1 of 2 valid)" and out["quorum"] == {"valid": 1, "required": 2}
    assert not llm.requests_for(POWER)


def test_slow_agent_times_out_without_holding_the_run(db: Database, llm: LLMServer) -> None:
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.9)))
    llm.on(CHEAP_B, Reply(content=decision_json("BUY", 0.9), delay_s=8))
    add_profiles(db, llm, timeout_s=1.0)
    started = time.monotonic()
    out = run_arena(db, make_settings())
    elapsed = time.monotonic() - started
    assert elapsed < 1.0 + 3.0, elapsed  # the agent's timeout plus a margin, not the server's 8 s
    slow = next(a for a in out["agents"] if a["profile"] == "cheap_risk_manager")
    assert slow["status"] == "timeout" and slow["valid"] is False
    assert out["status"] == "completed"
    with db.sessions() as s:
        rows = s.scalars(
            select(CostTelemetry).where(CostTelemetry.run_id == out["run_id"], CostTelemetry.model == CHEAP_B)
        ).all()
        assert len(rows) == 1 and rows[0].status == "timeout"


def test_provider_failure_is_recorded_and_the_run_completes(db: Database, llm: LLMServer) -> None:
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.9)))
    llm.on(CHEAP_B, Reply(status=500, error_message="upstream exploded"))
    add_profiles(db, llm)
    out = run_arena(db, make_settings())
    failed = next(a for a in out["agents"] if a["profile"] == "cheap_risk_manager")
    assert failed["status"] == "error"
    assert len(llm.requests_for(CHEAP_B)) == 3  # bounded retry on 5xx
    with db.sessions() as s:
        rows = s.scalars(
            select(CostTelemetry)
            .where(CostTelemetry.run_id == out["run_id"], CostTelemetry.model == CHEAP_B)
            .order_by(CostTelemetry.attempts)
        ).all()
        # one row per HTTP request: rows equal requests
        assert [(r.status, r.attempts) for r in rows] == [("error", 1), ("error", 2), ("error", 3)]
        assert all(r.error_class for r in rows)
    assert out["status"] == "completed"


def test_debate_mode_shows_each_agent_the_others_latest_arguments_with_roles(db: Database, llm: LLMServer) -> None:
    def answer(action: str, conf: float, revised: tuple[str, float]):  # type: ignore[no-untyped-def]
        def fn(body: dict) -> Reply:  # type: ignore[type-arg]
            if len(body["messages"]) > 2:
                return Reply(content=decision_json(revised[0], revised[1]))
            return Reply(content=decision_json(action, conf))

        return fn

    llm.on_call(CHEAP_A, answer("BUY", 0.8, ("BUY", 0.8)))
    llm.on_call(CHEAP_B, answer("HOLD", 0.5, ("BUY", 0.7)))
    add_profiles(db, llm)
    out = run_arena(db, make_settings(), mode="debate")
    assert out["mode"] == "debate"
    rounds = sorted((a["phase"], a["round"]) for a in out["agents"])
    assert rounds == [("cheap", 1), ("cheap", 1), ("debate", 2), ("debate", 2)]
    second = next(r for r in llm.requests_for(CHEAP_B) if len(r.body["messages"]) > 2)
    assert "[round 1] technical_analyst: BUY AAPL" in second.body["messages"][-1]["content"]
    assert "risk_manager" not in second.body["messages"][-1]["content"]  # its own argument is not repeated to it
    assert out["final_action"] == "BUY" and out["escalated"] is False and out["decided_by"] == "cheap_consensus"


def test_all_agents_failing_is_no_trade_not_a_crash(db: Database, llm: LLMServer) -> None:
    llm.on(CHEAP_A, Reply(status=401, error_message="bad key"))
    llm.on(CHEAP_B, Reply(status=401, error_message="bad key"))
    add_profiles(db, llm)
    out = run_arena(db, make_settings())
    assert out["status"] == "completed" and out["final_action"] == "NO_TRADE"
    assert out["no_trade_reason"] == "no quorum (0 of 2 valid)" and out["decided_by"] == "no_quorum"
    assert len(llm.requests_for(CHEAP_A)) == 1  # 401 is not retried
