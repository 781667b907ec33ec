"""The web process: the Streamlit dashboard (app.py) served as an ASGI app, so REST routes can live beside it."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

app = st.App(str(Path(__file__).resolve().parent / "app.py"))
