"""Forwarded headers are believed only from the proxies named in ARENA_TRUSTED_PROXIES (none by default).

Why at the edge: the dashboard audits changes under `X-Forwarded-User` (widgets/context.py `actor()`), and the
throttle counts failures per client address. A browser can send any header it likes, so this ASGI middleware
removes X-Forwarded-User / -For / -Proto (and their relatives) from every HTTP and WebSocket scope whose
connecting peer is not a trusted proxy, and records what it concluded in the scope:

  scope["arena.client"]  the client address: the peer, or (behind a trusted proxy) the last X-Forwarded-For hop
                         that is not itself a trusted proxy
  scope["arena.https"]   True when the browser used https: directly, or per a trusted proxy's X-Forwarded-Proto

uvicorn rewrites the peer address from X-Forwarded-For by itself for the addresses in FORWARDED_ALLOW_IPS
(default 127.0.0.1), before any application code runs; `python -m arena serve` turns that off
(FORWARDED_ALLOW_IPS=""). Should it be on anyway, the real peer is unknowable for requests that carry
X-Forwarded-For, so those are treated as untrusted (fail closed) and a warning says why.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Callable, Sequence
from typing import Any

from arena.faces.web.frame_policy import ASGIApp, Receive, Scope, Send

log = logging.getLogger("arena.web.proxy")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

CLIENT_KEY = "arena.client"
HTTPS_KEY = "arena.https"
UVICORN_TRUSTS_ENV = "FORWARDED_ALLOW_IPS"
UVICORN_DEFAULT_TRUST = "127.0.0.1,::1"
# Only a trusted proxy may say who the user is, where the request came from, or how it arrived.
FORWARDED = frozenset(
    {b"x-forwarded-user", b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host", b"x-real-ip", b"forwarded"}
)


def uvicorn_rewrites_peers(environ: dict[str, str] | None = None) -> bool:
    """Whether uvicorn's own proxy-header handling may have replaced the peer address (see the module doc)."""
    env = os.environ if environ is None else environ
    return env.get(UVICORN_TRUSTS_ENV, UVICORN_DEFAULT_TRUST).strip() != ""


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def is_trusted(host: str | None, networks: Sequence[Network]) -> bool:
    address = _address(host) if host else None
    return address is not None and any(address in network for network in networks)


def forwarded_client(values: Sequence[str], networks: Sequence[Network]) -> str | None:
    """The X-Forwarded-For hop nearest to us that is not a trusted proxy (earlier hops are the client's say)."""
    hops = [hop.strip() for value in values for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return None  # garbage where an address should be: do not guess
        if not any(address in network for network in networks):
            return str(address)
    return str(_address(hops[0])) if hops else None


def header_values(scope: Scope, name: bytes) -> list[str]:
    return [value.decode("latin-1") for key, value in scope.get("headers", []) if key.lower() == name]


class ForwardedHeaders:
    """ASGI middleware: strip forwarded headers from untrusted peers; record client address and https."""

    def __init__(
        self, app: ASGIApp, networks: Callable[[], Sequence[Network]], *, uvicorn_rewrites: bool | None = None
    ) -> None:
        """`networks` is read on each request (settings load lazily; a bad value means no proxy is trusted)."""
        self.app = app
        self._networks = networks
        self._uvicorn_rewrites = uvicorn_rewrites_peers() if uvicorn_rewrites is None else uvicorn_rewrites
        self._warned = False

    def networks(self) -> Sequence[Network]:
        try:
            return self._networks()
        except Exception:  # invalid settings: the web process still starts, and trusts no proxy
            return ()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        await self.app(self.judge(scope), receive, send)

    def judge(self, scope: Scope) -> Scope:
        client = scope.get("client")
        peer: str | None = str(client[0]) if client else None
        networks = self.networks()
        forwarded_for = header_values(scope, b"x-forwarded-for")
        direct_https = scope.get("scheme") in ("https", "wss")
        trusted = is_trusted(peer, networks)
        if trusted and forwarded_for and self._uvicorn_rewrites:
            trusted = False
            if not self._warned:
                self._warned = True
                log.warning(
                    "forwarded headers ignored: uvicorn rewrites client addresses itself (%s is not empty), so "
                    "the connecting proxy is unknown; start the web process with `python -m arena serve` or set "
                    "%s=''",
                    UVICORN_TRUSTS_ENV,
                    UVICORN_TRUSTS_ENV,
                )
        extra: dict[str, Any]
        if trusted:
            proto = header_values(scope, b"x-forwarded-proto")
            extra = {
                CLIENT_KEY: (forwarded_client(forwarded_for, networks) if forwarded_for else None) or peer,
                HTTPS_KEY: direct_https or (bool(proto) and proto[-1].split(",")[0].strip().lower() == "https"),
            }
            return {**scope, **extra}
        headers = [(key, value) for key, value in scope.get("headers", []) if key.lower() not in FORWARDED]
        return {**scope, "headers": headers, CLIENT_KEY: peer, HTTPS_KEY: direct_https}


def client_address(scope: Scope) -> str:
    """The client address ForwardedHeaders concluded, else the peer (API served without it, e.g. in tests)."""
    value = scope.get(CLIENT_KEY)
    if value:
        return str(value)
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def came_over_https(scope: Scope) -> bool:
    value = scope.get(HTTPS_KEY)
    return bool(value) if value is not None else scope.get("scheme") in ("https", "wss")
