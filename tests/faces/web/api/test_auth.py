"""Every route but health needs the admin bearer token; without a configured token the API refuses to serve."""

from __future__ import annotations

import hmac

import pytest

from arena.bootstrap.database import Database
from arena.faces.web.api import ROUTES
from tests.faces.web.api.conftest import AUTH, TOKEN, CheckedClient, api_settings, checked_client

PROTECTED = [(method, path.replace("{run_id}", "0" * 32)) for method, path, _, public in ROUTES if not public]

BAD_HEADERS: list[dict[str, str | bytes]] = [
    {},
    {"Authorization": ""},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer "},
    {"Authorization": f"Basic {TOKEN}"},
    {"Authorization": f"Token {TOKEN}"},
    {"Authorization": "Bearer wrong-token"},
    {"Authorization": f"Bearer {TOKEN[:-1]}"},
    {"Authorization": f"Bearer {TOKEN}x"},
    {"Authorization": f"Bearer {TOKEN.upper()}"},
    {"Authorization": "Bearer tökén".encode()},
]


def test_the_route_table_protects_everything_but_health() -> None:
    assert [path for _, path, _, public in ROUTES if public] == ["/health"]
    assert len(PROTECTED) == len(ROUTES) - 1 >= 10  # every other route, each tested below


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_protected_routes_answer_401_without_the_right_token(
    sqlite_client: CheckedClient, method: str, path: str
) -> None:
    for headers in BAD_HEADERS:
        response = sqlite_client.request(method, path, headers=headers, json={})
        assert response.status_code == 401, (headers, response.text)
        body = response.json()
        assert body["error"] == "unauthorized" and body["detail"]
        assert set(body) == {"error", "detail"}
        assert response.headers["www-authenticate"].startswith('Bearer realm="arena"')
        assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_the_right_token_gets_past_auth(sqlite_client: CheckedClient, method: str, path: str) -> None:
    response = sqlite_client.request(method, path, headers=AUTH, json={})
    assert response.status_code != 401
    lower = sqlite_client.request(method, path, headers={"authorization": f"bearer {TOKEN}"}, json={})
    assert lower.status_code == response.status_code  # the scheme is case-insensitive (RFC 7235)


def test_health_needs_no_token(sqlite_client: CheckedClient) -> None:
    response = sqlite_client.get("/health")
    assert response.status_code == 200
    assert response.json()["api_enabled"] is True


def test_the_token_is_compared_in_constant_time(sqlite_client: CheckedClient, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr("arena.faces.web.api.auth.hmac.compare_digest", spy)
    assert sqlite_client.get("/runs", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert sqlite_client.get("/runs", headers=AUTH).status_code == 200
    assert seen == [(b"nope", TOKEN.encode()), (TOKEN.encode(), TOKEN.encode())]


@pytest.mark.parametrize("configured", [None, "", "   "])
def test_without_a_configured_token_only_health_answers(
    sqlite_url: str, sqlite_database: Database, configured: str | None
) -> None:
    settings = api_settings(sqlite_url, ARENA_ADMIN_TOKEN=configured)
    with checked_client(settings, sqlite_database) as client:
        for method, path in PROTECTED:
            for headers in ({}, AUTH, {"Authorization": "Bearer "}):
                response = client.request(method, path, headers=headers, json={})
                assert response.status_code == 503, (method, path, response.text)
                body = response.json()
                assert body["error"] == "api_disabled"
                assert "ARENA_ADMIN_TOKEN is not set" in body["detail"]
        health = client.get("/health")
        assert health.status_code == 200
        assert health.json() == {
            "status": "ok",
            "database": True,
            "worker_heartbeat_age_s": None,
            "worker": "none",
            "api_enabled": False,
        }
