"""Arena Overview: live tiles and recent runs; an empty database shows the setup checklist, never samples."""

from __future__ import annotations

import streamlit as st

from ui.checklist import render_checklist
from ui.context import database
from ui.frame import ensure_frame
from ui.overview import render_overview

REFRESH_SECONDS = 5

ensure_frame()
st.title("Arena — Overview")
db = database()
if db is None:
    render_checklist(None)
    st.stop()

chart_days = st.segmented_control("Cost chart window", [7, 30, 90], default=30, format_func=lambda d: f"{d} d")


@st.fragment(run_every=REFRESH_SECONDS)
def live() -> None:
    assert db is not None
    render_overview(db, chart_days=chart_days or 30)


live()
