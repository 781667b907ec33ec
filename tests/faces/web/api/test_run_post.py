"""POST /run: validated, queued for the worker (202), or refused with field errors and nothing stored."""

from __future__ import annotations

from typing import Any

import pytest

from arena.bootstrap.database import Database
from arena.storage.models import ArenaRun, RunRequest
from tests.faces.web.api.conftest import AUTH, CheckedClient, api_settings, checked_client
from tests.faces.web.api.helpers import add_profile, counts


@pytest.fixture
def profiles(database: Database) -> Database:
    add_profile(database, "cheap_a")
    add_profile(database, "cheap_b", provider="openrouter", role="risk_manager", prompt_template_id="risk_manager")
    add_profile(database, "judge", role="judge", prompt_template_id="judge", mode="escalation_only")
    add_profile(database, "retired", enabled=False)
    return database


def test_a_valid_request_is_queued_for_the_worker(client: CheckedClient, profiles: Database) -> None:
    request = {"symbols": ["aapl", " msft ", "AAPL"], "agents": ["cheap_a", "judge"], "mode": "debate"}
    response = client.post("/run", json=request | {"debaters": "cheap_a, cheap_b"}, headers=AUTH)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "queued" and len(body["run_id"]) == 32 and body["trace_id"]
    assert response.headers["location"] == f"/runs/{body['run_id']}"
    with profiles.sessions() as session:
        run = session.get(ArenaRun, body["run_id"])
        assert run is not None
        assert (run.trigger, run.status, run.mode, run.symbols) == ("api", "queued", "debate", ["AAPL", "MSFT"])
        assert run.requested_agents == ["cheap_a", "judge"] and run.trace_id == body["trace_id"]
        assert run.requested_debaters == ["cheap_a", "cheap_b"]
        request = session.query(RunRequest).filter_by(run_id=run.id).one()
        assert (request.state, request.requested_by) == ("queued", "api")
    assert counts(profiles) == (1, 1)


def test_defaults_and_comma_separated_symbols(client: CheckedClient, profiles: Database) -> None:
    response = client.post("/run", json={"symbols": "NVDA,BRK.B"}, headers=AUTH)
    assert response.status_code == 202, response.text
    with profiles.sessions() as session:
        run = session.get(ArenaRun, response.json()["run_id"])
        assert run is not None
        assert (run.mode, run.symbols, run.requested_agents) == ("competition", ["NVDA", "BRK.B"], None)


INVALID: list[tuple[str, Any, str, str]] = [
    # (case, body, field, words in the message)
    ("symbols missing", {"mode": "competition"}, "symbols", "required"),
    ("symbols empty", {"symbols": []}, "symbols", "at least one symbol"),
    ("symbols blank", {"symbols": "  , "}, "symbols", "at least one symbol"),
    ("symbols bad format", {"symbols": ["AAPL", "not a ticker", "$X"]}, "symbols", "invalid symbol"),
    ("symbols too long", {"symbols": ["ABCDEFGHIJK"]}, "symbols", "invalid symbol"),
    ("symbols too many", {"symbols": [f"S{i}" for i in range(21)]}, "symbols", "at most 20"),
    ("symbols too many as sent", {"symbols": ["AAPL"] * 21}, "symbols", "at most 20"),
    ("symbols too many as text", {"symbols": ",".join(f"S{i}" for i in range(21))}, "symbols", "at most 20"),
    ("symbols trailing comma", {"symbols": "AAPL,"}, "symbols", "invalid symbol"),
    ("symbols with a newline", {"symbols": ["AAPL\n"]}, "symbols", "invalid symbol"),
    ("symbols wrong type", {"symbols": 42}, "symbols", "list of symbols"),
    ("symbols item type", {"symbols": [1]}, "symbols", "not strings"),
    ("agents unknown", {"symbols": ["AAPL"], "agents": ["ghost"]}, "agents", "unknown agent"),
    ("agents disabled", {"symbols": ["AAPL"], "agents": ["retired"]}, "agents", "disabled"),
    ("agents no cheap one", {"symbols": ["AAPL"], "agents": ["judge"]}, "agents", "no enabled cheap_first"),
    ("agents wrong type", {"symbols": ["AAPL"], "agents": {"a": 1}}, "agents", "list of profile names"),
    ("agents not names", {"symbols": ["AAPL"], "agents": ["Cheap A"]}, "agents", "invalid profile name"),
    ("agents blank text", {"symbols": ["AAPL"], "agents": ""}, "agents", "profile names"),
    ("mode unknown", {"symbols": ["AAPL"], "mode": "solo"}, "mode", "competition"),
    ("debaters outside a debate", {"symbols": ["AAPL"], "debaters": ["cheap_a", "cheap_b"]}, "debaters", "mode=debate"),
    ("a debate of one", {"symbols": ["AAPL"], "mode": "debate", "debaters": ["cheap_a"]}, "debaters", "at least 2"),
    (
        "a debater not cheap",
        {"symbols": ["AAPL"], "mode": "debate", "debaters": ["cheap_a", "judge"]},
        "debaters",
        "cheap_first",
    ),
    (
        "debaters unknown",
        {"symbols": ["AAPL"], "mode": "debate", "debaters": ["cheap_a", "ghost"]},
        "debaters",
        "unknown agent",
    ),
    ("mode wrong type", {"symbols": ["AAPL"], "mode": 3}, "mode", "competition"),
    ("unknown field", {"symbols": ["AAPL"], "dry_run": True}, "dry_run", "extra inputs"),
    ("body a list", ["AAPL"], "body", "json object"),
    ("body empty object", {}, "symbols", "required"),
]


