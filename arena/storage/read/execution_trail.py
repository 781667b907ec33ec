"""The execution trail of one decision: decision → order intent → broker order → fills → position snapshots.

Followed from the outcome links Run Details already read (`RunDetails.outcome_links`); each further step is
its own small read model so Run Details can table it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.kernel.kinds import Side
from arena.kernel.states import OrderStatus
from arena.storage.models import BrokerOrder, OrderIntent, PositionSnapshot
from arena.storage.read.run_fills import FillView, fills_by_broker_id
from arena.storage.read.run_views import OutcomeLinkView
from arena.storage.read.values import project


@dataclass(frozen=True, slots=True)
class TrailIntent:
    client_order_id: str
    symbol: str
    side: Side
    qty: float | None
    notional: float | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TrailOrder:
    client_order_id: str
    broker_order_id: str | None
    symbol: str
    side: Side
    qty: float | None
    filled_qty: float | None
    filled_avg_price: float | None
    status: OrderStatus
    flagged: str | None
    submitted_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class TrailPosition:
    id: int
    taken_at: datetime
    equity: float | None
    cash: float | None
    buying_power: float | None
    positions: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ExecutionTrail:
    """Every step recorded for a decision; all lists are empty when it led to no order."""

    links: list[OutcomeLinkView] = field(default_factory=list)
    intents: list[TrailIntent] = field(default_factory=list)
    orders: list[TrailOrder] = field(default_factory=list)
    fills: list[FillView] = field(default_factory=list)
    positions: list[TrailPosition] = field(default_factory=list)


def execution_trail(*, session: Session, links: Sequence[OutcomeLinkView]) -> ExecutionTrail:
    """decision → order intent → broker order → fills → position snapshots, followed from a decision's
    outcome links (as `run_details` read them, oldest first)."""
    if not links:
        return ExecutionTrail()
    fill_ids = [f for link in links for f in link.fill_ids or []]
    fills = fills_by_broker_id(session=session, broker_fill_ids=fill_ids).values()
    return ExecutionTrail(
        links=list(links),
        intents=_intents(session, [link.order_intent_id for link in links if link.order_intent_id is not None]),
        orders=_orders(session, [link.client_order_id for link in links if link.client_order_id]),
        fills=sorted(fills, key=lambda f: f.filled_at),
        positions=_positions(session, [s for link in links for s in link.position_snapshot_ids or []]),
    )


def _intents(session: Session, ids: list[int]) -> list[TrailIntent]:
    if not ids:
        return []
    return [project(TrailIntent, i) for i in session.scalars(select(OrderIntent).where(OrderIntent.id.in_(ids)))]


def _orders(session: Session, client_ids: list[str]) -> list[TrailOrder]:
    if not client_ids:
        return []
    return [
        project(TrailOrder, o)
        for o in session.scalars(select(BrokerOrder).where(BrokerOrder.client_order_id.in_(client_ids)))
    ]


def _positions(session: Session, ids: list[int]) -> list[TrailPosition]:
    if not ids:
        return []
    stmt = select(PositionSnapshot).where(PositionSnapshot.id.in_(ids)).order_by(PositionSnapshot.taken_at)
    return [project(TrailPosition, s) for s in session.scalars(stmt)]
