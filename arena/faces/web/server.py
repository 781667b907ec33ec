"""The web process: the Streamlit dashboard (app.py) and the REST API (api/, under /api/admin/arena) on one port."""

from __future__ import annotations

import streamlit as st
from starlette.middleware import Middleware

from arena.engine.config.settings import cached_settings
from arena.faces.web.api import api_mount
from arena.faces.web.frame_policy import FrameAncestors
from arena.faces.web.paths import APP_SCRIPT

app = st.App(
    str(APP_SCRIPT),
    routes=[api_mount()],
    middleware=[Middleware(FrameAncestors, policy=lambda: cached_settings().frame_ancestors)],
)
