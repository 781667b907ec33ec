"""The runs table: one row per run, click a row to open its Run Details (deep link per run as well).

Statuses and actions are coloured (a cell style, so the words stay plain text), columns carry labels for people,
and on the Runs page a finished run that no valid agent answer backs says so instead of passing for a judgement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from arena.faces.web.widgets.format import DASH, short_id, symbols, timestamp
from arena.kernel.kinds import FinalAction
from arena.kernel.states import ExecutionOutcome, RunStatus
from arena.storage.read.run_listing import RunListItem, RunSearchItem

RUN_DETAILS_PAGE = "screens/run_details.py"
ROW_PX = 35  # st.dataframe's row height
NO_VALID_AGENT = "no valid agent"
GREEN, RED, ORANGE, GREY, BLUE = "#1a7f37", "#cf222e", "#bc4c00", "#57606a", "#0969da"
CELL_COLOURS: dict[str, str] = {
    RunStatus.COMPLETED: GREEN,
    RunStatus.FAILED: RED,
    RunStatus.ABANDONED: GREY,
    RunStatus.RUNNING: BLUE,
    RunStatus.QUEUED: GREY,
    FinalAction.BUY: GREEN,
    FinalAction.SELL: RED,
    FinalAction.HOLD: GREY,
    FinalAction.NO_TRADE: ORANGE,
    ExecutionOutcome.BLOCKED: RED,
    ExecutionOutcome.REFUSED: RED,
    ExecutionOutcome.NOT_SIZED: ORANGE,
    ExecutionOutcome.EXECUTED: GREEN,
    NO_VALID_AGENT: RED,
}
COLOURED = ["status", "final action", "outcome", "answers"]
LABELS: dict[str, Any] = {
    "created": st.column_config.TextColumn("Created (UTC)"),
    "status": st.column_config.TextColumn("Status"),
    "final action": st.column_config.TextColumn("Decision"),
    "outcome": st.column_config.TextColumn("What became of it", help="order sent, blocked by a guardrail, …"),
    "answers": st.column_config.TextColumn("Valid answers", help="valid (or repaired) agent answers of all"),
    "trigger": st.column_config.TextColumn("Trigger"),
    "strategy": st.column_config.TextColumn("Strategy"),
    "mode": st.column_config.TextColumn("Mode"),
    "symbols": st.column_config.TextColumn("Symbols"),
    "escalated": st.column_config.CheckboxColumn("Escalated"),
    "cost (USD)": st.column_config.NumberColumn("Cost", format="$%.4f"),
    "latency (s)": st.column_config.NumberColumn("Latency (s)", format="%.1f"),
    "link": st.column_config.LinkColumn("Deep link", display_text="open ↗"),
}


def run_link(run_id: str) -> str:
    """Relative deep link, valid under any baseUrlPath (e.g. /admin/arena/run_details?run=<id>)."""
    return f"run_details?run={run_id}"


def _row(item: RunListItem) -> dict[str, Any]:
    return {
        "created": timestamp(item.created_at),
        "status": str(item.status),
        "trigger": str(item.trigger),
        "strategy": item.strategy or DASH,
        "mode": str(item.mode),
        "symbols": ", ".join(item.symbols or []),
        "final action": str(item.final_action or DASH),
        "escalated": bool(item.escalated),
        "cost (USD)": item.cost_usd,
        "latency (s)": item.latency_ms / 1000 if item.latency_ms is not None else None,
        "link": run_link(item.run_id),
    }


def _search_row(found: RunSearchItem) -> dict[str, Any]:
    row = _row(found.run)
    answers = NO_VALID_AGENT if found.no_valid_agent else f"{found.valid_agents} of {found.agents}"
    if found.agents == 0 and not found.no_valid_agent:
        answers = DASH  # queued, running, or failed before any agent answered
    first = {k: row.pop(k) for k in ("created", "status", "final action")}
    return first | {"outcome": str(found.outcome or DASH), "answers": answers} | row


def run_label(item: RunListItem) -> str:
    """One line per run for the run picker."""
    return (
        f"{timestamp(item.created_at)} · {symbols(item.symbols)} · "
        f"{item.final_action or item.status} · {short_id(item.run_id)}"
    )


def _colour(value: Any) -> str:
    colour = CELL_COLOURS.get(str(value))
    return f"color: {colour}; font-weight: 600" if colour else ""


def render_runs_table(items: Sequence[RunListItem | RunSearchItem], *, key: str) -> None:
    """Selecting a row opens that run's details page."""
    rows = [_search_row(i) if isinstance(i, RunSearchItem) else _row(i) for i in items]
    frame = pd.DataFrame(rows)
    coloured = [c for c in COLOURED if c in frame.columns]
    event = st.dataframe(
        frame.style.map(_colour, subset=coloured) if coloured else frame,
        key=key,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        column_config=LABELS,
        height=ROW_PX * (len(rows) + 1) + 3,  # every row in view: no small box scrolling inside the page
    )
    chosen = event.selection.rows if event is not None else []
    if chosen:
        item = items[chosen[0]]
        st.session_state.pop(key, None)  # coming back to this page must not re-open the same run
        run_id = item.run.run_id if isinstance(item, RunSearchItem) else item.run_id
        st.switch_page(RUN_DETAILS_PAGE, query_params={"run": run_id})
