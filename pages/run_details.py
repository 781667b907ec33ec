"""Run Details: one run's agents, reasoning, consensus, costs and outcome."""

from __future__ import annotations

import streamlit as st

from ui.checklist import current_facts, render_checklist

st.title("Arena — Run Details")
run_id = st.query_params.get("run")
facts = current_facts()
if not run_id:
    st.info("Pick a run on the Overview page to see its details.")
    if facts is None or facts.runs == 0:
        render_checklist(facts)
else:
    st.warning(f"Run {run_id!s} was not found.")
