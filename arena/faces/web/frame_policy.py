"""Who may frame the dashboard and the API: `Content-Security-Policy: frame-ancestors` on every HTTP response.

AdminHub embeds Arena in an iframe at /admin/arena/ on its own origin (docs/ADMIN_ACCESS.md), so the default is
`'self'`; a different AdminHub origin is named in ARENA_FRAME_ANCESTORS. Any other site gets a refusal from the
browser instead of a framed, clickjackable dashboard.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HEADER = b"content-security-policy"


class FrameAncestors:
    """ASGI middleware adding the frame-ancestors policy to every HTTP response (websockets pass untouched)."""

    def __init__(self, app: ASGIApp, policy: str) -> None:
        self.app = app
        self.value = f"frame-ancestors {policy}".encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                message = {**message, "headers": [*headers, (HEADER, self.value)]}
            await send(message)

        await self.app(scope, receive, send_with_policy)