@pytest.mark.parametrize(("body", "field", "words"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_fields_are_422_and_nothing_is_stored(
    client: CheckedClient, profiles: Database, body: Any, field: str, words: str
) -> None:
    response = client.post("/run", json=body, headers=AUTH)
    assert response.status_code == 422, response.text
    payload = response.json()
    assert payload["error"] == "invalid_request"
    assert field in payload["fields"], payload
    assert words.lower() in payload["fields"][field].lower()
    assert payload["detail"]
    assert counts(profiles) == (0, 0)


def test_every_invalid_field_is_reported_at_once(client: CheckedClient, profiles: Database) -> None:
    response = client.post("/run", json={"symbols": ["??"], "mode": "x", "agents": 5}, headers=AUTH)
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"symbols", "mode", "agents"}
    assert counts(profiles) == (0, 0)


@pytest.mark.parametrize(
    ("raw", "status", "error"),
    [
        (b"", 422, "invalid_request"),
        (b"{not json", 400, "invalid_json"),
        (b"\xff\xfe", 400, "invalid_json"),
        (b'{"symbols": ["' + b"A" * 70_000 + b'"]}', 413, "payload_too_large"),
    ],
    ids=["empty", "malformed", "not utf-8", "too large"],
)
def test_unreadable_bodies_are_refused(
    client: CheckedClient, profiles: Database, raw: bytes, status: int, error: str
) -> None:
    response = client.post("/run", content=raw, headers=AUTH | {"Content-Type": "application/json"})
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert counts(profiles) == (0, 0)


def test_missing_provider_key_is_503_not_configured(db_url: str, profiles: Database) -> None:
    settings = api_settings(db_url, OPENAI_API_KEY=None, OPENROUTER_API_KEY=None)
    with checked_client(settings, profiles) as client:
        response = client.post("/run", json={"symbols": ["AAPL"]}, headers=AUTH)
    assert response.status_code == 503
    assert response.json()["error"] == "not_configured"
    assert "OPENAI_API_KEY" in response.json()["detail"]
    assert counts(profiles) == (0, 0)


def test_missing_alpaca_keys_is_503_not_configured(db_url: str, profiles: Database) -> None:
    settings = api_settings(db_url, ALPACA_API_KEY=None)
    with checked_client(settings, profiles) as client:
        response = client.post("/run", json={"symbols": ["AAPL"]}, headers=AUTH)
    assert response.status_code == 503
    assert "ALPACA_API_KEY" in response.json()["detail"]
    assert counts(profiles) == (0, 0)
