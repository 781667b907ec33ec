"""The web process: the Streamlit dashboard (app.py) and the REST API (api/, under /api/admin/arena) on one port.

Middleware, outermost first: ForwardedHeaders (believe X-Forwarded-* only from ARENA_TRUSTED_PROXIES),
FrameAncestors (who may frame us), EmbedMarker (a framed or `?embed=1` page load: embed_mode.py), SignInGate (the
dashboard's session cookie, sign-in links and form). The API and the sign-in share one context, hence one database
handle and one failed-authentication throttle.
"""

from __future__ import annotations

import logging

import streamlit as st
from starlette.middleware import Middleware

from arena.engine.config.settings import cached_settings
from arena.faces.web.api import ApiContext, api_mount
from arena.faces.web.embed_mode import EmbedMarker
from arena.faces.web.frame_policy import FrameAncestors
from arena.faces.web.paths import APP_SCRIPT
from arena.faces.web.proxy import ForwardedHeaders
from arena.faces.web.signin_gate import SignInGate

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _log_to_stderr() -> None:
    """Arena's own log lines (failed sign-ins, refused forwarded headers, API errors) with level and logger name;
    Streamlit configures only its own loggers."""
    arena_log = logging.getLogger("arena")
    if not arena_log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        arena_log.addHandler(handler)
        arena_log.setLevel(logging.INFO)
        arena_log.propagate = False


_log_to_stderr()
context = ApiContext()

app = st.App(
    str(APP_SCRIPT),
    routes=[api_mount(context)],
    middleware=[
        Middleware(ForwardedHeaders, networks=lambda: cached_settings().trusted_proxy_networks()),
        Middleware(FrameAncestors, policy=lambda: cached_settings().frame_ancestors),
        Middleware(EmbedMarker),
        Middleware(SignInGate, ctx=context),
    ],
)
