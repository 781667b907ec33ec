"""Guardrails & schedules: trading state / kill switch (leaving HALTED asks first), today's usage of the daily
limits, escalation thresholds, the power-call cap, execution risk limits, strategies and their schedules — every
change audited (who, when, before → after)."""

from __future__ import annotations

import streamlit as st

from arena.faces.web.widgets import guardrails, strategies
from arena.faces.web.widgets.checklist import render_checklist
from arena.faces.web.widgets.context import actor, database
from arena.faces.web.widgets.flash import show_flash
from arena.faces.web.widgets.profiles import load_profiles
from arena.kernel.kinds import ProfileMode

st.title("Arena — Guardrails & schedules")
db = database()
if db is None:
    render_checklist(None)
    st.stop()

who = actor()
show_flash()
config = guardrails.load(db)
st.caption(f"Changes are validated as a whole (nothing is saved on invalid input) and audited as “{who}”.")

st.subheader("Trading state")
guardrails.render_trading_state(db, config, who)

st.subheader("Daily limits used today (UTC)")
guardrails.render_usage(db, config)

st.subheader("Escalation thresholds and powerful-call cap")
profiles = load_profiles(db)
guardrails.render_quorum_warning(config, sum(1 for p in profiles if p.enabled and p.mode == ProfileMode.CHEAP_FIRST))
guardrails.render_form(db, config, who, key="escalation_form", fields=guardrails.ESCALATION)

st.subheader("Execution risk limits")
guardrails.render_form(db, config, who, key="execution_form", fields=guardrails.EXECUTION)

st.subheader("Strategies and schedules")
items = strategies.load(db)
if items:
    strategies.render_table(items)
    strategies.render_switches(db, items, who)
else:
    st.info("No strategy yet: nothing runs on a schedule until you create and switch one on.")
strategies.render_form(db, items, [p.name for p in profiles], who)

st.subheader("Audit log")
guardrails.render_audit(db)
