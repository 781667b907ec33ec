"""Leaderboard: agents ranked by outcome metrics and cost efficiency (computed server-side)."""

from __future__ import annotations

import streamlit as st

from ui.checklist import current_facts, render_checklist

st.title("Arena — Leaderboard")
facts = current_facts()
st.info("Not enough data yet: the leaderboard ranks agents once scored decisions exist.")
if facts is None or facts.runs == 0:
    render_checklist(facts)
