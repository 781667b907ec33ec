"""Leaderboard: every agent from its first run (cost, validity, votes, latency), ranked by outcome once scored, beside
the free baselines; computed server-side (storage.read.leaderboard, the same function as GET
/api/admin/arena/leaderboard). Says so honestly when there is not enough data."""

from __future__ import annotations

import streamlit as st

from arena.engine.outcomes.leaderboard import live_board
from arena.faces.web.widgets.checklist import current_facts, render_checklist
from arena.faces.web.widgets.context import database, settings
from arena.faces.web.widgets.format import MINUTE, timestamp
from arena.faces.web.widgets.leaderboard import render_board
from arena.faces.web.widgets.strategies import load as load_strategies
from arena.kernel.kinds import LeaderboardGroup, LeaderboardWindow

DEFAULT_WINDOW = LeaderboardWindow.MONTH

st.title("Arena — Leaderboard")
db = database()
if db is None:
    render_checklist(None)
    st.stop()

strategies = load_strategies(db)
a, b, c, d = st.columns(4)
windows = [w.value for w in LeaderboardWindow]
window = a.segmented_control("Window", windows, default=DEFAULT_WINDOW.value, required=True, key="lb_window")
group_by = b.selectbox("Rank", [g.value for g in LeaderboardGroup], format_func=lambda g: f"by {g}", key="lb_group")
market = c.selectbox("Market", sorted({s["market"] for s in strategies}), index=None, placeholder="all markets")
strategy = d.selectbox("Strategy", [s["name"] for s in strategies], index=None, placeholder="all strategies")

with db.sessions() as session:
    board = live_board(
        session=session,
        window=LeaderboardWindow(window or DEFAULT_WINDOW),
        group_by=LeaderboardGroup(group_by or LeaderboardGroup.PROFILE),
        strategy=strategy,
        market=market,
        min_sample=settings().leaderboard_min_sample,
    )

n = board.counts
st.caption(
    f"{n.runs_in_window} runs, {n.decisions_in_window} decisions, {n.scored_outcomes} scored outcomes · "
    f"window from {timestamp(board.since, fmt=MINUTE)} UTC · computed {timestamp(board.computed_at)} UTC"
)
render_board(board)
facts = current_facts()
if facts is None or facts.runs == 0:
    render_checklist(facts)
