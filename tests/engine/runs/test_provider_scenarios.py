"""Whole runs against providers as they really are (issue 13), on SQLite and PostgreSQL: the loopback server
refuses what the real servers refuse, and the run still decides — without paying for a repair it does not need."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict

import pytest
from sqlalchemy import select

from arena.bootstrap.database import Database
from arena.storage.models import AgentDecision, CostTelemetry
from arena.storage.read.run_report import run_details
from arena.storage.read.values import jsonable
from tests.engine.factories import decision_json
from tests.engine.harness import CHEAP_A, CHEAP_B, POWER, add_profiles, make_settings, run_arena
from tests.support.llm_server import Behaviour, LLMServer, Reply


@pytest.fixture
def llm() -> Iterator[LLMServer]:
    with LLMServer() as server:  # strict OpenAI rules on (the default)
        yield server


def calls(db: Database, run_id: str, model: str | None = None) -> list[CostTelemetry]:
    with db.sessions() as s:
        query = select(CostTelemetry).where(CostTelemetry.run_id == run_id)
        if model is not None:
            query = query.where(CostTelemetry.model == model)
        return list(s.scalars(query.order_by(CostTelemetry.id)))


def agent(out: dict, profile: str) -> dict:  # type: ignore[type-arg]
    return next(a for a in out["agents"] if a["profile"] == profile)


def test_the_starting_profiles_decide_against_the_strict_server_without_a_repair(
    database: Database, llm: LLMServer
) -> None:
    # OpenAI's every request rule (unknown arguments, strict schema subset) for the OpenAI agent
    llm.behaviour(CHEAP_A, Behaviour.OPENAI)
    llm.behaviour(CHEAP_B, Behaviour.OPENROUTER).behaviour(POWER, Behaviour.OPENROUTER)
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.8)))
    llm.on(CHEAP_B, Reply(content=decision_json("SELL", 0.75), cost=0.0002))
    llm.on(POWER, Reply(content=decision_json("HOLD", 0.9, symbol=""), cost=0.01))
    add_profiles(database, llm)
    out = run_arena(database, make_settings())
    assert out["escalated"] and out["final_action"] == "HOLD"
    assert all(a["status"] == "valid" for a in out["agents"])
    rows = calls(database, out["run_id"])
    assert [r.status for r in rows] == ["ok"] * 3 and "repair" not in {r.purpose for r in rows}
    strict = next(r for r in llm.requests_for(CHEAP_A))
    assert strict.status == 200 and strict.body["response_format"]["json_schema"]["strict"] is True
    assert {r.output_mode for r in rows} == {"json_schema", "json_object"}
    # OpenRouter was asked for its usage accounting, so its cost is the provider's figure
    assert {r.cost_source for r in rows if r.model == CHEAP_B} == {"provider"}


def test_a_json_mode_only_model_asked_for_a_schema_steps_down_and_says_so(database: Database, llm: LLMServer) -> None:
    llm.behaviour(CHEAP_B, Behaviour.JSON_MODE_ONLY)
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.8)))
    llm.on(CHEAP_B, Reply(content=decision_json("BUY", 0.7), cost=0.0002))
    add_profiles(database, llm, cheap_risk_manager={"output_mode": "json_schema"})
    out = run_arena(database, make_settings())
    assert out["final_action"] == "BUY" and agent(out, "cheap_risk_manager")["status"] == "valid"
    rejected, accepted = calls(database, out["run_id"], CHEAP_B)
    assert (rejected.status, rejected.output_mode, accepted.status, accepted.output_mode) == (
        "error",
        "json_schema",
        "ok",
        "json_object",
    )
    assert rejected.note is not None and "asked again with json_object" in rejected.note
    with database.sessions() as s:
        details = run_details(session=s, run_id=out["run_id"])
    assert details is not None and any(c.note for c in details.llm_calls_detail)  # shown in Run Details


def test_a_model_that_wraps_json_in_prose_is_read_without_a_repair(database: Database, llm: LLMServer) -> None:
    llm.behaviour(CHEAP_B, Behaviour.PROSE_JSON)
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.8)))
    llm.on(CHEAP_B, Reply(content=decision_json("BUY", 0.7)))
    add_profiles(database, llm)
    out = run_arena(database, make_settings())
    assert agent(out, "cheap_risk_manager")["status"] == "valid" and out["final_action"] == "BUY"
    assert len(llm.requests_for(CHEAP_A)) == 1  # the repair model (the OpenAI agent) was not asked again


def test_a_local_llama_cpp_python_server_needs_no_key_and_falls_back_from_json_schema(
    database: Database, llm: LLMServer
) -> None:
    local_model = "qwen2.5-0.5b-instruct-q4"
    llm.behaviour(local_model, Behaviour.LLAMA_CPP_PYTHON)
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.8)))
    llm.on(local_model, Reply(content=decision_json("BUY", 0.7)))
    add_profiles(
        database,
        llm,
        cheap_risk_manager={"provider": "local", "model": local_model, "api_base": None, "output_mode": "json_schema"},
    )
    settings = make_settings(OPENROUTER_API_KEY="", ARENA_LOCAL_API_BASE=llm.base_url)
    out = run_arena(database, settings)
    assert out["final_action"] == "BUY" and agent(out, "cheap_risk_manager")["status"] == "valid"
    rows = calls(database, out["run_id"], local_model)
    assert [(r.status, r.output_mode) for r in rows] == [("error", "json_schema"), ("ok", "json_object")]
    assert rows[-1].cost_usd is None and rows[-1].cost_source == "unknown"
    assert all(r.headers["authorization"] == "Bearer not-needed" for r in llm.requests_for(local_model))


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        (Reply(refusal="I'm sorry, I can't help with trading decisions."), "refused"),
        (Reply(content=decision_json("BUY", 0.7), truncate_at=40), "truncated"),
        (Reply(content="AAPL_AAPL_B " * 500_000), "truncated"),  # ~6 MB: cut to the cap
    ],
    ids=["refusal", "max_tokens", "huge"],
)
def test_refused_truncated_and_huge_replies_are_recorded_and_never_repaired(
    database: Database, llm: LLMServer, reply: Reply, status: str
) -> None:
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.8)))
    llm.on(CHEAP_B, reply)
    add_profiles(database, llm)
    out = run_arena(database, make_settings())
    risk = agent(out, "cheap_risk_manager")
    assert risk["status"] == "invalid" and out["decided_by"] == "no_quorum"
    assert len(llm.requests_for(CHEAP_A)) == 1  # no repair call
    (row,) = calls(database, out["run_id"], CHEAP_B)
    assert row.status == status
    assert row.response_text is None or len(row.response_text.encode()) <= 65_536
    with database.sessions() as s:
        stored = s.scalar(select(AgentDecision).where(AgentDecision.profile_name == "cheap_risk_manager"))
        assert stored is not None and f"reply {status}" in " ".join(stored.validation_errors)
        details = run_details(session=s, run_id=out["run_id"])
    assert len(json.dumps(jsonable(asdict(details)))) < 400_000  # GET /runs/{id} stays bounded


def test_a_rate_limited_call_waits_for_retry_after_and_every_request_is_a_row(
    database: Database, llm: LLMServer
) -> None:
    llm.behaviour(CHEAP_B, Behaviour.OPENROUTER)
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.8)))
    llm.on(CHEAP_B, Reply(status=429, retry_after=1), Reply(content=decision_json("BUY", 0.7), cost=0.0002))
    add_profiles(database, llm)
    out = run_arena(database, make_settings())
    assert out["final_action"] == "BUY" and agent(out, "cheap_risk_manager")["status"] == "valid"
    first, second = llm.requests_for(CHEAP_B)
    assert second.started_at - first.finished_at >= 0.95  # the server's Retry-After, not the 0.01 s test backoff
    rows = calls(database, out["run_id"], CHEAP_B)
    assert [(r.status, r.attempts) for r in rows] == [("error", 1), ("ok", 2)]
    assert rows[0].error_class == "RateLimitError" and out["llm_calls"] == 3  # rows equal requests


def test_a_key_is_never_sent_to_a_base_url_outside_the_allow_list(database: Database, llm: LLMServer) -> None:
    """A profile pointing elsewhere (saved before the allow-list, or edited in the database) gets no key: the capture
    server receives no request at all, and the run says why."""
    with LLMServer() as capture:
        capture.on(CHEAP_B, Reply(content=decision_json("BUY", 0.9)))
        llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.8)))
        add_profiles(database, llm, cheap_risk_manager={"api_base": capture.base_url})
        only_llm = make_settings(ARENA_ALLOWED_API_BASES=f"openai={llm.base_url},openrouter={llm.base_url}")
        out = run_arena(database, only_llm)
        assert capture.requests == []  # neither the key nor the prompt left for the capture server
    risk = agent(out, "cheap_risk_manager")
    assert risk["status"] == "error" and out["decided_by"] == "no_quorum"
    (row,) = calls(database, out["run_id"], CHEAP_B)
    assert row.error_class == "ApiBaseNotAllowed" and row.attempts == 0
    assert len(llm.requests_for(CHEAP_A)) == 1  # the allowed profile was asked as usual
