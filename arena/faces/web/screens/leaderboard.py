"""Leaderboard: every agent from its first run (cost, validity, votes, latency), ranked by outcome once scored, beside
the free baselines; computed server-side (storage.read.leaderboard, the same function as GET
/api/admin/arena/leaderboard). Says so honestly when there is not enough data."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from arena.engine.outcomes.real_account import real_account
from arena.faces.web.widgets.checklist import current_facts, render_checklist
from arena.faces.web.widgets.context import database, settings
from arena.faces.web.widgets.format import MINUTE, timestamp
from arena.faces.web.widgets.leaderboard import render_board
from arena.faces.web.widgets.strategies import load as load_strategies
from arena.kernel.clock import utcnow
from arena.kernel.kinds import LeaderboardGroup, LeaderboardWindow
from arena.storage.read.leaderboard import read_leaderboard

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
    board = read_leaderboard(
        session=session,
        window=LeaderboardWindow(window or DEFAULT_WINDOW),
        group_by=LeaderboardGroup(group_by or LeaderboardGroup.PROFILE),
        strategy=strategy,
        market=market,
        min_sample=settings().leaderboard_min_sample,
    )
    # the paper account is read live (fills land every 30 s), not from the worker's 15-minute snapshot
    now = utcnow()
    chosen = LeaderboardWindow(window or DEFAULT_WINDOW)
    live = real_account(session=session, since=now - timedelta(days=chosen.days), until=now)
    board.extra.pop("real_account", None)  # the snapshot's copy is up to 15 minutes old
    if live.get("fills") or live.get("equity_curve"):  # nothing traded in the window: no panel of zeros
        board.extra["real_account"] = live

n = board.counts
st.caption(
    f"{n.runs_in_window} runs, {n.decisions_in_window} decisions, {n.scored_outcomes} scored outcomes · "
    f"window from {timestamp(board.since, fmt=MINUTE)} UTC · computed {timestamp(board.computed_at)} UTC"
)
render_board(board)
facts = current_facts()
if facts is None or facts.runs == 0:
    render_checklist(facts)
