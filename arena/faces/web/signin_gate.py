"""The dashboard's front door: nothing under /admin/arena/ but health and static assets without a session cookie.

Why in ASGI, not in the Streamlit script: Streamlit cannot set HttpOnly cookies, and a sign-in kept only in one
Streamlit session is lost on every reload, new tab or pasted deep link. So this middleware

* turns `?auth=<link>` on any dashboard URL into the session cookie and a 303 to the same URL without `auth`
  (a link works once: arena/engine/access.py `redeem_link` records it; its lifetime is at most
  ARENA_SIGNIN_LINK_TTL_S);
* serves the sign-in form (signin_page.py) for page loads without a valid cookie, and takes its POST at
  /admin/arena/_arena/signin (same-origin only; `next` must be a dashboard path — no open redirect);
* signs out at /admin/arena/_arena/signout (same-origin only), clearing the cookie;
* refuses the Streamlit WebSocket and every other dashboard request without a valid cookie;
* renews the cookie (a fresh ARENA_SESSION_TTL_S) on requests once it is past half its life.

Failed sign-ins (wrong token, bad or used link) count in the same per-address throttle as the API's wrong bearer
tokens; past the limit the sign-in answers 429 with Retry-After, even for the right token.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from starlette.concurrency import run_in_threadpool

from arena.engine.access import (
    SignInLink,
    check_admin_token,
    mint_session,
    parse_link,
    redeem_link,
    session_expiry,
)
from arena.engine.config.settings import Settings
from arena.faces.web.api.auth import configured_token
from arena.faces.web.api.context import ApiContext
from arena.faces.web.api.errors import ApiError
from arena.faces.web.frame_policy import ASGIApp, Message, Receive, Scope, Send
from arena.faces.web.proxy import came_over_https, client_address, header_values
from arena.faces.web.session_cookie import (
    BASE_PATH,
    SIGNIN_PATH,
    SIGNOUT_PATH,
    clear_cookie,
    read_cookie,
    set_cookie,
)
from arena.faces.web.signin_page import LOCKED, render
from arena.faces.web.throttle import throttle_for

log = logging.getLogger("arena.web.signin")

HOME = f"{BASE_PATH}/"
# Open without a session: liveness probes and Streamlit's static bundle (no data in either).
PUBLIC_PREFIXES = (
    f"{BASE_PATH}/_stcore/health",
    f"{BASE_PATH}/_stcore/script-health-check",
    f"{BASE_PATH}/static/",
    f"{BASE_PATH}/favicon.png",
)
# Dashboard paths that are not pages: a request without a session gets a bare 401, not the sign-in form.
NON_PAGE_PREFIXES = (f"{BASE_PATH}/_stcore/", f"{BASE_PATH}/media/", f"{BASE_PATH}/component/", f"{BASE_PATH}/_")
MAX_FORM_BYTES = 8192
AUTH_PARAM = "auth"
BAD_LINK = "The sign-in link has expired, was already used or is not valid; sign in with the admin token."
NO_STORE = (b"cache-control", b"no-store")


def safe_next(value: str | None) -> str:
    """`value` when it is a dashboard path on this site (without `auth`), else the dashboard's home."""
    if not value or not value.isascii() or any(ord(ch) < 0x21 for ch in value) or "\\" in value:
        return HOME
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not parts.path.startswith(HOME) or parts.path.startswith(f"{BASE_PATH}/_"):
        return HOME
    if "//" in parts.path or "/../" in parts.path or parts.path.endswith("/.."):
        return HOME
    return _without_auth(parts.path, parts.query)


def _without_auth(path: str, query: str) -> str:
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != AUTH_PARAM]
    return f"{path}?{urlencode(kept)}" if kept else path


def _query_value(query: str, name: str) -> str | None:
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key == name:
            return value
    return None


