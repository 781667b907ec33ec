"""Runs against the loopback servers → bars move past the horizon → scoring (agents and the free baselines) →
materialised leaderboard ranks, with excess returns over the baselines."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from arena.bootstrap.database import Database
from arena.bootstrap.services import build_market_data
from arena.engine.outcomes.leaderboard import materialize
from arena.engine.outcomes.scoring import score_due
from arena.faces.web.paths import APP_SCRIPT
from arena.faces.web.widgets.access import SESSION_KEY
from arena.storage.repositories.outcomes import load_snapshot
from tests.engine.factories import decision_json, snapshot
from tests.engine.harness import CHEAP_A, CHEAP_B, POWER, FixedMarket, add_profiles, make_settings, run_arena
from tests.faces.web.api.conftest import AUTH, api_settings, checked_client
from tests.support.alpaca_server import AlpacaServer, settings_for
from tests.support.llm_server import LLMServer, Reply

ROOT = Path(__file__).resolve().parents[3]
ENTRY = datetime.now(UTC).replace(hour=21, minute=0, second=0, microsecond=0) - timedelta(days=14)


@pytest.fixture
def servers() -> Iterator[tuple[LLMServer, AlpacaServer]]:
    with LLMServer() as llm, AlpacaServer() as market:
        yield llm, market


def test_scoring_and_leaderboard_rank_the_agents(
    sqlite_url: str, sqlite_database: Database, servers: tuple[LLMServer, AlpacaServer]
) -> None:
    llm, market = servers
    db, db_url = sqlite_database, sqlite_url
    # tech analyst says BUY, the risk manager SELL; they disagree, the judge decides BUY
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.4, pct=1.0)))
    llm.on(CHEAP_B, Reply(content=decision_json("SELL", 0.45, pct=1.0), cost=0.001))
    llm.on(POWER, Reply(content=decision_json("BUY", 0.8, pct=1.0), cost=0.01))
    add_profiles(db, llm)
    snap = snapshot(price=100.0).model_copy(update={"as_of": ENTRY})
    for _ in range(4):
        out = run_arena(db, make_settings(), market=FixedMarket(snap=snap))
        assert out["escalated"] and out["final_action"] == "BUY"

    # before the horizon has passed nothing is scored
    market.set_bars("AAPL", [100.0] * 10, end=ENTRY.date())
    data = build_market_data(settings_for(market, timeout_s=10))
    bars = lambda symbols, start: data.daily_bars(symbols, start=start)  # noqa: E731
    waiting = score_due(sessions=db.sessions, bars=bars, now=datetime.now(UTC))
    # per run: 3 agent votes + final consensus + cheap consensus + 3 baselines on the same snapshot and horizon
    assert (waiting.scored, waiting.waiting) == (0, 4 * 8)

    # the price rises to 110 over the following sessions (5d horizon → 5th bar after the entry day)
    market.set_bars(
        "AAPL", [100.0] * 10 + [104.0, 106.0, 108.0, 109.0, 110.0, 111.0], end=_weekday_after(ENTRY.date(), 6)
    )
    report = score_due(sessions=db.sessions, bars=bars, now=datetime.now(UTC))
    assert report.scored == 4 * 8
    assert score_due(sessions=db.sessions, bars=bars, now=datetime.now(UTC)).scored == 0  # idempotent

    assert materialize(sessions=db.sessions, min_sample=3) >= 9
    with db.sessions() as s:
        row = load_snapshot(session=s, window="30d", group_by="profile", market="*", strategy="*")
        assert row is not None
        board = row.payload
    entries = {e["key"]: e for e in board["entries"] if e["kind"] == "agent"}
    baselines = {e["key"]: e for e in board["entries"] if e["kind"] == "baseline"}
    assert board["status"] == "ranked"
    assert entries["cheap_tech_analyst"]["hit_rate"] == 1.0 and entries["power_macro_judge"]["hit_rate"] == 1.0
    assert entries["cheap_risk_manager"]["hit_rate"] == 0.0
    assert entries["cheap_tech_analyst"]["rank_band"] == entries["power_macro_judge"]["rank_band"] == 1
    assert entries["cheap_risk_manager"]["rank_band"] == 2
    # the free baselines on the same 4 snapshots: buy_and_hold earned +10 % each time, cash 0 (a miss: the price
    # left the ±1 % band), momentum held (the snapshot has no 30-day SMA)
    assert set(baselines) == {"cash", "buy_and_hold", "momentum"}
    assert baselines["buy_and_hold"]["mean_return_pct"] == pytest.approx(10.0)
    assert baselines["buy_and_hold"]["rank_band"] == 1 and baselines["cash"]["rank_band"] == 2
    assert baselines["cash"]["mean_return_pct"] == 0.0 and baselines["momentum"]["hold_rate"] == 1.0
    assert baselines["buy_and_hold"]["llm_cost_usd"] == 0.0 and baselines["cash"]["n_scored"] == 4
    # paired excess: the analyst matched buy-and-hold (0 points) and beat momentum by 10; the risk manager lost 20
    tech, risk = entries["cheap_tech_analyst"], entries["cheap_risk_manager"]
    assert tech["excess_return_pct"] == {"buy_and_hold": pytest.approx(0.0), "momentum": pytest.approx(10.0)}
    assert risk["excess_return_pct"]["buy_and_hold"] == pytest.approx(-20.0) and risk["excess_n"]["momentum"] == 4
    assert tech["cost_per_excess_point_usd"]["buy_and_hold"] is None  # no excess to pay for
    assert risk["cost_per_excess_point_usd"] == {"buy_and_hold": None, "momentum": None}
    assert entries["cheap_tech_analyst"]["mean_return_pct"] == pytest.approx(10.0)
    assert entries["cheap_risk_manager"]["mean_return_pct"] == pytest.approx(-10.0)
    # 1% of $100k per vote, +10% → +$100 per trade in the shadow account
    assert entries["cheap_tech_analyst"]["shadow"]["pnl_usd"] == pytest.approx(400.0)
    assert entries["cheap_risk_manager"]["shadow"]["max_drawdown_pct"] == pytest.approx(0.4)
    assert entries["power_macro_judge"]["cost_per_decision_usd"] == pytest.approx(0.01)
    assert entries["cheap_risk_manager"]["brier"] == pytest.approx(0.45**2)
    # escalation turned the cheap SELL into a BUY on a rising market: +20 points per run
    value = board["escalation_value"]["by_trigger"]
    assert value["disagreement"]["runs"] == 4 and value["disagreement"]["mean_value_pct"] == pytest.approx(20.0)
    assert board["arena"]["hit_rate"] == 1.0

    # the REST endpoint and the Leaderboard page read the same materialised board
    with checked_client(api_settings(db_url), db) as client:
        api = client.get("/leaderboard", params={"window": "30d"}, headers=AUTH).json()
    assert api.get("status") == "ranked" and api["source"] == "snapshot", api
    assert {e["key"]: e["rank_band"] for e in api["entries"]} == {
        "cheap_tech_analyst": 1,
        "power_macro_judge": 1,
        "buy_and_hold": 1,
        "cheap_risk_manager": 2,
        "cash": 2,
        "momentum": 2,
    }
    assert {e["key"]: e["kind"] for e in api["entries"]}["momentum"] == "baseline"
    page = _leaderboard_page(db_url)
    table = page.dataframe[0].value
    agents = table[table["kind"] == "agent"]
    assert list(agents["entry"])[-1] == "cheap_risk_manager" and set(agents["entry"]) == set(entries)
    assert set(table[table["kind"] == "baseline"]["entry"]) == set(baselines)

    # fewer scored decisions than the minimum → not ranked, and it says so
    materialize(sessions=db.sessions, min_sample=50)
    with db.sessions() as s:
        row = load_snapshot(session=s, window="7d", group_by="model", market="*", strategy="*")
        assert row is not None
    assert row.payload["status"] == "not_enough_data"
    assert all(e["rank_band"] is None and e["status"] == "provisional" for e in row.payload["entries"])
    assert all(e["note"].startswith("not enough data") for e in row.payload["entries"])


def _weekday_after(start: date, count: int) -> date:
    day = start
    while count:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def _leaderboard_page(db_url: str) -> AppTest:
    os.environ["DATABASE_URL"] = db_url
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        at = AppTest.from_file(str(APP_SCRIPT), default_timeout=30)
        at.session_state[SESSION_KEY] = True
        at.run()
        at.switch_page("screens/leaderboard.py")
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at
    finally:
        os.environ.pop("DATABASE_URL", None)
        st.cache_resource.clear()
