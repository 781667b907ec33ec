"""Plotly figures for the pages; each takes read models from a query function and returns a figure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import plotly.graph_objects as go

from arena.kernel.kinds import FinalAction
from arena.kernel.states import CallStatus
from arena.storage.read.account import EquityPoint
from arena.storage.read.dashboard import CostPoint
from arena.storage.read.decision_mix import MixPoint
from arena.storage.read.run_views import LlmCallRow

_LAYOUT: dict[str, Any] = {"margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "legend": {"orientation": "h"}}
_STATUS_COLOURS = {CallStatus.OK: "#2e7d32", CallStatus.ERROR: "#c62828", CallStatus.TIMEOUT: "#ef6c00"}
_ACTION_COLOURS = {
    FinalAction.BUY: "#2e7d32",
    FinalAction.SELL: "#c62828",
    FinalAction.HOLD: "#607d8b",
    FinalAction.NO_TRADE: "#ef6c00",
}


def plain_label(text: str) -> str:
    """Plotly renders a little HTML in labels; names from the database must stay text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cost_over_time(points: list[CostPoint]) -> go.Figure:
    """Stacked daily LLM spend per model (from `storage.read.dashboard.cost_over_time`)."""
    fig = go.Figure()
    for model in sorted({p.model for p in points}):
        rows = [p for p in points if p.model == model]
        fig.add_bar(
            name=plain_label(model),
            x=[r.day.isoformat() for r in rows],
            y=[r.cost_usd for r in rows],
            customdata=[[r.calls, r.unpriced_calls] for r in rows],
            hovertemplate="%{x}<br>$%{y:.4f}<br>%{customdata[0]} calls (%{customdata[1]} unpriced)<extra>"
            + plain_label(model)
            + "</extra>",
        )
    fig.update_layout(barmode="stack", title="LLM cost per day (USD, by model)", yaxis_tickprefix="$", **_LAYOUT)
    fig.update_xaxes(type="category")
    return fig


def latency_waterfall(calls: list[LlmCallRow], started_at: datetime | None) -> go.Figure:
    """Each LLM call as a bar from when it began to when it ended, relative to the run's start."""
    rows = []
    for c in calls:
        start_ms = (c.created_at - started_at).total_seconds() * 1000 - c.latency_ms if started_at else 0.0
        rows.append((plain_label(f"#{c.id} {c.purpose} · {c.model}"), max(start_ms, 0.0), c.latency_ms, c.status))
    fig = go.Figure(
        go.Bar(
            y=[r[0] for r in rows],
            x=[r[2] for r in rows],
            base=[r[1] for r in rows],
            orientation="h",
            marker_color=[_STATUS_COLOURS.get(r[3], "#607d8b") for r in rows],
            hovertemplate="starts %{base:.0f} ms · takes %{x:.0f} ms<extra></extra>",
        )
    )
    fig.update_layout(title="Latency waterfall (ms from run start)", xaxis_title="ms", **_LAYOUT)
    fig.update_yaxes(autorange="reversed")
    return fig


def cost_breakdown(calls: list[LlmCallRow]) -> go.Figure:
    """The run's spend by model and call purpose (unpriced calls show as 0 with their count in the hover)."""
    totals: dict[tuple[str, str], list[float]] = {}
    for c in calls:
        entry = totals.setdefault((c.model, str(c.purpose)), [0.0, 0, 0])
        entry[0] += c.cost_usd or 0.0
        entry[1] += 1
        entry[2] += c.cost_usd is None
    fig = go.Figure()
    for purpose in sorted({p for _, p in totals}):
        keys = [k for k in totals if k[1] == purpose]
        fig.add_bar(
            name=purpose,
            x=[plain_label(k[0]) for k in keys],
            y=[totals[k][0] for k in keys],
            customdata=[[totals[k][1], totals[k][2]] for k in keys],
            hovertemplate="$%{y:.6f}<br>%{customdata[0]} calls (%{customdata[1]} unpriced)<extra>"
            + purpose
            + "</extra>",
        )
    fig.update_layout(barmode="stack", title="Cost by model and purpose (USD)", yaxis_tickprefix="$", **_LAYOUT)
    return fig


def shadow_equity(entries: list[dict[str, Any]]) -> go.Figure | None:
    """Each leaderboard entry's shadow-account equity; free baselines dashed, so agents are read against them.

    None when no entry has a closed shadow trade yet (nothing to draw)."""
    curves = [(e, (e.get("shadow") or {}).get("equity_curve") or []) for e in entries]
    curves = [(e, c) for e, c in curves if c]
    if not curves:
        return None
    fig = go.Figure()
    for entry, curve in curves:
        baseline = entry.get("kind") == "baseline"
        name = plain_label(str(entry.get("key")))
        fig.add_scatter(
            x=[p.get("date") for p in curve],
            y=[p.get("equity") for p in curve],
            name=f"{name} (baseline)" if baseline else name,
            mode="lines+markers",
            line={"dash": "dash", "width": 1.5} if baseline else {"width": 2},
        )
    fig.update_layout(title="Shadow account equity (USD)", yaxis_tickprefix="$", **_LAYOUT)
    return fig


def equity_curve(points: list[EquityPoint]) -> go.Figure:
    """The paper account's equity at every reconciliation snapshot (cash in the hover: on the same axis it would
    flatten the equity line)."""
    fig = go.Figure()
    fig.add_scatter(
        x=[p.taken_at for p in points],
        y=[p.equity for p in points],
        customdata=[p.cash for p in points],
        name="equity",
        mode="lines+markers",
        line={"width": 2},
        hovertemplate="%{x}<br>equity $%{y:,.2f}<br>cash $%{customdata:,.2f}<extra></extra>",
    )
    fig.update_layout(
        title="Account equity (USD, UTC)", yaxis_tickprefix="$", yaxis_tickformat=",.0f", height=300, **_LAYOUT
    )
    return fig


def decision_mix(points: list[MixPoint]) -> go.Figure:
    """Completed runs per UTC day, stacked by final action."""
    fig = go.Figure()
    for action in FinalAction:
        rows = [p for p in points if p.action == action]
        if rows:
            fig.add_bar(
                name=str(action),
                x=[r.day.isoformat() for r in rows],
                y=[r.runs for r in rows],
                marker_color=_ACTION_COLOURS.get(action),
                hovertemplate="%{x}<br>%{y} runs<extra>" + str(action) + "</extra>",
            )
    fig.update_layout(barmode="stack", title="Decisions per day (completed runs)", **_LAYOUT)
    fig.update_xaxes(type="category")
    return fig
