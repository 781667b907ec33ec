"""The dashboard frame: navigation between the Arena pages (served under /admin/arena/, one deep link per page)."""

from __future__ import annotations

import streamlit as st

from arena.faces.web.widgets.access import sign_in_page, sign_out_link, signed_in
from arena.faces.web.widgets.embed import compact_padding, embedded
from arena.faces.web.widgets.trading_banner import render_trading_banner

st.set_page_config(page_title="Arena", page_icon="⚖️", layout="wide")

pages = [
    st.Page("screens/overview.py", title="Overview", icon=":material/monitoring:", url_path="overview", default=True),
    st.Page("screens/orders.py", title="Orders & positions", icon=":material/receipt_long:", url_path="orders"),
    st.Page("screens/runs.py", title="Runs", icon=":material/list_alt:", url_path="runs"),
    st.Page("screens/run_details.py", title="Run Details", icon=":material/manage_search:", url_path="run_details"),
    st.Page("screens/manual_run.py", title="Manual Run", icon=":material/play_circle:", url_path="manual_run"),
    st.Page("screens/leaderboard.py", title="Leaderboard", icon=":material/leaderboard:", url_path="leaderboard"),
    st.Page("screens/evaluation.py", title="Evaluation", icon=":material/query_stats:", url_path="evaluation"),
    st.Page("screens/profiles.py", title="Profiles", icon=":material/smart_toy:", url_path="profiles"),
    st.Page("screens/guardrails.py", title="Guardrails & schedules", icon=":material/shield:", url_path="guardrails"),
]
allowed = signed_in()
embed = embedded()  # inside AdminHub (or ?embed=1): its sidebar is the only one; Arena's pages go on top
navigation = st.navigation(pages, position=("top" if embed else "sidebar") if allowed else "hidden")
if not allowed:
    sign_in_page()  # stops here: nothing below the sign-in renders without authentication
if embed:
    compact_padding()  # AdminHub's session signs out, not Arena's sidebar link
else:
    sign_out_link()
render_trading_banner()  # above every page while trading is not ACTIVE
navigation.run()
