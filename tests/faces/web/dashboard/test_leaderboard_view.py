"""The Leaderboard widgets draw a real board: runs → bars past the horizon → scoring → materialised snapshot.

The page reads storage.read.leaderboard (shared with the API); these tests feed the widgets the board that reader
returns over the snapshot the leaderboard engine materialises."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from streamlit.testing.v1 import AppTest

from arena.bootstrap.database import Database
from arena.bootstrap.services import build_market_data
from arena.engine.outcomes.leaderboard import materialize
from arena.engine.outcomes.scoring import score_due
from arena.kernel.kinds import LeaderboardGroup, LeaderboardWindow
from arena.storage.read.leaderboard import LeaderboardView, read_leaderboard
from tests.engine.factories import decision_json, snapshot
from tests.engine.harness import CHEAP_A, CHEAP_B, POWER, FixedMarket, add_profiles, make_settings, run_arena
from tests.faces.web.dashboard.conftest import texts
from tests.support.alpaca_server import AlpacaServer, settings_for
from tests.support.llm_server import LLMServer, Reply

ENTRY = datetime.now(UTC).replace(hour=21, minute=0, second=0, microsecond=0) - timedelta(days=14)


def _weekday_after(start: date, count: int) -> date:
    day = start
    while count:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def scored_board(db: Database, llm: LLMServer, market: AlpacaServer, *, min_sample: int) -> LeaderboardView:
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.4, pct=1.0)))
    llm.on(CHEAP_B, Reply(content=decision_json("SELL", 0.45, pct=1.0), cost=0.001))
    llm.on(POWER, Reply(content=decision_json("BUY", 0.8, pct=1.0), cost=0.01))
    add_profiles(db, llm)
    snap = snapshot(price=100.0).model_copy(update={"as_of": ENTRY})
    for _ in range(3):
        run_arena(db, make_settings(), market=FixedMarket(snap=snap))
    market.set_bars(
        "AAPL", [100.0] * 10 + [104.0, 106.0, 108.0, 109.0, 110.0, 111.0], end=_weekday_after(ENTRY.date(), 6)
    )
    data = build_market_data(settings_for(market, timeout_s=10))
    bars = lambda symbols, start: data.daily_bars(symbols, start=start)  # noqa: E731
    assert score_due(sessions=db.sessions, bars=bars, now=datetime.now(UTC)).scored > 0
    materialize(sessions=db.sessions, min_sample=min_sample)
    with db.sessions() as s:
        board = read_leaderboard(session=s, window=LeaderboardWindow.MONTH, group_by=LeaderboardGroup.PROFILE)
    assert board.source == "snapshot"
    return board


def _draw(board: LeaderboardView) -> AppTest:
    def script(board):  # type: ignore[no-untyped-def]  # its source runs alone: no annotations to resolve
        from arena.faces.web.widgets.leaderboard import render_board

        render_board(board)

    at = AppTest.from_function(script, args=(board,), default_timeout=30)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_ranked_board_is_drawn_with_its_metrics(
    sqlite_database: Database, llm: LLMServer, broker: AlpacaServer
) -> None:
    board = scored_board(sqlite_database, llm, broker, min_sample=3)
    assert board.ranked and board.extra["min_sample"] == 3
    at = _draw(board)
    assert "Not enough data" not in texts(at)
    table = at.dataframe[0].value
    assert list(table["entry"][:3]) == ["buy_and_hold", "cheap_tech_analyst", "power_macro_judge"]  # band 1
    row = table[table["entry"] == "cheap_risk_manager"].iloc[0]
    assert (row["rank"], row["hit rate"], row["scored"], row["kind"]) == (2, 0.0, 3, "agent")
    tech = table[table["entry"] == "cheap_tech_analyst"].iloc[0]
    assert tech["shadow PnL"] == 300.0 and tech["mean return %"] == 10.0
    assert (tech["excess vs buy & hold"], tech["excess vs momentum"]) == (0.0, 10.0)
    assert (tech["valid rate"], tech["decisions"], tech["status"]) == (1.0, 3, "ranked")
    hold = table[table["entry"] == "buy_and_hold"].iloc[0]
    assert (hold["kind"], hold["LLM cost"], hold["mean return %"]) == ("baseline", 0.0, 10.0)
    assert "Value of escalation" in texts(at, "subheader")
    escalation = at.dataframe[2].value
    assert escalation["trigger"][0] == "disagreement" and escalation["runs"][0] == 3
    (chart,) = at.get("plotly_chart")
    names = {trace["name"] for trace in json.loads(chart.proto.spec)["data"]}
    assert {"cheap_tech_analyst", "buy_and_hold (baseline)"} <= names  # the baseline is drawn beside the agents


def test_a_board_below_the_minimum_says_not_enough_data(
    sqlite_database: Database, llm: LLMServer, broker: AlpacaServer
) -> None:
    board = scored_board(sqlite_database, llm, broker, min_sample=50)
    at = _draw(board)
    assert "Not enough data to rank agents: no entry has 50 scored decisions yet." in texts(at, "info")
    table = at.dataframe[0].value
    assert table["rank"].isna().all()
    assert all(s.startswith("provisional: not enough data (3 of 50") for s in table["status"])
