"""Who may see the dashboard: signed sign-in links (single use), and the session cookie they are exchanged for.

Sign-in links. AdminHub's server (or `python -m arena signin-link`) signs a short-lived token with
ARENA_ADMIN_TOKEN and opens the iframe at `/admin/arena/?auth=<token>`:

  v2.<expires unix>.<nonce hex>.<hex HMAC-SHA256(ARENA_ADMIN_TOKEN, "v2.<expires>.<nonce>")>   (minted here)
  v1.<expires unix>.<hex HMAC-SHA256(ARENA_ADMIN_TOKEN, "v1.<expires>")>                       (still accepted)

A link is accepted once: its SHA-256 (`SignInLink.link_id`) is recorded on first use and refused afterwards, so a
link copied from a log or a browser history is worthless. Two v1 links minted in the same second are the same
string, which is why new links carry a random nonce.

Session cookie. A valid link or the admin token typed into the sign-in form is exchanged for
`s1.<expires unix>.<hex HMAC-SHA256(session key, "s1.<expires>")>`, the session key being derived from
ARENA_ADMIN_TOKEN (rotating the token signs every browser out). The web process sets it HttpOnly; the admin token
itself never reaches the browser.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from arena.storage.repositories.signin_links import forget_expired, record_first_use

VERSION = "v2"
LEGACY_VERSION = "v1"
DEFAULT_TTL_S = 300
MAX_TTL_S = 3600
NONCE_BYTES = 16
_NONCE_RE = re.compile(r"[0-9a-f]{16,64}")
_SIG_RE = re.compile(r"[0-9a-f]{64}")

SESSION_VERSION = "s1"
MAX_SESSION_TTL_S = 86_400  # the upper bound of ARENA_SESSION_TTL_S
_SESSION_KEY_LABEL = b"arena dashboard session cookie v1"


def _hmac_hex(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def _now(now: float | None) -> float:
    return now if now is not None else time.time()


def mint_token(secret: str, *, ttl_s: int = DEFAULT_TTL_S, now: float | None = None) -> str:
    """A fresh single-use sign-in link token (what AdminHub or `signin-link` puts after `?auth=`)."""
    if not secret:
        raise ValueError("no admin token configured")
    expires = int(_now(now) + min(ttl_s, MAX_TTL_S))
    payload = f"{VERSION}.{expires}.{secrets.token_hex(NONCE_BYTES)}"
    return f"{payload}.{_hmac_hex(secret.encode(), payload)}"


@dataclass(frozen=True)
class SignInLink:
    """A link whose signature and lifetime checked out; `link_id` is what is recorded as used."""

    link_id: str
    expires: int


def parse_link(secret: str, token: str, *, now: float | None = None, max_ttl_s: int = MAX_TTL_S) -> SignInLink | None:
    """The link when it is signed with `secret`, unexpired and expires at most `max_ttl_s` ahead; else None.

    Says nothing about earlier use: `redeem_link` decides that against the database.
    """
    if not secret or not token or len(token) > 256:
        return None
    parts = token.split(".")
    if len(parts) == 4 and parts[0] == VERSION and _NONCE_RE.fullmatch(parts[2]):
        payload = ".".join(parts[:3])
    elif len(parts) == 3 and parts[0] == LEGACY_VERSION:
        payload = ".".join(parts[:2])
    else:
        return None
    if not parts[1].isdigit() or not _SIG_RE.fullmatch(parts[-1]):
        return None
    expires = int(parts[1])
    current = _now(now)
    if expires < current or expires > current + min(max_ttl_s, MAX_TTL_S):
        return None
    if not hmac.compare_digest(parts[-1], _hmac_hex(secret.encode(), payload)):
        return None
    return SignInLink(link_id=hashlib.sha256(token.encode()).hexdigest(), expires=expires)


def verify_token(secret: str, token: str, *, now: float | None = None, max_ttl_s: int = MAX_TTL_S) -> bool:
    """True for an unexpired link token signed with `secret` (constant-time); single use is not checked here."""
    return parse_link(secret, token, now=now, max_ttl_s=max_ttl_s) is not None


def redeem_link(session: Session, link: SignInLink, *, now: float | None = None) -> bool:
    """Record the link's first use; False when it was used before. Forgets links that have expired anyway."""
    current = _now(now)
    forget_expired(session=session, before=datetime.fromtimestamp(current, UTC))
    return record_first_use(
        session=session,
        link_id=link.link_id,
        used_at=datetime.fromtimestamp(current, UTC),
        expires_at=datetime.fromtimestamp(link.expires, UTC),
    )


def _session_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), _SESSION_KEY_LABEL, hashlib.sha256).digest()


def mint_session(secret: str, *, ttl_s: int, now: float | None = None) -> str:
    """The signed value of the dashboard's session cookie, valid for `ttl_s` seconds."""
    if not secret:
        raise ValueError("no admin token configured")
    expires = int(_now(now) + min(ttl_s, MAX_SESSION_TTL_S))
    payload = f"{SESSION_VERSION}.{expires}"
    return f"{payload}.{_hmac_hex(_session_key(secret), payload)}"


def session_expiry(secret: str, value: str, *, now: float | None = None) -> int | None:
    """When a session cookie value expires, or None when it is forged, malformed, expired or too long-lived."""
    if not secret or not value or len(value) > 128:
        return None
    parts = value.split(".")
    if len(parts) != 3 or parts[0] != SESSION_VERSION or not parts[1].isdigit() or not _SIG_RE.fullmatch(parts[2]):
        return None
    expires = int(parts[1])
    current = _now(now)
    if expires <= current or expires > current + MAX_SESSION_TTL_S:
        return None
    if not hmac.compare_digest(parts[2], _hmac_hex(_session_key(secret), f"{parts[0]}.{parts[1]}")):
        return None
    return expires


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
