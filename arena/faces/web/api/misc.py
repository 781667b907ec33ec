"""GET /health (no auth), GET /leaderboard and GET /openapi.json."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from arena.engine.config.settings import Settings
from arena.engine.outcomes.leaderboard import live_board
from arena.faces.web.api.auth import configured_token
from arena.faces.web.api.context import context
from arena.faces.web.api.errors import NO_STORE, ApiError, json_response, parse
from arena.faces.web.api.models import Health, Leaderboard, LeaderboardQuery
from arena.kernel.kinds import LeaderboardGroup, LeaderboardWindow
from arena.storage.read.health import database_answers, newest_active_heartbeat_at, newest_heartbeat_at
from arena.storage.read.leaderboard import LeaderboardView
from arena.storage.read.values import jsonable

log = logging.getLogger("arena.api")

WorkerState = Literal["up", "down", "none"]


def _probe(session: Session) -> tuple[bool, datetime | None, datetime | None]:
    return (
        database_answers(session=session),
        newest_heartbeat_at(session=session),
        newest_active_heartbeat_at(session=session),
    )


def worker_state(beat: datetime | None, active_beat: datetime | None, *, ttl_s: float, now: datetime) -> WorkerState:
    """`up` while an active worker's heartbeat is younger than the lease TTL (it would have lost the lease
    otherwise), `none` when no worker ever beat, else `down`."""
    if beat is None:
        return "none"
    if active_beat is not None and (now - active_beat).total_seconds() <= ttl_s:
        return "up"
    return "down"


async def health(request: Request) -> Response:
    """200 when the database answers, 503 (status degraded) when it does not; never needs the token."""
    ctx = context(request)
    try:
        api_enabled = configured_token(ctx.settings()) is not None
    except ApiError:
        api_enabled = False
    try:
        alive, beat, active_beat = await ctx.read(_probe)
    except Exception as exc:  # a database that cannot answer is what this endpoint reports, not raises
        log.warning("health: database check failed: %s", type(exc).__name__)
        alive, beat, active_beat = False, None, None
    now = datetime.now(UTC)
    age = round((now - beat).total_seconds(), 3) if beat is not None else None
    try:
        ttl_s = ctx.settings().worker_lease_ttl_s
    except ApiError:  # settings that do not load cannot hide the rest of the health report
        ttl_s = Settings.model_fields["worker_lease_ttl_s"].default
    body = Health(
        status="ok" if alive else "degraded",
        database=alive,
        worker_heartbeat_age_s=age,
        worker=worker_state(beat, active_beat, ttl_s=ttl_s, now=now),
        api_enabled=api_enabled,
    )
    return json_response(body, status=200 if alive else 503)


async def leaderboard(request: Request) -> Response:
    """Provisional columns live, outcome columns from the worker's snapshot (docs/LEADERBOARD.md)."""
    query = parse(LeaderboardQuery, dict(request.query_params))
    min_sample = context(request).settings().leaderboard_min_sample

    def board(session: Session) -> LeaderboardView:
        return live_board(
            session=session,
            window=LeaderboardWindow(query.window),
            group_by=LeaderboardGroup(query.group_by),
            strategy=query.strategy,
            market=query.market,
            min_sample=min_sample,
        )

    return json_response(Leaderboard.model_validate(board_json(await context(request).read(board))))


def board_json(view: LeaderboardView) -> dict[str, Any]:
    """The board as one flat object: the snapshot's payload, then the typed fields (and live counts) over it."""
    shaped: dict[str, Any] = jsonable(view)
    payload: dict[str, Any] = shaped.pop("extra")
    counts: dict[str, Any] = shaped.pop("counts")
    return payload | counts | shaped


async def openapi(request: Request) -> Response:
    from arena.faces.web.api.openapi import openapi_document

    return JSONResponse(openapi_document(), headers=NO_STORE)
