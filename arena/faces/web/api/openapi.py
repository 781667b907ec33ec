"""The OpenAPI 3.1 document served at /api/admin/arena/openapi.json, built from the pydantic models."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from arena.engine.config.profiles import ProfileSpec
from arena.faces.web.api import models as m
from arena.faces.web.api import run_models as rm

REF = "#/components/schemas/{model}"

# (method, path): (summary, request body model or None, query model or None, {status: (description, model)})
Op = tuple[str, type[BaseModel] | None, type[BaseModel] | None, dict[int, tuple[str, type[BaseModel] | None]]]

_AUTH = {
    401: ("missing or invalid bearer token", m.ErrorBody),
    503: ("API disabled (no ARENA_ADMIN_TOKEN) or database unavailable", m.ErrorBody),
}
_INVALID = {422: ("invalid field(s); `fields` names each", m.ErrorBody)}

OPERATIONS: dict[tuple[str, str], Op] = {
    ("GET", "/health"): (
        "Liveness, database reachability and worker heartbeat age (no auth)",
        None,
        None,
        {200: ("database answers", m.Health), 503: ("database unreachable (status degraded)", m.Health)},
    ),
    ("POST", "/run"): (
        "Validate a run request and queue it for the worker; nothing is stored when invalid",
        m.RunRequestBody,
        None,
        {
            202: ("queued", m.RunAccepted),
            400: ("body is not JSON", m.ErrorBody),
            413: ("body too large", m.ErrorBody),
            **_INVALID,
            **_AUTH,
        },
    ),
    ("GET", "/runs"): (
        "Runs, newest first, one keyset page at a time (opaque cursor)",
        None,
        m.RunsQuery,
        {200: ("one page", rm.RunPage), **_INVALID, **_AUTH},
    ),
    ("GET", "/runs/{run_id}"): (
        "Everything about one run: agents, reasoning, LLM calls, consensus trace, costs, outcome links",
        None,
        None,
        {200: ("the run", rm.RunDetails), 404: ("unknown run id", m.ErrorBody), **_AUTH},
    ),
    ("GET", "/leaderboard"): (
        "Server-side leaderboard for a window (status not_enough_data until outcomes are scored)",
        None,
        m.LeaderboardQuery,
        {200: ("the leaderboard", m.Leaderboard), **_INVALID, **_AUTH},
    ),
    ("POST", "/profiles"): (
        "Create a profile, or write a new version of it when anything changed",
        ProfileSpec,
        None,
        {
            201: ("created (version 1)", m.ProfileSaved),
            200: ("updated (new version) or unchanged", m.ProfileSaved),
            400: ("body is not JSON", m.ErrorBody),
            409: ("concurrent change; retry", m.ErrorBody),
            **_INVALID,
            **_AUTH,
        },
    ),
    ("GET", "/profiles"): ("Current version of every profile", None, None, {200: ("profiles", m.ProfileList), **_AUTH}),
    ("GET", "/openapi.json"): ("This document", None, None, {200: ("OpenAPI 3.1 document", None), **_AUTH}),
}


def _schema(model: type[BaseModel], components: dict[str, Any], mode: str) -> dict[str, str]:
    schema = model.model_json_schema(ref_template=REF, mode="validation" if mode == "in" else "serialization")
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    return {"$ref": REF.format(model=model.__name__)}


def _parameters(path: str, query: type[BaseModel] | None) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    if "{run_id}" in path:
        params.append({"name": "run_id", "in": "path", "required": True, "schema": {"type": "string"}})
    if query is not None:
        schema = query.model_json_schema()
        for name, prop in schema["properties"].items():
            required = name in schema.get("required", [])
            params.append({"name": name, "in": "query", "required": required, "schema": prop})
    return params


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    from arena.faces.web.api.app import API_PREFIX

    components: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), (summary, body, query, responses) in OPERATIONS.items():
        op: dict[str, Any] = {"summary": summary, "operationId": f"{method.lower()}_{path.strip('/')}"}
        op["operationId"] = op["operationId"].replace("/", "_").replace("{", "").replace("}", "").replace(".", "_")
        if path == "/health":
            op["security"] = []
        params = _parameters(path, query)
        if params:
            op["parameters"] = params
        if body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": _schema(body, components, "in")}},
            }
        op["responses"] = {
            str(status): {"description": text}
            | ({"content": {"application/json": {"schema": _schema(model, components, "out")}}} if model else {})
            for status, (text, model) in sorted(responses.items())
        }
        paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Arena admin API",
            "version": "1",
            "description": "Send `Authorization: Bearer $ARENA_ADMIN_TOKEN` on every route but /health. "
            "Errors are JSON `{error, detail, fields?}`.",
        },
        "servers": [{"url": API_PREFIX}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
