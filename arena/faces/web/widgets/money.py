"""The money view: account equity, today's realised and unrealised P&L, open positions and open orders.

Computed on every read from what reconciliation stored (snapshots, orders, fills) — never a materialised copy —
so it is as fresh as the worker's last reconciliation pass (at start and every 30 s). Realised P&L is FIFO over
every fill (`engine.outcomes.metrics`, the same rule the Leaderboard's real account uses), kept for today's fills.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import streamlit as st
from sqlalchemy.orm import Session

from arena.engine.outcomes.metrics import FillEvent, fifo_realized_per_fill
from arena.faces.web.widgets import charts
from arena.faces.web.widgets.format import DASH, ago, timestamp
from arena.faces.web.widgets.runs_table import run_link
from arena.kernel.clock import utc_day_start
from arena.storage.read.account import (
    AccountSnapshotView,
    EquityPoint,
    equity_curve,
    fills_until,
    latest_snapshot,
    open_orders,
)
from arena.storage.read.orders_view import OrderRow
from arena.storage.read.run_fills import FillView

NO_SNAPSHOT = (
    "No account snapshot yet: the worker records one at start and every 30 s once broker credentials are set "
    "(or run `python -m arena reconcile`)."
)


@dataclass(frozen=True)
class Money:
    now: datetime
    latest: AccountSnapshotView | None
    day_open: AccountSnapshotView | None  # the last snapshot before today's UTC midnight
    curve: list[EquityPoint]
    open_orders: list[OrderRow]
    realised_today: float
    fills_today: int


def realised_since(fills: list[FillView], since: datetime) -> tuple[float, int]:
    """(P&L realised by fills at or after `since`, how many fills that is); lots opened earlier still count."""
    gains, _ = fifo_realized_per_fill([FillEvent(f.symbol, str(f.side), f.qty, f.price) for f in fills])
    today = [(f, g) for f, g in zip(fills, gains, strict=True) if f.filled_at >= since]
    return round(sum(g for _, g in today), 2), len(today)


def load_money(session: Session, *, days: int, now: datetime | None = None) -> Money:
    """Read in the caller's session (the Overview reads everything else in the same one)."""
    now = now or datetime.now(UTC)
    today = utc_day_start(now)
    latest = latest_snapshot(session=session)
    day_open = latest_snapshot(session=session, before=today)
    curve = equity_curve(session=session, since=now - timedelta(days=days))
    orders = open_orders(session=session)
    fills = fills_until(session=session, until=now)
    realised, count = realised_since(fills, today)
    return Money(now, latest, day_open, curve, orders, realised, count)


def _signed(value: float) -> str:
    return f"{'+' if value > 0 else '−' if value < 0 else ''}${abs(value):,.2f}"


def render_money(money: Money) -> None:
    latest = money.latest
    if latest is None:
        st.info(NO_SNAPSHOT, icon=":material/account_balance:")
        return
    st.caption(
        f"As of the last reconciliation, {timestamp(latest.taken_at)} UTC ({ago(latest.taken_at, money.now)}); "
        "the worker reconciles at start and every 30 s."
    )
    change = latest.equity - money.day_open.equity if money.day_open is not None else None
    cols = st.columns([1.3, 1, 1, 1.3, 0.9])  # room for six-figure equity and cash with cents
    cols[0].metric(
        "Account equity",
        f"${latest.equity:,.2f}",
        delta=None if change is None else _signed(change),
        help="change since the last snapshot before UTC midnight",
    )
    cols[1].metric(
        "Realised P&L today",
        _signed(money.realised_today),
        help=f"FIFO over every fill; {money.fills_today} fills today",
    )
    cols[2].metric("Unrealised P&L", _signed(latest.unrealized_pnl), help="open positions: market value − cost")
    cols[3].metric("Cash", f"${latest.cash:,.2f}", help=f"buying power ${latest.buying_power:,.2f}")
    cols[4].metric("Open positions / orders", f"{len(latest.positions)} / {len(money.open_orders)}")
    if len(money.curve) >= 2:
        st.plotly_chart(charts.equity_curve(money.curve), key="equity_chart")
    left, right = st.columns(2)
    with left:
        st.markdown("**Open positions**")
        render_positions(latest)
    with right:
        st.markdown("**Open orders**")
        render_open_orders(money.open_orders)


def render_positions(snapshot: AccountSnapshotView | None) -> None:
    if snapshot is None:
        st.info(NO_SNAPSHOT)
        return
    if not snapshot.positions:
        st.caption("No open position.")
        return
    st.dataframe(
        [
            {
                "symbol": p.symbol,
                "side": str(p.side),
                "qty": p.qty,
                "avg entry": p.avg_entry_price,
                "market value": p.market_value,
                "unrealised P&L": p.unrealized_pnl,
                "unrealised %": p.unrealized_pct,
            }
            for p in snapshot.positions
        ],
        hide_index=True,
        key="positions_table",
        column_config={
            "avg entry": st.column_config.NumberColumn(format="dollar"),
            "market value": st.column_config.NumberColumn(format="dollar"),
            "unrealised P&L": st.column_config.NumberColumn(format="dollar"),
            "unrealised %": st.column_config.NumberColumn(format="%.2f%%"),
        },
    )


def order_cells(o: OrderRow) -> dict[str, Any]:
    """One order as table cells (the Orders page and the Overview's open orders)."""
    return {
        "created (UTC)": timestamp(o.created_at),
        "symbol": o.symbol,
        "side": str(o.side),
        "qty": o.qty,
        "notional": o.notional,
        "filled": o.filled_qty,
        "avg fill price": o.filled_avg_price,
        "status": str(o.status),
        "fills": o.fills,
        "decision": str(o.run_action or DASH),
        "run": run_link(o.run_id) if o.run_id else None,
        "client order id": o.client_order_id,
        "flagged": o.flagged or "",
    }


ORDER_COLUMNS = {
    "notional": st.column_config.NumberColumn(format="dollar"),
    "avg fill price": st.column_config.NumberColumn(format="dollar"),
    "run": st.column_config.LinkColumn("run", display_text="open ↗"),
}


def render_open_orders(rows: list[OrderRow]) -> None:
    if not rows:
        st.caption("No open order.")
        return
    st.dataframe([order_cells(o) for o in rows], hide_index=True, key="open_orders_table", column_config=ORDER_COLUMNS)
