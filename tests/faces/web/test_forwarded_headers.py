"""ForwardedHeaders: X-Forwarded-User/-For/-Proto reach the app only from ARENA_TRUSTED_PROXIES (HTTP and WebSocket),
and uvicorn's own rewriting of the peer address cannot make a client trusted."""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

import pytest

from arena.faces.web.frame_policy import Message, Scope
from arena.faces.web.proxy import CLIENT_KEY, HTTPS_KEY, ForwardedHeaders, client_address

PROXY = [ipaddress.ip_network("10.0.0.0/24")]
FORWARDED = [
    (b"x-forwarded-user", b"alice.ceo@corp.example"),
    (b"x-forwarded-for", b"198.51.100.9, 203.0.113.5"),
    (b"x-forwarded-proto", b"https"),
]


def seen_by_app(peer: str, *, kind: str = "http", uvicorn_rewrites: bool = False) -> Scope:
    seen: dict[str, Any] = {}

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        seen.update(scope)

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        return None

    middleware = ForwardedHeaders(app, lambda: PROXY, uvicorn_rewrites=uvicorn_rewrites)
    scope = {"type": kind, "scheme": "http", "client": (peer, 40000), "headers": [(b"host", b"arena"), *FORWARDED]}
    asyncio.run(middleware(scope, receive, send))
    return seen


@pytest.mark.parametrize("kind", ["http", "websocket"])
def test_an_untrusted_peer_loses_every_forwarded_header(kind: str) -> None:
    scope = seen_by_app("192.0.2.7", kind=kind)
    assert [name for name, _ in scope["headers"]] == [b"host"]
    assert scope[CLIENT_KEY] == "192.0.2.7" and client_address(scope) == "192.0.2.7"
    assert scope[HTTPS_KEY] is False


@pytest.mark.parametrize("kind", ["http", "websocket"])
def test_a_trusted_proxy_keeps_them_and_names_the_client(kind: str) -> None:
    scope = seen_by_app("10.0.0.2", kind=kind)
    assert (b"x-forwarded-user", b"alice.ceo@corp.example") in scope["headers"]
    assert scope[CLIENT_KEY] == "203.0.113.5"  # the hop the proxy itself saw, not what the client claimed before
    assert scope[HTTPS_KEY] is True


def test_when_uvicorn_may_have_rewritten_the_peer_nothing_forwarded_is_believed() -> None:
    scope = seen_by_app("10.0.0.2", uvicorn_rewrites=True)
    assert [name for name, _ in scope["headers"]] == [b"host"]
    assert scope[HTTPS_KEY] is False
