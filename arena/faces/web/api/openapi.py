"""The OpenAPI 3.1 document served at /api/admin/arena/openapi.json, generated from the models that validate.

Request bodies, query and path parameters come from the pydantic models the handlers parse with (`parse_body`,
`parse`), reply bodies from the models that shape the replies, so the document cannot promise what the validator
refuses or the reverse. Error replies are shared components with the one error body and their headers.
OPERATIONS must name exactly the routes of `app.ROUTES` (a test holds them equal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from arena.engine.config.profiles import ProfileSpec
from arena.engine.config.prompt_templates import PromptSpec
from arena.engine.market.symbols import MAX_SYMBOLS
from arena.faces.web.api import models as m
from arena.faces.web.api import replay_models as rp
from arena.faces.web.api import run_models as rm

REF = "#/components/schemas/{model}"


def _header(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "required": True, "schema": schema}


# Error replies: each is `ErrorBody`; the key is what operations list in `errors`.
ERRORS: dict[str, tuple[int, str, dict[str, Any]]] = {
    "InvalidJson": (400, "invalid_json: the body is not JSON (or not UTF-8)", {}),
    "Unauthorized": (
        401,
        "unauthorized: missing or wrong bearer token",
        {"WWW-Authenticate": _header("the bearer challenge", {"type": "string"})},
    ),
    "NotFound": (404, "not_found: no such run (or no such API route)", {}),
    "MethodNotAllowed": (
        405,
        "method_not_allowed: a method the path does not serve (OPTIONS included)",
        {"Allow": _header("exactly the methods the path serves", {"type": "string"})},
    ),
    "Conflict": (409, "conflict: a concurrent write collided; retry", {}),
    "PayloadTooLarge": (413, "payload_too_large: the body is over 64 KiB", {}),
    "InvalidRequest": (422, "invalid_request: `fields` names every bad field", {}),
    "TooManyRequests": (
        429,
        "too_many_failures: too many failed bearer tokens from this address; wait Retry-After seconds",
        {"Retry-After": _header("seconds to wait", {"type": "integer", "minimum": 0})},
    ),
    "Unavailable": (
        503,
        "api_disabled (no ARENA_ADMIN_TOKEN), not_configured (no provider or Alpaca keys) or "
        "database_unavailable; retry later",
        {},
    ),
}
GUARDED = ("Unauthorized", "TooManyRequests", "Unavailable")  # what every route behind the token may answer


@dataclass(frozen=True)
class Operation:
    summary: str
    replies: dict[int, tuple[str, type[BaseModel] | None]]
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    path: type[BaseModel] | None = None
    errors: tuple[str, ...] = GUARDED
    reply_headers: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Fields a well-formed request may still be refused on (422) because of the database or the settings:
    # unknown or disabled profiles, a cursor this listing did not produce, an api_base off the allow-list, a model
    # above the cheap price ceiling, a prompt template version that is not stored.
    state_dependent: tuple[str, ...] = ()


OPERATIONS: dict[tuple[str, str], Operation] = {
    ("GET", "/health"): Operation(
        "Liveness, database reachability and worker state (no auth)",
        {200: ("database answers", m.Health), 503: ("database unreachable (status degraded)", m.Health)},
        errors=(),
    ),
    ("POST", "/run"): Operation(
        f"Validate a run request (1-{MAX_SYMBOLS} symbols) and queue it for the worker; nothing is stored when refused",
        {202: ("queued", m.RunAccepted)},
        body=m.RunRequestBody,
        errors=("InvalidJson", "PayloadTooLarge", "InvalidRequest", *GUARDED),
        reply_headers={"Location": _header("the run's URL (GET /runs/{run_id})", {"type": "string"})},
        state_dependent=("agents", "debaters"),
    ),
    ("GET", "/runs"): Operation(
        "Runs, newest first, one keyset page at a time (opaque cursor)",
        {200: ("one page", rm.RunPage)},
        query=m.RunsQuery,
        errors=("InvalidRequest", *GUARDED),
        state_dependent=("cursor",),
    ),
    ("GET", "/runs/{run_id}"): Operation(
        "Everything about one run: agents, reasoning, LLM calls, consensus trace, costs, outcome links",
        {200: ("the run", rm.RunDetails)},
        path=m.RunPath,
        errors=("NotFound", *GUARDED),
    ),
    ("GET", "/leaderboard"): Operation(
        "Server-side leaderboard for a window (status not_enough_data until outcomes are scored)",
        {200: ("the leaderboard", m.Leaderboard)},
        query=m.LeaderboardQuery,
        errors=("InvalidRequest", *GUARDED),
    ),
    ("POST", "/profiles"): Operation(
        "Create a profile, or write a new version of it when anything changed",
        {201: ("created (version 1)", m.ProfileSaved), 200: ("updated (new version) or unchanged", m.ProfileSaved)},
        body=ProfileSpec,
        errors=("InvalidJson", "Conflict", "PayloadTooLarge", "InvalidRequest", *GUARDED),
        state_dependent=("api_base", "model", "prompt_template_id", "prompt_version"),
    ),
    ("GET", "/profiles"): Operation("Current version of every profile", {200: ("profiles", m.ProfileList)}),
    ("POST", "/prompts"): Operation(
        "Append a new version of a prompt template (a new template at version 1), optionally moving a label to it",
        {201: ("saved", m.PromptSaved)},
        body=PromptSpec,
        errors=("InvalidJson", "PayloadTooLarge", "InvalidRequest", *GUARDED),
        state_dependent=("role", "template_id"),
    ),
    ("GET", "/prompts"): Operation(
        "Every stored prompt template version with its labels", {200: ("template versions", m.PromptList)}
    ),
    ("GET", "/replay/policy"): Operation(
        "Re-decide the window's recorded runs under other routing settings (0 LLM calls; docs/EVALUATION.md)",
        {200: ("the actual outcome and one row per scenario", rp.PolicyReplay)},
        query=rp.PolicyReplayQuery,
        errors=("InvalidRequest", *GUARDED),
    ),
    ("GET", "/openapi.json"): Operation("This document", {200: ("OpenAPI 3.1 document", None)}),
}


def _schema(model: type[BaseModel], components: dict[str, Any], mode: str) -> dict[str, str]:
    schema = model.model_json_schema(ref_template=REF, mode="validation" if mode == "in" else "serialization")
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    return {"$ref": REF.format(model=model.__name__)}


def _sendable(prop: dict[str, Any]) -> dict[str, Any]:
    """A parameter's schema without its `null` branch: in a URL a parameter is text or absent, never null."""
    options: list[dict[str, Any]] = [o for o in prop.get("anyOf", []) if o != {"type": "null"}]
    rest = {k: v for k, v in prop.items() if k != "anyOf" and not (k == "default" and v is None)}
    if len(options) == 1:
        return rest | options[0]
    return rest | ({"anyOf": options} if options else {})


