"""POST /profiles creates or versions a profile with the dashboard form's validation; GET /profiles lists them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from arena.bootstrap.database import Database
from arena.storage.models import AgentProfile, AgentProfileVersion, SettingsAudit
from tests.faces.web.api.conftest import AUTH, CheckedClient, api_settings, checked_client

SPEC: dict[str, Any] = {
    "name": "cheap_scout",
    "provider": "openrouter",
    "model": "meta-llama/llama-3.1-8b-instruct",
    "role": "technical_analyst",
    "prompt_template_id": "technical_analyst",
}


def _counts(db: Database) -> tuple[int, int]:
    with db.sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(AgentProfile)) or 0,
            session.scalar(select(func.count()).select_from(AgentProfileVersion)) or 0,
        )


def test_create_update_unchanged_and_list(client: CheckedClient, database: Database) -> None:
    created = client.post("/profiles", json=SPEC, headers=AUTH)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["name"], body["version"], body["created"], body["changed"]) == ("cheap_scout", 1, True, True)

    same = client.post("/profiles", json=SPEC, headers=AUTH)
    assert same.status_code == 200
    assert (same.json()["version"], same.json()["created"], same.json()["changed"]) == (1, False, False)

    updated = client.post("/profiles", json=SPEC | {"temperature": 0.7, "enabled": False}, headers=AUTH)
    assert updated.status_code == 200
    assert (updated.json()["version"], updated.json()["changed"]) == (2, True)
    assert updated.json()["profile_id"] == body["profile_id"]
    assert _counts(database) == (1, 2)

    listed = client.get("/profiles", headers=AUTH)
    assert listed.status_code == 200
    (item,) = listed.json()["items"]
    assert item["name"] == "cheap_scout" and item["version"] == 2 and item["temperature"] == 0.7
    assert item["enabled"] is False and item["created_by"] == "api" and item["mode"] == "cheap_first"
    assert item["version_id"] == updated.json()["version_id"]
    with database.sessions() as session:
        actors = session.scalars(select(SettingsAudit.actor).where(SettingsAudit.entity_key == "cheap_scout")).all()
    assert actors == ["api", "api"]


def test_list_is_empty_on_a_fresh_database(client: CheckedClient) -> None:
    assert client.get("/profiles", headers=AUTH).json() == {"items": []}


def test_credentials_in_a_base_url_are_not_shown(db_url: str, database: Database) -> None:
    allowed = api_settings(db_url, ARENA_ALLOWED_API_BASES="openrouter=https://*@llm.internal/v1")
    with checked_client(allowed, database) as client:
        spec = SPEC | {"api_base": "https://user:hunter2-pass@llm.internal/v1"}
        assert client.post("/profiles", json=spec, headers=AUTH).status_code == 201
        listed = client.get("/profiles", headers=AUTH)
        assert "hunter2-pass" not in listed.text
        assert listed.json()["items"][0]["api_base"] == "https://user:***@llm.internal/v1"


INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("name missing", {k: v for k, v in SPEC.items() if k != "name"}, "name"),
    ("name format", SPEC | {"name": "Bad Name!"}, "name"),
    ("provider", SPEC | {"provider": "anthropic"}, "provider"),
    ("api_base", SPEC | {"api_base": "ftp://x"}, "api_base"),
    ("model empty", SPEC | {"model": ""}, "model"),
    ("role", SPEC | {"role": "oracle"}, "role"),
    ("prompt template", SPEC | {"prompt_template_id": "nope"}, "prompt_template_id"),
    ("prompt_version", SPEC | {"prompt_version": 0}, "prompt_version"),
    ("max_tokens", SPEC | {"max_tokens": 0}, "max_tokens"),
    ("temperature", SPEC | {"temperature": 3}, "temperature"),
    ("tool_policy", SPEC | {"tool_policy": "shell"}, "tool_policy"),
    ("mode", SPEC | {"mode": "always"}, "mode"),
    ("enabled", SPEC | {"enabled": "maybe"}, "enabled"),
    ("daily_budget_usd", SPEC | {"daily_budget_usd": -1}, "daily_budget_usd"),
    ("daily_call_limit", SPEC | {"daily_call_limit": -5}, "daily_call_limit"),
    ("timeout_s", SPEC | {"timeout_s": 0}, "timeout_s"),
    ("api keys are settings, not profile fields", SPEC | {"api_key": "sk-live-should-never-be-stored"}, "api_key"),
]


@pytest.mark.parametrize(("body", "field"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_fields_are_422_and_nothing_is_saved(
    client: CheckedClient, database: Database, body: dict[str, Any], field: str
) -> None:
    response = client.post("/profiles", json=body, headers=AUTH)
    assert response.status_code == 422, response.text
    payload = response.json()
    assert payload["error"] == "invalid_request" and field in payload["fields"], payload
    assert "sk-live-should-never-be-stored" not in response.text
    assert _counts(database) == (0, 0)


def test_every_invalid_field_is_reported_at_once(client: CheckedClient, database: Database) -> None:
    response = client.post("/profiles", json=SPEC | {"role": "x", "temperature": 9, "max_tokens": -1}, headers=AUTH)
    assert response.status_code == 422
    assert {"role", "temperature", "max_tokens"} <= set(response.json()["fields"])
    assert _counts(database) == (0, 0)


def test_a_cheap_profile_above_the_price_ceiling_is_422_on_model(client: CheckedClient, database: Database) -> None:
    pricey = SPEC | {"provider": "openrouter", "model": "anthropic/claude-opus-4"}  # $75 per 1M output tokens
    response = client.post("/profiles", json=pricey, headers=AUTH)
    assert response.status_code == 422, response.text
    assert "cheap ceiling" in response.json()["fields"]["model"]
    assert _counts(database) == (0, 0)
    as_judge = pricey | {"mode": "escalation_only", "role": "judge", "prompt_template_id": "judge"}
    assert client.post("/profiles", json=as_judge, headers=AUTH).status_code == 201


def test_a_judge_cheap_profile_needs_the_judge_role(client: CheckedClient, database: Database) -> None:
    response = client.post("/profiles", json=SPEC | {"mode": "judge_cheap"}, headers=AUTH)
    assert response.status_code == 422 and "judge role" in response.text
    judge = SPEC | {"name": "cheap_referee", "mode": "judge_cheap", "role": "judge", "prompt_template_id": "judge"}
    assert client.post("/profiles", json=judge, headers=AUTH).status_code == 201


def test_a_base_url_outside_the_providers_allowed_ones_is_refused(client: CheckedClient, database: Database) -> None:
    """The provider's key would be sent there: refused at save (422 naming the field), nothing stored."""
    for base in ("http://attacker.example/v1", "https://api.openai.com.evil.example/v1"):
        response = client.post("/profiles", json=SPEC | {"api_base": base}, headers=AUTH)
        assert response.status_code == 422, response.text
        assert "not an allowed base URL for openrouter" in response.json()["fields"]["api_base"]
    assert _counts(database) == (0, 0)
    official = SPEC | {"api_base": "https://openrouter.ai/api/v1/"}  # the provider's own base is always allowed
    assert client.post("/profiles", json=official, headers=AUTH).status_code == 201


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("daily_call_limit", 2**63),  # schemathesis found it: an OverflowError and a 500 on SQLite
        ("daily_call_limit", 2**31),  # past PostgreSQL's INTEGER
        ("prompt_version", 2**40),
        ("daily_budget_usd", 1e12),  # past NUMERIC(12, 4)
        ("api_base", "https://llm.example/" + "v" * 600),  # past VARCHAR(512), though allowed by the pattern
    ],
)
def test_values_the_database_cannot_hold_are_422_not_500(
    db_url: str, database: Database, field: str, value: Any
) -> None:
    settings = api_settings(db_url, ARENA_ALLOWED_API_BASES="openrouter=https://llm.example/*")
    with checked_client(settings, database) as client:
        response = client.post("/profiles", json=SPEC | {field: value}, headers=AUTH)
    assert response.status_code == 422, response.text
    assert field in response.json()["fields"]
    assert _counts(database) == (0, 0)
