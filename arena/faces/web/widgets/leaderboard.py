"""Leaderboard widgets: draw the server-computed board (storage.read.leaderboard, shared with the REST API).

The board is a typed LeaderboardView; its entries and extras are the snapshot's JSON payload (docs/LEADERBOARD.md),
read with .get() so an older snapshot with fewer fields still draws. Nothing is computed here beyond formatting.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from arena.faces.web.widgets.charts import shadow_equity
from arena.faces.web.widgets.format import DASH, md_escape, usd
from arena.storage.read.leaderboard import LeaderboardView


def _ci(value: Any) -> str:
    if isinstance(value, list | tuple) and len(value) == 2 and None not in value:
        return f"{value[0]:.2f}–{value[1]:.2f}"
    return DASH


def _by_baseline(value: Any, baseline: str) -> Any:
    return value.get(baseline) if isinstance(value, dict) else None


def _status(e: dict[str, Any]) -> str:
    note = e.get("note")
    return f"{e.get('status')}: {note}" if note else str(e.get("status") or DASH)


def entry_rows(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One table row per entry; outcome cells stay empty (None) until the entry has scored decisions."""
    rows = []
    for e in entries:
        shadow = e.get("shadow") or {}
        excess, excess_ci, per_point = (
            e.get("excess_return_pct"),
            e.get("excess_return_ci"),
            e.get("cost_per_excess_point_usd"),
        )
        rows.append(
            {
                "rank": e.get("rank_band"),
                "entry": e.get("key"),
                "kind": e.get("kind", "agent"),
                "status": _status(e),
                "scored": e.get("n_scored", e.get("n")),
                "decisions": e.get("decisions"),
                "valid rate": e.get("valid_rate"),
                "schema failures": e.get("schema_failure_rate"),
                "hold rate": e.get("hold_rate"),
                "agrees with final": e.get("agreement_rate"),
                "LLM cost": e.get("llm_cost_usd"),
                "cost / decision": e.get("cost_per_decision_usd"),
                "latency p50 ms": e.get("latency_p50_ms"),
                "latency p95 ms": e.get("latency_p95_ms"),
                "escalations": e.get("escalations"),
                "hit rate": e.get("hit_rate"),
                "hit rate 90% CI": _ci(e.get("hit_rate_ci")),
                "mean return %": e.get("mean_return_pct"),
                "excess vs buy & hold": _by_baseline(excess, "buy_and_hold"),
                "excess vs buy & hold 90% CI": _ci(_by_baseline(excess_ci, "buy_and_hold")),
                "excess vs momentum": _by_baseline(excess, "momentum"),
                "excess vs momentum 90% CI": _ci(_by_baseline(excess_ci, "momentum")),
                "cost / excess point (buy & hold)": _by_baseline(per_point, "buy_and_hold"),
                "alpha points": e.get("cumulative_return_pct"),
                "shadow PnL": shadow.get("pnl_usd"),
                "max drawdown %": shadow.get("max_drawdown_pct"),
                "sharpe": shadow.get("sharpe"),
                "win rate": shadow.get("win_rate"),
                "cost / alpha point": e.get("cost_per_alpha_point_usd"),
                "brier": e.get("brier"),
            }
        )
    return rows


MONEY = st.column_config.NumberColumn(format="$%.4f")
RATE = st.column_config.NumberColumn(format="percent")
POINTS = st.column_config.NumberColumn(format="%.2f")


def render_entries(entries: list[dict[str, Any]]) -> None:
    st.dataframe(
        entry_rows(entries),
        hide_index=True,
        column_config={
            "valid rate": RATE,
            "schema failures": RATE,
            "hold rate": RATE,
            "agrees with final": RATE,
            "hit rate": RATE,
            "win rate": RATE,
            "mean return %": POINTS,
            "excess vs buy & hold": POINTS,
            "excess vs momentum": POINTS,
            "alpha points": POINTS,
            "shadow PnL": st.column_config.NumberColumn(format="$%.2f"),
            "max drawdown %": POINTS,
            "sharpe": POINTS,
            "brier": st.column_config.NumberColumn(format="%.3f"),
            "LLM cost": MONEY,
            "cost / decision": MONEY,
            "cost / alpha point": MONEY,
            "cost / excess point (buy & hold)": MONEY,
        },
    )


def render_equity(entries: list[dict[str, Any]]) -> None:
    fig = shadow_equity(entries)
    if fig is not None:
        st.plotly_chart(fig, key="equity_chart")


def render_extras(board: LeaderboardView) -> None:
    arena = board.extra.get("arena")
    if arena:
        st.subheader("The arena's own decisions")
        render_entries([{**arena, "key": "consensus", "status": "final decisions"}])
    value = (board.extra.get("escalation_value") or {}).get("by_trigger") or {}
    if value:
        st.subheader("Value of escalation")
        st.caption("Signed return of the powerful decision minus what the cheap round alone had chosen, per trigger.")
        st.dataframe(
            [
                {
                    "trigger": reason,
                    "runs": v.get("runs"),
                    "mean value (points)": v.get("mean_value_pct"),
                    "90% CI": _ci(v.get("value_ci")),
                }
                for reason, v in value.items()
            ],
            hide_index=True,
        )
    real = board.extra.get("real_account")
    if real and (real.get("fills") or real.get("equity_curve")):  # nothing traded in the window: no panel of zeros
        st.subheader("Real (paper) account")
        st.text(
            f"realized PnL {usd(real.get('realized_pnl_usd'), digits=2)} · unrealized "
            f"{usd(real.get('unrealized_pnl_usd'), digits=2)} · fills {real.get('fills', DASH)} · equity return "
            f"{_pct(real.get('equity_return_pct'))} · max drawdown {_pct(real.get('max_drawdown_pct'))} · "
            f"buy and hold {_pct(real.get('buy_and_hold_pct'))} · alpha {_pct(real.get('alpha_pct'))}"
        )
        with st.expander("PnL by decision and equity curve"):
            st.json({k: real.get(k) for k in ("pnl_by_decision", "equity_curve")}, expanded=False)


def _pct(value: Any) -> str:
    return DASH if value is None else f"{value:.2f}%"


def render_board(board: LeaderboardView) -> None:
    entries = board.entries
    if not board.ranked:
        st.info(f"Not enough data to rank agents: {md_escape(board.reason)}.")
    if entries:
        st.caption(
            "Cost, validity, votes and latency are live; outcome columns are as of the last scoring and stay "
            f"empty until an entry has scored decisions (ranked from {board.extra.get('min_sample', DASH)} scored). "
            "Baselines (cash, buy and hold, momentum) are free rules scored on the same snapshots; excess is the "
            "agent's return minus the baseline's on the same decisions. Entries sharing a rank band cannot be told "
            "apart yet (their hit-rate intervals overlap)."
        )
        render_entries(entries)
        render_equity(entries)
    render_extras(board)
