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
from arena.faces.web.api.errors import json_response, parse
from arena.faces.web.api.models import ProfileList, ProfileOut, ProfileSaved
from arena.faces.web.api.runs import read_json
from arena.storage.repositories.profiles import current_profiles
from arena.storage.session import redact_url


async def post_profile(request: Request) -> Response:
    ctx = context(request)
    spec = parse(ProfileSpec, await read_json(request))
    result = await ctx.call(lambda: save_profile(sessions=ctx.database().sessions, spec=spec, actor="api"))
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
        {
            "name": profile.name,
            "version": version.version,
            "version_id": version.id,
            "enabled": profile.enabled,
            "provider": version.provider,
            # an operator may have put credentials in a base URL; show it without them
            "api_base": redact_url(version.api_base) if version.api_base else None,
            "model": version.model,
            "role": version.role,
            "prompt_template_id": version.prompt_template_id,
            "prompt_version": version.prompt_version,
            "max_tokens": version.max_tokens,
            "temperature": float(version.temperature),
            "tool_policy": version.tool_policy,
            "mode": version.mode,
            "daily_budget_usd": float(version.daily_budget_usd) if version.daily_budget_usd is not None else None,
            "daily_call_limit": version.daily_call_limit,
            "timeout_s": float(version.timeout_s),
            "created_by": version.created_by,
            "created_at": version.created_at.isoformat(),
        }
        for profile, version in current_profiles(session=session)
    ]


async def get_profiles(request: Request) -> Response:
    rows = await context(request).read(_current)
    return json_response(ProfileList(items=[ProfileOut.model_validate(r) for r in rows]))
