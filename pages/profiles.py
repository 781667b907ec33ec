"""Profiles: the agents the arena can run, their models, roles, budgets and versions."""

from __future__ import annotations

import streamlit as st

from ui.checklist import current_facts, render_checklist

st.title("Arena — Profiles")
facts = current_facts()
if facts is None or facts.profiles == 0:
    st.info("No agent profiles yet. Create the three starting profiles with `python -m arena profiles init`.")
    render_checklist(facts)
