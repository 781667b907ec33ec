"""The served OpenAPI document and the validators agree, input by input: the schema accepts exactly what the API
accepts. Regressions for what schemathesis found: `symbols` as a string (accepted, schema said array), strings
for integers and 1 for booleans (accepted, schema said integer/boolean), a profile name with a trailing newline.

Schemas are evaluated with ECMA-262 regex semantics (jsonschema_rs), as OpenAPI and schemathesis read them.
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest
from pydantic import ValidationError

from arena.bootstrap.database import Database
from arena.engine.config.strategies import StrategySpec
from arena.engine.market.symbols import MAX_SYMBOLS
from arena.faces.web.api.models import CURSOR_PATTERN
from arena.kernel.errors import InvalidRequestError
from tests.faces.web.api.conftest import AUTH, CheckedClient, api_settings, checked_client
from tests.faces.web.api.helpers import add_profile, add_run, counts


def _validator(doc: dict[str, Any], name: str) -> Any:
    return jsonschema_rs.validator_for({"$ref": f"#/components/schemas/{name}", "components": doc["components"]})


@pytest.fixture
def doc(sqlite_client: CheckedClient) -> dict[str, Any]:
    response = sqlite_client.get("/openapi.json", headers=AUTH)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


TWENTY = [f"S{i}" for i in range(MAX_SYMBOLS)]
RUN_BODIES: list[Any] = [
    {"symbols": ["AAPL"]},
    {"symbols": "AAPL,MSFT"},  # the string form docs/API.md promises: the old schema said array only
    {"symbols": "aapl, msft ,BRK.B"},
    {"symbols": [" msft ", "MSFT", "aapl"]},
    {"symbols": TWENTY},
    {"symbols": ",".join(TWENTY)},
    {"symbols": [*TWENTY, "X"]},
    {"symbols": ",".join([*TWENTY, "X"])},
    {"symbols": ["AAPL"] * (MAX_SYMBOLS + 1)},
    {"symbols": []},
    {"symbols": ""},
    {"symbols": "AAPL,"},
    {"symbols": "AAPL,,MSFT"},
    {"symbols": ["AAPL\n"]},
    {"symbols": ["$X"]},
    {"symbols": ["ABCDEFGHIJK"]},
    {"symbols": 42},
    {"symbols": [1]},
    {"symbols": ["AAPL"], "agents": "cheap_scout"},
    {"symbols": ["AAPL"], "agents": ["cheap_scout"]},
    {"symbols": ["AAPL"], "agents": [" cheap_scout "]},
    {"symbols": ["AAPL"], "agents": []},
    {"symbols": ["AAPL"], "agents": None},
    {"symbols": ["AAPL"], "agents": ["Cheap Scout"]},
    {"symbols": ["AAPL"], "agents": "cheap_scout,"},
    {"symbols": ["AAPL"], "agents": [""]},
    {"symbols": ["AAPL"], "mode": "solo"},
    {"symbols": ["AAPL"], "dry_run": True},
]


@pytest.mark.parametrize("body", RUN_BODIES, ids=[repr(b)[:60] for b in RUN_BODIES])
def test_post_run_accepts_exactly_what_its_schema_accepts(
    sqlite_client: CheckedClient, sqlite_database: Database, doc: dict[str, Any], body: Any
) -> None:
    add_profile(sqlite_database, "cheap_scout")
    valid = _validator(doc, "RunRequestBody").is_valid(body)
    response = sqlite_client.post("/run", json=body, headers=AUTH)
    assert response.status_code in (202, 422), response.text
    assert (response.status_code == 202) == valid, (body, valid, response.text)
    assert counts(sqlite_database) == ((1, 1) if valid else (0, 0))


PROFILE = {"name": "cheap_scout", "provider": "openai", "model": "cheap-model", "role": "technical_analyst"}
PROFILE_BODIES: list[dict[str, Any]] = [
    PROFILE | {"prompt_template_id": "technical_analyst"},
    PROFILE | {"prompt_template_id": "technical_analyst", "max_tokens": 800.0, "temperature": 1},
    PROFILE | {"prompt_template_id": "technical_analyst", "max_tokens": "800"},  # was accepted: lax parsing
    PROFILE | {"prompt_template_id": "technical_analyst", "enabled": 1},  # was accepted
    PROFILE | {"prompt_template_id": "technical_analyst", "temperature": "0.5"},  # was accepted
    PROFILE | {"prompt_template_id": "technical_analyst", "name": "cheap_scout\n"},  # was accepted
    PROFILE | {"prompt_template_id": "technical_analyst", "name": "Cheap"},
    PROFILE | {"prompt_template_id": "technical_analyst", "api_base": ""},
    PROFILE | {"prompt_template_id": "technical_analyst", "api_base": "ftp://x"},
    PROFILE | {"prompt_template_id": "judge", "role": "judge", "mode": "judge_cheap"},
    PROFILE | {"prompt_template_id": "judge", "role": "bear", "mode": "judge_cheap"},
]


@pytest.mark.parametrize("body", PROFILE_BODIES, ids=[repr(b)[100:170] for b in PROFILE_BODIES])
def test_post_profiles_accepts_exactly_what_its_schema_accepts(
    sqlite_client: CheckedClient, doc: dict[str, Any], body: dict[str, Any]
) -> None:
    valid = _validator(doc, "ProfileSpec").is_valid(body)
    response = sqlite_client.post("/profiles", json=body, headers=AUTH)
    assert response.status_code in (201, 422), response.text
    assert (response.status_code == 201) == valid, (body, valid, response.text)


def test_the_published_cursor_format_matches_the_cursors_the_listing_writes(
    sqlite_client: CheckedClient, sqlite_database: Database, doc: dict[str, Any]
) -> None:
    for _ in range(3):
        add_run(sqlite_database)
    cursor = sqlite_client.get("/runs", params={"limit": 1}, headers=AUTH).json()["next_cursor"]
    published = next(p for p in doc["paths"]["/runs"]["get"]["parameters"] if p["name"] == "cursor")["schema"]
    assert published["pattern"] == CURSOR_PATTERN and published["type"] == "string"
    check = jsonschema_rs.validator_for(published)
    assert check.is_valid(cursor)
    assert sqlite_client.get("/runs", params={"cursor": cursor}, headers=AUTH).status_code == 200
    for bad in ("a b", "x=", "%%%"):  # off the published format: refused, and the schema says so
        assert not check.is_valid(bad)
        assert sqlite_client.get("/runs", params={"cursor": bad}, headers=AUTH).status_code == 422
    # well formed yet not a position: refused, as the document says (x-state-dependent-fields)
    assert "cursor" in doc["paths"]["/runs"]["get"]["x-state-dependent-fields"]
    assert sqlite_client.get("/runs", params={"cursor": "AAAA"}, headers=AUTH).status_code == 422


def test_one_symbol_limit_is_published_and_enforced(doc: dict[str, Any]) -> None:
    symbols = doc["components"]["schemas"]["RunRequestBody"]["properties"]["symbols"]
    array, text = symbols["anyOf"]
    assert (array["type"], array["minItems"], array["maxItems"]) == ("array", 1, MAX_SYMBOLS)
    assert text["type"] == "string" and f"{{0,{MAX_SYMBOLS - 1}}}" in text["pattern"]
    assert f"At most {MAX_SYMBOLS} symbols per run" in doc["info"]["description"]


def test_a_throttled_address_gets_the_documented_429(sqlite_url: str, sqlite_database: Database) -> None:
    settings = api_settings(sqlite_url, ARENA_AUTH_MAX_FAILURES=1)
    with checked_client(settings, sqlite_database) as client:
        doc = client.get("/openapi.json", headers=AUTH).json()
        for _ in range(2):
            response = client.get("/runs", headers={"Authorization": "Bearer wrong"})
    documented = doc["components"]["responses"]["TooManyRequests"]
    assert response.status_code == 429 and "429" in doc["paths"]["/runs"]["get"]["responses"]
    assert _validator(doc, "ErrorBody").is_valid(response.json())
    assert response.json()["error"] in documented["description"]
    assert jsonschema_rs.validator_for(documented["headers"]["Retry-After"]["schema"]).is_valid(
        int(response.headers["retry-after"])
    )


def test_a_strategy_universe_obeys_the_same_symbol_limit() -> None:
    """A universe of 21-50 symbols used to be accepted (the snapshot's old limit) and then refused by every run."""
    spec = {"name": "wide", "schedule_kind": "interval", "interval_seconds": 60}
    StrategySpec.model_validate(spec | {"symbols": TWENTY})
    with pytest.raises((ValidationError, InvalidRequestError), match=f"at most {MAX_SYMBOLS} symbols"):
        StrategySpec.model_validate(spec | {"symbols": [*TWENTY, "X"]})
