"""GET /leaderboard (snapshot or the honest empty shape, never samples) and GET /health (database + heartbeat)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from arena.bootstrap.database import Database
from arena.kernel.kinds import LeaderboardWindow
from arena.storage.models import Strategy, WorkerHeartbeat
from arena.storage.repositories.outcomes import save_snapshot
from tests.faces.web.api.conftest import AUTH, CheckedClient, api_settings, checked_client
from tests.faces.web.api.helpers import add_run


@pytest.mark.parametrize("window", ["7d", "30d", "90d"])
def test_leaderboard_is_the_honest_empty_shape(client: CheckedClient, database: Database, window: str) -> None:
    add_run(database)  # now: inside every window
    add_run(database, created_at=datetime.now(UTC) - timedelta(days=45))  # only inside 90d
    response = client.get("/leaderboard", params={"window": window}, headers=AUTH)
    assert response.status_code == 200, response.text
    board = response.json()
    assert board["window"] == window and board["status"] == "not_enough_data" and board["entries"] == []
    assert board["runs_in_window"] == (2 if window == "90d" else 1)
    assert board["decisions_in_window"] == 0 and board["scored_outcomes"] == 0
    assert board["group_by"] == "profile" and board["reason"] and board["source"] == "none"
    since, computed = datetime.fromisoformat(board["since"]), datetime.fromisoformat(board["computed_at"])
    assert computed - since == timedelta(days=LeaderboardWindow(window).days)


def test_leaderboard_defaults_and_filters(client: CheckedClient, database: Database) -> None:
    with database.sessions() as session, session.begin():
        session.add(Strategy(name="momo", symbols=["AAPL"], schedule_kind="interval", interval_seconds=3600))
    add_run(database)
    default = client.get("/leaderboard", headers=AUTH).json()
    assert default["window"] == "30d" and default["runs_in_window"] == 1
    filtered = client.get(
        "/leaderboard", params={"window": "7d", "strategy": "momo", "group_by": "prompt"}, headers=AUTH
    ).json()
    assert filtered["strategy"] == "momo" and filtered["group_by"] == "prompt" and filtered["runs_in_window"] == 0
    manual = client.get("/leaderboard", params={"market": "us_equities"}, headers=AUTH).json()
    assert manual["market"] == "us_equities" and manual["runs_in_window"] == 1  # manual runs count as us_equities
    other = client.get("/leaderboard", params={"market": "crypto"}, headers=AUTH).json()
    assert other["runs_in_window"] == 0 and other["entries"] == []


def test_a_materialised_snapshot_is_served_as_computed(client: CheckedClient, database: Database) -> None:
    at = datetime.now(UTC) - timedelta(minutes=5)
    entry = {"key": "cheap_a", "n_scored": 24, "hit_rate": 0.625, "hit_rate_ci": [0.46, 0.79], "rank_band": 1}
    entry |= {"status": "ranked", "kind": "agent"}
    payload = {
        "window": "7d",
        "group_by": "model",
        "market": None,
        "strategy": None,
        "min_sample": 20,
        "since": (at - timedelta(days=7)).isoformat(),
        "computed_at": at.isoformat(),
        "status": "ranked",
        "entries": [entry],
        "arena": None,
    }
    with database.sessions() as session, session.begin():
        save_snapshot(
            session=session, window="7d", group_by="model", market="*", strategy="*", payload=payload, computed_at=at
        )
    board = client.get("/leaderboard", params={"window": "7d", "group_by": "model"}, headers=AUTH).json()
    assert board["status"] == "ranked" and board["source"] == "snapshot"
    (served,) = board["entries"]
    assert {k: served[k] for k in entry} == entry and served["note"] is None and served["mean_return_pct"] is None
    assert board["computed_at"] == at.isoformat() and board["reason"] is None and board["min_sample"] == 20
    other = client.get("/leaderboard", params={"window": "7d", "group_by": "profile"}, headers=AUTH).json()
    assert other["status"] == "not_enough_data" and other["entries"] == [] and other["source"] == "none"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"window": "1d"}, "window"),
        ({"window": "7"}, "window"),
        ({"window": ""}, "window"),
        ({"group_by": "phase"}, "group_by"),
        ({"group_by": ""}, "group_by"),
        ({"strategy": ""}, "strategy"),
        ({"market": "m" * 40}, "market"),
        ({"windw": "7d"}, "windw"),
    ],
)
def test_invalid_leaderboard_parameters_are_422(client: CheckedClient, query: dict[str, str], field: str) -> None:
    response = client.get("/leaderboard", params=query, headers=AUTH)
    assert response.status_code == 422
    assert field in response.json()["fields"]


def test_health_reports_the_newest_worker_heartbeat(client: CheckedClient, database: Database) -> None:
    assert client.get("/health").json()["worker_heartbeat_age_s"] is None
    assert client.get("/health").json()["worker"] == "none"
    now = datetime.now(UTC)
    with database.sessions() as session, session.begin():
        for worker, age in (("w-old", 600), ("w-new", 42)):
            session.add(
                WorkerHeartbeat(
                    worker_id=worker, hostname="h", pid=1, role="worker", heartbeat_at=now - timedelta(seconds=age)
                )
            )
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["database"] is True
    assert 42 <= body["worker_heartbeat_age_s"] < 100
    assert body["worker"] == "down"  # no worker holds the lease


def test_health_says_the_worker_is_up_only_while_an_active_worker_beats(
    client: CheckedClient, database: Database
) -> None:
    now = datetime.now(UTC)
    with database.sessions() as session, session.begin():
        session.add(WorkerHeartbeat(worker_id="w-standby", hostname="h", pid=1, role="standby", heartbeat_at=now))
        session.add(
            WorkerHeartbeat(
                worker_id="w-active", hostname="h", pid=2, role="active", heartbeat_at=now - timedelta(seconds=2)
            )
        )
    assert client.get("/health").json()["worker"] == "up"
    with database.sessions() as session, session.begin():
        beat = session.get(WorkerHeartbeat, "w-active")
        assert beat is not None
        beat.heartbeat_at = now - timedelta(seconds=60)  # older than the lease TTL: it would have lost the lease
    body = client.get("/health").json()
    assert body["worker"] == "down" and body["worker_heartbeat_age_s"] < 15


def test_an_unusable_database_is_degraded_health_and_503_elsewhere(tmp_path: Path) -> None:
    broken = tmp_path / "arena.db"
    broken.write_bytes(b"this is not a database" * 100)
    with checked_client(api_settings(f"sqlite:///{broken}"), None) as client:
        health = client.get("/health")
        assert health.status_code == 503
        assert health.json() == {
            "status": "degraded",
            "database": False,
            "worker_heartbeat_age_s": None,
            "worker": "none",
            "api_enabled": True,
        }
        runs = client.get("/runs", headers=AUTH)
        assert runs.status_code == 503 and runs.json()["error"] == "database_unavailable"
