"""The OpenAPI document matches the route table; unknown routes, wrong methods and crashes stay JSON."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from starlette.applications import Starlette
from starlette.testclient import TestClient

from arena.bootstrap.database import Database
from arena.faces.web.api import API_PREFIX, ROUTES, ApiContext, api_mount
from tests.faces.web.api.conftest import AUTH, CheckedClient, api_settings


def _resolve(doc: dict[str, Any], node: Any) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            target: Any = doc
            for part in ref.removeprefix("#/").split("/"):
                assert isinstance(target, dict) and part in target, f"dangling $ref {ref}"
                target = target[part]
        for value in node.values():
            _resolve(doc, value)
    elif isinstance(node, list):
        for value in node:
            _resolve(doc, value)


def test_openapi_document_describes_every_route(sqlite_client: CheckedClient) -> None:
    assert sqlite_client.get("/openapi.json").status_code == 401
    response = sqlite_client.get("/openapi.json", headers=AUTH)
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.1") and doc["servers"] == [{"url": "/api/admin/arena"}]
    documented = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    assert documented == {(method, path) for method, path, _, _ in ROUTES}
    assert doc["paths"]["/health"]["get"]["security"] == []
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    _resolve(doc, doc["paths"])
    _resolve(doc, doc["components"])
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    run_body = doc["paths"]["/run"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert run_body == {"$ref": "#/components/schemas/RunRequestBody"}
    assert {p["name"] for p in doc["paths"]["/runs"]["get"]["parameters"]} == {"limit", "cursor"}
    window = next(p for p in doc["paths"]["/leaderboard"]["get"]["parameters"] if p["name"] == "window")
    assert window["schema"]["enum"] == ["7d", "30d", "90d"]


def test_every_error_reply_is_documented_with_its_body_and_headers(sqlite_client: CheckedClient) -> None:
    doc = sqlite_client.get("/openapi.json", headers=AUTH).json()
    replies = doc["components"]["responses"]
    for name in ("Unauthorized", "NotFound", "MethodNotAllowed", "InvalidRequest", "TooManyRequests", "Unavailable"):
        schema = replies[name]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorBody"}, name
    assert replies["TooManyRequests"]["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 0}
    assert replies["Unauthorized"]["headers"]["WWW-Authenticate"]["required"] is True
    assert replies["MethodNotAllowed"]["headers"]["Allow"]["required"] is True
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            statuses = set(op["responses"])
            if path == "/health":
                assert statuses == {"200", "503"} and op["security"] == []
            else:  # behind the token: refused, throttled, or the API disabled / database down
                assert {"401", "429", "503"} <= statuses, (method, path)
    run = doc["paths"]["/run"]["post"]["responses"]
    assert {"400", "413", "422"} <= set(run) and "Location" in run["202"]["headers"]
    run_id = doc["paths"]["/runs/{run_id}"]["get"]["parameters"][0]
    assert run_id["in"] == "path" and run_id["required"] and run_id["schema"]["pattern"] == "^[0-9a-f]{32}$"
    assert "404" in doc["paths"]["/runs/{run_id}"]["get"]["responses"]


def test_unknown_routes_and_wrong_methods_are_json(sqlite_client: CheckedClient) -> None:
    missing = sqlite_client.get("/nothing-here", headers=AUTH)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    wrong = sqlite_client.delete("/runs", headers=AUTH)
    assert wrong.status_code == 405 and wrong.json()["error"] == "method_not_allowed"
    assert wrong.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("OPTIONS", "/profiles", "GET, HEAD, POST"),  # was "POST": the first of two routes on one path answered
        ("DELETE", "/profiles", "GET, HEAD, POST"),
        ("GET", "/run", "POST"),  # POST /run and GET /runs are different paths
        ("OPTIONS", "/run", "POST"),
        ("PUT", "/runs", "GET, HEAD"),
        ("POST", "/runs/" + "0" * 32, "GET, HEAD"),
        ("OPTIONS", "/health", "GET, HEAD"),
        ("PATCH", "/openapi.json", "GET, HEAD"),
    ],
)
def test_a_method_the_path_does_not_serve_is_405_with_the_exact_allow(
    sqlite_client: CheckedClient, method: str, path: str, allow: str
) -> None:
    for headers in (AUTH, {}):  # the route table is no secret: the same answer without the token
        response = sqlite_client.request(method, path, headers=headers)
        assert response.status_code == 405, (method, path, response.text)
        assert response.headers["allow"] == allow
        assert response.json()["error"] == "method_not_allowed" and allow in response.json()["detail"]


def test_allow_lists_what_the_document_documents(sqlite_client: CheckedClient) -> None:
    doc = sqlite_client.get("/openapi.json", headers=AUTH).json()
    for path, ops in doc["paths"].items():
        documented = {method.upper() for method in ops} | ({"HEAD"} if "get" in ops else set())
        concrete = path.replace("{run_id}", "0" * 32)
        allow = sqlite_client.options(concrete, headers=AUTH).headers["allow"]
        assert set(allow.split(", ")) == documented, path


def test_head_answers_as_get(sqlite_client: CheckedClient) -> None:
    assert sqlite_client.head("/runs", headers=AUTH).status_code == 200
    assert sqlite_client.head("/runs").status_code == 401


def test_an_unexpected_failure_is_a_500_without_details(
    sqlite_client: CheckedClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(**_: Any) -> None:
        raise RuntimeError("boom: postgresql://arena:db-pass-123@db/arena sk-leaky-key")

    monkeypatch.setattr("arena.faces.web.api.runs.list_runs", explode)
    response = sqlite_client.get("/runs", headers=AUTH)
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "internal_error" and "ref " in body["detail"]
    assert "boom" not in response.text and "db-pass-123" not in response.text and "sk-leaky-key" not in response.text


def test_an_encoded_newline_under_the_prefix_still_gets_the_apis_json_404(
    sqlite_url: str, sqlite_database: Database
) -> None:
    """Schemathesis found it: Starlette's mount pattern stops at a newline, so the request left the API."""
    app = Starlette(routes=[api_mount(ApiContext(settings=api_settings(sqlite_url), database=sqlite_database))])
    with TestClient(app) as client:
        response = client.get(f"{API_PREFIX}/runs/a%0Ab", headers=AUTH)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json" and response.json()["error"] == "not_found"
