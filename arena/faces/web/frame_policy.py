"""Who may frame the dashboard and the API: `Content-Security-Policy: frame-ancestors` on every HTTP response.

AdminHub embeds Arena in an iframe at /admin/arena/ on its own origin (docs/ADMIN_ACCESS.md), so the default is
`'self'`; a different AdminHub origin is named in ARENA_FRAME_ANCESTORS. Any other site gets a refusal from the
browser instead of a framed, clickjackable dashboard.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from arena.engine.config.settings import DEFAULT_FRAME_ANCESTORS as DEFAULT_POLICY
from arena.kernel.errors import ConfigurationError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HEADER = b"content-security-policy"


class FrameAncestors:
    """ASGI middleware adding the frame-ancestors policy to every HTTP response (websockets pass untouched)."""

    def __init__(self, app: ASGIApp, policy: Callable[[], str]) -> None:
        """`policy` is read on the first request, not at import: the web process must start (and show the
        operator what is wrong) even when the settings are invalid; the default applies meanwhile."""
        self.app = app
        self._policy = policy
        self._value: bytes | None = None

    def value(self) -> bytes:
        if self._value is None:
            try:
                policy = self._policy()
            except ConfigurationError:
                return f"frame-ancestors {DEFAULT_POLICY}".encode("latin-1")  # not cached: retried next request
            self._value = f"frame-ancestors {policy}".encode("latin-1")
        return self._value

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        value = self.value()

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                message = {**message, "headers": [*headers, (HEADER, value)]}
            await send(message)

        await self.app(scope, receive, send_with_policy)
