"""The API as one Starlette sub-application, mounted at /api/admin/arena inside the dashboard's `st.App`.

ROUTES is the single table of what is served and which routes are public (only health). Each handler is wrapped
in `endpoint` (JSON errors) and, unless public, in `guarded` (bearer token). Routes that share a path are served
by one resource, so a method the path does not serve (OPTIONS included) answers 405 with an `Allow` header that
lists exactly the path's methods (HEAD wherever GET is), whatever route was declared first.
"""

from __future__ import annotations

import re

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route, request_response
from starlette.types import Receive, Scope, Send

from arena.faces.web.api import misc, profiles, prompts, replay, runs
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
    ("POST", "/prompts", prompts.post_prompt, False),
    ("GET", "/prompts", prompts.get_prompts, False),
    ("GET", "/replay/policy", replay.get_policy_replay, False),
    ("GET", "/openapi.json", misc.openapi, False),
)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error_response(404, "not_found", f"no API route {request.url.path}")
    return error_response(exc.status_code, "http_error", str(exc.detail))


def allowed_methods(methods: list[str]) -> list[str]:
    """What `Allow` lists for a path serving `methods`: those, plus HEAD wherever GET is (it answers as GET)."""
    return sorted({*methods, *(["HEAD"] if "GET" in methods else [])})


class _Resource:
    """One path as an ASGI app: dispatch by method, 405 with the path's exact `Allow` for anything else.

    A class, not a function, so Starlette's Route leaves every method to it instead of assuming GET.
    """

    def __init__(self, handlers: dict[str, Handler]) -> None:
        self.handlers = handlers
        self.allow = ", ".join(allowed_methods(list(handlers)))
        self.app = request_response(self.dispatch)

    async def dispatch(self, request: Request) -> Response:
        handler = self.handlers.get("GET" if request.method == "HEAD" else request.method)
        if handler is None:
            detail = f"{request.method} is not allowed here (allowed: {self.allow})"
            return error_response(405, "method_not_allowed", detail, headers={"Allow": self.allow})
        return await handler(request)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def build_api(ctx: ApiContext | None = None) -> Starlette:
    """The API application (mountable, or served alone in tests); `ctx` defaults to the environment's."""
    by_path: dict[str, dict[str, Handler]] = {}
    for method, path, handler, public in ROUTES:
        by_path.setdefault(path, {})[method] = endpoint(handler if public else guarded(handler))
    routes = [Route(path, _Resource(handlers), name=path) for path, handlers in by_path.items()]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
    app.state.arena = ctx or ApiContext()
    return app


def api_mount(ctx: ApiContext | None = None) -> Mount:
    """The route to give `st.App(routes=[...])`.

    Every path under the prefix is the API's, even one with an encoded newline (Starlette's `.*` stops at it, and
    the request would fall through to the dashboard): it gets the API's JSON 404, never another app's page.
    """
    mount = Mount(API_PREFIX, app=build_api(ctx))
    mount.path_regex = re.compile(mount.path_regex.pattern, re.DOTALL)
    return mount
