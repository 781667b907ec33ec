"""Evaluation: policy replay — the window's recorded runs re-decided under other routing settings with zero LLM
calls (arena.engine.evaluation, the same as `replay policy` and GET /replay/policy), the cost-vs-quality frontier,
and applying a scenario's settings to the guardrails (audited)."""

from __future__ import annotations

import streamlit as st

from arena.faces.web.widgets import evaluation
from arena.faces.web.widgets.checklist import render_checklist
from arena.faces.web.widgets.context import actor, database
from arena.faces.web.widgets.flash import show_flash

st.title("Arena — Evaluation")
db = database()
if db is None:
    render_checklist(None)
    st.stop()

show_flash()
st.caption(
    "Policy replay re-decides every recorded run with the engine's own rules and the recorded answers: no LLM is "
    "called. A run that would need an answer never recorded is counted as unknown, never guessed (docs/EVALUATION.md)."
)
window = st.segmented_control("Window", ["7d", "30d", "90d"], default="30d", required=True, key="ev_window")
sets = evaluation.ask_values()
report = evaluation.load_report(db, window or "30d", sets)
if report is None:
    st.stop()

skipped = ", ".join(f"{n} {reason}" for reason, n in report["skipped"].items()) or "none"
st.caption(f"{report['runs_considered']} runs re-decided since {report['since'][:16]} UTC · skipped: {skipped}")
st.subheader("Scenarios")
evaluation.render_table(report)
st.subheader("Cost vs quality")
y = st.radio("Quality axis", list(evaluation.Y_AXES), horizontal=True, key="ev_y")
st.plotly_chart(evaluation.frontier(report, evaluation.Y_AXES[y or "hit rate"]))
st.subheader("Apply a scenario")
evaluation.render_apply(db, report, actor())
