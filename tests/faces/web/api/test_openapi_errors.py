"""The OpenAPI document matches the route table; unknown routes, wrong methods and crashes stay JSON."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from arena.faces.web.api import ROUTES
from tests.faces.web.api.conftest import AUTH, CheckedClient


def _resolve(doc: dict[str, Any], node: Any) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            name = ref.removeprefix("#/components/schemas/")
            assert name in doc["components"]["schemas"], f"dangling $ref {ref}"
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


def test_unknown_routes_and_wrong_methods_are_json(sqlite_client: CheckedClient) -> None:
    missing = sqlite_client.get("/nothing-here", headers=AUTH)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    wrong = sqlite_client.delete("/runs", headers=AUTH)
    assert wrong.status_code == 405 and wrong.json()["error"] == "method_not_allowed"
    assert "GET" in wrong.headers["allow"]


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
