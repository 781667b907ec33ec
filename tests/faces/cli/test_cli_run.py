"""`python -m arena run` as the operator runs it: a real process, real litellm and alpaca-py over loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from arena.bootstrap.database import Database
from arena.storage.models import ArenaRun, BrokerOrder, OutcomeLink
from tests.engine.factories import decision_json
from tests.engine.harness import CHEAP_A, CHEAP_B, POWER, add_profiles
from tests.faces.cli.cli_harness import arena, loopback_servers
from tests.support.alpaca_server import AlpacaServer
from tests.support.llm_server import LLMServer, Reply


@pytest.fixture
def servers() -> Iterator[tuple[LLMServer, AlpacaServer]]:
    with loopback_servers() as both:
        yield both


def run_count(db: Database) -> int:
    with db.sessions() as s:
        return s.scalar(select(func.count()).select_from(ArenaRun)) or 0


def test_run_json_end_to_end_with_an_order(
    sqlite_url: str, sqlite_database: Database, servers: tuple[LLMServer, AlpacaServer]
) -> None:
    llm, broker = servers
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.8, pct=1.0)))
    llm.on(CHEAP_B, Reply(content=decision_json("BUY", 0.7, pct=1.0), cost=0.0003))
    add_profiles(sqlite_database, llm)
    done = arena(sqlite_url, broker, "run", "--symbols", "aapl", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(out) >= {
        "run_id",
        "trace_id",
        "status",
        "mode",
        "escalated",
        "escalation_reasons",
        "final_action",
        "decision_id",
        "agents",
        "cost_usd",
        "order",
    }
    assert out["status"] == "completed" and out["final_action"] == "BUY" and out["mode"] == "competition"
    assert {a["profile"] for a in out["agents"]} == {"cheap_tech_analyst", "cheap_risk_manager"}
    assert all(
        {"profile", "model", "role", "action", "confidence", "valid", "cost_usd", "latency_ms"} <= set(a)
        for a in out["agents"]
    )
    assert out["order"]["client_order_id"] == f"arena-{out['decision_id']}"
    sent = [o for o in broker.orders if o["client_order_id"] == out["order"]["client_order_id"]]
    assert len(sent) == 1 and out["order"]["broker_order_id"] == sent[0]["id"]
    assert all(c["passed"] for c in out["guardrails"])
    with sqlite_database.sessions() as s:
        link = s.scalar(select(OutcomeLink).where(OutcomeLink.decision_id == out["decision_id"]))
        assert link is not None and link.trace_id == out["trace_id"]
    # reconciliation from the CLI moves the order on and records its fill
    rec = arena(sqlite_url, broker, "reconcile", "--json")
    assert rec.returncode == 0, rec.stderr
    assert json.loads(rec.stdout)["checked"] == 1
    with sqlite_database.sessions() as s:
        order = s.scalar(select(BrokerOrder).where(BrokerOrder.client_order_id == out["order"]["client_order_id"]))
        assert order is not None and order.status == "partially_filled"


def test_escalation_scenario_reaches_the_powerful_model(
    sqlite_url: str, sqlite_database: Database, servers: tuple[LLMServer, AlpacaServer]
) -> None:
    llm, broker = servers
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.7)))
    llm.on(CHEAP_B, Reply(content=decision_json("SELL", 0.55)))
    llm.on(POWER, Reply(content=decision_json("HOLD", 0.8, symbol=""), cost=0.012))
    add_profiles(sqlite_database, llm)
    done = arena(sqlite_url, broker, "run", "--symbols", "AAPL", "--json", "--mode", "debate")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["escalated"] is True and "disagreement" in out["escalation_reasons"]
    assert out["final_action"] == "HOLD" and out["order"] is None
    assert any(a["phase"] == "escalation" and a["model"] == POWER for a in out["agents"])


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        (["--symbols", "AA$L"], {}, "invalid symbol"),
        (["--symbols", "ZZZZ"], {}, "unknown symbol"),
        (["--symbols", "AAPL", "--agents", "nobody"], {}, "unknown agent"),
        (["--symbols", "AAPL"], {"OPENAI_API_KEY": "", "OPENROUTER_API_KEY": ""}, "no provider configured"),
        (["--symbols", "AAPL", "--mode", "brawl"], {}, "invalid choice"),
    ],
)
def test_bad_requests_exit_non_zero_with_one_line_and_write_nothing(
    sqlite_url: str,
    sqlite_database: Database,
    servers: tuple[LLMServer, AlpacaServer],
    args: list[str],
    env: dict[str, str],
    needle: str,
) -> None:
    llm, broker = servers
    add_profiles(sqlite_database, llm)
    done = arena(sqlite_url, broker, "run", *args, **env)
    assert done.returncode != 0
    assert needle in done.stderr
    assert "Traceback" not in done.stderr
    assert run_count(sqlite_database) == 0
    assert not llm.requests


def test_no_enabled_profile_is_a_clear_error(
    sqlite_url: str, sqlite_database: Database, servers: tuple[LLMServer, AlpacaServer]
) -> None:
    _, broker = servers
    done = arena(sqlite_url, broker, "run", "--symbols", "AAPL")
    assert done.returncode == 2 and "no enabled cheap_first agent profile" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert run_count(sqlite_database) == 0


def test_enqueue_prints_the_run_id_at_once(
    sqlite_url: str, sqlite_database: Database, servers: tuple[LLMServer, AlpacaServer]
) -> None:
    llm, broker = servers
    add_profiles(sqlite_database, llm)
    done = arena(sqlite_url, broker, "run", "--symbols", "AAPL", "--enqueue", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["status"] == "queued"
    with sqlite_database.sessions() as s:
        run = s.get(ArenaRun, out["run_id"])
        assert run is not None and run.status == "queued" and run.trigger == "cli"
    assert not llm.requests
