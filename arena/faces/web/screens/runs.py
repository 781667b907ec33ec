"""Runs: the whole run history, searchable (status, decision, symbol, profile, escalation, dates, run id) and
paged by keyset; a row opens its Run Details. Deep link: /admin/arena/runs."""

from __future__ import annotations

import streamlit as st

from arena.faces.web.widgets.checklist import current_facts, render_checklist
from arena.faces.web.widgets.context import database
from arena.faces.web.widgets.runs_search import render_runs_search

st.title("Arena — Runs")
db = database()
if db is None:
    render_checklist(None)
    st.stop()
if not render_runs_search(db):
    render_checklist(current_facts())
