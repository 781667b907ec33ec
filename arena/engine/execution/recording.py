"""Writing the broker's view of an order onto our rows: the one function the submit path and reconciliation share.

Fills are derived from the order's cumulative filled quantity and average price (alpaca-py 0.44 has no
fill-activity call): when the broker's filled quantity exceeds the quantity of the fills already recorded by Δ,
one fill of Δ is recorded at the price that makes the averages agree, keyed `<broker order id>:<cumulative qty>`
so a fill is never recorded twice. The gap is measured against the recorded fills, not the row's copy of the
totals, so an order whose fills were missed (an answer without an average price, rows of an earlier version) gets
them the next time anyone looks, even when it is already final.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from arena.engine.ports import BrokerOrderView
from arena.kernel.states import OrderStatus
from arena.storage.models import BrokerOrder
from arena.storage.repositories import orders

# Order states in which the broker did not take the order: the run's outcome is "refused", not "executed".
REFUSED_ORDER_STATUSES = frozenset({OrderStatus.SUBMIT_FAILED, OrderStatus.REJECTED})


def apply_broker_view(session: Session, view: BrokerOrderView) -> list[str]:
    """Move the order (transition table), book any new fill, then copy the broker's view onto the order and link.

    Returns the ids of the fills recorded now. IllegalTransition (raised before anything changes) leaves the
    rows as they were. The caller owns the transaction.
    """
    row = orders.broker_order(session=session, client_order_id=view.client_order_id)
    if row is None:
        raise LookupError(f"no order intent for {view.client_order_id}")
    link = orders.link_for_order(session=session, client_order_id=view.client_order_id)
    orders.move_order(session=session, row=row, to_status=view.status, link=link)
    fills = _record_fill(session, row, view)
    row.broker_order_id = view.broker_order_id
    if view.submitted_at is not None:
        row.submitted_at = view.submitted_at
    row.raw = view.raw
    row.flagged = None
    row.filled_qty = Decimal(str(view.filled_qty))
    row.filled_avg_price = Decimal(str(view.filled_avg_price)) if view.filled_avg_price is not None else None
    if link is not None:
        link.broker_order_id = view.broker_order_id
        if fills:
            link.fill_ids = [*link.fill_ids, *fills]
        if view.status in REFUSED_ORDER_STATUSES:  # e.g. rejected after it was accepted: the run says so
            orders.mark_decision_refused(session=session, decision_id=link.decision_id)
        elif view.filled_qty > 0:  # the broker traded it, whatever the run managed to write
            orders.mark_decision_executed(session=session, decision_id=link.decision_id)
    session.flush()
    return fills


def _record_fill(session: Session, row: BrokerOrder, view: BrokerOrderView) -> list[str]:
    """One fill for the quantity the broker reports beyond the recorded fills (none without an average price)."""
    booked_qty, booked_value = orders.fill_totals(session=session, client_order_id=row.client_order_id)
    new_qty = Decimal(str(view.filled_qty))
    if new_qty <= booked_qty or view.filled_avg_price is None:
        return []
    new_avg = Decimal(str(view.filled_avg_price))
    delta = new_qty - booked_qty
    price = ((new_avg * new_qty) - booked_value) / delta
    if price <= 0:  # recorded fills that disagree with the broker's average: take the average
        price = new_avg
    fill_id = f"{view.broker_order_id}:{new_qty.normalize()}"
    fill = orders.add_fill(
        session=session,
        broker_fill_id=fill_id,
        client_order_id=row.client_order_id,
        symbol=row.symbol,
        side=row.side,
        qty=delta,
        price=price.quantize(Decimal("0.000001")),
        filled_at=view.filled_at or view.updated_at or datetime.now(UTC),
    )
    return [fill_id] if fill is not None else []
