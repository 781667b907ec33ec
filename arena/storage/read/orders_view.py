"""Every broker order with the decision and run behind it and its recorded fills, filtered for the Orders &
positions page (and its CSV download)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arena.kernel.kinds import FinalAction, Side
from arena.kernel.states import OrderStatus
from arena.storage.models import BrokerOrder, Consensus, Fill, OrderIntent
from arena.storage.read.run_fills import FillView
from arena.storage.read.values import as_float, optional, project

DEFAULT_LIMIT = 500


@dataclass(frozen=True, slots=True)
class OrderFilters:
    """Empty fields filter nothing; `since`/`until` bound when the order was created (UTC)."""

    statuses: tuple[OrderStatus, ...] = ()
    symbol: str | None = None
    side: Side | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = DEFAULT_LIMIT

    @staticmethod
    def all_statuses() -> tuple[OrderStatus, ...]:
        return tuple(OrderStatus)


@dataclass(frozen=True, slots=True)
class OrderRow:
    """One order: what we meant (intent), what the broker says (status, filled), and what led to it."""

    client_order_id: str
    broker_order_id: str | None
    symbol: str
    side: Side
    qty: float | None
    notional: float | None
    filled_qty: float | None
    filled_avg_price: float | None
    status: OrderStatus
    flagged: str | None
    created_at: datetime | None
    submitted_at: datetime | None
    updated_at: datetime
    fills: int
    decision_id: str | None
    run_id: str | None
    run_action: FinalAction | None
    decision_confidence: float | None


def list_orders(*, session: Session, filters: OrderFilters | None = None) -> list[OrderRow]:
    """Orders newest first (by creation), at most `filters.limit`, with decision, run and fill count."""
    f = filters or OrderFilters()
    fill_counts = (
        select(Fill.client_order_id, func.count(Fill.id).label("fills")).group_by(Fill.client_order_id).subquery()
    )
    created = func.coalesce(OrderIntent.created_at, BrokerOrder.submitted_at, BrokerOrder.updated_at)
    stmt = (
        select(
            BrokerOrder,
            OrderIntent.notional,
            OrderIntent.created_at,
            Consensus.decision_id,
            Consensus.run_id,
            Consensus.final_action,
            Consensus.confidence,
            func.coalesce(fill_counts.c.fills, 0),
        )
        .outerjoin(OrderIntent, OrderIntent.client_order_id == BrokerOrder.client_order_id)
        .outerjoin(Consensus, Consensus.decision_id == OrderIntent.decision_id)
        .outerjoin(fill_counts, fill_counts.c.client_order_id == BrokerOrder.client_order_id)
        .order_by(created.desc(), BrokerOrder.id.desc())
        .limit(f.limit)
    )
    if f.statuses:
        stmt = stmt.where(BrokerOrder.status.in_([str(s) for s in f.statuses]))
    if f.symbol:
        stmt = stmt.where(BrokerOrder.symbol == f.symbol.upper())
    if f.side is not None:
        stmt = stmt.where(BrokerOrder.side == str(f.side))
    if f.since is not None:
        stmt = stmt.where(created >= f.since)
    if f.until is not None:
        stmt = stmt.where(created < f.until)
    rows = session.execute(stmt).all()
    return [
        project(
            OrderRow,
            order,
            notional=as_float(notional),
            created_at=created_at,
            fills=int(fills),
            decision_id=decision_id,
            run_id=run_id,
            run_action=optional(FinalAction, action),
            decision_confidence=confidence,
        )
        for order, notional, created_at, decision_id, run_id, action, confidence, fills in rows
    ]


def order_symbols(*, session: Session) -> list[str]:
    """Every symbol an order was ever sent for (the page's symbol filter)."""
    return list(session.scalars(select(BrokerOrder.symbol).distinct().order_by(BrokerOrder.symbol)))


def fills_of(*, session: Session, client_order_ids: list[str]) -> list[FillView]:
    """The fills of these orders, oldest first."""
    if not client_order_ids:
        return []
    stmt = select(Fill).where(Fill.client_order_id.in_(client_order_ids)).order_by(Fill.filled_at, Fill.id)
    return [project(FillView, f) for f in session.scalars(stmt)]
