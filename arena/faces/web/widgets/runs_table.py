"""The runs table: one row per run, click a row to open its Run Details (deep link per run as well)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from arena.faces.web.widgets.format import DASH, short_id, symbols, timestamp
from arena.storage.read.run_listing import RunListItem

RUN_DETAILS_PAGE = "screens/run_details.py"


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


def run_label(item: RunListItem) -> str:
    """One line per run for the run picker."""
    return (
        f"{timestamp(item.created_at)} · {symbols(item.symbols)} · "
        f"{item.final_action or item.status} · {short_id(item.run_id)}"
    )


def render_runs_table(items: list[RunListItem], *, key: str) -> None:
    """Selecting a row opens that run's details page."""
    event = st.dataframe(
        [_row(i) for i in items],
        key=key,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        column_config={
            "created": st.column_config.TextColumn("created (UTC)"),
            "escalated": st.column_config.CheckboxColumn("escalated"),
            "cost (USD)": st.column_config.NumberColumn(format="$%.5f"),
            "latency (s)": st.column_config.NumberColumn(format="%.1f"),
            "link": st.column_config.LinkColumn("deep link", display_text="open ↗"),
        },
    )
    rows = event.selection.rows if event is not None else []
    if rows:
        st.session_state.pop(key, None)  # coming back to this page must not re-open the same run
        st.switch_page(RUN_DETAILS_PAGE, query_params={"run": items[rows[0]].run_id})