def same_origin(scope: Scope) -> bool:
    """A CSRF guard for the form POST and sign-out: the browser says the request comes from this very site."""
    fetch_site = header_values(scope, b"sec-fetch-site")
    if fetch_site and fetch_site[-1] not in ("same-origin", "none"):
        return False
    host = header_values(scope, b"host")
    source = (header_values(scope, b"origin") or header_values(scope, b"referer") or [""])[-1]
    if not host or not source or source == "null":
        return bool(fetch_site) and fetch_site[-1] == "same-origin"
    return urlsplit(source).netloc.lower() == host[-1].strip().lower()


class SignInGate:
    """ASGI middleware in front of Streamlit (see the module doc)."""

    def __init__(self, app: ASGIApp, ctx: ApiContext, *, clock: Callable[[], float] = time.time) -> None:
        self.app = app
        self.ctx = ctx
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] not in ("http", "websocket") or not (path == BASE_PATH or path.startswith(HOME)):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http" and path.startswith(PUBLIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        try:
            settings = self.ctx.settings()
        except ApiError as exc:
            await _text(send, 503, exc.detail)
            return
        secret = _secret(settings)
        expires = self._session(scope, secret)
        if scope["type"] == "websocket":
            if expires is None:
                await send({"type": "websocket.close", "code": 1008, "reason": "sign in first"})
                return
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "GET")
        query = scope.get("query_string", b"").decode("latin-1")
        if path == SIGNIN_PATH:
            if method == "POST":
                await self._form_post(scope, receive, send, settings, secret)
            else:
                await self._page(send, scope, 200, secret, next_path=safe_next(_query_value(query, "next")))
            return
        if path == SIGNOUT_PATH:
            await self._sign_out(scope, send)
            return
        link = _query_value(query, AUTH_PARAM)
        if link is not None and method in ("GET", "HEAD"):
            await self._link(scope, send, settings, secret, link, signed_in=expires is not None)
            return
        if expires is None:
            if method in ("GET", "HEAD") and not path.startswith(NON_PAGE_PREFIXES):
                await self._page(send, scope, 200, secret, next_path=safe_next(_without_auth(quote(path), query)))
            else:
                await _text(send, 401, "sign in first")
            return
        await self.app(scope, receive, self._renewing(scope, send, settings, secret, expires))

    # -- the session cookie -------------------------------------------------------------------------------------

    def _session(self, scope: Scope, secret: str) -> int | None:
        value = read_cookie("; ".join(header_values(scope, b"cookie")))
        return session_expiry(secret, value, now=self.clock()) if value else None

    def _cookie(self, scope: Scope, settings: Settings, secret: str) -> tuple[bytes, bytes]:
        value = mint_session(secret, ttl_s=settings.session_ttl_s, now=self.clock())
        header = set_cookie(value, max_age=settings.session_ttl_s, secure=came_over_https(scope))
        return (b"set-cookie", header.encode("latin-1"))

    def _renewing(self, scope: Scope, send: Send, settings: Settings, secret: str, expires: int) -> Send:
        if expires - self.clock() >= settings.session_ttl_s / 2:
            return send
        cookie = self._cookie(scope, settings, secret)

        async def send_renewed(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), cookie]}
            await send(message)

        return send_renewed

    # -- the three ways in and the way out ----------------------------------------------------------------------

    async def _link(
        self, scope: Scope, send: Send, settings: Settings, secret: str, token: str, *, signed_in: bool
    ) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        target = safe_next(_without_auth(quote(scope["path"]), query))
        if signed_in:  # already in: do not spend the link, just leave it out of the URL
            await _redirect(send, target, [])
            return
        if await self._throttled(scope, send, settings, secret, target):
            return
        link = parse_link(secret, token, now=self.clock(), max_ttl_s=settings.signin_link_ttl_s)
        fresh = False
        if link is not None:
            try:
                fresh = await run_in_threadpool(self._redeem, link)
            except Exception as exc:  # the database is down: say so, do not sign in
                log.warning("sign-in link not checked: database unavailable (%s)", type(exc).__name__)
                await _text(send, 503, "the database is not reachable; retry later")
                return
        if not fresh:
            reason = "sign-in link already used" if link is not None else "sign-in link invalid or expired"
            self._failed(scope, settings, reason)
            await self._page(send, scope, 401, secret, next_path=target, error=BAD_LINK)
            return
        await _redirect(send, target, [self._cookie(scope, settings, secret)])

    def _redeem(self, link: SignInLink) -> bool:
        with self.ctx.database().sessions.begin() as session:
            return redeem_link(session, link, now=self.clock())

    async def _form_post(self, scope: Scope, receive: Receive, send: Send, settings: Settings, secret: str) -> None:
        if not same_origin(scope):
            log.warning("sign-in form refused from %s: not same-origin", client_address(scope))
            await _text(send, 403, "cross-site sign-in refused")
            return
        form = await _read_form(receive)
        if form is None:
            await _text(send, 413, "sign-in form too large")
            return
        target = safe_next(form.get("next"))
        if await self._throttled(scope, send, settings, secret, target):
            return
        if not secret:
            await self._page(send, scope, 503, secret, next_path=target)
            return
        if not check_admin_token(secret, form.get("token", "").strip()):
            self._failed(scope, settings, "wrong admin token")
            await self._page(send, scope, 401, secret, next_path=target, error="That is not the admin token.")
            return
        await _redirect(send, target, [self._cookie(scope, settings, secret)])

    async def _sign_out(self, scope: Scope, send: Send) -> None:
        if not same_origin(scope):
            await _text(send, 403, "cross-site sign-out refused")
            return
        clear = (b"set-cookie", clear_cookie(secure=came_over_https(scope)).encode("latin-1"))
        await _redirect(send, f"{SIGNIN_PATH}?signed_out=1", [clear])

    # -- throttling and pages -----------------------------------------------------------------------------------

    async def _throttled(self, scope: Scope, send: Send, settings: Settings, secret: str, target: str) -> bool:
        wait_s = throttle_for(self.ctx).retry_after(
            client_address(scope), max_failures=settings.auth_max_failures, window_s=settings.auth_failure_window_s
        )
        if wait_s is None:
            return False
        error = f"Too many failed sign-in attempts from this address; try again in {wait_s} s."
        retry = [(b"retry-after", str(wait_s).encode())]
        await self._page(send, scope, 429, secret, next_path=target, error=error, headers=retry)
        return True

    def _failed(self, scope: Scope, settings: Settings, reason: str) -> None:
        throttle_for(self.ctx).record_failure(
            client_address(scope),
            reason,
            door="dashboard sign-in",
            max_failures=settings.auth_max_failures,
            window_s=settings.auth_failure_window_s,
        )

    async def _page(
        self,
        send: Send,
        scope: Scope,
        status: int,
        secret: str,
        *,
        next_path: str,
        error: str = "",
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        info = "Signed out." if scope["path"] == SIGNIN_PATH and _query_value(query, "signed_out") else ""
        if not secret:
            error = LOCKED
        body = render(action=SIGNIN_PATH, next_path=next_path, error=error, info=info, form=bool(secret))
        head = [(b"content-type", b"text/html; charset=utf-8"), NO_STORE, *(headers or [])]
        await _respond(send, status, head, body, head_only=scope.get("method") == "HEAD")


def _secret(settings: Settings) -> str:
    return configured_token(settings) or ""  # the API's reading of the token: one secret for both doors


async def _read_form(receive: Receive) -> dict[str, str] | None:
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        body += message.get("body", b"")
        if len(body) > MAX_FORM_BYTES:
            return None
        if not message.get("more_body", False):
            break
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


async def _redirect(send: Send, location: str, headers: list[tuple[bytes, bytes]]) -> None:
    await _respond(send, 303, [(b"location", location.encode("latin-1")), NO_STORE, *headers], b"")


async def _text(send: Send, status: int, text: str) -> None:
    await _respond(send, status, [(b"content-type", b"text/plain; charset=utf-8"), NO_STORE], text.encode())


async def _respond(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes, *, head_only: bool = False
) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head_only else body})
