"""Evaluation widgets: the policy replay report (arena.engine.evaluation, the same as `replay policy` and
GET /replay/policy), its cost-vs-quality frontier, and applying a scenario's settings through the audited
guardrail update (widgets/guardrails.save)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from arena.bootstrap.database import Database
from arena.engine.evaluation.policy_replay import replay_policy
from arena.engine.evaluation.scenarios import REPLAYABLE
from arena.faces.web.widgets import guardrails
from arena.faces.web.widgets.format import md_escape
from arena.kernel.errors import InvalidRequestError

DEFAULT_VALUES = {"min_confidence": "0.55,0.62,0.7"}
Y_AXES = {"hit rate": "hit_rate", "decisions changed": "decisions_changed"}


def ask_values() -> list[str]:
    """One text box per replayable setting; the non-empty ones become `key=v1,v2` items."""
    st.caption("Values to try, comma-separated (empty: the current value). Every combination is replayed.")
    columns = st.columns(len(REPLAYABLE))
    sets = []
    for column, key in zip(columns, REPLAYABLE, strict=True):
        text = column.text_input(key.replace("_", " "), value=DEFAULT_VALUES.get(key, ""), key=f"ev_{key}")
        cleaned = text.replace(" ", "")
        if cleaned:
            sets.append(f"{key}={cleaned}")
    return sets


def load_report(db: Database, window: str, sets: list[str]) -> dict[str, Any] | None:
    """The replay report, or None after saying what is wrong with the values."""
    try:
        with db.sessions() as session:
            return replay_policy(session=session, window=window, sets=sets)
    except InvalidRequestError as exc:
        st.error(md_escape(str(exc)))
        return None


def _label(settings: dict[str, Any], current: dict[str, Any]) -> str:
    changed = [f"{k}={v:g}" for k, v in settings.items() if v != current[k]]
    return ", ".join(changed) or "no change (current settings)"


def _interval(ci: Any, fmt: str) -> str:
    return f"{format(ci[0], fmt)} – {format(ci[1], fmt)}" if ci else ""


def scenarios_frame(report: dict[str, Any]) -> pd.DataFrame:
    current = report["actual"]["settings"]
    rows = [{"scenario": "actual (what happened)", **_metrics(report["actual"])}]
    rows += [{"scenario": _label(s["settings"], current), **_metrics(s)} for s in report["scenarios"]]
    return pd.DataFrame(rows)


def _metrics(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "escalations": row["escalations"],
        "power calls": row["power_calls"],
        "cost (USD)": row["cost_usd"],
        "decisions changed": row.get("decisions_changed"),
        "unknown": row.get("unknown"),
        "NO_TRADE": row["no_trade"],
        "scored": row["scored"],
        "hit rate": row["hit_rate"],
        "hit rate 90% CI": _interval(row["hit_rate_ci"], ".1%"),
        "mean return %": row["mean_return_pct"],
        "return 90% CI": _interval(row["mean_return_ci"], "+.2f"),
    }


def render_table(report: dict[str, Any]) -> None:
    st.dataframe(
        scenarios_frame(report),
        hide_index=True,
        column_config={
            "cost (USD)": st.column_config.NumberColumn(format="$%.4f"),
            "hit rate": st.column_config.NumberColumn(format="percent"),
            "mean return %": st.column_config.NumberColumn(format="%+.2f"),
        },
    )


def frontier(report: dict[str, Any], y: str) -> go.Figure:
    """Cost on x, the chosen quality (or change) measure on y; the actual outcome and current settings marked."""
    current = report["actual"]["settings"]
    rows = report["scenarios"]
    fig = go.Figure()
    fig.add_scatter(
        name="scenarios",
        mode="markers",
        x=[r["cost_usd"] for r in rows],
        y=[r[y] for r in rows],
        text=[_label(r["settings"], current) for r in rows],
        marker={"size": 10, "symbol": ["star" if r["current"] else "circle" for r in rows]},
        hovertemplate="%{text}<br>$%{x:.4f}<br>%{y}<extra></extra>",
    )
    actual = report["actual"]
    fig.add_scatter(
        name="actual",
        mode="markers",
        x=[actual["cost_usd"]],
        y=[actual.get(y, 0)],
        marker={"size": 14, "symbol": "x", "color": "#c62828"},
        hovertemplate="what happened<br>$%{x:.4f}<br>%{y}<extra></extra>",
    )
    title = "hit rate" if y == "hit_rate" else "decisions changed"
    fig.update_layout(
        title=f"Cost vs {title} (★ current settings, ✕ what happened)",
        xaxis_title="estimated LLM cost (USD, recorded prices)",
        yaxis_title=title,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h"},
    )
    return fig


def render_apply(db: Database, report: dict[str, Any], actor: str) -> None:
    """Pick a scenario and write its settings to the guardrails (validated as a whole, audited as `actor`)."""
    current = report["actual"]["settings"]
    choices = [s for s in report["scenarios"] if not s["current"]]
    if not choices:
        st.caption("Only the current settings were replayed: nothing to apply.")
        return
    labels = [_label(s["settings"], current) for s in choices]
    picked = st.selectbox("Scenario to apply", range(len(choices)), format_func=lambda i: labels[i], key="ev_pick")
    chosen = choices[picked or 0]
    changes = {k: v for k, v in chosen["settings"].items() if v != current[k]}
    if chosen["unknown"]:
        st.warning(f"{chosen['unknown']} run(s) of this scenario are unknown: its numbers are partial.")
    if st.button("Apply to guardrails", key="ev_apply"):
        guardrails.save(db, changes, actor)
