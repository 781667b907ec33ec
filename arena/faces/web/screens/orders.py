"""Orders & positions: the paper account's open positions, then every order with its decision, run, status and
fills — filtered, refreshed live, downloadable as CSV."""

from __future__ import annotations

import streamlit as st

from arena.faces.web.widgets import orders
from arena.faces.web.widgets.checklist import render_checklist
from arena.faces.web.widgets.context import database
from arena.storage.read.orders_view import OrderFilters

REFRESH_SECONDS = 5

st.title("Arena — Orders & positions")
db = database()
if db is None:
    render_checklist(None)
    st.stop()


@st.fragment(run_every=REFRESH_SECONDS)
def positions() -> None:
    assert db is not None
    orders.render_positions_section(db)


@st.fragment(run_every=REFRESH_SECONDS)
def order_list(filters: OrderFilters) -> None:
    assert db is not None
    orders.render_orders(db, filters)


st.subheader("Open positions")
positions()
st.subheader("Orders")
order_list(orders.render_filters(db))
