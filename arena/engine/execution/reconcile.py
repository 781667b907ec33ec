"""Reconciliation: bring every non-final order up to the broker's truth, record fills, snapshot the account.

Final orders come back too while their recorded fills fall short of their filled quantity (`orders_missing_fills`):
fills are booked for every filled or partially filled order, whatever path made it final.

Run at worker start and periodically (and from `python -m arena reconcile`). The broker's view of each order is
written by `arena.engine.execution.recording.apply_broker_view` (the same function the submit path uses), which
also derives fills from the cumulative filled quantity. An order the broker does not know is flagged, never
assumed flat or cancelled.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from arena.engine.execution.recording import apply_broker_view
from arena.engine.ports import Broker, MarketData
from arena.kernel.errors import ArenaError, IllegalTransition
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
    """Every open order, and every final one missing fills, against the broker (the account from `market`)."""
    report = ReconcileReport()
    with sessions() as session:
        due = [*orders.open_orders(session=session), *orders.orders_missing_fills(session=session)]
        pending = [(o.client_order_id, o.status) for o in due]
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
            with sessions() as session, session.begin():
                new_fills = len(apply_broker_view(session, view))
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
