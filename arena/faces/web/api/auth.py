"""Bearer-token authentication for every admin route but health, with failed-attempt throttling.

The token is `ARENA_ADMIN_TOKEN`; it is compared in constant time and never echoed. With no token configured the
API is disabled — every protected route answers 503 `api_disabled` saying why — rather than open to anyone.
A wrong token counts against the client's address (arena/faces/web/throttle.py, shared with the dashboard
sign-in); past the limit every request from that address answers 429 with Retry-After, right token or not.
"""

from __future__ import annotations

import functools
import hmac

from starlette.requests import Request
from starlette.responses import Response

from arena.engine.config.settings import Settings
from arena.faces.web.api.context import context
from arena.faces.web.api.errors import ApiError, Handler
from arena.faces.web.proxy import client_address
from arena.faces.web.throttle import FailureThrottle, throttle_for

CHALLENGE = 'Bearer realm="arena"'


def configured_token(settings: Settings) -> str | None:
    token = settings.admin_token.get_secret_value().strip() if settings.admin_token is not None else ""
    return token or None


def require_admin(request: Request, settings: Settings, throttle: FailureThrottle | None = None) -> None:
    """Raise ApiError (503 disabled, 401 missing/wrong token) unless the request carries the admin token."""
    expected = configured_token(settings)
    if expected is None:
        raise ApiError(
            503,
            "api_disabled",
            "ARENA_ADMIN_TOKEN is not set, so the admin API serves only /health; set it and restart the web process",
        )
    address = client_address(request.scope)
    max_failures, window_s = settings.auth_max_failures, settings.auth_failure_window_s
    wait_s = throttle.retry_after(address, max_failures=max_failures, window_s=window_s) if throttle else None
    if wait_s is not None:
        raise ApiError(
            429,
            "too_many_failures",
            f"too many failed authentication attempts from this address; retry in {wait_s} s",
            headers={"Retry-After": str(wait_s)},
        )
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not presented:
        raise ApiError(
            401,
            "unauthorized",
            "missing bearer token: send 'Authorization: Bearer <ARENA_ADMIN_TOKEN>'",
            headers={"WWW-Authenticate": CHALLENGE},
        )
    if not hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8")):
        if throttle is not None:
            throttle.record_failure(
                address, "wrong bearer token", door="api", max_failures=max_failures, window_s=window_s
            )
        raise ApiError(
            401,
            "unauthorized",
            "the bearer token is not valid",
            headers={"WWW-Authenticate": f'{CHALLENGE}, error="invalid_token"'},
        )


def guarded(func: Handler) -> Handler:
    """The handler, reachable only with the admin token (wrap it in `endpoint` to render the refusal)."""

    @functools.wraps(func)
    async def wrapper(request: Request) -> Response:
        ctx = context(request)
        require_admin(request, ctx.settings(), throttle_for(ctx))
        return await func(request)

    return wrapper
