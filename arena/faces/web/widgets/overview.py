"""Overview, money first: the paper account (equity, P&L, positions, open orders), then today's LLM cost, the
rates over the window, powerful calls vs cap, worker health, recent runs, the cost and decision-mix charts."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from arena.bootstrap.database import Database
from arena.engine.config.guardrails import load_config
from arena.faces.web.widgets import charts
from arena.faces.web.widgets.checklist import current_facts, render_checklist
from arena.faces.web.widgets.format import rate, usd
from arena.faces.web.widgets.money import load_money, render_money
from arena.faces.web.widgets.runs_table import render_runs_table
from arena.faces.web.widgets.worker import render_worker_banner, worker_health
from arena.storage.read.dashboard import cost_over_time, overview
from arena.storage.read.decision_mix import decision_mix
from arena.storage.read.run_listing import list_runs

RATE_WINDOW = timedelta(days=7)
RECENT_RUNS = 25


def render_overview(db: Database, *, chart_days: int) -> None:
    with db.sessions() as session:
        stats = overview(session=session, window=RATE_WINDOW)
        health = worker_health(session=session, now=stats.now)
        cap = load_config(session=session).max_power_calls_per_day
        items, _ = list_runs(session=session, limit=RECENT_RUNS)
        points = cost_over_time(session=session, since=stats.now - timedelta(days=chart_days))
        mix = decision_mix(session=session, since=stats.now - timedelta(days=chart_days))
        money = load_money(session, days=chart_days, now=stats.now)
    render_worker_banner(health)
    st.subheader("Account (paper)")
    render_money(money)
    if stats.runs_total == 0:
        st.info("No arena runs recorded yet. Start one on the Manual Run page, or enable a strategy's schedule.")
        render_checklist(current_facts())
        return

    st.subheader("LLM cost and outcomes")
    cols = st.columns(5)
    cols[0].metric("Cost today (UTC)", usd(stats.cost_today_usd), help=f"{stats.calls_today} LLM calls today")
    cols[1].metric("Runs today", stats.runs_today, help=f"{stats.in_flight} queued or running now")
    cols[2].metric("Cost per run (7 d)", usd(stats.rates.avg_cost_usd), help="mean over finished runs with a price")
    cols[3].metric("Escalation rate (7 d)", rate(stats.rates.escalation_rate), help="escalated / completed runs")
    cols[4].metric("Powerful calls today", f"{stats.power_calls_today} / {cap}", help="used vs daily cap")

    r = stats.rates
    rate_cols = st.columns(4)
    for col, label, count, hint in (
        (rate_cols[0], "Pass", r.passed, "BUY/SELL/HOLD decided and not blocked"),
        (rate_cols[1], "Blocked", r.blocked, "a guardrail or sizing stopped the order"),
        (rate_cols[2], "NO_TRADE", r.no_trade, "no confident consensus"),
        (rate_cols[3], "Failed", r.failed, "run failed or was abandoned"),
    ):
        col.metric(f"{label} rate (7 d)", rate(r.rate(count)), help=f"{count} of {r.finished} finished runs — {hint}")

    st.subheader("Recent runs")
    st.caption("Click a row to open its details. Refreshes on its own every few seconds.")
    render_runs_table(items, key="overview_runs")

    st.subheader("Cost over time")
    if points:
        st.plotly_chart(charts.cost_over_time(points), key="cost_chart")
    else:
        st.info(f"No LLM calls in the last {chart_days} days.")

    st.subheader("Decision mix")
    if mix:
        st.plotly_chart(charts.decision_mix(mix), key="decision_mix_chart")
    else:
        st.info(f"No completed run in the last {chart_days} days.")
