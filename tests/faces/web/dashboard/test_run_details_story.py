"""Run Details tells a run's story at a glance: one line on what it ended with and why, then tabs; blocked, vetoed,
agent-less and failed runs are worded for what happened (never a green BUY for an order that was not sent); the
reasoning is open; costs in cents; the whole run downloadable as JSON. Real runs, SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from streamlit.testing.v1 import AppTest

from arena.bootstrap.database import Database
from arena.engine.config.guardrails import update_config
from arena.engine.market.snapshot import MarketSnapshot
from arena.faces.web.widgets.run_view import TABS, run_json
from arena.storage.read.run_report import run_details
from tests.engine.factories import snapshot
from tests.engine.harness import FixedMarket, make_settings, run_arena
from tests.faces.web.dashboard.conftest import Shared, open_page, texts
from tests.faces.web.dashboard.populate import CHEAP_OPENAI, CHEAP_OR, add_profiles, decision
from tests.support.llm_server import LLMServer, Reply


class BrokenMarket(FixedMarket):
    """Market data that fails the way an outage does: the run cannot start deciding."""

    def snapshot(self, symbols: list[str], *, vol_threshold_pct: float, now: datetime | None = None) -> MarketSnapshot:
        raise ConnectionError("market data unreachable (test outage)")


def _plain(value: object) -> str:
    return re.sub(r"\\(.)", r"\1", str(value))


def badges(at: AppTest) -> list[str]:
    return [_plain(e.value) for e in at.get("markdown") if "-badge[" in str(e.value)]


def headline(at: AppTest) -> str:
    """The page's first bold Markdown line: the one-line why (its badge is the element before it)."""
    lines = [_plain(e.value) for e in at.get("markdown") if str(e.value).startswith("**")]
    return lines[0].strip("*")


def test_a_blocked_run_names_its_failing_check_and_wears_no_green_buy(
    app_env: str, database: Database, llm: LLMServer
) -> None:
    add_profiles(database, llm)
    llm.on(CHEAP_OPENAI, Reply(decision("BUY", 0.8)))
    llm.on(CHEAP_OR, Reply(decision("BUY", 0.75), cost=0.0001))
    run = run_arena(database, make_settings())  # the broker cannot be reached: the asset is not confirmed
    at = open_page("screens/run_details.py", query={"run": run["run_id"]})
    assert [t.label for t in at.tabs] == TABS
    top = headline(at)
    assert top.startswith("BUY AAPL not sent — 2 guardrails failed: tradable_symbol: could not confirm AAPL")
    assert "market_session: could not read the market clock" in top
    shown = texts(at)
    assert "2 of 11 checks failed (tradable_symbol, market_session): the order was not sent." in shown
    assert "All 11 checks" not in shown
    assert badges(at)[:2] == [":red-badge[BUY blocked]"] * 2  # the top line and the Decision tab, never green
    checks = next(df for df in at.dataframe if "reason" in df.value.columns)
    assert list(checks.value["name"])[:2] == ["tradable_symbol", "market_session"]  # the failing ones first
    assert len(checks.value) == 11 and "background-color" in str(checks.proto.arrow_data.styler.styles)


def test_a_single_failing_check_is_the_one_named(app_env: str, database: Database, llm: LLMServer) -> None:
    add_profiles(database, llm)
    with database.sessions() as s, s.begin():
        update_config(session=s, changes={"require_market_open": False}, actor="test")
    llm.on(CHEAP_OPENAI, Reply(decision("BUY", 0.8, "MSFT")))
    llm.on(CHEAP_OR, Reply(decision("BUY", 0.75, "MSFT"), cost=0.0001))
    run = run_arena(database, make_settings(), market=FixedMarket(snap=snapshot(symbols=("MSFT",))), symbols=["MSFT"])
    at = open_page("screens/run_details.py", query={"run": run["run_id"]})
    assert headline(at).startswith("BUY MSFT not sent — guardrail failed: tradable_symbol:")


def test_a_vetoed_run_says_who_flagged_what_and_quotes_it_as_text(
    app_env: str, database: Database, llm: LLMServer
) -> None:
    add_profiles(database, llm)
    llm.on(CHEAP_OPENAI, Reply(decision("BUY", 0.8)))
    llm.on(CHEAP_OR, Reply(decision("SELL", 0.75, rationale="Earnings tomorrow.", flags=["veto"]), cost=0.0001))
    run = run_arena(database, make_settings())
    at = open_page("screens/run_details.py", query={"run": run["run_id"]})
    assert headline(at) == "cheap_risk_manager (risk_manager) flagged 'veto'"
    assert badges(at)[0] == ":orange-badge[NO_TRADE]"
    assert "in its words: Earnings tomorrow." in texts(at, "text")


def test_a_run_where_every_agent_failed_says_no_valid_agent(app_env: str, database: Database, llm: LLMServer) -> None:
    add_profiles(database, llm)
    llm.on(CHEAP_OPENAI, Reply(status=503, error_message="down"))
    llm.on(CHEAP_OR, Reply(status=503, error_message="down"))
    run = run_arena(database, make_settings())
    at = open_page("screens/run_details.py", query={"run": run["run_id"]})
    assert headline(at) == "no valid agent: all 2 answers failed, so this is no market judgement"
    assert badges(at)[0] == ":red-badge[NO_TRADE]"


def test_a_failed_run_says_why_once_and_no_not_yet(app_env: str, database: Database, llm: LLMServer) -> None:
    add_profiles(database, llm)
    run = run_arena(database, make_settings(), market=BrokenMarket())
    assert run["status"] == "failed"
    at = open_page("screens/run_details.py", query={"run": run["run_id"]})
    assert headline(at) == "the run stopped before deciding: ConnectionError: market data unreachable (test outage)"
    assert badges(at)[0] == ":red-badge[FAILED]"
    shown = texts(at)
    assert "yet" not in shown.replace("not decided yet", "")  # nothing pretends it is still coming
    assert "No consensus: the run failed before that." in shown
    assert "No agent answer: the run failed before that." in shown


def test_reasoning_is_open_costs_in_cents_and_the_run_downloads_as_json(read_only: Shared) -> None:
    run = read_only.runs[1]  # escalated to the powerful model
    at = open_page("screens/run_details.py", query={"run": run["run_id"]})
    judge = "Signals conflict and neither case is strong; wait for confirmation."
    assert judge in texts(at, "text")
    for expander in at.expander:  # shown as it is, not behind an expander
        assert all(judge not in str(t.value) for t in expander.text)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Cost"].endswith("¢") and metrics["Latency"].endswith(("ms", "s"))
    calls = at.dataframe[-1]
    labels = {name: column.get("label") for name, column in json.loads(calls.proto.columns).items()}
    assert (labels["cost_usd"], labels["latency_ms"], labels["tokens_in"]) == ("Cost (¢)", "Latency (ms)", "Tokens in")
    downloads = at.get("download_button")
    assert downloads and "Download this run (JSON)" in str(downloads[0].proto)
    with read_only.db.sessions() as s:
        details = run_details(session=s, run_id=run["run_id"])
    assert details is not None
    data: dict[str, Any] = json.loads(run_json(details))
    assert data["run_id"] == run["run_id"] and data["decision_id"] == run["decision_id"]
    assert len(data["llm_calls_detail"]) == 3 and data["decisions"][0]["rationale"]
