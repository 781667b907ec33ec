"""Arena Overview: recent runs and health; an empty database shows the setup checklist, never samples."""

from __future__ import annotations

import streamlit as st

from ui.checklist import current_facts, render_checklist

st.title("Arena — Overview")
facts = current_facts()
if facts is None or facts.runs == 0:
    st.info("No arena runs recorded yet.")
    render_checklist(facts)
else:
    st.metric("Runs recorded", facts.runs)
    render_checklist(facts)
