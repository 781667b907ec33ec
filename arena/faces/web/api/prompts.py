"""GET /prompts (every stored template version with its labels) and POST /prompts (append a version).

The body is the Profiles page editor's PromptSpec, validated by the same model; saving goes through the one shared
service (appended, never edited; the label moved; audited with actor `api`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from arena.engine.config.prompt_templates import PromptSpec, save_prompt
from arena.faces.web.api.context import context
from arena.faces.web.api.errors import json_response, parse_body
from arena.faces.web.api.models import PromptList, PromptSaved, PromptVersionOut
from arena.faces.web.api.runs import read_json
from arena.storage.read.prompts import prompt_views
from arena.storage.read.values import jsonable


def _all(session: Session) -> list[dict[str, Any]]:
    return [jsonable(view) for view in prompt_views(session=session)]


async def get_prompts(request: Request) -> Response:
    rows = await context(request).read(_all)
    return json_response(PromptList(items=[PromptVersionOut.model_validate(r) for r in rows]))


async def post_prompt(request: Request) -> Response:
    ctx = context(request)
    spec = parse_body(PromptSpec, await read_json(request))
    template_id, version = await ctx.call(lambda: save_prompt(sessions=ctx.database().sessions, spec=spec, actor="api"))
    return json_response(PromptSaved(template_id=template_id, version=version, label=spec.label), status=201)
