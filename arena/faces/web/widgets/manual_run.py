"""Manual run widgets: the request form (queued for the worker through arena.run_service), its live progress —
one line per agent in an `st.status` box — and a cancel that ends the run cleanly (arena/engine/runs/cancel.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import streamlit as st

from arena.bootstrap.database import Database
from arena.engine.config.settings import Settings
from arena.engine.runs.cancel import CANCEL_POLL_S, CancelOutcome, request_cancel
from arena.engine.runs.service import start_run
from arena.faces.web.widgets.agent_status import render_agent_status
from arena.faces.web.widgets.format import DASH, duration_ms, md_escape, symbols, timestamp, usd
from arena.faces.web.widgets.runs_table import RUN_DETAILS_PAGE
from arena.faces.web.widgets.strategies import describe
from arena.faces.web.widgets.worker import WorkerHealth, worker_health
from arena.kernel.errors import ConfigurationError, InvalidRequestError
from arena.kernel.kinds import RunMode, Trigger
from arena.kernel.lifecycles import ACTIVE_RUN_STATUSES
from arena.kernel.states import RunStatus
from arena.storage.read.dashboard import RunProgress, run_progress
from arena.storage.read.run_live import RunLive, run_live

LIVE_SECONDS = 2
SOURCES = ("Symbols", "A strategy's universe")


def render_form(
    db: Database, settings: Settings, strategies: list[dict[str, Any]], agent_names: list[str], actor: str
) -> str | None:
    """Draw the form; on a valid submit, queue the run and return its id (an invalid one stores nothing)."""
    source = st.radio("Run over", SOURCES, horizontal=True, key="mr_source")
    strategy = None
    if source == SOURCES[1]:
        if not strategies:
            st.info("No strategy yet — create one on the Guardrails & schedules page, or enter symbols.")
            return None
        strategy = st.selectbox("Strategy", strategies, format_func=describe, key="mr_strategy")
    with st.form(f"manual_run_{strategy['name'] if strategy else ''}"):
        default_symbols = ", ".join(strategy["symbols"]) if strategy else ""
        text = st.text_input("Symbols (comma-separated)", value=default_symbols, disabled=strategy is not None)
        default_agents = [a for a in (strategy or {}).get("agents") or [] if a in agent_names]
        agents = st.multiselect("Agents (empty = every enabled profile)", agent_names, default=default_agents)
        modes = list(RunMode)
        mode = st.radio("Mode", modes, index=modes.index(strategy["mode"]) if strategy else 0, horizontal=True)
        debaters = st.multiselect(
            "Debaters (mode debate; empty = every cheap_first agent) — e.g. a bull and a bear profile",
            agent_names,
        )
        submitted = st.form_submit_button("Queue run", type="primary")
    if not submitted:
        return None
    wanted = strategy["symbols"] if strategy else [s.strip() for s in text.split(",") if s.strip()]
    if not wanted:
        st.error("Not queued: enter at least one symbol.")
        return None
    try:
        started = start_run(
            sessions=db.sessions,
            settings=settings,
            symbols=wanted,
            agents=agents or None,
            mode=mode,
            debaters=(debaters or None) if mode == RunMode.DEBATE else None,
            trigger=Trigger.MANUAL,
            enqueue=True,
            strategy_id=strategy["id"] if strategy else None,
            requested_by=actor,
        )
    except (InvalidRequestError, ConfigurationError) as exc:
        st.error(f"Not queued: {md_escape(exc)}")
        return None
    return started.run_id


def _progress(db: Database, run_id: str) -> tuple[RunProgress | None, RunLive | None, WorkerHealth]:
    with db.sessions() as session:
        return (
            run_progress(session=session, run_id=run_id),
            run_live(session=session, run_id=run_id),
            worker_health(session=session),
        )


CANCEL_SAID = {
    CancelOutcome.CANCELLED: "Cancelled: the run had not started; it is abandoned and nothing was asked.",
    CancelOutcome.REQUESTED: "Cancel requested: the worker stops the run while its agents decide.",
    CancelOutcome.TOO_LATE: "Too late to cancel: the run has already finished (or a cancel was already asked).",
    CancelOutcome.UNKNOWN: "That run id is not known.",
}


def cancel_button(db: Database, run_id: str, live: RunLive, actor: str) -> None:
    """Cancel while queued or running; once asked, say who asked and when instead."""
    if live.cancel_requested_at is not None:
        st.warning(
            f"Cancel requested by {md_escape(live.cancel_requested_by or 'an operator')} at "
            f"{timestamp(live.cancel_requested_at)} — the worker stops the run within {CANCEL_POLL_S:g} s "
            "(a run that has already decided finishes)."
        )
        return
    if st.button("Cancel run", key=f"cancel_{run_id}", icon=":material/stop_circle:"):
        outcome = request_cancel(sessions=db.sessions, run_id=run_id, actor=actor)
        st.toast(CANCEL_SAID[outcome])
        st.rerun(scope="fragment" if outcome == CancelOutcome.REQUESTED else "app")


def render_progress(db: Database, run_id: str, actor: str = "operator") -> RunStatus | None:
    """Where the run is now, agent by agent; returns its status (None when the id is unknown)."""
    p, live, health = _progress(db, run_id)
    if p is None or live is None:
        st.warning("That run id is not known.")
        return None
    now = datetime.now(UTC)
    status = p.status
    so_far = " so far" if status in ACTIVE_RUN_STATUSES else ""
    st.markdown(f"**Run `{md_escape(run_id)}`** — {md_escape(symbols(p.symbols))} · {md_escape(p.mode)}")
    st.text(
        f"status: {status} · queue: {p.queue_state or DASH} · worker: {p.claimed_by or DASH} · "
        f"LLM calls{so_far}: {p.llm_calls} ({p.failed_calls} failed) · cost{so_far}: {usd(p.cost_usd)}"
    )
    if status == RunStatus.QUEUED:
        waited = duration_ms((now - p.created_at).total_seconds() * 1000)
        if health.up:
            st.info(f"Queued {waited} ago — waiting for the worker to pick it up.")
        else:
            st.warning(
                f"Queued {waited} ago, but the worker is down ({health.summary}). "
                "The run stays queued and starts when a worker is running."
            )
    elif status == RunStatus.COMPLETED:
        st.success(f"Completed: final action {p.final_action or DASH}.")
    elif status != RunStatus.RUNNING:
        st.error(f"Run {status}: {md_escape(p.error or 'no reason recorded')}")
    if status in ACTIVE_RUN_STATUSES:
        cancel_button(db, run_id, live, actor)
    render_agent_status(live, p.created_at)
    st.page_link(
        RUN_DETAILS_PAGE, label="Open its Run Details →", query_params={"run": run_id}, icon=":material/manage_search:"
    )
    return status


@st.fragment(run_every=LIVE_SECONDS)
def live_progress(db: Database, run_id: str, actor: str = "operator") -> None:
    if render_progress(db, run_id, actor) not in ACTIVE_RUN_STATUSES:
        st.rerun(scope="app")  # finished: redraw once without the timer
