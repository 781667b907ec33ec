"""Who may see the dashboard: the admin token itself, or a short-lived token AdminHub signs with it.

AdminHub's server mints `v1.<expires unix>.<hex HMAC-SHA256(ARENA_ADMIN_TOKEN, "v1.<expires unix>")>` and opens
the iframe at `/admin/arena/?auth=<token>`; the dashboard checks it once per browser session. The admin token
never reaches the browser, and a leaked URL stops working when it expires (at most MAX_TTL_S ahead).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

VERSION = "v1"
DEFAULT_TTL_S = 300
MAX_TTL_S = 3600


def _signature(secret: str, expires: int) -> str:
    return hmac.new(secret.encode(), f"{VERSION}.{expires}".encode(), hashlib.sha256).hexdigest()


def mint_token(secret: str, *, ttl_s: int = DEFAULT_TTL_S, now: float | None = None) -> str:
    """What AdminHub (or `python -m arena serve`) puts in the iframe URL."""
    if not secret:
        raise ValueError("no admin token configured")
    expires = int((now if now is not None else time.time()) + min(ttl_s, MAX_TTL_S))
    return f"{VERSION}.{expires}.{_signature(secret, expires)}"


def verify_token(secret: str, token: str, *, now: float | None = None) -> bool:
    """True for an unexpired token signed with `secret` (constant-time signature comparison)."""
    if not secret or not token:
        return False
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != VERSION or not parts[1].isdigit():
        return False
    expires = int(parts[1])
    current = now if now is not None else time.time()
    if expires < current or expires > current + MAX_TTL_S:
        return False
    return hmac.compare_digest(parts[2], _signature(secret, expires))


def check_admin_token(secret: str, presented: str) -> bool:
    """Constant-time comparison of a presented admin token with the configured one."""
    if not secret or not presented:
        return False
    return hmac.compare_digest(presented.encode(), secret.encode())


def local_admin_token(path: Path) -> str:
    """The admin token `serve` uses when ARENA_ADMIN_TOKEN is unset: made once, kept owner-readable only."""
    if path.exists():
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    return token
