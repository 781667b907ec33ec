"""A property-based pass over every endpoint: arbitrary bodies, query strings and ids never produce a 500."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.faces.web.api.conftest import AUTH, CheckedClient

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=15), inner, max_size=6),
    max_leaves=20,
)
RUN_KEYS = st.sampled_from(["symbols", "agents", "mode", "extra"])
PROFILE_KEYS = st.sampled_from(
    [
        "name",
        "provider",
        "model",
        "role",
        "prompt_template_id",
        "prompt_version",
        "max_tokens",
        "temperature",
        "timeout_s",
        "mode",
        "enabled",
        "api_base",
        "daily_budget_usd",
        "daily_call_limit",
        "tool_policy",
        "api_key",
    ]
)
QUERY = st.dictionaries(
    st.sampled_from(["limit", "cursor", "window", "group_by", "strategy", "market", "x"]),
    st.text(max_size=20),
    max_size=4,
)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _ok(response: Any) -> None:
    assert response.status_code < 500 or response.status_code == 503, (response.status_code, response.text)
    assert "no API route" not in response.text, "the fuzzer must reach the real routes"
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    if response.status_code >= 400:
        assert {"error", "detail"} <= set(body)


@FUZZ
@given(body=st.dictionaries(RUN_KEYS, JSON, max_size=4) | JSON)
def test_post_run_never_500(sqlite_client: CheckedClient, body: Any) -> None:
    _ok(sqlite_client.post("/run", json=body, headers=AUTH))


@FUZZ
@given(body=st.dictionaries(PROFILE_KEYS, JSON, max_size=10) | JSON)
def test_post_profiles_never_500(sqlite_client: CheckedClient, body: Any) -> None:
    _ok(sqlite_client.post("/profiles", json=body, headers=AUTH))


@FUZZ
@given(query=QUERY, run_id=st.text(st.characters(blacklist_characters="/\\"), min_size=1, max_size=40))
def test_reads_never_500(sqlite_client: CheckedClient, query: dict[str, str], run_id: str) -> None:
    _ok(sqlite_client.get("/runs", params=query, headers=AUTH))
    _ok(sqlite_client.get("/leaderboard", params=query, headers=AUTH))
    _ok(sqlite_client.get("/runs/" + quote(run_id, safe=""), headers=AUTH))


@FUZZ
@given(raw=st.binary(max_size=200), header=st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40))
def test_garbage_bodies_and_auth_headers_never_500(sqlite_client: CheckedClient, raw: bytes, header: str) -> None:
    _ok(sqlite_client.post("/run", content=raw, headers={**AUTH, "content-type": "application/json"}))
    _ok(sqlite_client.get("/runs", headers={"Authorization": header}))
