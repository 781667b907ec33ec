"""Reconciliation: bring every non-final order up to the broker's truth, record fills, snapshot the account.

Run at worker start and periodically (and from `python -m arena reconcile`). Fills are derived from each order's
cumulative filled quantity and average price (alpaca-py 0.44 has no fill-activity call): when the filled
quantity grows by Δ, one fill of Δ is recorded at the price that makes the averages agree, keyed
`<broker order id>:<cumulative qty>` so a fill is never recorded twice. An order the broker does not know is
flagged, never assumed flat or cancelled.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from arena.engine.execution.order_lifecycle import FINAL
from arena.engine.ports import Broker, BrokerOrderView, MarketData
from arena.kernel.errors import ArenaError, IllegalTransition
from arena.storage.models import BrokerOrder
from arena.storage.repositories import orders

log = logging.getLogger("arena.reconcile")


@dataclass
class ReconcileReport:
    checked: int = 0
    updated: int = 0
    fills: int = 0
    flagged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    snapshot_id: int | None = None


def reconcile_orders(*, sessions: sessionmaker[Session], broker: Broker, market: MarketData) -> ReconcileReport:
    """Every open order against the broker (orders from `broker`, the account snapshot from `market`)."""
    report = ReconcileReport()
    with sessions() as session:
        pending = [(o.client_order_id, o.status) for o in orders.open_orders(session=session, final_statuses=FINAL)]
    touched: list[str] = []
    for cid, status in pending:
        report.checked += 1
        try:
            view = broker.get_order_by_client_id(cid)
        except ArenaError as exc:
            report.errors.append(f"{cid}: {exc}")
            continue
        if view is None:
            _flag(sessions, cid, "the broker does not know this order (not assumed flat)")
            report.flagged.append(cid)
            continue
        try:
            new_fills = _apply(sessions, view)
        except IllegalTransition as exc:
            _flag(sessions, cid, f"broker status rejected by the lifecycle: {exc}")
            report.flagged.append(cid)
            continue
        report.fills += new_fills
        if view.status != status or new_fills:
            report.updated += 1
            touched.append(cid)
    report.snapshot_id = _snapshot(sessions, market, touched, report)
    log.info(
        "reconciled %d orders: %d updated, %d fills, %d flagged",
        report.checked,
        report.updated,
        report.fills,
        len(report.flagged),
    )
    return report


def _apply(sessions: sessionmaker[Session], view: BrokerOrderView) -> int:
    with sessions() as session, session.begin():
        row = orders.broker_order(session=session, client_order_id=view.client_order_id)
        link = orders.link_for_order(session=session, client_order_id=view.client_order_id)
        assert row is not None
        orders.move_order(session=session, row=row, to_status=view.status, link=link)  # IllegalTransition: untouched
        fills = _record_fill(session, row, view)
        row.broker_order_id = view.broker_order_id
        row.filled_qty = Decimal(str(view.filled_qty))
        row.filled_avg_price = Decimal(str(view.filled_avg_price)) if view.filled_avg_price is not None else None
        row.raw = view.raw
        row.flagged = None
        if link is not None:
            link.broker_order_id = view.broker_order_id
            if fills:
                link.fill_ids = [*link.fill_ids, *fills]
        return len(fills)


def _record_fill(session: Session, row: BrokerOrder, view: BrokerOrderView) -> list[str]:
    old_qty = Decimal(row.filled_qty or 0)
    new_qty = Decimal(str(view.filled_qty))
    if new_qty <= old_qty or view.filled_avg_price is None:
        return []
    old_avg = Decimal(row.filled_avg_price or 0)
    new_avg = Decimal(str(view.filled_avg_price))
    delta = new_qty - old_qty
    price = ((new_avg * new_qty) - (old_avg * old_qty)) / delta
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


def _flag(sessions: sessionmaker[Session], cid: str, note: str) -> None:
    with sessions() as session, session.begin():
        row = orders.broker_order(session=session, client_order_id=cid)
        if row is not None:
            row.flagged = note


def _snapshot(
    sessions: sessionmaker[Session], market: MarketData, touched: list[str], report: ReconcileReport
) -> int | None:
    """Account equity and positions now; linked to the orders that changed in this pass."""
    try:
        state = market.portfolio()
    except ArenaError as exc:
        report.errors.append(f"account snapshot: {exc}")
        return None
    with sessions() as session, session.begin():
        snap = orders.add_position_snapshot(
            session=session,
            equity=state.equity,
            cash=state.cash,
            buying_power=state.buying_power,
            positions=[p.model_dump() for p in state.positions],
        )
        for cid in touched:
            link = orders.link_for_order(session=session, client_order_id=cid)
            if link is not None:
                link.position_snapshot_ids = [*link.position_snapshot_ids, snap.id]
        return snap.id
