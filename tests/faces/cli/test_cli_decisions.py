"""How a run decides, end to end: `arena run --json` through the CLI's `main` (the real-process path is covered in
test_cli_run.py), real litellm to the loopback LLM server, real alpaca-py to the loopback Alpaca server, on SQLite
and PostgreSQL.

Each scenario is one of issue 12's: disagreement escalates, a veto stops, no quorum stops, a tie goes to a cheap
judge, an oversized answer is held to the portfolio-delta limit, and a bull/bear debate is judged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from arena.bootstrap.database import Database
from arena.engine.config.guardrails import update_config
from arena.engine.config.profiles import ProfileSpec
from arena.storage.models import Consensus, CostTelemetry
from arena.storage.repositories.profiles import upsert_profile
from tests.engine.factories import decision_json
from tests.engine.harness import CHEAP_A, CHEAP_B, POWER, add_profiles
from tests.faces.cli.cli_harness import loopback_servers, run_json_in_process
from tests.support.alpaca_server import AlpacaServer
from tests.support.llm_server import LLMServer, Reply

JUDGE = "cheap-judge-mini"
BULL = "cheap-bull-mini"
BEAR = "cheap-bear-mini"


@pytest.fixture
def servers() -> Iterator[tuple[LLMServer, AlpacaServer]]:
    with loopback_servers() as both:
        yield both


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db_url: str):  # type: ignore[no-untyped-def]
    def run(broker: AlpacaServer, *args: str, **env: str) -> dict[str, Any]:
        return run_json_in_process(monkeypatch, capsys, db_url, broker, *args, **env)

    return run


def add_spec(db: Database, llm: LLMServer, name: str, model: str, role: str, mode: str) -> None:
    spec = ProfileSpec(
        name=name,
        provider="openai",
        model=model,
        role=role,
        prompt_template_id=role,
        mode=mode,
        api_base=llm.base_url,
        timeout_s=5.0,
    )
    with db.sessions() as session, session.begin():
        upsert_profile(session=session, name=name, values=spec.model_dump(exclude={"name"}), actor="test")


def consensus(db: Database, run_id: str) -> Consensus:
    with db.sessions() as s:
        row = s.scalar(select(Consensus).where(Consensus.run_id == run_id))
        assert row is not None
        return row


def purposes(db: Database, run_id: str) -> list[str]:
    with db.sessions() as s:
        return [c.purpose for c in s.scalars(select(CostTelemetry).where(CostTelemetry.run_id == run_id))]


def orders_sent(broker: AlpacaServer) -> list[dict[str, Any]]:
    return broker.requests_to("POST", "/v2/orders")


def test_analyst_buy_against_a_confident_risk_manager_sell_escalates_on_disagreement(
    cli,
    database: Database,
    servers: tuple[LLMServer, AlpacaServer],  # type: ignore[no-untyped-def]
) -> None:
    llm, broker = servers
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.80, pct=1.0)))
    llm.on(CHEAP_B, Reply(content=decision_json("SELL", 0.75, pct=1.0)))
    llm.on(POWER, Reply(content=decision_json("BUY", 0.82, pct=1.0), cost=0.01))
    add_profiles(database, llm)

    out = cli(broker, "--symbols", "AAPL")

    assert out["escalated"] is True and "disagreement" in out["escalation_reasons"]
    assert out["veto"] is None and out["quorum"] == {"valid": 2, "required": 2}
    assert len(llm.requests_for(POWER)) == 1
    assert out["decided_by"] == "escalation" and out["final_action"] == "BUY"
    assert len(orders_sent(broker)) == 1  # the powerful answer passed every guardrail
    assert consensus(database, out["run_id"]).decided_by == "escalation"
    # the schema sent with the strict request names only the run's universe
    sent = llm.requests_for(CHEAP_A)[0].body["response_format"]["json_schema"]["schema"]
    assert sent["properties"]["symbols"]["items"]["enum"] == ["AAPL"]


def test_a_veto_flag_ends_in_no_trade_without_a_powerful_call(
    cli,
    database: Database,
    servers: tuple[LLMServer, AlpacaServer],  # type: ignore[no-untyped-def]
) -> None:
    llm, broker = servers
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.80)))
    llm.on(CHEAP_B, Reply(content=decision_json("SELL", 0.75, flags=["veto", "earnings_tomorrow"])))
    llm.on(POWER, Reply(content=decision_json("BUY", 0.9)))
    add_profiles(database, llm)

    out = cli(broker, "--symbols", "AAPL")

    assert out["final_action"] == "NO_TRADE" and out["decided_by"] == "veto" and out["escalated"] is False
    assert out["veto"] == {"agent": "cheap_risk_manager", "role": "risk_manager", "flag": "veto"}
    assert "cheap_risk_manager" in out["no_trade_reason"] and "veto" in out["no_trade_reason"]
    assert not llm.requests_for(POWER) and not orders_sent(broker)


def test_one_valid_vote_of_two_is_no_quorum_and_no_order(
    cli,
    database: Database,
    servers: tuple[LLMServer, AlpacaServer],  # type: ignore[no-untyped-def]
) -> None:
    llm, broker = servers
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.95)))
    llm.on(CHEAP_B, Reply(status=503, error_message="provider down"))
    llm.on(POWER, Reply(content=decision_json("BUY", 0.9)))
    add_profiles(database, llm)

    out = cli(broker, "--symbols", "AAPL")

    assert out["final_action"] == "NO_TRADE" and out["decided_by"] == "no_quorum"
    assert out["no_trade_reason"] == "no quorum (1 of 2 valid)"
    assert out["quorum"] == {"valid": 1, "required": 2}
    assert not llm.requests_for(POWER) and not orders_sent(broker)
    assert out["order"] is None


def test_a_tie_goes_to_the_cheap_judge_and_a_confident_judge_needs_no_powerful_call(
    cli,
    database: Database,
    servers: tuple[LLMServer, AlpacaServer],  # type: ignore[no-untyped-def]
) -> None:
    llm, broker = servers
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.70, pct=1.0)))
    llm.on(CHEAP_B, Reply(content=decision_json("SELL", 0.70, pct=1.0)))
    llm.on(JUDGE, Reply(content=decision_json("BUY", 0.80, pct=1.0)))
    llm.on(POWER, Reply(content=decision_json("HOLD", 0.9, symbol="")))
    add_profiles(database, llm)
    add_spec(database, llm, "cheap_tie_judge", JUDGE, "judge", "judge_cheap")

    out = cli(broker, "--symbols", "AAPL")

    assert len(llm.requests_for(JUDGE)) == 1 and not llm.requests_for(POWER)
    assert out["decided_by"] == "cheap_judge" and out["final_action"] == "BUY" and out["escalated"] is False
    assert out["judge"]["agent"] == "cheap_tie_judge" and out["judge"]["action"] == "BUY"
    assert out["judge"]["reason"] == "tie"
    assert [a["phase"] for a in out["agents"] if a["profile"] == "cheap_tie_judge"] == ["judge"]
    assert "judge" in purposes(database, out["run_id"])
    # the judge read both cheap answers and was told why it was asked
    asked = llm.requests_for(JUDGE)[0].body["messages"][-1]["content"]
    assert "because: tie" in asked and asked.count('"action"') == 2
    assert len(orders_sent(broker)) == 1


def test_without_a_judge_a_tie_escalates_with_reason_tie(
    cli,
    database: Database,
    servers: tuple[LLMServer, AlpacaServer],  # type: ignore[no-untyped-def]
) -> None:
    llm, broker = servers
    llm.on(CHEAP_A, Reply(content=decision_json("SELL", 0.70)))
    llm.on(CHEAP_B, Reply(content=decision_json("BUY", 0.70)))
    llm.on(POWER, Reply(content=decision_json("HOLD", 0.9, symbol="")))
    add_profiles(database, llm)

    out = cli(broker, "--symbols", "AAPL")

    assert out["escalated"] is True and "tie" in out["escalation_reasons"]
    assert out["final_action"] == "HOLD" and out["decided_by"] == "escalation"


def test_an_oversized_judge_answer_escalates_and_the_powerful_size_is_cut_to_the_delta_limit(
    cli,
    database: Database,
    servers: tuple[LLMServer, AlpacaServer],  # type: ignore[no-untyped-def]
) -> None:
    llm, broker = servers
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.70)))
    llm.on(CHEAP_B, Reply(content=decision_json("SELL", 0.70)))
    llm.on(JUDGE, Reply(content=decision_json("BUY", 0.85, pct=5.0)))  # 5 % of equity > the 1.5 % delta trigger
    llm.on(POWER, Reply(content=decision_json("BUY", 0.85, pct=8.0)))
    add_profiles(database, llm)
    add_spec(database, llm, "cheap_tie_judge", JUDGE, "judge", "judge_cheap")
    with database.sessions() as session, session.begin():  # room for a 1.5 % order on $100k
        update_config(session=session, changes={"max_order_notional_usd": 2_000.0}, actor="test")

    out = cli(broker, "--symbols", "AAPL")

    assert out["escalation_reasons"] == ["portfolio_delta"] and out["escalated"] is True
    assert len(llm.requests_for(POWER)) == 1
    # the powerful model was shown the judge's answer
    assert "A cheaper judge then decided" in llm.requests_for(POWER)[0].body["messages"][-1]["content"]
    row = consensus(database, out["run_id"])
    assert row.final_action == "BUY" and row.sizing == {"kind": "pct_equity", "value": 1.5}
    check = row.trace["sizing_check"]
    assert check["result"] == "cut to the limit" and check["delta_pct"] == pytest.approx(8.0)
    assert check["limit_pct"] == 1.5
    assert len(orders_sent(broker)) == 1 and all(c["passed"] for c in out["guardrails"])
    notional = next(c["reason"] for c in out["guardrails"] if c["name"] == "max_order_notional")
    assert float(re.search(r"order \$([\d,.]+)", notional).group(1).replace(",", "")) <= 1_500.0  # type: ignore[union-attr]


def test_a_two_round_bull_bear_debate_is_stored_and_judged(
    cli,
    database: Database,
    servers: tuple[LLMServer, AlpacaServer],  # type: ignore[no-untyped-def]
) -> None:
    llm, broker = servers

    def debater(action: str, confidence: float, second: float):  # type: ignore[no-untyped-def]
        def reply(body: dict[str, Any]) -> Reply:
            later = len(body["messages"]) > 2
            return Reply(content=decision_json(action, second if later else confidence))

        return reply

    llm.on_call(BULL, debater("BUY", 0.75, 0.72))
    llm.on_call(BEAR, debater("SELL", 0.70, 0.60))
    llm.on(JUDGE, Reply(content=decision_json("BUY", 0.78, pct=1.0)))
    add_profiles(database, llm)
    add_spec(database, llm, "cheap_bull", BULL, "bull", "cheap_first")
    add_spec(database, llm, "cheap_bear", BEAR, "bear", "cheap_first")
    add_spec(database, llm, "cheap_debate_judge", JUDGE, "judge", "judge_cheap")

    out = cli(broker, "--symbols", "AAPL", "--mode", "debate", "--debaters", "cheap_bull,cheap_bear")

    rounds = sorted((a["profile"], a["phase"], a["round"]) for a in out["agents"])
    assert rounds == [
        ("cheap_bear", "cheap", 1),
        ("cheap_bear", "debate", 2),
        ("cheap_bull", "cheap", 1),
        ("cheap_bull", "debate", 2),
        ("cheap_debate_judge", "judge", 1),
    ]
    assert not llm.requests_for(CHEAP_A) and not llm.requests_for(CHEAP_B)  # only the named debaters debate
    # round 2: each debater read the other side's round-1 argument, with its role
    bull_round_2 = next(r for r in llm.requests_for(BULL) if len(r.body["messages"]) > 2)
    assert "[round 1] bear: SELL AAPL" in bull_round_2.body["messages"][-1]["content"]
    # the judge read the whole transcript: both rounds of both sides
    transcript = llm.requests_for(JUDGE)[0].body["messages"][-1]["content"]
    for line in ("[round 1] bull", "[round 1] bear", "[round 2] bull", "[round 2] bear"):
        assert line in transcript
    assert out["decided_by"] == "cheap_judge" and out["final_action"] == "BUY"
    stored = consensus(database, out["run_id"]).trace["debate"]
    assert [(t["round"], t["role"]) for t in stored] == [(1, "bull"), (1, "bear"), (2, "bull"), (2, "bear")]
    assert stored[3]["confidence"] == pytest.approx(0.60) and stored[0]["argument"]


def test_a_veto_in_an_earlier_debate_round_still_blocks_and_stops_the_debate(
    cli,
    database: Database,
    servers: tuple[LLMServer, AlpacaServer],  # type: ignore[no-untyped-def]
) -> None:
    llm, broker = servers

    def bear(body: dict[str, Any]) -> Reply:
        if len(body["messages"]) > 2:  # a later round: no flag any more
            return Reply(content=decision_json("BUY", 0.9))
        return Reply(content=decision_json("HOLD", 0.8, symbol="", flags=["veto"]))

    llm.on(BULL, Reply(content=decision_json("BUY", 0.9)))
    llm.on_call(BEAR, bear)
    llm.on(JUDGE, Reply(content=decision_json("BUY", 0.9)))
    add_profiles(database, llm)
    add_spec(database, llm, "cheap_bull", BULL, "bull", "cheap_first")
    add_spec(database, llm, "cheap_bear", BEAR, "bear", "cheap_first")
    add_spec(database, llm, "cheap_debate_judge", JUDGE, "judge", "judge_cheap")
    with database.sessions() as session, session.begin():
        update_config(session=session, changes={"debate_rounds": 3}, actor="test")

    out = cli(broker, "--symbols", "AAPL", "--mode", "debate", "--debaters", "cheap_bull,cheap_bear")

    assert out["final_action"] == "NO_TRADE" and out["decided_by"] == "veto"
    assert out["veto"] == {"agent": "cheap_bear", "role": "bear", "flag": "veto"}
    assert {a["round"] for a in out["agents"]} == {1}  # no round 2 or 3 was paid for after the veto
    assert not llm.requests_for(JUDGE) and not orders_sent(broker)


def test_the_prompt_names_the_configured_blocking_flag(
    cli,
    database: Database,
    servers: tuple[LLMServer, AlpacaServer],  # type: ignore[no-untyped-def]
) -> None:
    llm, broker = servers
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.8)))
    llm.on(CHEAP_B, Reply(content=decision_json("BUY", 0.8, flags=["block_trade"])))
    add_profiles(database, llm)
    with database.sessions() as session, session.begin():
        update_config(session=session, changes={"blocking_risk_flags": ["block_trade"]}, actor="test")

    out = cli(broker, "--symbols", "AAPL")

    assert "'block_trade' in risk_flags" in llm.requests_for(CHEAP_A)[0].body["messages"][0]["content"]
    assert out["decided_by"] == "veto" and out["veto"]["flag"] == "block_trade"