def _parameters(where: str, model: type[BaseModel] | None) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": where, "required": where == "path" or name in required, "schema": _sendable(prop)}
        for name, prop in schema["properties"].items()
    ]


def _reply(description: str, model: type[BaseModel] | None, components: dict[str, Any]) -> dict[str, Any]:
    reply: dict[str, Any] = {"description": description}
    if model is not None:
        reply["content"] = {"application/json": {"schema": _schema(model, components, "out")}}
    return reply


def _error_components(components: dict[str, Any]) -> dict[str, Any]:
    body = {"application/json": {"schema": _schema(m.ErrorBody, components, "out")}}
    return {
        name: {"description": text, "content": body} | ({"headers": headers} if headers else {})
        for name, (_, text, headers) in ERRORS.items()
    }


def _operation(method: str, path: str, op: Operation, components: dict[str, Any]) -> dict[str, Any]:
    op_id = f"{method.lower()}_{path.strip('/')}".replace("/", "_").replace(".", "_")
    doc: dict[str, Any] = {"summary": op.summary, "operationId": op_id.replace("{", "").replace("}", "")}
    if not op.errors:
        doc["security"] = []
    params = _parameters("path", op.path) + _parameters("query", op.query)
    if params:
        doc["parameters"] = params
    if op.body is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _schema(op.body, components, "in")}},
        }
    replies: dict[str, Any] = {}
    for status, (text, model) in op.replies.items():
        replies[str(status)] = _reply(text, model, components)
        if 200 <= status < 300 and op.reply_headers:
            replies[str(status)]["headers"] = op.reply_headers
    for name in op.errors:
        replies[str(ERRORS[name][0])] = {"$ref": f"#/components/responses/{name}"}
    doc["responses"] = dict(sorted(replies.items()))
    if op.state_dependent:
        doc["x-state-dependent-fields"] = list(op.state_dependent)
    return doc


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    from arena.faces.web.api.app import API_PREFIX

    components: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), op in OPERATIONS.items():
        paths.setdefault(path, {})[method.lower()] = _operation(method, path, op, components)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Arena admin API",
            "version": "1",
            "description": "Send `Authorization: Bearer $ARENA_ADMIN_TOKEN` on every route but /health. "
            "Errors are JSON `{error, detail, fields?}`. A method a path does not serve (OPTIONS included) "
            "answers 405 with `Allow` listing exactly the path's methods (HEAD wherever GET is). "
            f"At most {MAX_SYMBOLS} symbols per run. `x-state-dependent-fields` names the fields a well-formed "
            "request may still be refused on (422) because of the database or the settings.",
        },
        "servers": [{"url": API_PREFIX}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "responses": _error_components(components),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
