"""GET /replay/policy: the CLI's report over HTTP (on runs the real engine recorded), and 422s naming the field."""

from __future__ import annotations

import pytest

from arena.bootstrap.database import Database
from arena.engine.evaluation.policy_replay import replay_policy
from tests.engine.factories import decision_json
from tests.engine.harness import CHEAP_A, CHEAP_B, POWER, add_profiles, make_settings, run_arena
from tests.faces.web.api.conftest import AUTH, CheckedClient
from tests.support.llm_server import LLMServer, Reply


def test_replay_report_matches_the_engine_on_recorded_runs(client: CheckedClient, database: Database) -> None:
    with LLMServer() as llm:
        add_profiles(database, llm)
        llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.8), cost=0.001))
        llm.on(CHEAP_B, Reply(content=decision_json("BUY", 0.75), cost=0.001))
        run_arena(database, make_settings())
        llm.on(CHEAP_B, Reply(content=decision_json("SELL", 0.5), cost=0.001))
        llm.on(POWER, Reply(content=decision_json("HOLD", 0.8, symbol=""), cost=0.02))
        run_arena(database, make_settings())

    sets = ["min_confidence=0.62,0.8", "disagreement_rate=0.34,1"]
    response = client.get("/replay/policy", params={"window": "7d", "set": sets}, headers=AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    with database.sessions() as session:
        direct = replay_policy(session=session, window="7d", sets=sets)
    assert body["scenarios"] == direct["scenarios"] and body["runs_considered"] == 2
    assert {"window", "runs_considered", "actual", "scenarios"} <= set(body)
    assert len(body["scenarios"]) == 4
    current = next(s for s in body["scenarios"] if s["current"])
    assert current["decisions_changed"] == 0 and current["unknown"] == 0
    assert current["escalations"] == body["actual"]["escalations"] == 1
    assert current["power_calls"] == 1 and current["cost_usd"] == pytest.approx(0.024)
    # at min_confidence 0.8 the agreeing run (0.775) needs a powerful answer nobody recorded
    strict = next(s for s in body["scenarios"] if s["settings"]["min_confidence"] == 0.8)
    assert strict["unknown"] >= 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"set": "max_power_calls_per_day=3"}, "set"),
        ({"set": "min_confidence=2"}, "set"),
        ({"set": ["min_confidence=0.5", "min_confidence=0.6", "min_valid_votes=1", "disagreement_rate=0.3"]}, "set"),
        ({"window": "30"}, "window"),
        ({"window": "0d"}, "window"),
        ({"limit": "3"}, "limit"),
    ],
)
def test_bad_queries_are_422_naming_the_field(
    sqlite_client: CheckedClient, params: dict[str, object], field: str
) -> None:
    response = sqlite_client.get("/replay/policy", params=params, headers=AUTH)  # type: ignore[arg-type]
    assert response.status_code == 422, response.text
    assert field in response.json()["fields"]


def test_an_empty_database_answers_zeros_not_invented_numbers(sqlite_client: CheckedClient) -> None:
    body = sqlite_client.get("/replay/policy", headers=AUTH).json()
    assert body["runs_considered"] == 0 and body["window"] == "30d"
    (only,) = body["scenarios"]
    assert only["current"] and only["hit_rate"] is None and only["mean_return_pct"] is None and only["scored"] == 0
