"""POST /run (enqueue for the worker), GET /runs (keyset pages), GET /runs/{id} (everything about one run)."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from arena.engine.runs.service import start_run
from arena.faces.web.api.context import context
from arena.faces.web.api.errors import ApiError, invalid, json_response, parse, parse_body
from arena.faces.web.api.models import RUN_ID_PATTERN, RunAccepted, RunRequestBody, RunsQuery
from arena.faces.web.api.run_models import RunDetails, RunItem, RunPage
from arena.kernel.errors import BadCursor
from arena.kernel.kinds import Trigger
from arena.storage.read.run_fills import fills_by_broker_id
from arena.storage.read.run_listing import RunListItem, list_runs
from arena.storage.read.run_report import run_details
from arena.storage.read.values import jsonable

MAX_BODY_BYTES = 64 * 1024
SHOWN_ID_CHARS = 64  # an unknown run id is echoed in the 404 at most this long
RUN_ID = re.compile(RUN_ID_PATTERN)


async def read_json(request: Request) -> dict[str, Any]:
    """The request body as a JSON object (bounded in size); 400/413/422 otherwise."""
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > MAX_BODY_BYTES:
            raise ApiError(413, "payload_too_large", f"request body exceeds {MAX_BODY_BYTES} bytes")
    if not raw.strip():
        raise invalid({"body": "a JSON object is required"})
    try:
        data = json.loads(raw)
    except ValueError:  # includes UnicodeDecodeError
        raise ApiError(400, "invalid_json", "the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise invalid({"body": "must be a JSON object"})
    return data


async def post_run(request: Request) -> Response:
    ctx = context(request)
    body = parse_body(RunRequestBody, await read_json(request))
    settings = ctx.settings()
    started = await ctx.call(  # the first call may open (and migrate) the database: never on the event loop
        lambda: start_run(
            sessions=ctx.database().sessions,
            settings=settings,
            symbols=body.symbols,
            agents=body.agents,
            mode=body.mode,
            debaters=body.debaters,
            trigger=Trigger.API,
            enqueue=True,
            requested_by="api",
        )
    )
    accepted = RunAccepted(run_id=started.run_id, trace_id=started.trace_id, status=started.status)
    location = f"{request.scope.get('root_path', '')}/runs/{started.run_id}"
    return json_response(accepted, status=202, headers={"Location": location})


async def get_runs(request: Request) -> Response:
    ctx = context(request)
    query = parse(RunsQuery, dict(request.query_params))

    def page(session: Session) -> tuple[list[RunListItem], str | None]:
        return list_runs(session=session, limit=query.limit, cursor=query.cursor)

    try:
        items, next_cursor = await ctx.read(page)
    except BadCursor:
        raise invalid({"cursor": "not a cursor this listing produced; start again without one"}) from None
    return json_response(RunPage(items=[RunItem.model_validate(jsonable(i)) for i in items], next_cursor=next_cursor))


def _details_with_fills(session: Session, run_id: str) -> RunDetails | None:
    """The run's details with each outcome link's fills in full (unknown fill ids are left out)."""
    details = run_details(session=session, run_id=run_id)
    if details is None:
        return None
    wanted = [fill_id for link in details.outcome_links for fill_id in link.fill_ids or []]
    fills = fills_by_broker_id(session=session, broker_fill_ids=wanted)
    body = jsonable(details)
    for link, shaped in zip(details.outcome_links, body["outcome_links"], strict=True):
        shaped["fills"] = [jsonable(fills[f]) for f in link.fill_ids or [] if f in fills]
    # under each agent its tool calls in full (DESIGN §2: agents[].tool_calls[]); `run --json` keeps the count
    calls = {d["agent_decision_id"]: d["tool_calls"] for d in body["decisions"]}
    for agent in body["agents"]:
        agent["tool_calls"] = calls.get(agent["agent_decision_id"], [])
    return RunDetails.model_validate(body)


async def get_run(request: Request) -> Response:
    run_id = str(request.path_params["run_id"])
    shaped = RUN_ID.fullmatch(run_id) is not None  # anything else cannot be a run: no query needed
    details = await context(request).read(lambda session: _details_with_fills(session, run_id)) if shaped else None
    if details is None:
        raise ApiError(404, "not_found", f"no run with id {run_id[:SHOWN_ID_CHARS]!r}")
    return json_response(details)
