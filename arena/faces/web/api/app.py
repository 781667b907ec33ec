"""The API as one Starlette sub-application, mounted at /api/admin/arena inside the dashboard's `st.App`.

ROUTES is the single table of what is served and which routes are public (only health). Each handler is wrapped
in `endpoint` (JSON errors) and, unless public, in `guarded` (bearer token).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from arena.faces.web.api import misc, profiles, runs
from arena.faces.web.api.auth import guarded
from arena.faces.web.api.context import ApiContext
from arena.faces.web.api.errors import Handler, endpoint, error_response

API_PREFIX = "/api/admin/arena"

# (method, path under API_PREFIX, handler, public)
ROUTES: tuple[tuple[str, str, Handler, bool], ...] = (
    ("GET", "/health", misc.health, True),
    ("POST", "/run", runs.post_run, False),
    ("GET", "/runs", runs.get_runs, False),
    ("GET", "/runs/{run_id}", runs.get_run, False),
    ("GET", "/leaderboard", misc.leaderboard, False),
    ("POST", "/profiles", profiles.post_profile, False),
    ("GET", "/profiles", profiles.get_profiles, False),
    ("GET", "/openapi.json", misc.openapi, False),
)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return error_response(405, "method_not_allowed", f"{request.method} is not allowed here", headers=exc.headers)
    if exc.status_code == 404:
        return error_response(404, "not_found", f"no API route {request.url.path}")
    return error_response(exc.status_code, "http_error", str(exc.detail))


def build_api(ctx: ApiContext | None = None) -> Starlette:
    """The API application (mountable, or served alone in tests); `ctx` defaults to the environment's."""
    routes = [
        Route(path, endpoint(handler if public else guarded(handler)), methods=[method], name=f"{method} {path}")
        for method, path, handler, public in ROUTES
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
    app.state.arena = ctx or ApiContext()
    return app


def api_mount(ctx: ApiContext | None = None) -> Mount:
    """The route to give `st.App(routes=[...])`."""
    return Mount(API_PREFIX, app=build_api(ctx))
