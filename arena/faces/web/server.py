"""The web process: the Streamlit dashboard (app.py) and the REST API (api/, under /api/admin/arena) on one port."""

from __future__ import annotations

import streamlit as st

from arena.faces.web.api import api_mount
from arena.faces.web.paths import APP_SCRIPT

app = st.App(str(APP_SCRIPT), routes=[api_mount()])
