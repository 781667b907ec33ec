"""A run's agents as they answer, in one `st.status` box (arena/storage/read/run_live.py says what is known when)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import streamlit as st

from arena.faces.web.widgets.format import duration_ms, md_escape, usd
from arena.kernel.lifecycles import ACTIVE_RUN_STATUSES
from arena.kernel.states import AgentStatus, RunStatus
from arena.storage.read.run_live import (
    ANSWERED,
    CALL_FAILED,
    CALLING,
    NOT_ASKED,
    REPAIRING,
    STOPPED,
    WAITING,
    AgentLive,
    RunLive,
)

ICONS = {
    WAITING: ":gray[:material/hourglass_empty:]",
    CALLING: ":blue[:material/sync:]",
    ANSWERED: ":blue[:material/mark_chat_read:]",
    REPAIRING: ":orange[:material/build:]",
    CALL_FAILED: ":red[:material/error:]",
    STOPPED: ":gray[:material/stop_circle:]",
    NOT_ASKED: ":gray[:material/remove_circle_outline:]",
    AgentStatus.VALID: ":green[:material/check_circle:]",
    AgentStatus.REPAIRED: ":orange[:material/build_circle:]",
    AgentStatus.INVALID: ":red[:material/cancel:]",
    AgentStatus.TIMEOUT: ":red[:material/timer_off:]",
    AgentStatus.ERROR: ":red[:material/error:]",
    AgentStatus.SKIPPED: ":gray[:material/block:]",
}
STAGES = {"cheap": "cheap round", "debate": "debate round", "judge": "cheap judge", "escalation": "escalation"}


def elapsed(live: RunLive, created_at: datetime, now: datetime | None = None) -> str:
    """How long it has run (or waited, while queued); a finished run's whole time."""
    now = now or datetime.now(UTC)
    start = live.started_at or created_at
    end = live.finished_at or now
    return duration_ms(max(0.0, (end - start).total_seconds() * 1000))


def agent_line(agent: AgentLive) -> str:
    """One Markdown line: icon, name, stage, state, calls, cost, time (every value Arena's own, escaped)."""
    stage = STAGES.get(agent.stage, agent.stage)
    if agent.stage == "debate":
        stage = f"{stage} {agent.round}"
    parts = [f"{ICONS.get(agent.state, '')} **{md_escape(agent.name)}**", md_escape(stage), f"**{agent.state}**"]
    if agent.calls:
        parts.append(f"{agent.calls} call{'s' if agent.calls != 1 else ''}")
        parts.append(f"{usd(agent.cost_usd)} · {duration_ms(agent.latency_ms)}")
    return " · ".join(parts)


def _box_state(status: RunStatus) -> Literal["running", "complete", "error"]:
    if status in ACTIVE_RUN_STATUSES:
        return "running"
    return "complete" if status == RunStatus.COMPLETED else "error"


def render_agent_status(live: RunLive, created_at: datetime) -> None:
    answered = sum(a.state not in (WAITING, CALLING, STOPPED, NOT_ASKED) for a in live.agents)
    took = elapsed(live, created_at)
    if live.status == RunStatus.QUEUED:
        label = f"Waiting for the worker — queued {took} ago"
    elif live.status == RunStatus.RUNNING:
        step = "asking the agents" if live.inputs_ready else "reading the market"
        label = f"Running for {took} — {step}: {answered} of {len(live.agents)} answered"
    elif live.recorded:
        label = f"Run {live.status} after {took} — {len(live.agents)} answer(s)"
    else:
        label = f"Run {live.status} after {took} — no answer recorded"
    # not `with st.status(...)`: leaving the block would mark it complete while the run still goes on
    box = st.status(label, state=_box_state(live.status), expanded=True)
    if not live.agents:
        box.caption("No agent answers recorded.")
    for agent in live.agents:
        box.markdown(agent_line(agent))
        if agent.note:
            box.caption(md_escape(agent.note))
    if not live.recorded and live.agents and live.status in ACTIVE_RUN_STATUSES:
        box.caption("Each answer's check (valid / repaired / invalid) is recorded when the run decides.")
