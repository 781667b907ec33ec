"""Orders & positions widgets: the filters, every order with its decision, run, status and fills, the fills
themselves, and CSV downloads of exactly what is listed."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import streamlit as st

from arena.bootstrap.database import Database
from arena.faces.web.widgets.format import timestamp
from arena.faces.web.widgets.money import ORDER_COLUMNS, order_cells, render_positions
from arena.kernel.kinds import Side
from arena.kernel.states import OrderStatus
from arena.storage.read.account import latest_snapshot
from arena.storage.read.orders_view import DEFAULT_LIMIT, OrderFilters, fills_of, list_orders, order_symbols
from arena.storage.read.run_fills import FillView

ALL = "all"


def render_filters(db: Database) -> OrderFilters:
    """Status, symbol, side and creation dates (UTC); empty means no filter."""
    with db.sessions() as session:
        known = order_symbols(session=session)
    cols = st.columns([3, 2, 2, 2, 2])
    statuses = cols[0].multiselect("Status", list(OrderStatus), key="orders_status", placeholder="any status")
    symbol = cols[1].selectbox("Symbol", [ALL, *known], key="orders_symbol")
    side = cols[2].selectbox("Side", [ALL, *Side], key="orders_side")
    start: date | None = cols[3].date_input("From (UTC)", value=None, key="orders_from")
    end: date | None = cols[4].date_input("To (UTC, inclusive)", value=None, key="orders_to")
    return OrderFilters(
        statuses=tuple(OrderStatus(s) for s in statuses),
        symbol=None if symbol == ALL else symbol,
        side=None if side == ALL else Side(side),
        since=datetime.combine(start, time(), UTC) if start else None,
        until=datetime.combine(end, time(), UTC) + timedelta(days=1) if end else None,
    )


def render_positions_section(db: Database) -> None:
    with db.sessions() as session:
        snapshot = latest_snapshot(session=session)
    if snapshot is not None:
        st.caption(
            f"From the last reconciliation snapshot, {timestamp(snapshot.taken_at)} UTC — equity "
            f"${snapshot.equity:,.2f}, cash ${snapshot.cash:,.2f}."
        )
    render_positions(snapshot)


def _fill_cells(f: FillView) -> dict[str, Any]:
    return {
        "filled (UTC)": timestamp(f.filled_at),
        "symbol": f.symbol,
        "side": str(f.side),
        "qty": f.qty,
        "price": f.price,
        "value": f.qty * f.price,
        "client order id": f.client_order_id,
        "broker fill id": f.broker_fill_id,
    }


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    """Rows as CSV text, header from the first row (empty text for no rows)."""
    if not rows:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def render_orders(db: Database, filters: OrderFilters) -> None:
    with db.sessions() as session:
        orders = list_orders(session=session, filters=filters)
        fills = fills_of(session=session, client_order_ids=[o.client_order_id for o in orders])
    if not orders:
        st.info("No order matches these filters." if filters != OrderFilters() else "No order has been sent yet.")
        return
    more = " (the newest; narrow the filters to see older ones)" if len(orders) >= DEFAULT_LIMIT else ""
    st.caption(f"{len(orders)} orders, newest first{more}. Open a row's run for the decision behind it.")
    rows = [order_cells(o) for o in orders]
    st.dataframe(rows, hide_index=True, key="orders_table", column_config=ORDER_COLUMNS)
    st.download_button(
        "Download orders (CSV)", to_csv(rows), file_name="arena-orders.csv", mime="text/csv", icon=":material/download:"
    )
    st.markdown("**Fills of these orders**")
    if not fills:
        st.caption("No fill recorded for these orders.")
        return
    fill_rows = [_fill_cells(f) for f in fills]
    st.dataframe(
        fill_rows,
        hide_index=True,
        key="fills_table",
        column_config={
            "price": st.column_config.NumberColumn(format="dollar"),
            "value": st.column_config.NumberColumn(format="dollar"),
        },
    )
    st.download_button(
        "Download fills (CSV)",
        to_csv(fill_rows),
        file_name="arena-fills.csv",
        mime="text/csv",
        icon=":material/download:",
    )
