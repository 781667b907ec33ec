"""Leaderboard: agents ranked by outcome metrics and cost efficiency, computed server-side (storage.leaderboard_read,
the same function as GET /api/admin/arena/leaderboard). Says so honestly when there is not enough data."""

from __future__ import annotations

import streamlit as st

from storage.leaderboard_read import GROUP_BY, WINDOWS, read_leaderboard
from ui.checklist import current_facts, render_checklist
from ui.context import database
from ui.format import md_escape
from ui.frame import ensure_frame
from ui.strategies import load as load_strategies

ensure_frame()
st.title("Arena — Leaderboard")
db = database()
if db is None:
    render_checklist(None)
    st.stop()

strategies = load_strategies(db)
a, b, c, d = st.columns(4)
window = a.segmented_control("Window", list(WINDOWS), default="30d", required=True, key="lb_window") or "30d"
group_by = b.selectbox("Rank", GROUP_BY, format_func=lambda g: f"by {g}", key="lb_group")
market = c.selectbox("Market", sorted({s["market"] for s in strategies}), index=None, placeholder="all markets")
strategy = d.selectbox("Strategy", [s["name"] for s in strategies], index=None, placeholder="all strategies")

with db.sessions() as session:
    board = read_leaderboard(session=session, window=window, group_by=group_by, strategy=strategy, market=market)

st.caption(
    f"{board['runs_in_window']} runs, {board['decisions_in_window']} decisions and {board['scored_outcomes']} "
    f"scored outcomes since {board['since'][:16].replace('T', ' ')} UTC (computed {board['computed_at'][:19]} UTC)."
)
entries = board.get("entries") or []
if board.get("status") == "not_enough_data" or not entries:
    st.info(f"Not enough data to rank agents: {md_escape(board.get('reason') or 'no scored outcomes yet')}.")
    facts = current_facts()
    if facts is None or facts.runs == 0:
        render_checklist(facts)
else:
    st.dataframe(entries, hide_index=True)
