"""Manual run: pick symbols or a strategy's universe, agents and mode → queued for the worker → live progress, agent
by agent, with a cancel → a link to its Run Details. Deep link to a run's progress: /admin/arena/manual_run?run=<run id>."""

from __future__ import annotations

import streamlit as st

from arena.faces.web.widgets import manual_run, strategies
from arena.faces.web.widgets.checklist import current_facts, render_checklist
from arena.faces.web.widgets.context import actor, database, settings
from arena.faces.web.widgets.profiles import load_profiles
from arena.faces.web.widgets.worker import render_worker_banner, worker_health
from arena.kernel.lifecycles import ACTIVE_RUN_STATUSES
from arena.storage.read.dashboard import run_progress

st.title("Arena — Manual run")
db = database()
if db is None:
    render_checklist(None)
    st.stop()

with db.sessions() as session:
    health = worker_health(session=session)
render_worker_banner(health)

profiles = load_profiles(db)
enabled = [p.name for p in profiles if p.enabled]
if not enabled:
    st.info("No enabled agent profile: create or enable one on the Profiles page before running the arena.")
    render_checklist(current_facts())
else:
    st.caption("The run is queued for the worker; this page follows it until it finishes.")
    queued = manual_run.render_form(db, settings(), strategies.load(db), enabled, actor())
    if queued is not None:
        st.query_params["run"] = queued
        st.rerun()

run_id = st.query_params.get("run")
if run_id:
    st.subheader("Progress")
    with db.sessions() as session:
        progress = run_progress(session=session, run_id=run_id)
    if progress is not None and progress.status in ACTIVE_RUN_STATUSES:
        manual_run.live_progress(db, run_id, actor())
    else:
        manual_run.render_progress(db, run_id, actor())
