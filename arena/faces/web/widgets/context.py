"""Process-wide resources for the pages: settings and the database, cached once per process."""

from __future__ import annotations

import re

import streamlit as st

from arena.bootstrap.database import Database, open_database
from arena.engine.config.settings import Settings, load_settings
from arena.kernel.errors import ArenaError

DEFAULT_ACTOR = "dashboard"
MAX_ACTOR_CHARS = 64  # the width of the audit log's actor column
_ACTOR_RE = re.compile(r"[^A-Za-z0-9_.@+\-]")


@st.cache_resource(show_spinner=False)
def _database() -> Database:
    return open_database(load_settings())


def settings() -> Settings:
    return load_settings()


def database() -> Database | None:
    """The database, or None after showing the operator why it cannot be opened."""
    try:
        return _database()
    except ArenaError as exc:
        st.error(f"Database unavailable: {exc}")
        return None


def actor() -> str:
    """Who is making a change: the proxy's X-Forwarded-User when AdminHub sets it, else "dashboard".

    Only a trusted proxy's value can reach this point: the web process's ForwardedHeaders middleware
    (arena/faces/web/proxy.py) removes the header from every connection that does not come from
    ARENA_TRUSTED_PROXIES.
    """
    try:
        raw = st.context.headers.get("X-Forwarded-User") or ""
    except Exception:  # no request context (e.g. a bare script run)
        raw = ""
    cleaned = _ACTOR_RE.sub("", raw)[:MAX_ACTOR_CHARS]
    return cleaned or DEFAULT_ACTOR
