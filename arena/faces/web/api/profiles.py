"""POST /profiles (create, or a new version when anything changed) and GET /profiles (current versions).

The body is exactly the dashboard form's ProfileSpec, validated by the same model; saving goes through the one
shared service (versioned and audited with actor `api`). Profiles never hold API keys: those are settings.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from arena.engine.config.profile_service import save_profile
from arena.engine.config.profiles import ProfileSpec
from arena.faces.web.api.context import context
from arena.faces.web.api.errors import json_response, parse_body
from arena.faces.web.api.models import ProfileList, ProfileOut, ProfileSaved
from arena.faces.web.api.runs import read_json
from arena.storage.read.profiles import profile_views
from arena.storage.read.values import jsonable
from arena.storage.session import redact_url


async def post_profile(request: Request) -> Response:
    ctx = context(request)
    spec = parse_body(ProfileSpec, await read_json(request))
    settings = ctx.settings()
    result = await ctx.call(
        lambda: save_profile(sessions=ctx.database().sessions, spec=spec, actor="api", settings=settings)
    )
    saved = ProfileSaved(
        name=spec.name,
        profile_id=result.profile_id,
        version=result.version,
        version_id=result.version_id,
        created=result.created,
        changed=result.changed,
    )
    return json_response(saved, status=201 if result.created else 200)


def _current(session: Session) -> list[dict[str, Any]]:
    return [
        # an operator may have put credentials in a base URL; show it without them
        jsonable(view) | {"api_base": redact_url(view.api_base) if view.api_base else None}
        for view in profile_views(session=session)
    ]


async def get_profiles(request: Request) -> Response:
    rows = await context(request).read(_current)
    return json_response(ProfileList(items=[ProfileOut.model_validate(r) for r in rows]))
