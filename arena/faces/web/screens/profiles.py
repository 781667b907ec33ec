"""Profiles: the agents the arena can run — create, edit (new version), enable/disable, budgets, presets, history."""

from __future__ import annotations

import streamlit as st

from arena.faces.web.widgets import profiles as ui_profiles
from arena.faces.web.widgets import prompts as ui_prompts
from arena.faces.web.widgets.checklist import current_facts, render_checklist
from arena.faces.web.widgets.context import actor, database, settings
from arena.faces.web.widgets.flash import show_flash

st.title("Arena — Profiles")
db = database()
if db is None:
    render_checklist(None)
    st.stop()

who = actor()
show_flash()
profiles = ui_profiles.load_profiles(db)
if not profiles:
    st.info("No agent profiles yet. Create one below, or the three starting ones with `python -m arena profiles init`.")
    render_checklist(current_facts())
else:
    st.subheader("Agents")
    ui_profiles.render_table(db, profiles)
    ui_profiles.render_toggles(db, profiles, who)

st.subheader("Create or edit a profile")
st.caption(f"Every save writes a new immutable version and an audit entry (as “{who}”). Invalid input saves nothing.")
prompts = ui_prompts.load_prompts(db)
ui_profiles.render_form(db, settings(), profiles, who, ui_prompts.template_choices(prompts))

if profiles:
    st.subheader("Version history")
    name = st.selectbox("Profile", [p.name for p in profiles], key="history_profile")
    if name:
        ui_profiles.render_history(db, name)

st.subheader("Prompt templates")
st.caption(
    "Every edit saves a new version (the old ones stay); a profile points at one version, and every decision records "
    "the template and version it was asked with. Labels (production, candidate) mark versions."
)
ui_prompts.render_prompts(db, prompts, who)
