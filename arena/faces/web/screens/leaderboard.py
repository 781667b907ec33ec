"""Leaderboard: agents ranked by outcome metrics and cost efficiency, computed server-side (storage.leaderboard_read,
the same function as GET /api/admin/arena/leaderboard). Says so honestly when there is not enough data."""

from __future__ import annotations

import streamlit as st

from arena.faces.web.widgets.checklist import current_facts, render_checklist
from arena.faces.web.widgets.context import database
from arena.faces.web.widgets.leaderboard import render_board
from arena.faces.web.widgets.strategies import load as load_strategies
from arena.storage.read.leaderboard import GROUP_BY, WINDOWS, read_leaderboard

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

counts = [
    f"{board[k]} {label}"
    for k, label in (
        ("runs_in_window", "runs"),
        ("decisions_in_window", "decisions"),
        ("scored_outcomes", "scored outcomes"),
    )
    if k in board
]
st.caption(
    (", ".join(counts) + " · " if counts else "")
    + f"window from {str(board.get('since', ''))[:16].replace('T', ' ')} UTC · computed {str(board.get('computed_at', ''))[:19]} UTC"
)
render_board(board)
facts = current_facts()
if facts is None or facts.runs == 0:
    render_checklist(facts)
