"""The dashboard frame: navigation between the Arena pages (served under /admin/arena/)."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="Arena", page_icon="⚖️", layout="wide")

pages = [
    st.Page("pages/overview.py", title="Overview", url_path="overview", default=True),
    st.Page("pages/run_details.py", title="Run Details", url_path="run_details"),
    st.Page("pages/leaderboard.py", title="Leaderboard", url_path="leaderboard"),
    st.Page("pages/profiles.py", title="Profiles", url_path="profiles"),
]
st.navigation(pages).run()
