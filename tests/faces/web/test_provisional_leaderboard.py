"""After two runs on a fresh database, the leaderboard API and page list both cheap profiles for 7d/30d/90d with
their cost and validity and `n_scored: 0`, outcome columns empty (null, not zero) — no worker, no scoring yet.

Two real runs (engine → litellm → loopback LLM server): in the first both cheap agents say BUY (the final decision
is BUY); in the second the technical analyst answers garbage (a schema failure) and the risk manager says HOLD, so
the run has no quorum (NO_TRADE). The risk manager's provider reports $0.001 per call.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from arena.bootstrap.database import Database
from arena.engine.outcomes.leaderboard import materialize
from arena.kernel.kinds import LeaderboardWindow
from tests.engine.factories import decision_json
from tests.engine.harness import CHEAP_A, CHEAP_B, add_profiles, make_settings, run_arena
from tests.faces.web.api.conftest import AUTH, api_settings, checked_client
from tests.faces.web.dashboard.conftest import open_page, texts
from tests.support.llm_server import LLMServer, Reply

WINDOWS = [w.value for w in LeaderboardWindow]
OUTCOME_COLUMNS = ("hit_rate", "mean_return_pct", "cumulative_return_pct", "shadow", "excess_return_pct", "brier")


@pytest.fixture
def llm() -> Iterator[LLMServer]:
    with LLMServer() as server:
        yield server


@pytest.fixture
def two_runs(database: Database, llm: LLMServer) -> list[dict[str, Any]]:
    add_profiles(database, llm)
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.8)))
    llm.on(CHEAP_B, Reply(content=decision_json("BUY", 0.8), cost=0.001))
    first = run_arena(database, make_settings())
    llm.on(CHEAP_A, Reply(content="the market looks fine to me"))  # no JSON at all, and its repair neither
    llm.on(CHEAP_B, Reply(content=decision_json("HOLD", 0.8), cost=0.001))
    second = run_arena(database, make_settings())
    assert (first["final_action"], second["final_action"]) == ("BUY", "NO_TRADE")
    return [first, second]


def _check_cheap_entries(entries: list[dict[str, Any]]) -> None:
    by_key = {e["key"]: e for e in entries}
    tech, risk = by_key["cheap_tech_analyst"], by_key["cheap_risk_manager"]
    for entry in (tech, risk):
        assert (entry["kind"], entry["status"], entry["n_scored"], entry["decisions"]) == ("agent", "provisional", 0, 2)
        assert entry["note"] == "not enough data (0 of 20 scored)"
        assert all(entry[column] is None for column in OUTCOME_COLUMNS), entry
        assert entry["latency_p50_ms"] is not None and entry["latency_p95_ms"] >= entry["latency_p50_ms"]
        assert entry["escalations"] == 0 and entry["escalation_rate"] == 0.0
    assert (risk["valid_rate"], risk["schema_failure_rate"], risk["hold_rate"]) == (1.0, 0.0, 0.5)
    assert risk["llm_cost_usd"] == pytest.approx(0.002) and risk["cost_per_decision_usd"] == pytest.approx(0.001)
    assert risk["agreement_rate"] == 0.5  # BUY with the final BUY; HOLD against a NO_TRADE
    assert (tech["schema_failure_rate"], tech["valid_rate"], tech["hold_rate"]) == (0.5, 0.5, 0.0)
    assert tech["agreement_rate"] == 1.0  # its one valid vote matched the final decision
    # the loopback OpenAI model has no price: unknown cost is null, not free
    assert tech["llm_cost_usd"] is None and tech["cost_per_decision_usd"] is None


@pytest.mark.parametrize("window", WINDOWS)
def test_the_api_lists_both_cheap_profiles_before_anything_is_scored(
    db_url: str, database: Database, two_runs: list[dict[str, Any]], window: str
) -> None:
    with checked_client(api_settings(db_url), database) as client:
        board = client.get("/leaderboard", params={"window": window}, headers=AUTH).json()
        by_model = client.get("/leaderboard", params={"window": window, "group_by": "model"}, headers=AUTH).json()
    assert board["status"] == "not_enough_data" and board["source"] == "live" and board["min_sample"] == 20
    assert board["window"] == window and board["runs_in_window"] == 2 and board["scored_outcomes"] == 0
    assert {e["key"] for e in board["entries"]} == {"cheap_tech_analyst", "cheap_risk_manager"}  # no escalation
    _check_cheap_entries(board["entries"])
    assert {e["key"] for e in by_model["entries"]} == {CHEAP_A, CHEAP_B}


def test_the_minimum_sample_is_the_setting(db_url: str, database: Database, two_runs: list[dict[str, Any]]) -> None:
    settings = api_settings(db_url, ARENA_LEADERBOARD_MIN_SAMPLE=5)
    with checked_client(settings, database) as client:
        board = client.get("/leaderboard", headers=AUTH).json()
    assert board["min_sample"] == 5 and board["entries"][0]["note"] == "not enough data (0 of 5 scored)"


def test_a_worker_snapshot_without_scores_keeps_the_live_columns(
    db_url: str, database: Database, two_runs: list[dict[str, Any]]
) -> None:
    """The worker's 15-minute job ran but nothing has passed its horizon: the same provisional board."""
    materialize(sessions=database.sessions, min_sample=20)
    with checked_client(api_settings(db_url), database) as client:
        board = client.get("/leaderboard", params={"window": "7d"}, headers=AUTH).json()
    assert board["source"] == "snapshot" and board["status"] == "not_enough_data"
    _check_cheap_entries(board["entries"])


def test_the_page_lists_both_cheap_profiles_in_every_window(app_env: str, two_runs: list[dict[str, Any]]) -> None:
    at = open_page("screens/leaderboard.py")
    for window in WINDOWS:
        at.session_state["lb_window"] = window
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert "Not enough data to rank agents" in texts(at, "info")
        assert "2 runs" in texts(at, "caption")
        table = at.dataframe[0].value
        rows = {row["entry"]: row for row in table.to_dict("records")}
        assert set(rows) == {"cheap_tech_analyst", "cheap_risk_manager"}, window
        risk = rows["cheap_risk_manager"]
        assert (risk["scored"], risk["decisions"], risk["valid rate"]) == (0, 2, 1.0)
        assert risk["LLM cost"] == pytest.approx(0.002) and risk["status"].startswith("provisional")
        assert table["hit rate"].isna().all() and table["excess vs buy & hold"].isna().all()  # empty, not zero
