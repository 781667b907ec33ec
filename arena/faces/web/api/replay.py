"""GET /replay/policy: the same report as `python -m arena replay policy --json` (0 LLM calls, read-only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from arena.engine.evaluation.policy_replay import replay_policy
from arena.faces.web.api.context import context
from arena.faces.web.api.errors import json_response, parse
from arena.faces.web.api.replay_models import PolicyReplay, PolicyReplayQuery


async def get_policy_replay(request: Request) -> Response:
    data: dict[str, Any] = dict(request.query_params)
    if "set" in data:
        data["set"] = request.query_params.getlist("set")
    query = parse(PolicyReplayQuery, data)

    def report(session: Session) -> dict[str, Any]:
        return replay_policy(session=session, window=query.window, sets=query.sets)

    return json_response(PolicyReplay.model_validate(await context(request).read(report)))
