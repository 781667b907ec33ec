"""The web process: the Streamlit dashboard (app.py) and the REST API (api/, under /api/admin/arena) on one port."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from api import api_mount

app = st.App(str(Path(__file__).resolve().parent / "app.py"), routes=[api_mount()])
