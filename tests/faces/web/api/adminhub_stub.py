"""A stand-in AdminHub on loopback: its shell page for /admin*, a login that sets its session cookie, and the
session check nginx's auth_request asks before letting anyone into /admin/arena/."""

from __future__ import annotations

import secrets
import threading
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from arena.engine.access import mint_token

HOST_PAGE = Path(__file__).resolve().parents[3] / "support" / "adminhub_host.html"
COOKIE = "adminhub_session"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: AdminHubStub


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        owner = self.server.owner
        path = self.path.split("?", 1)[0]
        owner.paths.append(path)
        if path == "/api/session":  # nginx auth_request sub-request
            cookie = SimpleCookie(self.headers.get("Cookie", ""))
            ok = COOKIE in cookie and secrets.compare_digest(cookie[COOKIE].value, owner.session)
            owner.session_checks.append((self.headers.get("X-Original-URI", ""), ok))
            # like AdminHub: a signed-in admin's login rides back in X-AdminHub-User (nginx forwards it to Arena)
            self._send(204 if ok else 401, b"", {"X-AdminHub-User": owner.user} if ok else None)
        elif path == "/admin/login":
            self._send(
                302,
                b"",
                {"Location": "/admin", "Set-Cookie": f"{COOKIE}={owner.session}; Path=/; HttpOnly; SameSite=Lax"},
            )
        elif path == "/admin" or path.startswith("/admin/"):
            # like AdminHub's server: every page carries a freshly signed, short-lived Arena sign-in link
            page = HOST_PAGE.read_text().replace("__ARENA_AUTH__", mint_token(owner.arena_token))
            self._send(200, page.encode(), {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"})
        else:
            self._send(404, b"not found")

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class AdminHubStub:
    def __init__(self, *, arena_token: str) -> None:
        self.arena_token = arena_token  # ARENA_ADMIN_TOKEN, known to AdminHub's server only
        self.session = secrets.token_urlsafe(16)
        self.user = "ops.lead@adminhub.example"  # the AdminHub admin the session belongs to
        self.paths: list[str] = []
        self.session_checks: list[tuple[str, bool]] = []
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def __enter__(self) -> AdminHubStub:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
