"""Run Details: one line on what the run ended with and why, then tabs — the decision, the agents and their
reasoning, consensus and guardrails, the order trail, the LLM calls and prompts — and a JSON download.

Deep link: /admin/arena/run_details?run=<run id>. A queued or running run refreshes itself until it finishes.
"""

from __future__ import annotations

import streamlit as st

from arena.faces.web.widgets import run_view
from arena.faces.web.widgets.checklist import current_facts, render_checklist
from arena.faces.web.widgets.context import database
from arena.faces.web.widgets.runs_table import run_label
from arena.kernel.lifecycles import ACTIVE_RUN_STATUSES
from arena.kernel.states import RunStatus
from arena.storage.read.dashboard import profile_version_numbers, run_progress
from arena.storage.read.execution_trail import execution_trail
from arena.storage.read.run_listing import list_runs
from arena.storage.read.run_report import run_details

LIVE_SECONDS = 2

st.title("Arena — Run Details")
db = database()
run_id = st.query_params.get("run")
if db is None:
    render_checklist(None)
    st.stop()

if not run_id:
    with db.sessions() as session:
        recent, _ = list_runs(session=session, limit=50)
    if not recent:
        st.info("No arena runs recorded yet: there is nothing to show here.")
        render_checklist(current_facts())
        st.stop()
    st.info("Pick one of the 50 newest runs, or search the whole history on the Runs page.")
    choice = st.selectbox("Run", recent, index=None, format_func=run_label, placeholder="recent runs…")
    if choice is not None:
        st.query_params["run"] = choice.run_id
        st.rerun()
    st.stop()


def render(run: str) -> RunStatus | None:
    """Draw the whole run; returns its status (None when unknown)."""
    assert db is not None
    with db.sessions() as session:
        d = run_details(session=session, run_id=run)
        if d is None:
            st.warning("Run not found: check the link (runs are never deleted).")
            st.text(f"run id: {run}")
            return None
        versions = profile_version_numbers(session=session, version_ids=[x.profile_version_id for x in d.decisions])
        trail = execution_trail(session=session, links=d.outcome_links)
    if d.status in ACTIVE_RUN_STATUSES:
        st.info(f"This run is {d.status}; the page updates itself until it finishes.")
    run_view.render_why(d)
    decision, agents, consensus, orders, calls = st.tabs(run_view.TABS)
    with decision:
        run_view.render_decision(d)
        run_view.render_facts(d)
        run_view.render_download(d)
    with agents:
        run_view.render_agents(d, versions)
        run_view.render_debate(d)
    with consensus:
        run_view.render_consensus(d)
        run_view.render_guardrails(d.consensus)
    with orders:
        run_view.render_execution(trail, d)
    with calls:
        run_view.render_calls(d)
        run_view.render_prompts(d.decisions)
    return d.status


@st.fragment(run_every=LIVE_SECONDS)
def live(run: str) -> None:
    if render(run) not in ACTIVE_RUN_STATUSES:
        st.rerun(scope="app")  # finished: redraw once without the timer


with db.sessions() as s:
    progress = run_progress(session=s, run_id=run_id)
if progress is not None and progress.status in ACTIVE_RUN_STATUSES:
    live(run_id)
else:
    render(run_id)
