"""Arena Overview, money first: the paper account, then live tiles, recent runs and charts; an empty database shows
the setup checklist, never samples."""

from __future__ import annotations

import streamlit as st

from arena.faces.web.widgets.checklist import render_checklist
from arena.faces.web.widgets.context import database
from arena.faces.web.widgets.overview import render_overview

REFRESH_SECONDS = 5

st.title("Arena — Overview")
db = database()
if db is None:
    render_checklist(None)
    st.stop()

chart_days = st.segmented_control("Chart window", [7, 30, 90], default=30, format_func=lambda d: f"{d} d")


@st.fragment(run_every=REFRESH_SECONDS)
def live() -> None:
    assert db is not None
    render_overview(db, chart_days=chart_days or 30)


live()
